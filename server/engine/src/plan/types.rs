//! PostgreSQL type names DataFusion does not know, mapped to the Arrow types that hold them.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::error::Result;
use datafusion::logical_expr::planner::TypePlanner;
use datafusion::sql::sqlparser::ast::DataType as SqlType;
use datafusion_pg_catalog::pg_catalog::oid_type_planner::PgOidTypePlanner;

/// Field metadata naming the PostgreSQL type a column stands for: a text column's `uuid`,
/// `json` or `jsonb`, a catalog list column's `int2vector` or `oidvector`; so the wire layer
/// can describe it with its real type.
pub const PG_TYPE_KEY: &str = "aloe.pg_type";

/// Plans `uuid`, `json` and `jsonb` as text: Arrow has no native column type for them, and
/// text keeps every value and operator that clients use on them (equality, LIKE, casts).
/// The reg* and oid types go to datafusion-pg-catalog's planner.
#[derive(Debug, Default)]
pub struct PgTypePlanner;

impl TypePlanner for PgTypePlanner {
    fn plan_type_field(&self, sql_type: &SqlType) -> Result<Option<FieldRef>> {
        let tagged = |name: &str| {
            Some(Arc::new(
                Field::new("", DataType::Utf8, true)
                    .with_metadata(HashMap::from([(PG_TYPE_KEY.to_owned(), name.to_owned())])),
            ))
        };
        Ok(match sql_type {
            SqlType::Uuid => tagged("uuid"),
            SqlType::JSON => tagged("json"),
            SqlType::JSONB => tagged("jsonb"),
            character if super::char_length::tag(character).is_some() => {
                tagged(&super::char_length::tag(character).expect("a character type"))
            }
            SqlType::Custom(name, _) if name.to_string().eq_ignore_ascii_case("name") => {
                Some(Arc::new(Field::new("", DataType::Utf8, true)))
            }
            _ => return PgOidTypePlanner.plan_type_field(sql_type),
        })
    }
}
