//! `age(ts1, ts2)` and `age(ts)`: the difference as years, months, days and time, counted the
//! way PostgreSQL counts it (whole months first, then the days and time that remain), not as
//! a plain number of days.

use super::rows::{answer, row_count};

use chrono::{Datelike, NaiveDateTime, Timelike, Utc};
use datafusion::arrow::array::{Array, IntervalMonthDayNanoArray, TimestampMicrosecondArray};
use datafusion::arrow::datatypes::{DataType, IntervalMonthDayNano, IntervalUnit, TimeUnit};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};

/// The function.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Age {
    /// One or two timestamps.
    signature: Signature,
}

impl Default for Age {
    fn default() -> Self {
        Self {
            signature: Signature::one_of(
                vec![
                    datafusion::logical_expr::TypeSignature::Any(1),
                    datafusion::logical_expr::TypeSignature::Any(2),
                ],
                Volatility::Stable,
            ),
        }
    }
}

/// `a - b` as PostgreSQL's age (timestamp_age): each field subtracted from its own, and a
/// field below zero borrowed from the next; a day borrows the length of the earlier
/// timestamp's month (of the later's when `a` is before `b`), as PostgreSQL borrows it.
pub fn age(a: NaiveDateTime, b: NaiveDateTime) -> IntervalMonthDayNano {
    let sign: i64 = if a < b { -1 } else { 1 };
    let field = |x: i64, y: i64| sign * (x - y);
    let mut micros = field(
        (a.nanosecond() / 1000) as i64,
        (b.nanosecond() / 1000) as i64,
    );
    let mut sec = field(a.second() as i64, b.second() as i64);
    let mut min = field(a.minute() as i64, b.minute() as i64);
    let mut hour = field(a.hour() as i64, b.hour() as i64);
    let mut day = field(a.day() as i64, b.day() as i64);
    let mut mon = field(a.month() as i64, b.month() as i64);
    let mut year = field(a.year() as i64, b.year() as i64);
    let borrow_from = if a < b { a } else { b };
    while micros < 0 {
        micros += 1_000_000;
        sec -= 1;
    }
    while sec < 0 {
        sec += 60;
        min -= 1;
    }
    while min < 0 {
        min += 60;
        hour -= 1;
    }
    while hour < 0 {
        hour += 24;
        day -= 1;
    }
    while day < 0 {
        day += month_days(borrow_from.year(), borrow_from.month());
        mon -= 1;
    }
    while mon < 0 {
        mon += 12;
        year -= 1;
    }
    let time = ((hour * 60 + min) * 60 + sec) * 1_000_000 + micros;
    IntervalMonthDayNano::new(
        (sign * (year * 12 + mon)) as i32,
        (sign * day) as i32,
        sign * time * 1000,
    )
}

/// The number of days in `month` of `year`.
fn month_days(year: i32, month: u32) -> i64 {
    let first = chrono::NaiveDate::from_ymd_opt(year, month, 1).expect("a month's first day");
    let next = first
        .checked_add_months(chrono::Months::new(1))
        .expect("the next month");
    (next - first).num_days()
}

fn micros(arg: &ColumnarValue, n: usize) -> datafusion::error::Result<TimestampMicrosecondArray> {
    let a = datafusion::arrow::compute::cast(
        &arg.to_array(n)?,
        &DataType::Timestamp(TimeUnit::Microsecond, None),
    )?;
    Ok(a.as_any()
        .downcast_ref::<TimestampMicrosecondArray>()
        .expect("cast")
        .clone())
}

impl ScalarUDFImpl for Age {
    fn name(&self) -> &str {
        "age"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> datafusion::error::Result<DataType> {
        Ok(DataType::Interval(IntervalUnit::MonthDayNano))
    }

    fn invoke_with_args(
        &self,
        args: ScalarFunctionArgs,
    ) -> datafusion::error::Result<ColumnarValue> {
        let (scalar, n) = row_count(&args);
        let later = if args.args.len() == 2 {
            Some(micros(&args.args[0], n)?)
        } else {
            None
        };
        let earlier = micros(args.args.last().expect("one or two arguments"), n)?;
        // age(ts) is measured from midnight today, as in PostgreSQL.
        let today = Utc::now()
            .date_naive()
            .and_hms_opt(0, 0, 0)
            .expect("midnight");
        let out: IntervalMonthDayNanoArray = (0..n)
            .map(|i| {
                let b = earlier
                    .value_as_datetime(i)
                    .filter(|_| earlier.is_valid(i))?;
                let a = match &later {
                    Some(l) => l.value_as_datetime(i).filter(|_| l.is_valid(i))?,
                    None => today,
                };
                Some(age(a, b))
            })
            .collect();
        answer(out, scalar)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    #[test]
    fn counts_months_then_days() {
        let a = age(ts("2025-03-15 12:00:00"), ts("2024-01-20 06:00:00"));
        // PostgreSQL 15: 1 year 1 mon 26 days 06:00:00 (the day borrows January's 31).
        assert_eq!((a.months, a.days), (13, 26));
        assert_eq!(a.nanoseconds, 6 * 3_600 * 1_000_000_000);
        let b = age(ts("2024-01-01 00:00:00"), ts("2025-01-01 00:00:00"));
        assert_eq!((b.months, b.days), (-12, 0));
        // PostgreSQL 15: -1 mons -1 days -23:00:00 and 1 mon 01:00:00.
        let c = age(ts("2025-01-31 01:00:00"), ts("2025-03-02 00:00:00"));
        assert_eq!((c.months, c.days), (-1, -1));
        assert_eq!(c.nanoseconds, -23 * 3_600 * 1_000_000_000);
        let d = age(ts("2025-03-01 00:00:00"), ts("2025-01-31 23:00:00"));
        assert_eq!((d.months, d.days), (1, 0));
        assert_eq!(d.nanoseconds, 3_600 * 1_000_000_000);
    }
}
