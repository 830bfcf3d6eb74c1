//! The text forms PostgreSQL's numeric_in accepts (`1e3`, `  12.50 `, `-0.0012`, `1.5e-3`),
//! brought to the plain digits Arrow's decimal parser takes, with the scale PostgreSQL keeps:
//! an unconstrained numeric remembers how many digits the literal had after its point.

use crate::error::{EngineError, EngineResult, sqlstate};

/// A numeric literal in plain positional form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Numeric {
    /// `-1234.5600`: sign, digits, and a point if the scale is above zero.
    pub text: String,
    /// Digits in all (at least 1).
    pub precision: u32,
    /// Digits after the point.
    pub scale: u32,
}

fn syntax(text: &str) -> EngineError {
    EngineError::new(
        sqlstate::INVALID_TEXT_REPRESENTATION,
        format!("invalid input syntax for type numeric: \"{text}\""),
    )
}

/// Reads `text` as PostgreSQL reads a numeric literal.
pub fn parse(text: &str) -> EngineResult<Numeric> {
    let t = text.trim();
    let lower = t.to_ascii_lowercase();
    if matches!(
        lower.as_str(),
        "nan" | "infinity" | "-infinity" | "+infinity" | "inf" | "-inf"
    ) {
        return Err(EngineError::not_supported(format!(
            "numeric \"{t}\" is not supported: Aloe's numerics are finite"
        )));
    }
    let (negative, unsigned) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(at) => {
            let e: i32 = unsigned[at + 1..].parse().map_err(|_| syntax(text))?;
            (&unsigned[..at], e)
        }
        None => (unsigned, 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits_only = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if whole.is_empty() && fraction.is_empty() || !digits_only(whole) || !digits_only(fraction) {
        return Err(syntax(text));
    }
    if exponent.abs() > 1000 {
        return Err(EngineError::new(
            sqlstate::NUMERIC_VALUE_OUT_OF_RANGE,
            "value overflows numeric format",
        ));
    }
    // All digits, and where the point falls among them once the exponent is applied.
    let digits = format!("{whole}{fraction}");
    let point = whole.len() as i64 + exponent as i64;
    let scale = (fraction.len() as i64 - exponent as i64).max(0) as usize;
    let (int_part, frac_part) = if point <= 0 {
        (
            String::new(),
            format!("{}{digits}", "0".repeat((-point) as usize)),
        )
    } else if point as usize >= digits.len() {
        (
            format!("{digits}{}", "0".repeat(point as usize - digits.len())),
            String::new(),
        )
    } else {
        (
            digits[..point as usize].to_owned(),
            digits[point as usize..].to_owned(),
        )
    };
    let frac_part = format!("{frac_part:0<scale$}")[..scale].to_owned();
    let int_part = int_part.trim_start_matches('0');
    let int_part = if int_part.is_empty() { "0" } else { int_part };
    let is_zero = int_part == "0" && frac_part.chars().all(|c| c == '0');
    let sign = if negative && !is_zero { "-" } else { "" };
    let text = if scale > 0 {
        format!("{sign}{int_part}.{frac_part}")
    } else {
        format!("{sign}{int_part}")
    };
    let int_digits = if int_part == "0" { 0 } else { int_part.len() };
    Ok(Numeric {
        text,
        precision: ((int_digits + scale) as u32).max(1),
        scale: scale as u32,
    })
}

/// Checks that `n` fits `numeric(precision, scale)` once rounded to `scale`, as PostgreSQL's
/// apply_typmod does (22003 otherwise).
pub fn check_typmod(n: &Numeric, precision: u32, scale: u32) -> EngineResult<()> {
    let unsigned = n.text.trim_start_matches('-');
    let (int_part, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let scale = scale as usize;
    let fraction = format!("{fraction:0<width$}", width = scale + 1);
    // The digits kept at this scale, rounded half up as numeric rounds.
    let mut kept: Vec<u8> = format!("{int_part}{}", &fraction[..scale]).into_bytes();
    if fraction.as_bytes()[scale] >= b'5' {
        let mut i = kept.len();
        loop {
            if i == 0 {
                kept.insert(0, b'1');
                break;
            }
            i -= 1;
            if kept[i] == b'9' {
                kept[i] = b'0';
            } else {
                kept[i] += 1;
                break;
            }
        }
    }
    let significant = kept.iter().skip_while(|d| **d == b'0').count();
    let int_digits = significant.saturating_sub(scale) as u32;
    if int_digits > precision.saturating_sub(scale as u32) {
        return Err(EngineError::new(
            sqlstate::NUMERIC_VALUE_OUT_OF_RANGE,
            format!(
                "numeric field overflow: a field with precision {precision}, scale {scale} \
                 must round to an absolute value less than 10^{}",
                precision.saturating_sub(scale as u32)
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(text: &str) -> (String, u32, u32) {
        let n = parse(text).unwrap();
        (n.text, n.precision, n.scale)
    }

    /// Expected texts are PostgreSQL 15's output for `'<text>'::numeric`.
    #[test]
    fn reads_the_forms_postgresql_reads() {
        assert_eq!(plain("1e3"), ("1000".into(), 4, 0));
        assert_eq!(plain("  12.50 "), ("12.50".into(), 4, 2));
        assert_eq!(plain("-0.0012"), ("-0.0012".into(), 4, 4));
        assert_eq!(plain("1.5e-3"), ("0.0015".into(), 4, 4));
        assert_eq!(plain("1.50e1"), ("15.0".into(), 3, 1));
        assert_eq!(plain(".5"), ("0.5".into(), 1, 1));
        assert_eq!(plain("+7."), ("7".into(), 1, 0));
        assert_eq!(plain("-0"), ("0".into(), 1, 0));
    }

    #[test]
    fn bad_numerics_get_postgresqls_codes() {
        for bad in ["abc", "", "1e", "1.2.3", "--1", "1 2"] {
            assert_eq!(parse(bad).unwrap_err().code, "22P02", "{bad}");
        }
        assert_eq!(parse("NaN").unwrap_err().code, "0A000");
        let n = parse("12345.678").unwrap();
        assert_eq!(check_typmod(&n, 6, 2).unwrap_err().code, "22003");
        assert!(check_typmod(&n, 7, 2).is_ok());
        assert!(check_typmod(&parse("9999.994").unwrap(), 6, 2).is_ok());
        assert!(check_typmod(&parse("9999.995").unwrap(), 6, 2).is_err());
    }
}
