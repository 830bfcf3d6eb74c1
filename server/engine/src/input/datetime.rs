//! The text forms PostgreSQL's date_in, time_in, timestamp_in and timestamptz_in accept
//! (DecodeDateTime in datetime.c), for the literals of a statement: ISO dates with or without
//! seconds, fractions and a `T`, `YYYYMMDD`, `MM/DD/YYYY` (DateStyle MDY), month names, AM/PM,
//! zones as `Z`, `UTC`, `+02`, `-05:30` or IANA names, and `epoch`, `allballs`. Arrow's parser
//! takes fewer (no `2025-10-01 00:00`, no zone names), hence this one.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Timelike};
use datafusion::arrow::array::timezone::Tz;

use crate::error::{EngineError, EngineResult, sqlstate};

/// What a date/time literal said.
#[derive(Debug, Clone, PartialEq)]
pub struct DateTime {
    /// The date, if one was given.
    pub date: Option<NaiveDate>,
    /// The time of day, if one was given.
    pub time: Option<NaiveTime>,
    /// The zone's offset from UTC in seconds at that date and time, if a zone was given.
    pub offset: Option<i32>,
}

/// The PostgreSQL type a literal is read as, for the messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// `date`.
    Date,
    /// `time without time zone`.
    Time,
    /// `timestamp without time zone`.
    Timestamp,
    /// `timestamp with time zone`.
    TimestampTz,
}

impl Target {
    fn name(self) -> &'static str {
        match self {
            Target::Date => "date",
            Target::Time => "time without time zone",
            Target::Timestamp => "timestamp without time zone",
            Target::TimestampTz => "timestamp with time zone",
        }
    }
}

fn syntax(target: Target, text: &str) -> EngineError {
    // PostgreSQL names timestamp types by their short names in this message.
    let name = match target {
        Target::Time => "time",
        Target::Timestamp => "timestamp",
        Target::TimestampTz => "timestamp with time zone",
        other => other.name(),
    };
    EngineError::new(
        sqlstate::INVALID_DATETIME_FORMAT,
        format!("invalid input syntax for type {name}: \"{text}\""),
    )
}

