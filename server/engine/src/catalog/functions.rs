//! Catalog functions whose answers are Aloe's own: `version()` in PostgreSQL's form (clients
//! parse it), `current_setting` from the session's settings, `current_user`/`session_user`.

use std::sync::{Arc, Mutex};

use datafusion::arrow::array::{ArrayRef, StringArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::error::DataFusionError;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility, create_udf,
};
use datafusion::prelude::SessionContext;

use crate::settings::{SERVER_VERSION, Settings};

/// What `version()` answers: PostgreSQL's shape, which SQLAlchemy and others match on.
pub fn version_string() -> String {
    format!(
        "PostgreSQL {SERVER_VERSION} (Aloe {}) on {}-linux, compiled by rustc, 64-bit",
        env!("CARGO_PKG_VERSION"),
        std::env::consts::ARCH
    )
}

fn constant(name: &str, value: String) -> ScalarUDF {
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

/// A function of any arguments with one answer for every row: the exact answer where Aloe
/// has none of the objects asked about (descriptions, sequences) or hides none (visibility).
#[derive(Debug, PartialEq, Eq, Hash)]
struct Fixed {
    /// The function's name.
    name: String,
    /// Any types, this many arguments.
    signature: Signature,
    /// The answer.
    value: ScalarValue,
}

impl Fixed {
    fn udf(name: &str, arity: usize, value: ScalarValue) -> ScalarUDF {
        ScalarUDF::from(Fixed {
            name: name.to_owned(),
            signature: if arity == 0 {
                Signature::nullary(Volatility::Stable)
            } else {
                Signature::any(arity, Volatility::Stable)
            },
            value,
        })
    }
}

impl ScalarUDFImpl for Fixed {
    fn name(&self) -> &str {
        &self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> datafusion::error::Result<DataType> {
        Ok(self.value.data_type())
    }

    fn invoke_with_args(
        &self,
        _args: ScalarFunctionArgs,
    ) -> datafusion::error::Result<ColumnarValue> {
        Ok(ColumnarValue::Scalar(self.value.clone()))
    }
}

/// Registers the functions on the session.
pub fn register(ctx: &SessionContext, user: &str, settings: Arc<Mutex<Settings>>) {
    ctx.register_udf(constant("version", version_string()));
    ctx.register_udf(constant("current_user", user.to_owned()));
    ctx.register_udf(constant("session_user", user.to_owned()));
    ctx.register_udf(constant("user", user.to_owned()));
    ctx.register_udf(super::format::Format::udf());
    // Aloe keeps no comments on tables or columns yet, so every description is NULL.
    ctx.register_udf(Fixed::udf("obj_description", 2, ScalarValue::Utf8(None)));
    ctx.register_udf(Fixed::udf("col_description", 2, ScalarValue::Utf8(None)));
    ctx.register_udf(Fixed::udf("shobj_description", 2, ScalarValue::Utf8(None)));
    // Aloe has no sequences.
    ctx.register_udf(Fixed::udf(
        "pg_get_serial_sequence",
        2,
        ScalarValue::Utf8(None),
    ));
    // Ordinary tables are publishable; Aloe has no other kind that is not.
    ctx.register_udf(Fixed::udf(
        "pg_relation_is_publishable",
        1,
        ScalarValue::Boolean(Some(true)),
    ));
    // Every function, type and collation is visible: no per-user search_path hiding.
    for name in [
        "pg_function_is_visible",
        "pg_type_is_visible",
        "pg_collation_is_visible",
    ] {
        ctx.register_udf(Fixed::udf(name, 1, ScalarValue::Boolean(Some(true))));
    }

    // Aloe has no temporary schemas: none is another session's, and the session has none
    // (PostgreSQL's 0 for "no schema").
    ctx.register_udf(Fixed::udf(
        "pg_is_other_temp_schema",
        1,
        ScalarValue::Boolean(Some(false)),
    ));
    ctx.register_udf(Fixed::udf(
        "pg_my_temp_schema",
        0,
        ScalarValue::Int32(Some(0)),
    ));

    register_search_path(ctx, settings.clone());

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

/// `current_schema()` and `current_schemas(implicit)` from the session's search_path, as
/// PostgreSQL answers them: the first schema, and the whole path (pg_catalog first when
/// `implicit`). datafusion-pg-catalog's versions always answer `public`.
fn register_search_path(ctx: &SessionContext, settings: Arc<Mutex<Settings>>) {
    let path = settings.clone();
    ctx.register_udf(create_udf(
        "current_schema",
        vec![],
        DataType::Utf8,
        Volatility::Stable,
        Arc::new(move |_args: &[ColumnarValue]| {
            let first = path
                .lock()
                .expect("settings lock")
                .search_path()
                .into_iter()
                .next();
            Ok(ColumnarValue::Scalar(ScalarValue::Utf8(first)))
        }),
    ));
    let item = Arc::new(datafusion::arrow::datatypes::Field::new_list_field(
        DataType::Utf8,
        true,
    ));
    ctx.register_udf(create_udf(
        "current_schemas",
        vec![DataType::Boolean],
        DataType::List(item),
        Volatility::Stable,
        Arc::new(move |args: &[ColumnarValue]| {
            let implicit = match &args[0] {
                ColumnarValue::Scalar(ScalarValue::Boolean(b)) => b.unwrap_or(false),
                ColumnarValue::Scalar(_) => false,
                ColumnarValue::Array(a) => a
                    .as_any()
                    .downcast_ref::<datafusion::arrow::array::BooleanArray>()
                    .is_some_and(|b| !b.is_empty() && b.value(0)),
            };
            let mut schemas: Vec<String> = Vec::new();
            if implicit {
                schemas.push("pg_catalog".to_owned());
            }
            schemas.extend(
                settings
                    .lock()
                    .expect("settings lock")
                    .search_path()
                    .into_iter()
                    .filter(|s| s != "pg_catalog"),
            );
            let values: Vec<ScalarValue> = schemas
                .into_iter()
                .map(|s| ScalarValue::Utf8(Some(s)))
                .collect();
            Ok(ColumnarValue::Scalar(ScalarValue::List(
                ScalarValue::new_list_nullable(&values, &DataType::Utf8),
            )))
        }),
    ));
}
