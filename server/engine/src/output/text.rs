//! PostgreSQL's text output for the types whose text Arrow's casts and arrow-pg write
//! differently: floats (`Infinity`, `1e+16`, `10000000000`, not `inf`, `1e16`,
//! `10000000000.0`), timestamps and times (a space, not `T`; fractional seconds only as long
//! as needed, `12:00:00`, not `12:00:00.000000`), time zone offsets (`+05:30`, not `+05`),
//! intervals (`1 year 2 mons`), and the infinite dates and timestamps. The wire layer writes
//! text-format columns with it; the plan's casts to text use it too, so `ts::text` is the
//! text the client would have been sent.

use chrono::{DateTime, NaiveDateTime, NaiveTime, Offset, TimeZone, Timelike};
use datafusion::arrow::array::timezone::Tz;
use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, StringArray, TimestampMicrosecondArray, TimestampMillisecondArray,
    TimestampNanosecondArray, TimestampSecondArray,
};
use datafusion::arrow::datatypes::{
    DataType, Date32Type, Float32Type, Float64Type, IntervalMonthDayNano, IntervalMonthDayNanoType,
    IntervalUnit, Time32MillisecondType, Time32SecondType, Time64MicrosecondType,
    Time64NanosecondType, TimeUnit,
};
use datafusion::arrow::error::ArrowError;

use crate::input::infinity;

/// Whether `as_text` writes this type (otherwise Arrow's cast to text is PostgreSQL's text).
pub fn written(data_type: &DataType) -> bool {
    matches!(
        data_type,
        DataType::Float32
            | DataType::Float64
            | DataType::Date32
            | DataType::Timestamp(_, _)
            | DataType::Time32(_)
            | DataType::Time64(_)
            | DataType::Interval(IntervalUnit::MonthDayNano)
    )
}

/// Whether a date column holds `infinity` or `-infinity`, which no calendar date shows.
pub fn has_infinite_date(column: &ArrayRef) -> bool {
    *column.data_type() == DataType::Date32
        && infinity::of_array(column).iter().any(Option::is_some)
}

/// A float, date, timestamp, time or interval column as PostgreSQL's text of each value.
pub fn as_text(column: &ArrayRef) -> Result<StringArray, ArrowError> {
    let n = column.len();
    let each = |f: &dyn Fn(usize) -> Option<String>| -> StringArray {
        (0..n)
            .map(|i| if column.is_null(i) { None } else { f(i) })
            .collect()
    };
    Ok(match column.data_type() {
        DataType::Float64 => {
            let a = column.as_primitive::<Float64Type>();
            each(&|i| Some(float8(a.value(i))))
        }
        DataType::Float32 => {
            let a = column.as_primitive::<Float32Type>();
            each(&|i| Some(float4(a.value(i))))
        }
        DataType::Interval(IntervalUnit::MonthDayNano) => {
            let a = column.as_primitive::<IntervalMonthDayNanoType>();
            each(&|i| Some(interval(a.value(i))))
        }
        DataType::Time64(TimeUnit::Microsecond) => {
            let a = column.as_primitive::<Time64MicrosecondType>();
            each(&|i| a.value_as_time(i).map(time))
        }
        DataType::Time64(_) => {
            let a = column.as_primitive::<Time64NanosecondType>();
            each(&|i| a.value_as_time(i).map(time))
        }
        DataType::Time32(TimeUnit::Second) => {
            let a = column.as_primitive::<Time32SecondType>();
            each(&|i| a.value_as_time(i).map(time))
        }
        DataType::Time32(_) => {
            let a = column.as_primitive::<Time32MillisecondType>();
            each(&|i| a.value_as_time(i).map(time))
        }
        DataType::Date32 => {
            let a = column.as_primitive::<Date32Type>();
            each(&|i| match infinity::of_date(a.value(i)) {
                Some(end) => Some(end.text().into()),
                None => a.value_as_date(i).map(|d| d.format("%Y-%m-%d").to_string()),
            })
        }
        DataType::Timestamp(unit, zone) => {
            let data = column.to_data();
            let raw: &[i64] = data.buffer::<i64>(0);
            let end = |i: usize| infinity::of_timestamp(raw[i], *unit).map(|e| e.text().to_owned());
            let naive = |i: usize| -> Option<NaiveDateTime> {
                match unit {
                    TimeUnit::Second => column
                        .as_any()
                        .downcast_ref::<TimestampSecondArray>()?
                        .value_as_datetime(i),
                    TimeUnit::Millisecond => column
                        .as_any()
                        .downcast_ref::<TimestampMillisecondArray>()?
                        .value_as_datetime(i),
                    TimeUnit::Microsecond => column
                        .as_any()
                        .downcast_ref::<TimestampMicrosecondArray>()?
                        .value_as_datetime(i),
                    TimeUnit::Nanosecond => column
                        .as_any()
                        .downcast_ref::<TimestampNanosecondArray>()?
                        .value_as_datetime(i),
                }
            };
            match zone {
                None => each(&|i| end(i).or_else(|| naive(i).map(timestamp))),
                Some(zone) => {
                    let tz: Tz = zone.parse()?;
                    each(&|i| {
                        end(i)
                            .or_else(|| naive(i).map(|utc| timestamptz(tz.from_utc_datetime(&utc))))
                    })
                }
            }
        }
        other => {
            return Err(ArrowError::InvalidArgumentError(format!(
                "no PostgreSQL text output for {other}"
            )));
        }
    })
}

