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

#[cfg(not(target_arch = "x86_64"))]
const ONES: u64 = 0x0101_0101_0101_0101;
#[cfg(not(target_arch = "x86_64"))]
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// Whether any byte of `word` is below `n` (exact as a yes/no for n <= 128).
#[cfg(not(target_arch = "x86_64"))]
const fn any_below(word: u64, n: u8) -> bool {
    word.wrapping_sub(ONES * n as u64) & !word & HIGHS != 0
}

/// Whether any byte of `word` equals `byte`.
#[cfg(not(target_arch = "x86_64"))]
const fn any_equal(word: u64, byte: u8) -> bool {
    any_below(word ^ (ONES * byte as u64), 1)
}

/// Whether a word of eight bytes holds a byte the class table marks (never false for one that
/// does): the whole word is skipped otherwise, which is most of any real text.
#[cfg(not(target_arch = "x86_64"))]
fn may_need_escape(word: u64, mode: Mode) -> bool {
    let json = any_below(word, 0x20) || any_equal(word, b'"') || any_equal(word, b'\\');
    json || mode == Mode::Rails
        && (any_equal(word, b'<')
            || any_equal(word, b'>')
            || any_equal(word, b'&')
            || any_equal(word, 0xE2))
}

/// The class table for `mode`.
fn classes(mode: Mode) -> &'static [u8; 256] {
    if mode == Mode::Rails {
        &RAILS_CLASS
    } else {
        &JSON_CLASS
    }
}

/// The length of the start of `s` that needs no escaping: most bytes need nothing, so this skips
/// sixteen at a time with SSE2 (part of every x86_64), and a String shorter than sixteen bytes,
/// which is most keys and many values, is checked in one step from a padded copy. The byte-wise
/// scan that did the last bytes of every String was the larger part of `Payload.dump`'s escaping.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn clean_prefix(s: &[u8], mode: Mode) -> usize {
    let mut i = 0;
    while let Some(chunk) = s.get(i..i + 16) {
        let mask = special_bytes(chunk.try_into().unwrap_or(&[0; 16]), mode);
        if mask != 0 {
            return i + mask.trailing_zeros() as usize;
        }
        i += 16;
    }
    let rest = s.len() - i;
    if rest == 0 {
        return i;
    }
    if let Some(last) = s.len().checked_sub(16) {
        // The last sixteen bytes, of which the first 16 - rest were found clean above.
        let mask = special_bytes(s[last..].try_into().unwrap_or(&[0; 16]), mode) >> (16 - rest);
        return i + (mask.trailing_zeros() as usize).min(rest);
    }
    // Shorter than sixteen: a copy padded with a letter, which never needs escaping. Copies of a
    // fixed size (overlapping when needed, as in write_quoted), because a memcpy call of the exact
    // length cost as much as the check.
    let mut padded = [b'a'; 16];
    if rest >= 8 {
        padded[..8].copy_from_slice(&s[..8]);
        padded[rest - 8..rest].copy_from_slice(&s[rest - 8..]);
    } else if rest >= 4 {
        padded[..4].copy_from_slice(&s[..4]);
        padded[rest - 4..rest].copy_from_slice(&s[rest - 4..]);
    } else {
        padded[..rest].copy_from_slice(s);
    }
    let mask = special_bytes(&padded, mode);
    (mask.trailing_zeros() as usize).min(rest)
}

/// A bit for each of the sixteen bytes the class table marks for `mode` (exactly those).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn special_bytes(chunk: &[u8; 16], mode: Mode) -> u32 {
    use std::arch::x86_64::*;
    // SAFETY: SSE2 is part of the x86_64 baseline, so these intrinsics are always available; the
    // unaligned load reads exactly the sixteen bytes of `chunk`.
    unsafe {
        let v = _mm_loadu_si128(chunk.as_ptr().cast());
        let eq = |byte: u8| _mm_cmpeq_epi8(v, _mm_set1_epi8(byte as i8));
        // max(v, 0x1f) == 0x1f exactly when v <= 0x1f (unsigned): the control characters.
        let control = _mm_cmpeq_epi8(_mm_max_epu8(v, _mm_set1_epi8(0x1f)), _mm_set1_epi8(0x1f));
        let mut marked = _mm_or_si128(control, _mm_or_si128(eq(b'"'), eq(b'\\')));
        if mode == Mode::Rails {
            let html = _mm_or_si128(eq(b'<'), _mm_or_si128(eq(b'>'), eq(b'&')));
            marked = _mm_or_si128(marked, _mm_or_si128(html, eq(0xE2)));
        }
        _mm_movemask_epi8(marked) as u32
    }
}