fn out_of_range(text: &str) -> EngineError {
    EngineError::new(
        sqlstate::DATETIME_FIELD_OVERFLOW,
        format!("date/time field value out of range: \"{text}\""),
    )
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

fn month_name(word: &str) -> Option<u32> {
    let w = word.to_ascii_lowercase();
    let w = w.trim_end_matches('.');
    if w.len() < 3 {
        return None;
    }
    let full = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    MONTHS
        .iter()
        .zip(full)
        .position(|(short, long)| {
            w == *short || long.starts_with(w) || w == "sept" && *short == "sep"
        })
        .map(|i| i as u32 + 1)
}

/// Reads `text` as PostgreSQL reads a literal of type `target`.
pub fn parse(text: &str, target: Target) -> EngineResult<DateTime> {
    let trimmed = text.trim();
    let lower = trimmed.to_ascii_lowercase();
    match lower.as_str() {
        "epoch" => {
            return Ok(DateTime {
                date: NaiveDate::from_ymd_opt(1970, 1, 1),
                time: Some(NaiveTime::MIN),
                offset: Some(0),
            });
        }
        "allballs" if target == Target::Time => {
            return Ok(DateTime {
                date: None,
                time: Some(NaiveTime::MIN),
                offset: Some(0),
            });
        }
        "infinity" | "-infinity" if target == Target::Time => {
            return Err(syntax(target, text));
        }
        // Callers read these first (`input/infinity.rs`, `plan/datetime_input.rs`).
        "infinity" | "-infinity" => {
            return Err(EngineError::not_supported(format!(
                "{lower} is read by the plan for type {}, not as a literal's fields",
                target.name()
            )));
        }
        _ => {}
    }
    let mut year_month_day: Option<(i32, u32, u32)> = None;
    let mut time: Option<NaiveTime> = None;
    let mut offset: Option<i32> = None;
    let mut zone: Option<String> = None;
    let mut month_word: Option<u32> = None;
    let mut numbers: Vec<&str> = Vec::new();
    let mut pm: Option<bool> = None;

    // A `T` between a date and a time is a separator, as a space is.
    let spaced = split_t(trimmed);
    for token in spaced
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|t| !t.is_empty())
    {
        let t_lower = token.to_ascii_lowercase();
        if let Some(ymd) = iso_date(token) {
            if year_month_day.is_some() {
                return Err(syntax(target, text));
            }
            year_month_day = Some(ymd.map_err(|_| out_of_range(text))?);
        } else if token.as_bytes()[0].is_ascii_digit() && token.contains(':') {
            if time.is_some() {
                return Err(syntax(target, text));
            }
            let (clock, zone_part) = split_zone(token);
            time = Some(clock_time(clock, text, target)?);
            if let Some(z) = zone_part {
                offset = Some(numeric_offset(z).ok_or_else(|| syntax(target, text))?);
            }
        } else if token.chars().all(|c| c.is_ascii_digit()) {
            numbers.push(token);
        } else if t_lower == "am" || t_lower == "pm" {
            pm = Some(t_lower == "pm");
        } else if let Some(m) = month_name(token) {
            month_word = Some(m);
        } else if token.starts_with(['+', '-']) {
            offset = Some(numeric_offset(token).ok_or_else(|| syntax(target, text))?);
        } else if token
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic())
        {
            if zone.is_some() || offset.is_some() {
                return Err(syntax(target, text));
            }
            zone = Some(token.to_owned());
        } else {
            return Err(syntax(target, text));
        }
    }
    // Dates written with numbers and a month name, or as YYYYMMDD.
    if year_month_day.is_none() {
        year_month_day = match (month_word, numbers.as_slice()) {
            (Some(m), [a, b]) => {
                let (day, year) = if a.len() > 2 { (b, a) } else { (a, b) };
                Some((
                    parse_year(year),
                    m,
                    day.parse().map_err(|_| syntax(target, text))?,
                ))
            }
            (None, [n]) if n.len() == 8 => Some((
                n[..4].parse().expect("digits"),
                n[4..6].parse().expect("digits"),
                n[6..].parse().expect("digits"),
            )),
            (None, []) => None,
            _ => return Err(syntax(target, text)),
        };
    } else if !numbers.is_empty() || month_word.is_some() {
        return Err(syntax(target, text));
    }
    if let (Some(pm), Some(t)) = (pm, time) {
        let h = t.hour();
        if !(1..=12).contains(&h) {
            return Err(out_of_range(text));
        }
        let h = match (pm, h) {
            (false, 12) => 0,
            (true, 12) => 12,
            (true, h) => h + 12,
            (false, h) => h,
        };
        time = t.with_hour(h);
    }
    let date = match year_month_day {
        Some((y, m, d)) => {
            Some(NaiveDate::from_ymd_opt(y, m, d).ok_or_else(|| out_of_range(text))?)
        }
        None => None,
    };
    match target {
        Target::Date if date.is_none() => return Err(syntax(target, text)),
        Target::Timestamp | Target::TimestampTz if date.is_none() => {
            return Err(syntax(target, text));
        }
        Target::Time if time.is_none() => return Err(syntax(target, text)),
        _ => {}
    }
    if let Some(name) = zone {
        offset = Some(named_offset(&name, date, time)?);
    }
    Ok(DateTime { date, time, offset })
}

/// `2025-10-01T12:00:00.000000`: what Arrow's timestamp parser reads.
fn iso(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6f").to_string()
}

/// The text Arrow's casts read for `text` read as `target`: the value PostgreSQL would hold,
/// in Arrow's ISO form.
pub fn canonical(text: &str, target: Target) -> EngineResult<String> {
    let d = parse(text, target)?;
    let time = d.time.unwrap_or(NaiveTime::MIN);
    Ok(match target {
        Target::Date => d.date.expect("dates have one").to_string(),
        Target::Time => time.format("%H:%M:%S%.6f").to_string(),
        // PostgreSQL drops a zone given to a timestamp without time zone.
        Target::Timestamp => iso(NaiveDateTime::new(d.date.expect("checked"), time)),
        Target::TimestampTz => {
            let local = NaiveDateTime::new(d.date.expect("checked"), time);
            match d.offset {
                Some(offset) => {
                    format!("{}Z", iso(local - chrono::Duration::seconds(offset as i64)))
                }
                // No zone: the session's time zone, which DataFusion's cast applies.
                None => iso(local),
            }
        }
    })
}

