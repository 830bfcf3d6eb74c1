//! PostgreSQL functions that DataFusion lacks and BI tools send in their questions:
//! `timezone(zone, ts)`, `age(ts, ts)`, `make_time(h, m, s)`, `json_build_object(k, v, ...)`,
//! `isfinite(date | timestamp | interval)`, `pg_typeof(any)`;
//! and `coalesce` over both bytea kinds, which DataFusion's refuses.

mod age;
mod coalesce;
mod isfinite;
mod json_build;
mod make_time;
mod pg_typeof;
pub mod rows;
mod timezone;

use datafusion::logical_expr::ScalarUDF;
use datafusion::prelude::SessionContext;

/// Registers them on a session.
pub fn register(ctx: &SessionContext) {
    for udf in [
        ScalarUDF::from(timezone::Timezone::default()),
        ScalarUDF::from(age::Age::default()),
        ScalarUDF::from(make_time::MakeTime::default()),
        ScalarUDF::from(json_build::JsonBuildObject::default()),
        ScalarUDF::from(coalesce::Coalesce::default()),
        ScalarUDF::from(isfinite::IsFinite::default()),
        ScalarUDF::from(pg_typeof::PgTypeof::default()),
    ] {
        ctx.register_udf(udf);
    }
}
