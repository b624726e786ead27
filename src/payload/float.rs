//! Ruby's `Float#to_s`, which `JSON.generate` and ActiveSupport both print floats with: the shortest
//! digits that round-trip, in fixed notation when the decimal point falls within -4 < decpt <= 15
//! (`0.0001`, `123456789012345.0`), or at 16 when there are fractional digits
//! (`1170777049243442.2`), else `d.ddde±XX` (`1.0e+15`, `1.234567890123456e+15`, `1.0e-05`).

use std::io::Write;

/// A finite float, or why it cannot be JSON.
pub enum RubyFloat {
    Finite(f64),
    NaN,
    Infinite,
}

impl RubyFloat {
    pub fn of(f: f64) -> Self {
        if f.is_nan() {
            RubyFloat::NaN
        } else if f.is_infinite() {
            RubyFloat::Infinite
        } else {
            RubyFloat::Finite(f)
        }
    }
}

/// Appends a finite `f` as `Float#to_s` prints it.
pub fn write_float(out: &mut Vec<u8>, f: f64) {
    if f.is_sign_negative() {
        out.push(b'-');
    }
    let f = f.abs();
    if f == 0.0 {
        out.extend_from_slice(b"0.0");
        return;
    }
    // Rust's `{:e}` gives the shortest round-trip digits, like Ruby's dtoa mode 0. Where two
    // candidates of that length are equally close (only at 16-17 digits), Ruby takes the even one;
    // Rust's exact mode at the same length rounds half to even, so it decides those.
    let mut sci = Vec::with_capacity(32);
    let _ = write!(sci, "{f:e}");
    let significant = sci
        .iter()
        .take_while(|b| **b != b'e')
        .filter(|b| b.is_ascii_digit())
        .count();
    if significant >= 16 {
        // The nearest decimal of that length is not always inside the rounding interval: at a
        // power of two the interval below is half the one above (found by fuzzing). Only a
        // candidate that reads back as the same double may replace the shortest digits.
        let mut even = Vec::with_capacity(32);
        let _ = write!(even, "{f:.prec$e}", prec = significant - 1);
        let round_trips = std::str::from_utf8(&even)
            .ok()
            .and_then(|t| t.parse::<f64>().ok())
            == Some(f);
        if round_trips {
            sci = even;
        }
    }
    let e_at = sci.iter().position(|b| *b == b'e').unwrap_or(sci.len());
    let exponent: i32 = std::str::from_utf8(&sci[e_at + 1..])
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let digits: Vec<u8> = sci[..e_at].iter().copied().filter(|b| *b != b'.').collect();
    let decpt = exponent + 1; // position of the decimal point relative to the digits
    let fixed = decpt > 0 && (decpt <= 15 || (decpt == 16 && digits.len() > 16));
    if fixed {
        let decpt = decpt as usize;
        if digits.len() <= decpt {
            out.extend_from_slice(&digits);
            out.resize(out.len() + decpt - digits.len(), b'0');
            out.extend_from_slice(b".0");
        } else {
            out.extend_from_slice(&digits[..decpt]);
            out.push(b'.');
            out.extend_from_slice(&digits[decpt..]);
        }
    } else if decpt <= 0 && decpt > -4 {
        out.extend_from_slice(b"0.");
        out.resize(out.len() + (-decpt) as usize, b'0');
        out.extend_from_slice(&digits);
    } else {
        out.push(digits[0]);
        out.push(b'.');
        if digits.len() > 1 {
            out.extend_from_slice(&digits[1..]);
        } else {
            out.push(b'0');
        }
        let _ = write!(
            out,
            "e{}{:02}",
            if exponent < 0 { '-' } else { '+' },
            exponent.unsigned_abs()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ruby(f: f64) -> String {
        let mut out = Vec::new();
        write_float(&mut out, f);
        String::from_utf8(out).unwrap()
    }

    #[test]
    // The literals are written as in the Ruby source they were checked against, extra digits included.
    #[allow(clippy::excessive_precision)]
    fn matches_float_to_s() {
        // Each pair is (value, what Ruby 3.1's Float#to_s prints).
        let cases: &[(f64, &str)] = &[
            (1.0e20, "1.0e+20"),
            (1.0e16, "1.0e+16"),
            (1.0e15, "1.0e+15"),
            (123456789012345.0, "123456789012345.0"),
            (1234567890123456.0, "1.234567890123456e+15"),
            (999999999999999.9, "999999999999999.9"),
            (1.0e14, "100000000000000.0"),
            (0.001, "0.001"),
            (0.0001, "0.0001"),
            (0.00012, "0.00012"),
            (0.000012, "1.2e-05"),
            (1.0e-5, "1.0e-05"),
            (5.0e-324, "5.0e-324"),
            (-0.0, "-0.0"),
            (0.0, "0.0"),
            (0.1, "0.1"),
            (1.0, "1.0"),
            (10.0, "10.0"),
            (-2.5, "-2.5"),
            (123456789.123456789, "123456789.12345679"),
            (1.0 / 3.0, "0.3333333333333333"),
            (2.5e-5, "2.5e-05"),
            (1.0e100, "1.0e+100"),
            (12345678901234567.0, "1.2345678901234568e+16"),
            (9007199254740993.0, "9.007199254740992e+15"),
            (123.456e-7, "1.23456e-05"),
            (1170777049243442.2, "1170777049243442.2"),
            (1234567890123456.5, "1234567890123456.5"),
            (9999999999999998.0, "9.999999999999998e+15"),
            (1000000000000000.2, "1000000000000000.2"),
            (100000000000000.5, "100000000000000.5"),
            (99999999999999.98, "99999999999999.98"),
            (1.5e15, "1.5e+15"),
            // A power of two, where the nearest 16-digit decimal does not round-trip (found by fuzzing).
            (
                f64::from_le_bytes([0, 0, 0, 0, 0, 0, 0, 1]),
                "7.291122019556398e-304",
            ),
            (f64::MAX, "1.7976931348623157e+308"),
            (f64::MIN_POSITIVE, "2.2250738585072014e-308"),
        ];
        for (value, expected) in cases {
            assert_eq!(ruby(*value), *expected, "{value:e}");
        }
    }
}
