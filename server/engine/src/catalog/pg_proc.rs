//! `pg_get_function_result(oid)` and `pg_get_function_arguments(oid)` over PostgreSQL's
//! built-in pg_proc rows (psql's `\df`). Aloe defines no functions of its own in SQL, so these
//! rows are all there is to describe.

use crate::functions::rows::answer;
use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, Int32Array, StringArray};
use datafusion::arrow::datatypes::{DataType, Int32Type};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use datafusion_pg_catalog::pg_catalog::PgCatalogStaticTables;

use super::type_names::sql_name;

/// A function's signature as psql shows it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Described {
    /// `integer`, `SETOF integer`, ...
    result: String,
    /// `integer, integer` or `n integer, ...`.
    arguments: String,
}

/// Every built-in function by OID.
pub fn describe_all(static_tables: &PgCatalogStaticTables) -> HashMap<i32, Described> {
    let mut types: HashMap<String, String> = HashMap::new();
    for batch in static_tables.pg_type.data() {
        let s = batch.schema();
        let (Ok(o), Ok(n)) = (s.index_of("oid"), s.index_of("typname")) else {
            continue;
        };
        let (Some(oids), Some(names)) = (
            batch.column(o).as_primitive_opt::<Int32Type>(),
            batch.column(n).as_string_opt::<i32>(),
        ) else {
            continue;
        };
        for i in 0..batch.num_rows() {
            types.insert(oids.value(i).to_string(), sql_name(names.value(i)));
        }
    }
    let name_of = |oid: &str| types.get(oid).cloned().unwrap_or_else(|| oid.to_owned());
    let mut out = HashMap::new();
    for batch in static_tables.pg_proc.data() {
        let s = batch.schema();
        let idx = |c: &str| s.index_of(c).ok();
        let (Some(o), Some(r), Some(set), Some(args)) = (
            idx("oid"),
            idx("prorettype"),
            idx("proretset"),
            idx("proargtypes"),
        ) else {
            continue;
        };
        let oids = batch.column(o).as_primitive_opt::<Int32Type>();
        let rets = batch.column(r).as_primitive_opt::<Int32Type>();
        let sets = batch.column(set).as_boolean_opt();
        let argtypes = batch.column(args).as_string_opt::<i32>();
        let (Some(oids), Some(rets), Some(sets), Some(argtypes)) = (oids, rets, sets, argtypes)
        else {
            continue;
        };
        for i in 0..batch.num_rows() {
            let ret = name_of(&rets.value(i).to_string());
            let result = if sets.value(i) {
                format!("SETOF {ret}")
            } else {
                ret
            };
            let arguments = if argtypes.is_null(i) {
                String::new()
            } else {
                argtypes
                    .value(i)
                    .split_whitespace()
                    .map(name_of)
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            out.insert(oids.value(i), Described { result, arguments });
        }
    }
    out
}

/// One of the two functions.
#[derive(Debug)]
pub struct Describe {
    /// `pg_get_function_result` or `pg_get_function_arguments`.
    name: &'static str,
    /// One argument, the function's OID.
    signature: Signature,
    /// The descriptions.
    functions: Arc<HashMap<i32, Described>>,
}

impl PartialEq for Describe {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for Describe {}

impl std::hash::Hash for Describe {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}

impl Describe {
    /// Both functions over the same descriptions.
    pub fn udfs(functions: Arc<HashMap<i32, Described>>) -> [ScalarUDF; 2] {
        ["pg_get_function_result", "pg_get_function_arguments"].map(|name| {
            ScalarUDF::from(Describe {
                name,
                signature: Signature::any(1, Volatility::Stable),
                functions: functions.clone(),
            })
        })
    }

    fn text(&self, oid: Option<i32>) -> Option<String> {
        let d = self.functions.get(&oid?)?;
        Some(if self.name == "pg_get_function_result" {
            d.result.clone()
        } else {
            d.arguments.clone()
        })
    }
}

impl ScalarUDFImpl for Describe {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> datafusion::error::Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(
        &self,
        args: ScalarFunctionArgs,
    ) -> datafusion::error::Result<ColumnarValue> {
        let oids = datafusion::arrow::compute::cast(
            &args.args[0].to_array(args.number_rows)?,
            &DataType::Int32,
        )?;
        let oids = oids
            .as_any()
            .downcast_ref::<Int32Array>()
            .expect("cast to Int32");
        let out: StringArray = oids.iter().map(|o| self.text(o)).collect();
        answer(out, matches!(args.args[0], ColumnarValue::Scalar(_)))
    }
}
