//! The text forms PostgreSQL's interval_in accepts (DecodeInterval and DecodeISO8601Interval
//! in datetime.c): `1 day 02:00`, `1.5 hours`, `2 weeks`, `3 4:05:06`, `1-2`, `@ 1 hour ago`,
//! `00:00:01.5`, ISO 8601 `P1Y2M3DT4H5M6S` and `P2W`. Neither Arrow's parser nor the
//! pg_interval crate reads all of them (`1 day 02:00` and `2 weeks` fail in both), so this
//! module does, with PostgreSQL's rules for fractions: a fraction of a month spills into
//! days of 30, a fraction of a day into hours of 24.

use crate::error::{EngineError, EngineResult, sqlstate};

/// An interval as PostgreSQL holds one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Interval {
    /// Months.
    pub months: i32,
    /// Days.
    pub days: i32,
    /// Microseconds.
    pub micros: i64,
}

const MICROS_PER_DAY: f64 = 86_400_000_000.0;

fn syntax(text: &str) -> EngineError {
    EngineError::new(
        sqlstate::INVALID_DATETIME_FORMAT,
        format!("invalid input syntax for type interval: \"{text}\""),
    )
}

fn out_of_range(text: &str) -> EngineError {
    EngineError::new(
        sqlstate::DATETIME_FIELD_OVERFLOW,
        format!("interval field value out of range: \"{text}\""),
    )
}

/// A unit and what one of it is worth: (months, days, microseconds).
fn unit(word: &str) -> Option<(f64, f64, f64)> {
    let w = word.to_ascii_lowercase();
    Some(match w.as_str() {
        "microsecond" | "microseconds" | "us" | "usec" | "usecs" | "useconds" => (0.0, 0.0, 1.0),
        "millisecond" | "milliseconds" | "ms" | "msec" | "msecs" | "mseconds" => {
            (0.0, 0.0, 1_000.0)
        }
        "second" | "seconds" | "s" | "sec" | "secs" => (0.0, 0.0, 1_000_000.0),
        "minute" | "minutes" | "m" | "min" | "mins" => (0.0, 0.0, 60_000_000.0),
        "hour" | "hours" | "h" | "hr" | "hrs" => (0.0, 0.0, 3_600_000_000.0),
        "day" | "days" | "d" => (0.0, 1.0, 0.0),
        "week" | "weeks" | "w" => (0.0, 7.0, 0.0),
        "month" | "months" | "mon" | "mons" => (1.0, 0.0, 0.0),
        "year" | "years" | "y" | "yr" | "yrs" => (12.0, 0.0, 0.0),
        "decade" | "decades" | "dec" | "decs" => (120.0, 0.0, 0.0),
        "century" | "centuries" | "c" | "cent" => (1200.0, 0.0, 0.0),
        "millennium" | "millennia" | "mil" | "mils" => (12000.0, 0.0, 0.0),
        _ => return None,
    })
}

/// Adds `amount` of a unit worth (months, days, micros), spilling fractions downwards.
#[derive(Default)]
struct Sum {
    months: f64,
    days: f64,
    micros: f64,
}

impl Sum {
    fn add(&mut self, amount: f64, (months, days, micros): (f64, f64, f64)) {
        let m = amount * months;
        let whole_months = m.trunc();
        self.months += whole_months;
        let d = amount * days + (m - whole_months) * 30.0;
        let whole_days = d.trunc();
        self.days += whole_days;
        self.micros += amount * micros + (d - whole_days) * MICROS_PER_DAY;
    }

    fn finish(self, negate: bool, text: &str) -> EngineResult<Interval> {
        let sign = if negate { -1.0 } else { 1.0 };
        let fits = |v: f64| v.abs() <= i32::MAX as f64;
        if !fits(self.months) || !fits(self.days) || self.micros.abs() > 9.2e18 {
            return Err(out_of_range(text));
        }
        Ok(Interval {
            months: (sign * self.months) as i32,
            days: (sign * self.days) as i32,
            micros: (sign * self.micros).round() as i64,
        })
    }
}

/// Reads `text` as PostgreSQL reads an interval literal.
pub fn parse(text: &str) -> EngineResult<Interval> {
    let trimmed = text.trim();
    if let Some(iso) = trimmed.strip_prefix(['P', 'p']) {
        return iso_8601(iso, text);
    }
    let body = trimmed.strip_prefix('@').unwrap_or(trimmed).trim();
    let mut words: Vec<&str> = body.split_whitespace().collect();
    let negate = words.last().is_some_and(|w| w.eq_ignore_ascii_case("ago"));
    if negate {
        words.pop();
    }
    if words.is_empty() {
        return Err(syntax(text));
    }
    let mut sum = Sum::default();
    let mut i = 0;
    while i < words.len() {
        let word = words[i];
        if word.contains(':') {
            sum.micros += clock(word).ok_or_else(|| syntax(text))?;
            i += 1;
            continue;
        }
        if let Some(months) = year_month(word) {
            sum.months += months;
            i += 1;
            continue;
        }
        // A number and its unit, apart (`3 days`) or together (`3days`, `10s`).
        let split = word
            .find(|c: char| c.is_ascii_alphabetic())
            .filter(|at| *at > 0);
        let (number, attached) = match split {
            Some(at) => (&word[..at], Some(&word[at..])),
            None => (word, None),
        };
        let amount: f64 = number.parse().map_err(|_| syntax(text))?;
        if !amount.is_finite() {
            return Err(syntax(text));
        }
        let worth = match attached {
            Some(u) => {
                i += 1;
                unit(u).ok_or_else(|| syntax(text))?
            }
            None => match words.get(i + 1).and_then(|w| unit(w)) {
                Some(u) => {
                    i += 2;
                    u
                }
                None => {
                    i += 1;
                    // A bare number before a time is days (`3 4:05:06`); a last one, seconds.
                    match words.get(i) {
                        Some(next) if next.contains(':') => (0.0, 1.0, 0.0),
                        None => (0.0, 0.0, 1_000_000.0),
                        Some(_) => return Err(syntax(text)),
                    }
                }
            },
        };
        sum.add(amount, worth);
    }
    sum.finish(negate, text)
}