/// float8out with extra_float_digits > 0: the shortest digits that read back as the same
/// value, positional for decimal exponents from -4 to 14, else `d.ddde+XX`.
pub fn float8(v: f64) -> String {
    float(v.is_nan(), v.is_infinite(), v < 0.0, format!("{v:e}"), 15)
}

/// float4out likewise, positional for exponents from -4 to 5.
pub fn float4(v: f32) -> String {
    float(v.is_nan(), v.is_infinite(), v < 0.0, format!("{v:e}"), 6)
}

fn float(nan: bool, infinite: bool, negative: bool, scientific: String, digits: i32) -> String {
    if nan {
        return "NaN".into();
    }
    if infinite {
        return if negative { "-Infinity" } else { "Infinity" }.into();
    }
    // Rust's `{:e}` gives the shortest round-trip digits: "-1.2345e-7", "0e0", "-0e0".
    let (mantissa, exponent) = scientific.split_once('e').expect("{:e} has an exponent");
    let exponent: i32 = exponent.parse().expect("{:e}'s exponent is an integer");
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mantissa),
    };
    let figures: String = mantissa.chars().filter(|c| *c != '.').collect();
    if figures == "0" {
        return format!("{sign}0");
    }
    if (-4..digits).contains(&exponent) {
        let point = exponent + 1;
        let text = if point <= 0 {
            format!("0.{}{figures}", "0".repeat((-point) as usize))
        } else if point as usize >= figures.len() {
            format!("{figures}{}", "0".repeat(point as usize - figures.len()))
        } else {
            format!(
                "{}.{}",
                &figures[..point as usize],
                &figures[point as usize..]
            )
        };
        format!("{sign}{text}")
    } else {
        let esign = if exponent < 0 { '-' } else { '+' };
        format!("{sign}{mantissa}e{esign}{:02}", exponent.abs())
    }
}

/// interval_out in IntervalStyle postgres: `1 year 2 mons -3 days +04:05:06.5`, a field
/// after a negative one signed, `00:00:00` for nothing.
pub fn interval(v: IntervalMonthDayNano) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut after_negative = false;
    let (years, months) = (v.months / 12, v.months % 12);
    for (n, unit) in [(years, "year"), (months, "mon"), (v.days, "day")] {
        if n != 0 {
            let plus = if after_negative && n > 0 { "+" } else { "" };
            let plural = if n == 1 { "" } else { "s" };
            parts.push(format!("{plus}{n} {unit}{plural}"));
            after_negative = n < 0;
        }
    }
    if v.nanoseconds != 0 || parts.is_empty() {
        let sign = match (v.nanoseconds < 0, after_negative) {
            (true, _) => "-",
            (false, true) => "+",
            (false, false) => "",
        };
        let micros = (v.nanoseconds / 1000).unsigned_abs();
        let secs = micros / 1_000_000;
        parts.push(format!(
            "{sign}{:02}:{:02}:{:02}{}",
            secs / 3600,
            secs / 60 % 60,
            secs % 60,
            fraction((micros % 1_000_000) as u32 * 1000)
        ));
    }
    parts.join(" ")
}

