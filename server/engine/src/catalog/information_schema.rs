//! information_schema with PostgreSQL's columns, built from the live catalog at each scan.
//!
//! DataFusion's own information_schema lacks what clients read (`udt_schema`, `udt_name`,
//! `is_identity`, PostgreSQL type names in `data_type`, `table_constraints`,
//! `key_column_usage`), so Aloe serves this one in its place. Aloe has no constraints, so the
//! constraint tables are empty with the right columns: the exact answer.

use super::computed::{Computed, Rows};
use std::sync::Arc;

use arrow_pg::datatypes::field_into_pg_type;
use async_trait::async_trait;
use datafusion::arrow::array::{ArrayRef, Int32Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::{CatalogProviderList, SchemaProvider, Session, TableProvider};
use datafusion::datasource::TableType;
use datafusion::error::Result;

/// The name of this schema.
pub const NAME: &str = "information_schema";

const TABLES: [&str; 6] = [
    "columns",
    "key_column_usage",
    "schemata",
    "table_constraints",
    "tables",
    "views",
];

/// The information_schema of one database.
#[derive(Debug)]
pub struct InformationSchema {
    /// What is described.
    catalogs: Arc<dyn CatalogProviderList>,
    /// The database whose schemas are listed.
    database: String,
}

impl InformationSchema {
    /// information_schema over `database` of `catalogs`.
    pub fn new(catalogs: Arc<dyn CatalogProviderList>, database: &str) -> Self {
        Self {
            catalogs,
            database: database.to_owned(),
        }
    }
}

#[async_trait]
impl SchemaProvider for InformationSchema {
    fn table_names(&self) -> Vec<String> {
        TABLES.iter().map(|t| (*t).to_owned()).collect()
    }

    async fn table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        let kind = match name.to_ascii_lowercase().as_str() {
            "columns" => Kind::Columns,
            "key_column_usage" => Kind::KeyColumnUsage,
            "schemata" => Kind::Schemata,
            "table_constraints" => Kind::TableConstraints,
            "tables" => Kind::Tables,
            "views" => Kind::Views,
            _ => return Ok(None),
        };
        Ok(Some(Arc::new(Computed(Live {
            kind,
            schema: kind.schema(),
            catalogs: self.catalogs.clone(),
            database: self.database.clone(),
        }))))
    }

    fn table_exist(&self, name: &str) -> bool {
        TABLES.contains(&name.to_ascii_lowercase().as_str())
    }
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    Columns,
    KeyColumnUsage,
    Schemata,
    TableConstraints,
    Tables,
    Views,
}

fn text(names: &[&str]) -> Vec<Field> {
    names
        .iter()
        .map(|n| Field::new(*n, DataType::Utf8, true))
        .collect()
}

impl Kind {
    fn schema(self) -> SchemaRef {
        let fields = match self {
            Kind::Schemata => text(&[
                "catalog_name",
                "schema_name",
                "schema_owner",
                "default_character_set_catalog",
                "default_character_set_schema",
                "default_character_set_name",
                "sql_path",
            ]),
            Kind::Tables => text(&[
                "table_catalog",
                "table_schema",
                "table_name",
                "table_type",
                "self_referencing_column_name",
                "reference_generation",
                "user_defined_type_catalog",
                "user_defined_type_schema",
                "user_defined_type_name",
                "is_insertable_into",
                "is_typed",
                "commit_action",
            ]),
            Kind::Views => text(&[
                "table_catalog",
                "table_schema",
                "table_name",
                "view_definition",
                "check_option",
                "is_updatable",
                "is_insertable_into",
                "is_trigger_updatable",
                "is_trigger_deletable",
                "is_trigger_insertable_into",
            ]),
            Kind::TableConstraints => text(&[
                "constraint_catalog",
                "constraint_schema",
                "constraint_name",
                "table_catalog",
                "table_schema",
                "table_name",
                "constraint_type",
                "is_deferrable",
                "initially_deferred",
                "enforced",
                "nulls_distinct",
            ]),
            Kind::KeyColumnUsage => {
                let mut f = text(&[
                    "constraint_catalog",
                    "constraint_schema",
                    "constraint_name",
                    "table_catalog",
                    "table_schema",
                    "table_name",
                    "column_name",
                ]);
                f.push(Field::new("ordinal_position", DataType::Int32, true));
                f.push(Field::new(
                    "position_in_unique_constraint",
                    DataType::Int32,
                    true,
                ));
                f
            }
            Kind::Columns => {
                let mut f = text(&["table_catalog", "table_schema", "table_name", "column_name"]);
                f.push(Field::new("ordinal_position", DataType::Int32, false));
                f.extend(text(&["column_default", "is_nullable", "data_type"]));
                for n in [
                    "character_maximum_length",
                    "character_octet_length",
                    "numeric_precision",
                    "numeric_precision_radix",
                    "numeric_scale",
                    "datetime_precision",
                ] {
                    f.push(Field::new(n, DataType::Int32, true));
                }
                f.extend(text(&[
                    "interval_type",
                    "udt_catalog",
                    "udt_schema",
                    "udt_name",
                    "is_identity",
                    "identity_generation",
                    "is_generated",
                    "generation_expression",
                    "is_updatable",
                ]));
                f
            }
        };
        Arc::new(Schema::new(fields))
    }
}