/// `[-]H:MM[:SS[.f]]` in microseconds.
fn clock(word: &str) -> Option<f64> {
    let (sign, rest) = match word.strip_prefix('-') {
        Some(r) => (-1.0, r),
        None => (1.0, word.strip_prefix('+').unwrap_or(word)),
    };
    let parts: Vec<&str> = rest.split(':').collect();
    if !(2..=3).contains(&parts.len()) {
        return None;
    }
    let hours: u64 = parts[0].parse().ok()?;
    let minutes: u64 = parts[1].parse().ok()?;
    let seconds: f64 = match parts.get(2) {
        Some(s) if !s.is_empty() && s.chars().all(|c| c.is_ascii_digit() || c == '.') => {
            s.parse().ok()?
        }
        Some(_) => return None,
        None => 0.0,
    };
    if minutes > 59 || seconds >= 60.0 {
        return None;
    }
    Some(sign * ((hours * 3600 + minutes * 60) as f64 * 1e6 + seconds * 1e6))
}

/// SQL-standard `[-]Y-M` in months.
fn year_month(word: &str) -> Option<f64> {
    let (sign, rest) = match word.strip_prefix('-') {
        Some(r) => (-1.0, r),
        None => (1.0, word),
    };
    let (y, m) = rest.split_once('-')?;
    let years: u32 = y.parse().ok()?;
    let months: u32 = m.parse().ok()?;
    (months < 12).then(|| sign * (years * 12 + months) as f64)
}

/// ISO 8601's designator form after the `P`: `1Y2M3DT4H5M6S`, `2W`, fractions allowed.
fn iso_8601(body: &str, text: &str) -> EngineResult<Interval> {
    let mut sum = Sum::default();
    let mut in_time = false;
    let mut number = String::new();
    let mut any = false;
    for c in body.chars() {
        match c {
            'T' | 't' if number.is_empty() && !in_time => in_time = true,
            '0'..='9' | '.' | '-' | '+' => number.push(c),
            _ => {
                let amount: f64 = number.parse().map_err(|_| syntax(text))?;
                number.clear();
                let worth = match (in_time, c.to_ascii_uppercase()) {
                    (false, 'Y') => (12.0, 0.0, 0.0),
                    (false, 'M') => (1.0, 0.0, 0.0),
                    (false, 'W') => (0.0, 7.0, 0.0),
                    (false, 'D') => (0.0, 1.0, 0.0),
                    (true, 'H') => (0.0, 0.0, 3_600_000_000.0),
                    (true, 'M') => (0.0, 0.0, 60_000_000.0),
                    (true, 'S') => (0.0, 0.0, 1_000_000.0),
                    _ => return Err(syntax(text)),
                };
                sum.add(amount, worth);
                any = true;
            }
        }
    }
    if !number.is_empty() || !any {
        return Err(syntax(text));
    }
    sum.finish(false, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iv(text: &str) -> (i32, i32, i64) {
        let i = parse(text).unwrap();
        (i.months, i.days, i.micros)
    }

    /// Expected values are what PostgreSQL 15 prints for the same literal.
    #[test]
    fn reads_the_forms_postgresql_reads() {
        const H: i64 = 3_600_000_000;
        assert_eq!(iv("1 day 02:00"), (0, 1, 2 * H));
        assert_eq!(
            iv("P1Y2M3DT4H5M6S"),
            (14, 3, 4 * H + 5 * 60_000_000 + 6_000_000)
        );
        assert_eq!(iv("PT1H30M"), (0, 0, H + H / 2));
        assert_eq!(iv("P2W"), (0, 14, 0));
        assert_eq!(iv("P0.5D"), (0, 0, 12 * H));
        assert_eq!(iv("1-2"), (14, 0, 0));
        assert_eq!(iv("3 4:05:06"), (0, 3, 4 * H + 5 * 60_000_000 + 6_000_000));
        assert_eq!(iv("1.5 hours"), (0, 0, H + H / 2));
        assert_eq!(iv("-1 day"), (0, -1, 0));
        assert_eq!(iv("@ 1 hour ago"), (0, 0, -H));
        assert_eq!(iv("2 weeks"), (0, 14, 0));
        assert_eq!(iv("1 year 2 months 3 days"), (14, 3, 0));
        assert_eq!(iv("00:00:01.5"), (0, 0, 1_500_000));
        assert_eq!(iv("1.5 months"), (1, 15, 0));
        assert_eq!(iv("10 secs"), (0, 0, 10_000_000));
        assert_eq!(iv("5"), (0, 0, 5_000_000));
        assert_eq!(iv("1 day -02:00:00"), (0, 1, -2 * H));
        assert_eq!(iv("3days 4h"), (0, 3, 4 * H));
        assert_eq!(iv("1 day 2"), (0, 1, 2_000_000));
    }

    #[test]
    fn bad_intervals_are_22007() {
        for bad in ["soon", "", "1 fortnight", "P", "P1X", "1:99", "1 day 2 3"] {
            assert_eq!(parse(bad).unwrap_err().code, "22007", "{bad}");
        }
    }
}
