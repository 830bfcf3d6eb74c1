//! `age(ts1, ts2)` and `age(ts)`: the difference as years, months, days and time, counted the
//! way PostgreSQL counts it (whole months first, then the days and time that remain), not as
//! a plain number of days.

use super::rows::{answer, row_count};

use chrono::{Datelike, NaiveDateTime, Utc};
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

/// `a - b` as PostgreSQL's age: months, then days, then the rest.
pub fn age(a: NaiveDateTime, b: NaiveDateTime) -> IntervalMonthDayNano {
    if a < b {
        let p = age(b, a);
        return IntervalMonthDayNano::new(-p.months, -p.days, -p.nanoseconds);
    }
    let mut months = (a.year() - b.year()) * 12 + a.month() as i32 - b.month() as i32;
    let anchor = |months: i32| {
        b.checked_add_months(chrono::Months::new(months as u32))
            .unwrap_or(b)
    };
    while months > 0 && anchor(months) > a {
        months -= 1;
    }
    let rest = a - anchor(months);
    let days = rest.num_days();
    let nanos = (rest - chrono::Duration::days(days))
        .num_nanoseconds()
        .unwrap_or(0);
    IntervalMonthDayNano::new(months, days as i32, nanos)
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
        // From 2024-01-20 plus 13 months to 2025-03-15: February 2025 has 28 days, so 23.
        assert_eq!((a.months, a.days), (13, 23));
        assert_eq!(a.nanoseconds, 6 * 3_600 * 1_000_000_000);
        let b = age(ts("2024-01-01 00:00:00"), ts("2025-01-01 00:00:00"));
        assert_eq!((b.months, b.days), (-12, 0));
    }
}