/// `2025-10-01T12:00` as `2025-10-01 12:00`; other `T`s (in zone names) stay.
fn split_t(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    for (i, c) in text.char_indices() {
        let is_separator = (c == 'T' || c == 't')
            && i > 0
            && bytes[i - 1].is_ascii_digit()
            && bytes.get(i + 1).is_some_and(|b| b.is_ascii_digit());
        out.push(if is_separator { ' ' } else { c });
    }
    out
}

fn parse_year(text: &str) -> i32 {
    text.parse().unwrap_or(0)
}

/// `YYYY-MM-DD`, `YYYY/MM/DD`, `YYYY.MM.DD` or `MM/DD/YYYY`, `MM-DD-YYYY`: (year, month,
/// day), or an error for fields out of range; `None` if the token is no date.
fn iso_date(token: &str) -> Option<Result<(i32, u32, u32), ()>> {
    let separator = ['-', '/', '.'].into_iter().find(|s| token.contains(*s))?;
    let parts: Vec<&str> = token.split(separator).collect();
    if parts.len() != 3
        || !parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
    {
        return None;
    }
    let n = |s: &str| s.parse::<u32>().map_err(|_| ());
    Some((|| {
        let (y, m, d) = if parts[0].len() >= 3 {
            (n(parts[0])? as i32, n(parts[1])?, n(parts[2])?)
        } else {
            // DateStyle's MDY order, PostgreSQL's default.
            (n(parts[2])? as i32, n(parts[0])?, n(parts[1])?)
        };
        Ok((y, m, d))
    })())
}

/// `12:34:56.5+02` into the clock and the zone.
fn split_zone(token: &str) -> (&str, Option<&str>) {
    if let Some(clock) = token.strip_suffix(['Z', 'z']) {
        return (clock, Some("+00"));
    }
    match token.find(['+', '-']) {
        Some(i) => (&token[..i], Some(&token[i..])),
        None => (token, None),
    }
}

/// `H:MM`, `H:MM:SS` or `H:MM:SS.ffffff` (rounded to microseconds, as PostgreSQL keeps them).
fn clock_time(clock: &str, text: &str, target: Target) -> EngineResult<NaiveTime> {
    let parts: Vec<&str> = clock.split(':').collect();
    if !(2..=3).contains(&parts.len()) {
        return Err(syntax(target, text));
    }
    let int = |s: &str| -> EngineResult<u32> {
        if s.is_empty() || !s.chars().all(|c| c.is_ascii_digit()) {
            return Err(syntax(target, text));
        }
        s.parse().map_err(|_| out_of_range(text))
    };
    let hour = int(parts[0])?;
    let minute = int(parts[1])?;
    let (second, micros) = match parts.get(2) {
        None => (0, 0),
        Some(s) => {
            let (whole, fraction) = s.split_once('.').unwrap_or((s, ""));
            if !fraction.chars().all(|c| c.is_ascii_digit()) {
                return Err(syntax(target, text));
            }
            let digits = format!("{fraction:0<7}");
            let seven: u32 = digits[..7].parse().expect("digits");
            (int(whole)?, (seven + 5) / 10)
        }
    };
    if hour > 23 || minute > 59 || second > 59 {
        return Err(out_of_range(text));
    }
    let base = NaiveTime::from_hms_opt(hour, minute, second).ok_or_else(|| out_of_range(text))?;
    Ok(base + chrono::Duration::microseconds(micros as i64))
}

/// `+02`, `-0530`, `+05:30`, `+05:30:15` as seconds east of UTC.
fn numeric_offset(text: &str) -> Option<i32> {
    let (sign, rest) = match text.as_bytes().first()? {
        b'+' => (1, &text[1..]),
        b'-' => (-1, &text[1..]),
        _ => return None,
    };
    let fields: Vec<&str> = if rest.contains(':') {
        rest.split(':').collect()
    } else if rest.len() > 2 {
        let (h, m) = rest.split_at(rest.len() - 2);
        vec![h, m]
    } else {
        vec![rest]
    };
    let mut seconds = 0;
    for (field, scale) in fields.iter().zip([3600, 60, 1]) {
        if field.is_empty() || !field.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        seconds += field.parse::<i32>().ok()? * scale;
    }
    (fields.len() <= 3 && seconds <= 15 * 3600 + 59 * 60).then_some(sign * seconds)
}

