//! The optional table file, `_aloe_table.toml`, in a table's folder: format, format options,
//! partition columns, a fixed schema and a description, for files that cannot say it themselves.

use std::collections::BTreeMap;
use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use serde::{Deserialize, Serialize};

use super::error::{LakeError, LakeResult};

/// The name of the table file inside a table folder.
pub const TABLE_FILE: &str = "_aloe_table.toml";

/// What a table file (or an `aloe.toml` table) says about a table.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct TableFile {
    /// `delta`, `parquet`, `csv` or `json`; found from the files when unset.
    pub format: Option<String>,
    /// Format options: `delimiter`, `header`, `extension`.
    pub options: BTreeMap<String, String>,
    /// Hive partition columns, in folder order.
    pub partition_columns: Vec<String>,
    /// Columns, when the files should not be asked (CSV without a header, say).
    pub columns: Vec<ColumnDecl>,
    /// The table's comment.
    pub description: Option<String>,
    /// For tables made by `CREATE EXTERNAL TABLE`: where the data is, relative to the zone.
    pub location: Option<String>,
}

/// One declared column.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ColumnDecl {
    /// Column name.
    pub name: String,
    /// A PostgreSQL type name: text, bigint, integer, smallint, double precision, real,
    /// boolean, date, timestamp, timestamptz, numeric(p,s).
    #[serde(rename = "type")]
    pub data_type: String,
}

impl TableFile {
    /// Reads a table file's text; `path` names it in errors.
    pub fn parse(text: &str, path: &str) -> LakeResult<Self> {
        toml::from_str(text).map_err(|e| LakeError::BadFile {
            path: path.to_owned(),
            message: e.to_string(),
        })
    }

    /// The declared schema, if columns are given.
    pub fn schema(&self, path: &str) -> LakeResult<Option<SchemaRef>> {
        columns_schema(&self.columns, path)
    }
}

/// The schema of declared columns, or None when there are none; `path` names the declaration
/// in errors.
pub fn columns_schema(columns: &[ColumnDecl], path: &str) -> LakeResult<Option<SchemaRef>> {
    if columns.is_empty() {
        return Ok(None);
    }
    let fields = columns
        .iter()
        .map(|c| {
            arrow_type(&c.data_type)
                .map(|t| Field::new(&c.name, t, true))
                .ok_or_else(|| LakeError::BadFile {
                    path: path.to_owned(),
                    message: format!(
                        "column {}: unknown type \"{}\" (use text, bigint, integer, \
                             smallint, double precision, real, boolean, date, timestamp, \
                             timestamptz or numeric(p,s))",
                        c.name, c.data_type
                    ),
                })
        })
        .collect::<LakeResult<Vec<_>>>()?;
    Ok(Some(Arc::new(Schema::new(fields))))
}

/// A table file that declares `schema`'s columns, for a writer that knows its types (the
/// generator's exports: CSV and JSON cannot say that a price is numeric(12,2)). None when a
/// column has a type a table file cannot name.
pub fn declaring(schema: &Schema, description: Option<String>) -> Option<TableFile> {
    let columns = schema
        .fields()
        .iter()
        .map(|f| {
            Some(ColumnDecl {
                name: f.name().clone(),
                data_type: type_name(f.data_type())?,
            })
        })
        .collect::<Option<Vec<_>>>()?;
    Some(TableFile {
        columns,
        description,
        ..TableFile::default()
    })
}

/// The table-file name of an Arrow type: the inverse of [`arrow_type`].
fn type_name(t: &DataType) -> Option<String> {
    Some(
        match t {
            DataType::Utf8 => "text",
            DataType::Int64 => "bigint",
            DataType::Int32 => "integer",
            DataType::Int16 => "smallint",
            DataType::Float64 => "double precision",
            DataType::Float32 => "real",
            DataType::Boolean => "boolean",
            DataType::Date32 => "date",
            DataType::Timestamp(TimeUnit::Microsecond, None) => "timestamp",
            DataType::Timestamp(TimeUnit::Microsecond, Some(tz)) if tz.as_ref() == "UTC" => {
                "timestamptz"
            }
            DataType::Decimal128(p, s) => return Some(format!("numeric({p},{s})")),
            _ => return None,
        }
        .to_owned(),
    )
}

/// The Arrow type for a PostgreSQL type name of a table file.
fn arrow_type(name: &str) -> Option<DataType> {
    let name = name.trim().to_ascii_lowercase();
    if let Some(args) = name
        .strip_prefix("numeric(")
        .or_else(|| name.strip_prefix("decimal("))
    {
        let (p, s) = args.trim_end_matches(')').split_once(',')?;
        return Some(DataType::Decimal128(
            p.trim().parse().ok()?,
            s.trim().parse().ok()?,
        ));
    }
    Some(match name.as_str() {
        "text" | "varchar" | "string" | "character varying" => DataType::Utf8,
        "bigint" | "int8" => DataType::Int64,
        "integer" | "int" | "int4" => DataType::Int32,
        "smallint" | "int2" => DataType::Int16,
        "double precision" | "double" | "float8" => DataType::Float64,
        "real" | "float4" => DataType::Float32,
        "boolean" | "bool" => DataType::Boolean,
        "date" => DataType::Date32,
        "timestamp" => DataType::Timestamp(TimeUnit::Microsecond, None),
        "timestamptz" => DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_columns_and_options() {
        let f = TableFile::parse(
            "format = 'csv'\ndescription = 'Spend per day'\n[options]\ndelimiter = ';'\n\
             [[columns]]\nname = 'day'\ntype = 'date'\n[[columns]]\nname = 'eur'\ntype = 'numeric(12,2)'\n",
            "t/_aloe_table.toml",
        )
        .unwrap();
        assert_eq!(f.options["delimiter"], ";");
        let schema = f.schema("t").unwrap().unwrap();
        assert_eq!(schema.field(1).data_type(), &DataType::Decimal128(12, 2));
    }

    #[test]
    fn a_declared_schema_reads_back_as_itself() {
        let schema = Schema::new(
            [
                DataType::Utf8,
                DataType::Int64,
                DataType::Int32,
                DataType::Boolean,
                DataType::Date32,
                DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
                DataType::Timestamp(TimeUnit::Microsecond, None),
                DataType::Decimal128(12, 2),
                DataType::Float64,
            ]
            .into_iter()
            .enumerate()
            .map(|(i, t)| Field::new(format!("c{i}"), t, true))
            .collect::<Vec<_>>(),
        );
        let file = declaring(&schema, Some("d".into())).unwrap();
        let text = toml::to_string(&file).unwrap();
        let back = TableFile::parse(&text, "t").unwrap();
        assert_eq!(back, file);
        assert_eq!(back.schema("t").unwrap().unwrap().as_ref(), &schema);
        let nested = Schema::new(vec![Field::new("l", DataType::LargeUtf8, true)]);
        assert_eq!(declaring(&nested, None), None);
    }

    #[test]
    fn bad_files_name_the_problem() {
        let e = TableFile::parse("format = 'csv'\nbogus = 1\n", "t/_aloe_table.toml").unwrap_err();
        assert!(e.to_string().contains("bogus"), "{e}");
        let f = TableFile::parse("[[columns]]\nname = 'x'\ntype = 'blob'\n", "t").unwrap();
        assert!(f.schema("t").unwrap_err().to_string().contains("blob"));
    }
}
