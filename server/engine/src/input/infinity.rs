//! `infinity` and `-infinity` for dates and timestamps. PostgreSQL holds them as the ends of
//! its integer range (DATEVAL_NOEND, DT_NOEND); Aloe holds them as the ends of the ranges its
//! parts can count in: for a date the first and last days chrono knows (262143 BC and 262142
//! AD; the Delta writer turns each date into a chrono date for its statistics and fails on a
//! day past them), for a timestamp the largest and smallest nanosecond count brought to the
//! column's unit. A cast between units divides or multiplies the count, so the
//! ends of the coarser units' ranges, written in a finer unit, are recognised as well: an
//! infinity stays one whether it went through a Delta table's microseconds or not.

use chrono::{Datelike, NaiveDate};
use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::datatypes::{DataType, Date32Type, TimeUnit};
use datafusion::common::ScalarValue;

/// Which end of time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Infinity {
    /// `infinity`: after every other value.
    Plus,
    /// `-infinity`: before every other value.
    Minus,
}

impl Infinity {
    /// PostgreSQL's text for it.
    pub fn text(self) -> &'static str {
        match self {
            Infinity::Plus => "infinity",
            Infinity::Minus => "-infinity",
        }
    }

    /// The date that stands for it, in days since 1970-01-01.
    pub fn date(self) -> i32 {
        let end = match self {
            Infinity::Plus => NaiveDate::MAX,
            Infinity::Minus => NaiveDate::MIN,
        };
        // Days from 0001-01-01 (day 1 of the common era) to 1970-01-01.
        end.num_days_from_ce() - 719_163
    }

    /// PostgreSQL's binary form of a date's infinity (days, int4).
    pub fn binary_date(self) -> i32 {
        match self {
            Infinity::Plus => i32::MAX,
            Infinity::Minus => i32::MIN,
        }
    }

    /// The timestamp that stands for it in `unit`.
    pub fn timestamp(self, unit: TimeUnit) -> i64 {
        match self {
            Infinity::Plus => i64::MAX / nanos_per(unit),
            Infinity::Minus => i64::MIN / nanos_per(unit),
        }
    }

    /// The constant that stands for it in a date or timestamp type (a date for any other).
    pub fn scalar(self, data_type: &DataType) -> ScalarValue {
        match data_type {
            DataType::Timestamp(unit, zone) => {
                let v = Some(self.timestamp(*unit));
                let zone = zone.clone();
                match unit {
                    TimeUnit::Second => ScalarValue::TimestampSecond(v, zone),
                    TimeUnit::Millisecond => ScalarValue::TimestampMillisecond(v, zone),
                    TimeUnit::Microsecond => ScalarValue::TimestampMicrosecond(v, zone),
                    TimeUnit::Nanosecond => ScalarValue::TimestampNanosecond(v, zone),
                }
            }
            _ => ScalarValue::Date32(Some(self.date())),
        }
    }

    /// PostgreSQL's binary form of a timestamp's infinity (microseconds, int8).
    pub fn binary_timestamp(self) -> i64 {
        match self {
            Infinity::Plus => i64::MAX,
            Infinity::Minus => i64::MIN,
        }
    }
}

/// The infinity that the text `infinity` or `-infinity` (any case, blanks around) names, as
/// PostgreSQL 15's date and timestamp input read it (`+infinity` is no infinity there).
pub fn named(text: &str) -> Option<Infinity> {
    let lower = text.trim().to_ascii_lowercase();
    match lower.as_str() {
        "infinity" => Some(Infinity::Plus),
        "-infinity" => Some(Infinity::Minus),
        _ => None,
    }
}

/// The infinity a date stands for, if it is one.
pub fn of_date(days: i32) -> Option<Infinity> {
    [Infinity::Plus, Infinity::Minus]
        .into_iter()
        .find(|side| days == side.date() || days == side.binary_date())
}

fn nanos_per(unit: TimeUnit) -> i64 {
    match unit {
        TimeUnit::Second => 1_000_000_000,
        TimeUnit::Millisecond => 1_000_000,
        TimeUnit::Microsecond => 1_000,
        TimeUnit::Nanosecond => 1,
    }
}

/// The infinity a timestamp in `unit` stands for, if it is one: its own unit's end, an end of
/// a coarser unit brought to this one by a cast, or the integer range's end itself.
pub fn of_timestamp(value: i64, unit: TimeUnit) -> Option<Infinity> {
    let here = nanos_per(unit);
    for side in [Infinity::Plus, Infinity::Minus] {
        if value == side.binary_timestamp() {
            return Some(side);
        }
        for coarser in [
            TimeUnit::Nanosecond,
            TimeUnit::Microsecond,
            TimeUnit::Millisecond,
            TimeUnit::Second,
        ] {
            let there = nanos_per(coarser);
            if there >= here && side.timestamp(coarser).checked_mul(there / here) == Some(value) {
                return Some(side);
            }
        }
    }
    None
}

/// Each value's infinity in a date or timestamp column (`None` for a finite value, a NULL,
/// or a column of another type).
pub fn of_array(values: &ArrayRef) -> Vec<Option<Infinity>> {
    match values.data_type() {
        DataType::Date32 => values
            .as_primitive::<Date32Type>()
            .iter()
            .map(|d| d.and_then(of_date))
            .collect(),
        DataType::Timestamp(unit, _) => {
            let data = values.to_data();
            let raw = data.buffer::<i64>(0);
            (0..values.len())
                .map(|i| {
                    values
                        .is_valid(i)
                        .then(|| of_timestamp(raw[i], *unit))
                        .flatten()
                })
                .collect()
        }
        _ => vec![None; values.len()],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_read_as_postgresql_reads_them() {
        assert_eq!(named(" Infinity "), Some(Infinity::Plus));
        assert_eq!(named("+infinity"), None);
        assert_eq!(named("-INFINITY"), Some(Infinity::Minus));
        assert_eq!(named("inf"), None);
        assert_eq!(named("infinityx"), None);
    }

    #[test]
    fn an_infinity_survives_a_cast_between_units() {
        for side in [Infinity::Plus, Infinity::Minus] {
            let nanos = side.timestamp(TimeUnit::Nanosecond);
            // What Arrow's cast from nanoseconds to microseconds makes of it, and back.
            let micros = nanos / 1_000;
            assert_eq!(of_timestamp(micros, TimeUnit::Microsecond), Some(side));
            assert_eq!(
                of_timestamp(micros * 1_000, TimeUnit::Nanosecond),
                Some(side)
            );
            let seconds = side.timestamp(TimeUnit::Second);
            assert_eq!(
                of_timestamp(seconds * 1_000_000, TimeUnit::Microsecond),
                Some(side)
            );
        }
    }

    #[test]
    fn ordinary_timestamps_are_finite() {
        // 9999-12-31, the "end of time" of many warehouses, is a date like any other.
        let end_of_time_us = 253_402_214_400_000_000;
        assert_eq!(of_timestamp(end_of_time_us, TimeUnit::Microsecond), None);
        assert_eq!(of_timestamp(0, TimeUnit::Nanosecond), None);
        assert_eq!(
            of_timestamp(i64::MAX / 1_000 - 1, TimeUnit::Microsecond),
            None
        );
        assert_eq!(of_date(2_932_896), None);
        assert_eq!(of_date(i32::MAX), Some(Infinity::Plus));
        assert_eq!(of_date(Infinity::Minus.date()), Some(Infinity::Minus));
    }
}
