//! Borrowing the bytes of Ruby Strings.

use magnus::RString;

/// A copy of a Ruby String's bytes, for data that must outlive the call (secrets, tokens, URLs).
pub fn owned(s: RString) -> Vec<u8> {
    with_bytes([s], |[bytes]| bytes.to_vec())
}

/// Runs `f` over the bytes of `strings`, without copying them.
///
/// `f` gets plain byte slices and no Ruby handle, so it cannot call back into Ruby, allocate
/// Ruby objects or trigger GC while the slices are alive: the only things that could move or
/// free a String's buffer.
pub fn with_bytes<const N: usize, T>(strings: [RString; N], f: impl FnOnce([&[u8]; N]) -> T) -> T {
    // SAFETY: the slices live only for the duration of `f`, which (see above) cannot run Ruby code,
    // so no String can be mutated, resized or collected meanwhile; the RStrings are on the stack
    // of this frame (and so marked by Ruby's conservative GC) for that whole time.
    let slices = strings.each_ref().map(|s| unsafe { s.as_slice() });
    f(slices)
}
