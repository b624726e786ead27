//! What the serializer reads from a Ruby String's flags: its encoding and whether it is valid.

pub const CR_7BIT: u32 = rb_sys::ruby_coderange_type::RUBY_ENC_CODERANGE_7BIT as u32;
pub const CR_VALID: u32 = rb_sys::ruby_coderange_type::RUBY_ENC_CODERANGE_VALID as u32;
const CR_MASK: u32 = rb_sys::ruby_coderange_type::RUBY_ENC_CODERANGE_BROKEN as u32;

/// The encoding indexes the serializer accepts as they are, looked up once per dump.
#[derive(Clone, Copy)]
pub struct Encodings {
    pub utf8: i32,
    pub ascii: i32,
    pub binary: i32,
}

impl Encodings {
    pub fn lookup() -> Self {
        // SAFETY: these return fixed indexes of Ruby's built-in encodings.
        unsafe {
            Encodings {
                utf8: rb_sys::rb_utf8_encindex(),
                ascii: rb_sys::rb_usascii_encindex(),
                binary: rb_sys::rb_ascii8bit_encindex(),
            }
        }
    }
}

/// A String's encoding index and coderange (7-bit, valid or broken), read from its flags where Ruby
/// keeps both, so the common case makes no call into Ruby. Ruby scans (and caches) the coderange
/// only when it is not known yet.
pub fn string_meta(raw: rb_sys::VALUE) -> (i32, u32) {
    use rb_sys::ruby_encoding_consts::{RUBY_ENCODING_INLINE_MAX, RUBY_ENCODING_SHIFT};
    // SAFETY: `raw` is a live String; every heap object starts with RBasic, whose `flags` field is
    // where MRI keeps the inline encoding index and the coderange bits (RB_ENCODING_GET_INLINED,
    // RB_ENC_CODERANGE), laid out by the constants of the Ruby this was built against.
    let flags = unsafe { (*(raw as *const rb_sys::RBasic)).flags };
    let mut encoding =
        ((flags >> RUBY_ENCODING_SHIFT as u32) & RUBY_ENCODING_INLINE_MAX as rb_sys::VALUE) as i32;
    if encoding == RUBY_ENCODING_INLINE_MAX as i32 {
        // SAFETY: as above; the index does not fit in the flags, so Ruby keeps it elsewhere.
        encoding = unsafe { rb_sys::rb_enc_get_index(raw) };
    }
    let mut coderange = (flags as u32) & CR_MASK;
    if coderange == 0 {
        // SAFETY: as above; scans the String once and caches the result in its flags.
        coderange = unsafe { rb_sys::rb_enc_str_coderange(raw) } as u32;
    }
    (encoding, coderange)
}
