//! PostgreSQL type names DataFusion does not know, mapped to the Arrow types that hold them.

use datafusion::arrow::datatypes::DataType;
use datafusion::error::Result;
use datafusion::logical_expr::planner::TypePlanner;
use datafusion::sql::sqlparser::ast::DataType as SqlType;

/// Plans `uuid`, `json` and `jsonb` as text: Arrow has no native column type for them, and
/// text keeps every value and operator that clients use on them (equality, LIKE, casts).
#[derive(Debug, Default)]
pub struct PgTypePlanner;

impl TypePlanner for PgTypePlanner {
    fn plan_type(&self, sql_type: &SqlType) -> Result<Option<DataType>> {
        Ok(match sql_type {
            SqlType::Uuid | SqlType::JSON | SqlType::JSONB => Some(DataType::Utf8),
            SqlType::Custom(name, _) if name.to_string().eq_ignore_ascii_case("name") => {
                Some(DataType::Utf8)
            }
            _ => None,
        })
    }
}
