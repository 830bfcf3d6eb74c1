//! COMMENT ON TABLE: a table's description, kept in the lake beside the table and served by
//! pg_description (psql's `\\d+`, Metabase's and dbt's docs).

use datafusion::common::TableReference;
use datafusion::sql::sqlparser::ast::{CommentObject, Statement};

use crate::error::{EngineError, EngineResult, sqlstate};
use crate::session::Session;
use crate::session::outcome::Outcome;
use crate::sql::ident_name;
use aloe_connectors::lake::LakeTable;
use aloe_connectors::lake::table_file::{TABLE_FILE, TableFile};
use object_store::ObjectStoreExt;

/// Runs a COMMENT ON statement.
pub(crate) async fn run(session: &Session, statement: &Statement) -> EngineResult<Outcome> {
    let Statement::Comment {
        object_type,
        object_name,
        comment,
        if_exists,
    } = statement
    else {
        return Err(EngineError::internal("not a COMMENT"));
    };
    if !matches!(object_type, CommentObject::Table) {
        return Err(EngineError::not_supported(format!(
            "COMMENT ON {object_type} is not supported; tables take comments"
        )));
    }
    let parts: Vec<String> = object_name
        .0
        .iter()
        .map(|p| {
            p.as_ident()
                .map(ident_name)
                .unwrap_or_else(|| p.to_string())
        })
        .collect();
    let name = match parts.as_slice() {
        [t] => TableReference::bare(t.as_str()),
        [s, t] => TableReference::partial(s.as_str(), t.as_str()),
        _ => TableReference::full(parts[0].as_str(), parts[1].as_str(), parts[2].as_str()),
    };
    session
        .comment_on_table(&name, comment.clone(), *if_exists)
        .await
}

impl Session {
    /// `COMMENT ON TABLE t IS '...'`: the description goes into the table's table file, where
    /// discovery reads it, so it survives a restart and shows in pg_description.
    pub(crate) async fn comment_on_table(
        &self,
        name: &TableReference,
        comment: Option<String>,
        if_exists: bool,
    ) -> EngineResult<Outcome> {
        let found = self.lake_table(name);
        let Some((schema, table, lake_table)) = found else {
            return self.missing(name, if_exists, "COMMENT", "relation");
        };
        let folder = lake_table.url.as_ref().filter(|u| u.path().ends_with('/'));
        let Some(_) = folder.filter(|_| !lake_table.declared) else {
            return Err(EngineError::not_supported(format!(
                "\"{table}\" keeps no table file (a view, a single file, or a table declared \
                 in aloe.toml, whose description is set there)"
            )));
        };
        let zone = &schema.zone;
        let path =
            aloe_connectors::lake::zone::object_path(&zone.table_url(&table)).join(TABLE_FILE);
        let mut tf = match zone.store.get(&path).await {
            Ok(got) => {
                let bytes = got
                    .bytes()
                    .await
                    .map_err(aloe_connectors::lake::LakeError::from)?;
                TableFile::parse(&String::from_utf8_lossy(&bytes), path.as_ref())?
            }
            Err(object_store::Error::NotFound { .. }) => TableFile::default(),
            Err(e) => return Err(aloe_connectors::lake::LakeError::from(e).into()),
        };
        tf.description = comment.filter(|c| !c.is_empty());
        let text = toml::to_string(&tf)
            .map_err(|e| EngineError::new(sqlstate::INTERNAL_ERROR, e.to_string()))?;
        zone.store
            .put(&path, text.into_bytes().into())
            .await
            .map_err(aloe_connectors::lake::LakeError::from)?;
        schema.put(
            &table,
            LakeTable {
                description: tf.description,
                ..lake_table
            },
        );
        Ok(Outcome::command("COMMENT"))
    }
}
