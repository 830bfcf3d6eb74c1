//! `to_regtype(name)`: a type's OID from its name, looked up in PostgreSQL's own pg_type rows
//! (those datafusion-pg-catalog ships), with the SQL spellings (`integer`, `bigint`, ...).

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, Int32Array, StringArray};
use datafusion::arrow::datatypes::{DataType, Int32Type};
use datafusion::common::ScalarValue;
use datafusion::logical_expr::{ColumnarValue, ScalarUDF, Volatility, create_udf};
use datafusion_pg_catalog::pg_catalog::PgCatalogStaticTables;

/// SQL names of types whose pg_type name differs.
const ALIASES: &[(&str, &str)] = &[
    ("integer", "int4"),
    ("int", "int4"),
    ("smallint", "int2"),
    ("bigint", "int8"),
    ("real", "float4"),
    ("double precision", "float8"),
    ("boolean", "bool"),
    ("character varying", "varchar"),
    ("character", "bpchar"),
    ("decimal", "numeric"),
    ("timestamp without time zone", "timestamp"),
    ("timestamp with time zone", "timestamptz"),
    ("time without time zone", "time"),
];

/// Type names (lower case, also `pg_catalog.`-qualified and `name[]` for arrays) to OIDs.
pub fn type_oids(static_tables: &PgCatalogStaticTables) -> HashMap<String, i32> {
    let mut oids = HashMap::new();
    for batch in static_tables.pg_type.data() {
        let schema = batch.schema();
        let (Ok(name_idx), Ok(oid_idx)) = (schema.index_of("typname"), schema.index_of("oid"))
        else {
            continue;
        };
        let names = batch.column(name_idx).as_string_opt::<i32>();
        let ids = batch.column(oid_idx).as_primitive_opt::<Int32Type>();
        let (Some(names), Some(ids)) = (names, ids) else {
            continue;
        };
        for i in 0..batch.num_rows() {
            if names.is_valid(i) && ids.is_valid(i) {
                oids.insert(names.value(i).to_ascii_lowercase(), ids.value(i));
            }
        }
    }
    for (alias, name) in ALIASES {
        if let Some(oid) = oids.get(*name).copied() {
            oids.insert((*alias).to_owned(), oid);
        }
    }
    oids
}

fn lookup(oids: &HashMap<String, i32>, name: &str) -> Option<i32> {
    let n = name.trim().trim_matches('"').to_ascii_lowercase();
    let n = n.strip_prefix("pg_catalog.").unwrap_or(&n);
    match n.strip_suffix("[]") {
        Some(element) => oids.get(&format!("_{element}")).copied(),
        None => oids.get(n).copied(),
    }
}

/// The `to_regtype` function over these OIDs: NULL for an unknown name, as in PostgreSQL.
pub fn to_regtype(oids: Arc<HashMap<String, i32>>) -> ScalarUDF {
    create_udf(
        "to_regtype",
        vec![DataType::Utf8],
        DataType::Int32,
        Volatility::Stable,
        Arc::new(move |args: &[ColumnarValue]| {
            Ok(match &args[0] {
                ColumnarValue::Scalar(s) => {
                    let name = match s {
                        ScalarValue::Utf8(v)
                        | ScalarValue::LargeUtf8(v)
                        | ScalarValue::Utf8View(v) => v.clone(),
                        _ => None,
                    };
                    ColumnarValue::Scalar(ScalarValue::Int32(name.and_then(|n| lookup(&oids, &n))))
                }
                ColumnarValue::Array(a) => {
                    let a = datafusion::arrow::compute::cast(a, &DataType::Utf8)?;
                    let names = a
                        .as_any()
                        .downcast_ref::<StringArray>()
                        .expect("cast to Utf8");
                    let out: Int32Array = names
                        .iter()
                        .map(|n| n.and_then(|n| lookup(&oids, n)))
                        .collect();
                    ColumnarValue::Array(Arc::new(out))
                }
            })
        }),
    )
}
