//! String escaping, as `JSON.generate` does it (and ActiveSupport on top of it).

use super::Mode;

/// What a byte needs in `JSON.generate`'s output: 0 nothing, 1 a short or `\u00XX` escape.
static JSON_CLASS: [u8; 256] = class_table(false);
/// The same for ActiveSupport: also 2, an HTML-safe escape (`<` `>` `&`), and 3, the first byte
/// of a possible U+2028/U+2029 (E2 80 A8/A9).
static RAILS_CLASS: [u8; 256] = class_table(true);

const fn class_table(rails: bool) -> [u8; 256] {
    let mut table = [0u8; 256];
    let mut i = 0;
    while i < 0x20 {
        table[i] = 1;
        i += 1;
    }
    table[b'"' as usize] = 1;
    table[b'\\' as usize] = 1;
    if rails {
        table[b'<' as usize] = 2;
        table[b'>' as usize] = 2;
        table[b'&' as usize] = 2;
        table[0xE2] = 3;
    }
    table
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Appends `s` (valid UTF-8) as a JSON string literal. Non-ASCII text and `/` stay as they are.
pub fn write_string(out: &mut Vec<u8>, s: &[u8], mode: Mode) {
    let table = if mode == Mode::Rails {
        &RAILS_CLASS
    } else {
        &JSON_CLASS
    };
    out.reserve(s.len() + 2);
    out.push(b'"');
    let mut start = 0;
    let mut i = 0;
    loop {
        // Most bytes need nothing: skip the run, copy it whole.
        while i < s.len() && table[s[i] as usize] == 0 {
            i += 1;
        }
        if i == s.len() {
            break;
        }
        let byte = s[i];
        let escape: &[u8] = match (table[byte as usize], byte) {
            (1, b'"') => b"\\\"",
            (1, b'\\') => b"\\\\",
            (1, b'\n') => b"\\n",
            (1, b'\r') => b"\\r",
            (1, b'\t') => b"\\t",
            (1, 0x08) => b"\\b",
            (1, 0x0c) => b"\\f",
            (1, _) => &[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[(byte >> 4) as usize],
                HEX[(byte & 0xf) as usize],
            ],
            (2, b'<') => b"\\u003c",
            (2, b'>') => b"\\u003e",
            (2, _) => b"\\u0026",
            _ if s.get(i + 1) == Some(&0x80) && matches!(s.get(i + 2), Some(0xA8 | 0xA9)) => {
                out.extend_from_slice(&s[start..i]);
                out.extend_from_slice(if s[i + 2] == 0xA8 {
                    b"\\u2028"
                } else {
                    b"\\u2029"
                });
                i += 3;
                start = i;
                continue;
            }
            // Another character starting with E2 (like €): nothing to escape.
            _ => {
                i += 1;
                continue;
            }
        };
        out.extend_from_slice(&s[start..i]);
        out.extend_from_slice(escape);
        i += 1;
        start = i;
    }
    out.extend_from_slice(&s[start..]);
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(s: &str, mode: Mode) -> String {
        let mut out = Vec::new();
        write_string(&mut out, s.as_bytes(), mode);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn like_json_generate() {
        // Expected strings are what `JSON.generate` (json 2.6) prints for the same input.
        assert_eq!(
            json(
                "a\u{1}\u{1f}\u{7f}/\u{8}\u{c}\n\r\t\"\\ é \u{2028} <>&",
                Mode::Json
            ),
            "\"a\\u0001\\u001f\u{7f}/\\b\\f\\n\\r\\t\\\"\\\\ é \u{2028} <>&\""
        );
        assert_eq!(json("", Mode::Json), "\"\"");
        assert_eq!(json("😀日本", Mode::Json), "\"😀日本\"");
        assert_eq!(json("\u{0}", Mode::Json), "\"\\u0000\"");
    }

    #[test]
    fn like_active_support() {
        assert_eq!(
            json("<b>&\u{2028}\u{2029}", Mode::Rails),
            "\"\\u003cb\\u003e\\u0026\\u2028\\u2029\""
        );
        // Other characters starting with E2 (€ is E2 82 AC, U+2027 is E2 80 A7) stay as they are.
        assert_eq!(
            json("€\u{2027}\u{202a}", Mode::Rails),
            "\"€\u{2027}\u{202a}\""
        );
        assert_eq!(json("\n\"", Mode::Rails), "\"\\n\\\"\"");
    }
}