/// The length of the start of `s` that needs no escaping: most bytes need nothing, so this skips
/// eight at a time while no byte in the word is a candidate.
#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
fn clean_prefix(s: &[u8], mode: Mode) -> usize {
    let table = classes(mode);
    let mut i = 0;
    while let Some(word) = s.get(i..i + 8) {
        if may_need_escape(
            u64::from_le_bytes(word.try_into().unwrap_or_default()),
            mode,
        ) {
            break;
        }
        i += 8;
    }
    while i < s.len() && table[s[i] as usize] == 0 {
        i += 1;
    }
    i
}

/// Appends `s` (valid UTF-8) as a JSON string literal. Non-ASCII text and `/` stay as they are.
pub fn write_string(out: &mut Vec<u8>, s: &[u8], mode: Mode) {
    let mut i = clean_prefix(s, mode);
    if i == s.len() {
        return write_quoted(out, s);
    }
    let table = classes(mode);
    out.reserve(s.len() + 2);
    out.push(b'"');
    let mut start = 0;
    loop {
        i += clean_prefix(&s[i..], mode);
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

/// Appends `s`, which needs no escaping, in quotes. Most strings in a payload are short keys and
/// values, for which a copy of fixed size (then cut to length) is much cheaper than a memcpy call.
fn write_quoted(out: &mut Vec<u8>, s: &[u8]) {
    let len = s.len();
    if len > 16 {
        out.reserve(len + 2);
        out.push(b'"');
        out.extend_from_slice(s);
        out.push(b'"');
        return;
    }
    let at = out.len();
    out.extend_from_slice(&[b'"'; 18]);
    let quoted = &mut out[at..at + 18];
    // Two overlapping copies of 8 (or 4) bytes cover any length from 8 (or 4) to 16 (or 8).
    if len >= 8 {
        quoted[1..9].copy_from_slice(&s[..8]);
        quoted[len - 7..=len].copy_from_slice(&s[len - 8..]);
    } else if len >= 4 {
        quoted[1..5].copy_from_slice(&s[..4]);
        quoted[len - 3..=len].copy_from_slice(&s[len - 4..]);
    } else {
        quoted[1..=len].copy_from_slice(s);
    }
    quoted[len + 1] = b'"';
    out.truncate(at + len + 2);
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
    fn plain_strings_of_every_short_length() {
        let letters: Vec<u8> = (b'a'..=b'z').chain(b'A'..=b'Z').collect();
        for len in 0..=letters.len() {
            let s = &letters[..len];
            let mut out = b"[1,".to_vec();
            write_string(&mut out, s, Mode::Json);
            assert_eq!(out, [&b"[1,\""[..], s, b"\""].concat(), "length {len}");
        }
    }

    #[test]
    fn clean_prefix_agrees_with_the_class_tables() {
        // Every byte value at every position of Strings of every length up to three chunks: the
        // clean prefix must end exactly at the first byte the table marks.
        for mode in [Mode::Json, Mode::Rails] {
            let table = classes(mode);
            for len in 1..=48 {
                for at in 0..len {
                    for byte in 0..=255u8 {
                        let mut text = vec![b'a'; len];
                        text[at] = byte;
                        let expected = if table[byte as usize] != 0 { at } else { len };
                        assert_eq!(
                            clean_prefix(&text, mode),
                            expected,
                            "{mode:?} {len} {at} {byte:#x}"
                        );
                    }
                }
            }
            assert_eq!(clean_prefix(b"", mode), 0);
        }
    }

    #[cfg(not(target_arch = "x86_64"))]
    #[test]
    fn word_skipping_agrees_with_the_class_tables() {
        // Every byte value at every position of a word, inside text long enough to be skipped a
        // word at a time: the result must be what the byte-by-byte tables give.
        for mode in [Mode::Json, Mode::Rails] {
            let table = classes(mode);
            for byte in 0..=255u8 {
                for at in 0..8 {
                    let mut word = [b'a'; 8];
                    word[at] = byte;
                    let w = u64::from_le_bytes(word);
                    if table[byte as usize] != 0 {
                        assert!(may_need_escape(w, mode), "{mode:?} byte {byte:#x} at {at}");
                    }
                }
            }
            let text = "plain text that is long enough, then a quote \" and <tag> \u{2028} end";
            let mut out = Vec::new();
            write_string(&mut out, text.as_bytes(), mode);
            let expected: String = text
                .chars()
                .map(|c| match c {
                    '"' => "\\\"".to_string(),
                    '<' if mode == Mode::Rails => "\\u003c".to_string(),
                    '>' if mode == Mode::Rails => "\\u003e".to_string(),
                    '\u{2028}' if mode == Mode::Rails => "\\u2028".to_string(),
                    c => c.to_string(),
                })
                .collect();
            assert_eq!(String::from_utf8(out).unwrap(), format!("\"{expected}\""));
        }
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
