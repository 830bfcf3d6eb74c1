//! `timezone(zone, ts)`, PostgreSQL's `ts AT TIME ZONE zone`: a timestamp with time zone
//! becomes the wall-clock time in `zone` (without time zone); a timestamp without time zone
//! is read as wall-clock time in `zone` and becomes that instant (with time zone, UTC).

use super::rows::answer;
use std::str::FromStr;
use std::sync::Arc;

use chrono::{DateTime, LocalResult, NaiveDateTime, Offset, TimeZone};
use datafusion::arrow::array::timezone::Tz;
use datafusion::arrow::array::{Array, TimestampMicrosecondArray};
use datafusion::arrow::datatypes::{DataType, TimeUnit};
use datafusion::common::{ScalarValue, exec_err, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};

/// The function.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Timezone {
    /// A zone name and a timestamp.
    signature: Signature,
}

impl Default for Timezone {
    fn default() -> Self {
        Self {
            signature: Signature::any(2, Volatility::Immutable),
        }
    }
}

fn converts_to_local(ts: &DataType) -> datafusion::error::Result<bool> {
    match ts {
        DataType::Timestamp(_, Some(_)) => Ok(true),
        DataType::Timestamp(_, None) | DataType::Date32 | DataType::Date64 => Ok(false),
        other => plan_err!("timezone(zone, ts) needs a timestamp, not {other}"),
    }
}

impl ScalarUDFImpl for Timezone {
    fn name(&self) -> &str {
        "timezone"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> datafusion::error::Result<DataType> {
        Ok(if converts_to_local(&arg_types[1])? {
            DataType::Timestamp(TimeUnit::Microsecond, None)
        } else {
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
        })
    }

    fn invoke_with_args(
        &self,
        args: ScalarFunctionArgs,
    ) -> datafusion::error::Result<ColumnarValue> {
        let zone = match &args.args[0] {
            ColumnarValue::Scalar(
                ScalarValue::Utf8(Some(z))
                | ScalarValue::Utf8View(Some(z))
                | ScalarValue::LargeUtf8(Some(z)),
            ) => z.clone(),
            ColumnarValue::Scalar(_) => return exec_err!("timezone(zone, ts) needs a zone name"),
            ColumnarValue::Array(_) => {
                return exec_err!("timezone(zone, ts) needs the zone as a constant");
            }
        };
        let Ok(tz) = Tz::from_str(&zone) else {
            return exec_err!("time zone \"{zone}\" not recognized");
        };
        let to_local = converts_to_local(&args.args[1].data_type())?;
        let input = args.args[1].to_array(args.number_rows)?;
        let source_tz: Option<Arc<str>> = match input.data_type() {
            DataType::Timestamp(_, tz) => tz.clone(),
            _ => None,
        };
        let micros = datafusion::arrow::compute::cast(
            &input,
            &DataType::Timestamp(TimeUnit::Microsecond, source_tz),
        )?;
        let micros = micros
            .as_any()
            .downcast_ref::<TimestampMicrosecondArray>()
            .expect("cast to microseconds");
        let out: TimestampMicrosecondArray = micros
            .iter()
            .map(|v| {
                let v = v?;
                if to_local {
                    let instant = DateTime::from_timestamp_micros(v)?;
                    let offset = tz.offset_from_utc_datetime(&instant.naive_utc()).fix();
                    Some(v + i64::from(offset.local_minus_utc()) * 1_000_000)
                } else {
                    let wall = DateTime::from_timestamp_micros(v)?.naive_utc();
                    match tz.from_local_datetime(&wall) {
                        LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => {
                            Some(t.timestamp_micros())
                        }
                        LocalResult::None => Some(local_gap(&wall, &tz)),
                    }
                }
            })
            .collect();
        let out = if to_local {
            out
        } else {
            out.with_timezone("UTC")
        };
        answer(out, matches!(args.args[1], ColumnarValue::Scalar(_)))
    }
}

/// A wall-clock time skipped by a daylight-saving jump: PostgreSQL reads it with the offset
/// from before the jump.
fn local_gap(wall: &NaiveDateTime, tz: &Tz) -> i64 {
    let before = *wall - chrono::Duration::hours(3);
    let offset = tz.offset_from_utc_datetime(&before).fix();
    wall.and_utc().timestamp_micros() - i64::from(offset.local_minus_utc()) * 1_000_000
}