/// One information_schema table, computed when scanned.
#[derive(Debug)]
struct Live {
    kind: Kind,
    schema: SchemaRef,
    catalogs: Arc<dyn CatalogProviderList>,
    database: String,
}

/// information_schema's `data_type`: the SQL name, and `ARRAY` for every array type.
fn sql_type_name(udt: &str) -> String {
    if udt.starts_with('_') {
        "ARRAY".into()
    } else {
        super::type_names::sql_name(udt)
    }
}

/// Numeric precision, radix and scale, and datetime precision, as PostgreSQL reports them.
fn precision(dt: &DataType) -> (Option<i32>, Option<i32>, Option<i32>, Option<i32>) {
    match dt {
        DataType::Int8 | DataType::Int16 | DataType::UInt8 => (Some(16), Some(2), Some(0), None),
        DataType::Int32 | DataType::UInt16 => (Some(32), Some(2), Some(0), None),
        DataType::Int64 | DataType::UInt32 => (Some(64), Some(2), Some(0), None),
        DataType::Float32 => (Some(24), Some(2), None, None),
        DataType::Float64 => (Some(53), Some(2), None, None),
        DataType::Decimal128(p, s) => (Some(*p as i32), Some(10), Some(*s as i32), None),
        DataType::Timestamp(_, _) | DataType::Time64(_) | DataType::Time32(_) => {
            (None, None, None, Some(6))
        }
        DataType::Date32 | DataType::Date64 => (None, None, None, Some(0)),
        _ => (None, None, None, None),
    }
}

#[derive(Default)]
struct Columns(Vec<Vec<Option<String>>>, Vec<Vec<Option<i32>>>);

impl Live {
    /// Every (schema, table, provider) of the database, in name order.
    async fn tables(&self) -> Result<Vec<(String, String, Arc<dyn TableProvider>)>> {
        let mut out = Vec::new();
        let Some(catalog) = self.catalogs.catalog(&self.database) else {
            return Ok(out);
        };
        for schema_name in catalog.schema_names() {
            if schema_name == NAME {
                continue;
            }
            let Some(schema) = catalog.schema(&schema_name) else {
                continue;
            };
            for table_name in schema.table_names() {
                if let Some(t) = schema.table(&table_name).await? {
                    out.push((schema_name.clone(), table_name, t));
                }
            }
        }
        Ok(out)
    }