/// The offset of a named zone at the given local date and time.
fn named_offset(name: &str, date: Option<NaiveDate>, time: Option<NaiveTime>) -> EngineResult<i32> {
    let canonical = match name.to_ascii_lowercase().as_str() {
        "z" | "utc" | "gmt" | "zulu" | "ut" => return Ok(0),
        _ => name.to_owned(),
    };
    let tz: Tz = canonical.parse().map_err(|_| {
        EngineError::new(
            sqlstate::INVALID_PARAMETER_VALUE,
            format!("time zone \"{}\" not recognized", name.to_ascii_lowercase()),
        )
    })?;
    let local = NaiveDateTime::new(
        date.unwrap_or_else(|| NaiveDate::from_ymd_opt(2000, 1, 1).expect("a date")),
        time.unwrap_or(NaiveTime::MIN),
    );
    use chrono::Offset;
    let offset = tz
        .offset_from_local_datetime(&local)
        .earliest()
        .or_else(|| {
            tz.offset_from_local_datetime(&(local + chrono::Duration::hours(1)))
                .earliest()
        })
        .ok_or_else(|| out_of_range(name))?;
    Ok(offset.fix().local_minus_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(text: &str) -> (String, Option<i32>) {
        let d = parse(text, Target::TimestampTz).unwrap();
        (
            NaiveDateTime::new(d.date.unwrap(), d.time.unwrap_or(NaiveTime::MIN))
                .format("%Y-%m-%d %H:%M:%S%.f")
                .to_string(),
            d.offset,
        )
    }

    #[test]
    fn reads_the_forms_postgresql_reads() {
        assert_eq!(ts("2025-10-01 00:00"), ("2025-10-01 00:00:00".into(), None));
        assert_eq!(ts("2025-10-01"), ("2025-10-01 00:00:00".into(), None));
        assert_eq!(
            ts("2025-10-01T12:34:56.789"),
            ("2025-10-01 12:34:56.789".into(), None)
        );
        assert_eq!(ts("20251001"), ("2025-10-01 00:00:00".into(), None));
        assert_eq!(
            ts("10/01/2025 3:04 PM"),
            ("2025-10-01 15:04:00".into(), None)
        );
        assert_eq!(
            ts("Oct 1, 2025 12:00"),
            ("2025-10-01 12:00:00".into(), None)
        );
        assert_eq!(ts("1 October 2025"), ("2025-10-01 00:00:00".into(), None));
        assert_eq!(ts("2025-10-01 12:00:00+02").1, Some(7200));
        assert_eq!(ts("2025-10-01T12:00:00Z").1, Some(0));
        assert_eq!(ts("2025-10-01 12:00:00-05:30").1, Some(-19800));
        assert_eq!(ts("2025-10-01 12:00 Europe/Paris").1, Some(7200));
        assert_eq!(ts("2025-01-01 12:00 Europe/Paris").1, Some(3600));
        assert_eq!(ts("2025-10-01 12:00:00 UTC").1, Some(0));
        assert_eq!(ts("epoch"), ("1970-01-01 00:00:00".into(), Some(0)));
        assert_eq!(
            ts("2025-10-01 12:00:00.0000005").0,
            "2025-10-01 12:00:00.000001"
        );
    }

    #[test]
    fn bad_literals_get_postgresqls_codes() {
        let code = |text: &str, target| parse(text, target).unwrap_err().code;
        assert_eq!(code("xyz", Target::Timestamp), "22007");
        assert_eq!(code("notadate", Target::Date), "22007");
        assert_eq!(code("2025-13-01", Target::Date), "22008");
        assert_eq!(code("2025-02-30", Target::Date), "22008");
        assert_eq!(code("25:00", Target::Time), "22008");
        assert_eq!(
            code("2025-10-01 12:00 Mars/Olympus", Target::TimestampTz),
            "22023"
        );
        assert_eq!(code("infinity", Target::Timestamp), "0A000");
        assert_eq!(code("12:00", Target::Date), "22007");
    }
}