/// Seconds' fraction as PostgreSQL prints it: up to microseconds, trailing zeros dropped.
fn fraction(nanos: u32) -> String {
    let micros = nanos % 1_000_000_000 / 1000;
    if micros == 0 {
        return String::new();
    }
    let digits = format!(".{micros:06}");
    digits.trim_end_matches('0').to_owned()
}

fn time(t: NaiveTime) -> String {
    format!("{}{}", t.format("%H:%M:%S"), fraction(t.nanosecond()))
}

fn timestamp(t: NaiveDateTime) -> String {
    format!(
        "{}{}",
        t.format("%Y-%m-%d %H:%M:%S"),
        fraction(t.and_utc().nanosecond())
    )
}

fn timestamptz(t: DateTime<Tz>) -> String {
    let seconds = t.offset().fix().local_minus_utc();
    let sign = if seconds < 0 { '-' } else { '+' };
    let s = seconds.abs();
    let offset = match (s / 3600, s % 3600 / 60, s % 60) {
        (h, 0, 0) => format!("{sign}{h:02}"),
        (h, m, 0) => format!("{sign}{h:02}:{m:02}"),
        (h, m, sec) => format!("{sign}{h:02}:{m:02}:{sec:02}"),
    };
    format!("{}{offset}", timestamp(t.naive_local()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each expected text is PostgreSQL 15's output for the same value.
    #[test]
    fn floats_print_as_postgresql_prints_them() {
        let cases: [(f64, &str); 12] = [
            (1e10, "10000000000"),
            (1e15, "1e+15"),
            (123456789012345.6, "123456789012345.6"),
            (1e14, "100000000000000"),
            (0.0001, "0.0001"),
            (1e-5, "1e-05"),
            (1.5e300, "1.5e+300"),
            (-0.0, "-0"),
            (2.25, "2.25"),
            (1.0 / 3.0, "0.3333333333333333"),
            (f64::NEG_INFINITY, "-Infinity"),
            (f64::NAN, "NaN"),
        ];
        for (v, pg) in cases {
            assert_eq!(float8(v), pg, "{v}");
        }
        for (v, pg) in [
            (1e6f32, "1e+06"),
            (123456.0, "123456"),
            (1234567.0, "1.234567e+06"),
            (0.1, "0.1"),
            (16777217.0, "1.6777216e+07"),
            (1.5, "1.5"),
        ] {
            assert_eq!(float4(v), pg, "{v}");
        }
    }

    #[test]
    fn intervals_print_as_postgresql_prints_them() {
        let iv = |months, days, micros: i64| {
            interval(IntervalMonthDayNano::new(months, days, micros * 1000))
        };
        assert_eq!(iv(14, 3, 14_706_000_000), "1 year 2 mons 3 days 04:05:06");
        assert_eq!(iv(0, -1, 0), "-1 days");
        assert_eq!(iv(0, 1, 0), "1 day");
        assert_eq!(iv(0, 0, -3_600_000_000), "-01:00:00");
        assert_eq!(iv(0, 0, 1_500_000), "00:00:01.5");
        assert_eq!(iv(0, -1, 7_200_000_000), "-1 days +02:00:00");
        assert_eq!(iv(0, 0, 0), "00:00:00");
        assert_eq!(iv(0, 0, 90_000_000_000), "25:00:00");
    }

    #[test]
    fn times_print_only_the_fraction_they_have() {
        let t = |h, m, s, micro| NaiveTime::from_hms_micro_opt(h, m, s, micro).unwrap();
        assert_eq!(time(t(12, 34, 0, 0)), "12:34:00");
        assert_eq!(time(t(1, 2, 3, 450)), "01:02:03.00045");
        assert_eq!(time(t(12, 34, 56, 500_000)), "12:34:56.5");
        let day = chrono::NaiveDate::from_ymd_opt(2025, 10, 1).unwrap();
        assert_eq!(
            timestamp(day.and_time(t(12, 34, 56, 789_000))),
            "2025-10-01 12:34:56.789"
        );
        let utc = day.and_time(t(12, 0, 0, 0));
        for (zone, pg) in [
            ("UTC", "2025-10-01 12:00:00+00"),
            ("Asia/Kolkata", "2025-10-01 17:30:00+05:30"),
            ("America/St_Johns", "2025-10-01 09:30:00-02:30"),
        ] {
            let tz: Tz = zone.parse().unwrap();
            assert_eq!(timestamptz(tz.from_utc_datetime(&utc)), pg, "{zone}");
        }
    }
}