    async fn batch(&self) -> Result<RecordBatch> {
        let db = Some(self.database.clone());
        let s = |v: &str| Some(v.to_owned());
        let mut rows: Vec<Vec<Option<String>>> = Vec::new();
        let mut ints: Vec<Vec<Option<i32>>> = Vec::new();
        match self.kind {
            Kind::Schemata => {
                if let Some(catalog) = self.catalogs.catalog(&self.database) {
                    let mut names = catalog.schema_names();
                    if !names.iter().any(|n| n == NAME) {
                        names.push(NAME.to_owned());
                    }
                    names.sort();
                    for n in names {
                        rows.push(vec![db.clone(), Some(n), s("aloe"), None, None, None, None]);
                    }
                }
            }
            Kind::Tables => {
                for (schema, table, provider) in self.tables().await? {
                    let kind = match provider.table_type() {
                        TableType::View => "VIEW",
                        TableType::Temporary => "LOCAL TEMPORARY",
                        TableType::Base => "BASE TABLE",
                    };
                    let insertable = if kind == "VIEW" { "NO" } else { "YES" };
                    rows.push(vec![
                        db.clone(),
                        Some(schema),
                        Some(table),
                        s(kind),
                        None,
                        None,
                        None,
                        None,
                        None,
                        s(insertable),
                        s("NO"),
                        None,
                    ]);
                }
            }
            Kind::Views => {
                for (schema, table, provider) in self.tables().await? {
                    if provider.table_type() == TableType::View {
                        let definition = provider.get_table_definition().map(str::to_owned);
                        rows.push(vec![
                            db.clone(),
                            Some(schema),
                            Some(table),
                            definition,
                            s("NONE"),
                            s("NO"),
                            s("NO"),
                            s("NO"),
                            s("NO"),
                            s("NO"),
                        ]);
                    }
                }
            }
            Kind::TableConstraints | Kind::KeyColumnUsage => {}
            Kind::Columns => {
                for (schema, table, provider) in self.tables().await? {
                    for (i, field) in provider.schema().fields().iter().enumerate() {
                        let declared = crate::plan::char_length::declared(field);
                        let udt = match declared {
                            Some((tag, _)) if tag.starts_with("character varying") => {
                                "varchar".to_owned()
                            }
                            Some(_) => "bpchar".to_owned(),
                            None => field_into_pg_type(field)
                                .map(|t| t.name().to_owned())
                                .unwrap_or_else(|_| "text".into()),
                        };
                        // As PostgreSQL counts them in UTF8: up to 4 bytes a character.
                        let length = declared.and_then(|(_, n)| i32::try_from(n).ok());
                        // Text of no declared length may hold 1 GB, as PostgreSQL says it.
                        let octets = match length {
                            Some(n) => n.checked_mul(4),
                            None if udt == "text" || udt == "varchar" => Some(1 << 30),
                            None => None,
                        };
                        let (p, radix, scale, dt_prec) = precision(field.data_type());
                        rows.push(vec![
                            db.clone(),
                            Some(schema.clone()),
                            Some(table.clone()),
                            Some(field.name().clone()),
                            None,
                            s(if field.is_nullable() { "YES" } else { "NO" }),
                            Some(sql_type_name(&udt)),
                            None,
                            db.clone(),
                            s("pg_catalog"),
                            Some(udt),
                            s("NO"),
                            None,
                            s("NEVER"),
                            None,
                            s(if provider.table_type() == TableType::View {
                                "NO"
                            } else {
                                "YES"
                            }),
                        ]);
                        ints.push(vec![
                            Some(i as i32 + 1),
                            length,
                            octets,
                            p,
                            radix,
                            scale,
                            dt_prec,
                        ]);
                    }
                }
            }
        }
        self.assemble(Columns(rows, ints))
    }

    /// Puts text rows and, for `columns`, the integer columns into the table's shape.
    fn assemble(&self, Columns(rows, ints): Columns) -> Result<RecordBatch> {
        let mut arrays: Vec<ArrayRef> = Vec::new();
        let (mut t, mut n) = (0usize, 0usize);
        for field in self.schema.fields() {
            if field.data_type() == &DataType::Int32 {
                let col: Int32Array = if ints.is_empty() {
                    Int32Array::from(vec![None::<i32>; rows.len()])
                } else {
                    ints.iter().map(|r| r[n]).collect()
                };
                arrays.push(Arc::new(col));
                n += 1;
            } else {
                let col: StringArray = rows.iter().map(|r| r[t].as_deref()).collect();
                arrays.push(Arc::new(col));
                t += 1;
            }
        }
        Ok(RecordBatch::try_new(self.schema.clone(), arrays)?)
    }
}

#[async_trait]
impl Rows for Live {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    async fn batches(&self, _state: &dyn Session) -> Result<Vec<RecordBatch>> {
        Ok(vec![self.batch().await?])
    }
}
