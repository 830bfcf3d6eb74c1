//! Catalog functions whose answers are Aloe's own: `version()` in PostgreSQL's form (clients
//! parse it), `current_setting` from the session's settings, `current_user`/`session_user`.

use std::sync::{Arc, Mutex};

use datafusion::arrow::array::{ArrayRef, StringArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::error::DataFusionError;
use datafusion::logical_expr::{ColumnarValue, Volatility, create_udf};
use datafusion::prelude::SessionContext;

use crate::engine::settings::{SERVER_VERSION, Settings};

/// What `version()` answers: PostgreSQL's shape, which SQLAlchemy and others match on.
pub fn version_string() -> String {
    format!(
        "PostgreSQL {SERVER_VERSION} (Aloe {}) on {}-linux, compiled by rustc, 64-bit",
        env!("CARGO_PKG_VERSION"),
        std::env::consts::ARCH
    )
}

fn constant(name: &str, value: String) -> datafusion::logical_expr::ScalarUDF {
    create_udf(
        name,
        vec![],
        DataType::Utf8,
        Volatility::Stable,
        Arc::new(move |_args: &[ColumnarValue]| {
            Ok(ColumnarValue::Scalar(ScalarValue::Utf8(Some(
                value.clone(),
            ))))
        }),
    )
}

/// Registers the functions on the session.
pub fn register(ctx: &SessionContext, user: &str, settings: Arc<Mutex<Settings>>) {
    ctx.register_udf(constant("version", version_string()));
    ctx.register_udf(constant("current_user", user.to_owned()));
    ctx.register_udf(constant("session_user", user.to_owned()));
    ctx.register_udf(constant("user", user.to_owned()));
    // Every function and type is visible: Aloe has no per-user search_path hiding.
    for name in ["pg_function_is_visible", "pg_type_is_visible"] {
        ctx.register_udf(create_udf(
            name,
            vec![DataType::Int32],
            DataType::Boolean,
            Volatility::Stable,
            Arc::new(|args: &[ColumnarValue]| {
                Ok(match &args[0] {
                    ColumnarValue::Scalar(s) => {
                        ColumnarValue::Scalar(ScalarValue::Boolean(Some(!s.is_null())))
                    }
                    ColumnarValue::Array(a) => {
                        ColumnarValue::Array(Arc::new(datafusion::arrow::compute::is_not_null(a)?))
                    }
                })
            }),
        ));
    }

    let lookup = move |args: &[ColumnarValue]| -> datafusion::error::Result<ColumnarValue> {
        let settings = settings.lock().expect("settings lock");
        let get = |name: Option<&str>| -> datafusion::error::Result<Option<String>> {
            match name {
                None => Ok(None),
                Some(n) => settings
                    .get(n)
                    .map(Some)
                    .map_err(|e| DataFusionError::External(Box::new(e))),
            }
        };
        match &args[0] {
            ColumnarValue::Scalar(s) => {
                let name = match s {
                    ScalarValue::Utf8(v) | ScalarValue::LargeUtf8(v) | ScalarValue::Utf8View(v) => {
                        v.clone()
                    }
                    other => Some(other.to_string()),
                };
                Ok(ColumnarValue::Scalar(ScalarValue::Utf8(get(
                    name.as_deref()
                )?)))
            }
            ColumnarValue::Array(a) => {
                let a = datafusion::arrow::compute::cast(a, &DataType::Utf8)?;
                let names = a
                    .as_any()
                    .downcast_ref::<StringArray>()
                    .expect("cast to Utf8 gives a StringArray");
                let values = names
                    .iter()
                    .map(get)
                    .collect::<datafusion::error::Result<Vec<_>>>()?;
                Ok(ColumnarValue::Array(
                    Arc::new(StringArray::from(values)) as ArrayRef
                ))
            }
        }
    };
    ctx.register_udf(create_udf(
        "current_setting",
        vec![DataType::Utf8],
        DataType::Utf8,
        Volatility::Stable,
        Arc::new(lookup),
    ));
}
