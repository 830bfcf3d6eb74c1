//! pg_settings: the settings of the session that reads it (SHOW ALL as a table), so that
//! `SELECT setting FROM pg_settings WHERE name = 'max_index_keys'` (pgjdbc) and friends get
//! the values `SHOW` would give on that connection.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use datafusion::arrow::array::{ArrayRef, BooleanArray, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::Session;
use datafusion::error::Result;

use super::computed::Rows;

use crate::settings::Settings;

/// The session's settings, carried in its DataFusion config so shared tables can read them.
#[derive(Debug)]
pub struct SessionSettings(pub Arc<Mutex<Settings>>);

/// The pg_settings view.
#[derive(Debug)]
pub struct PgSettings {
    /// PostgreSQL's columns of pg_settings.
    schema: SchemaRef,
}

impl Default for PgSettings {
    fn default() -> Self {
        let text = |n: &str| Field::new(n, DataType::Utf8, true);
        Self {
            schema: Arc::new(Schema::new(vec![
                text("name"),
                text("setting"),
                text("unit"),
                text("category"),
                text("short_desc"),
                text("extra_desc"),
                text("context"),
                text("vartype"),
                text("source"),
                text("min_val"),
                text("max_val"),
                text("enumvals"),
                text("boot_val"),
                text("reset_val"),
                text("sourcefile"),
                text("sourceline"),
                Field::new("pending_restart", DataType::Boolean, false),
            ])),
        }
    }
}

#[async_trait]
impl Rows for PgSettings {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    async fn batches(&self, state: &dyn Session) -> Result<Vec<RecordBatch>> {
        let rows = match state.config().get_extension::<SessionSettings>() {
            Some(s) => s.0.lock().expect("settings lock").all(),
            None => Settings::new("aloe", &Default::default())
                .expect("no startup parameters")
                .all(),
        };
        let col = |f: &dyn Fn(&(String, String, String)) -> Option<String>| -> ArrayRef {
            Arc::new(rows.iter().map(f).collect::<StringArray>())
        };
        let none = |_: &(String, String, String)| None::<String>;
        let mut columns: Vec<ArrayRef> = vec![
            col(&|r| Some(r.0.clone())),
            col(&|r| Some(r.1.clone())),
            col(&none),
            col(&|r| {
                Some(
                    if r.0.starts_with("datafusion.") {
                        "DataFusion"
                    } else {
                        "Client Connection Defaults"
                    }
                    .to_owned(),
                )
            }),
            col(&|r| Some(r.2.clone())),
            col(&none),
            col(&|_| Some("user".to_owned())),
            col(&|_| Some("string".to_owned())),
            col(&|_| Some("session".to_owned())),
            col(&none),
            col(&none),
            col(&none),
            col(&none),
            col(&none),
            col(&none),
            col(&none),
        ];
        columns.push(Arc::new(BooleanArray::from(vec![false; rows.len()])));
        Ok(vec![RecordBatch::try_new(self.schema.clone(), columns)?])
    }
}
