//! The shared catalog with its names always listed in sorted order.
//!
//! pg_catalog (datafusion-pg-catalog) numbers objects in the order it first lists them; the
//! in-memory catalogs list in hash order, which changes from run to run. Sorted listing makes
//! the same lake get the same OIDs after every restart.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::catalog::{CatalogProvider, CatalogProviderList, SchemaProvider, TableProvider};
use datafusion::datasource::TableType;
use datafusion::error::Result;

fn sorted(mut names: Vec<String>) -> Vec<String> {
    names.sort_unstable();
    names
}

/// Catalogs, listed by name.
#[derive(Debug)]
pub struct OrderedCatalogs(pub Arc<dyn CatalogProviderList>);

impl CatalogProviderList for OrderedCatalogs {
    fn register_catalog(
        &self,
        name: String,
        catalog: Arc<dyn CatalogProvider>,
    ) -> Option<Arc<dyn CatalogProvider>> {
        self.0.register_catalog(name, catalog)
    }

    fn catalog_names(&self) -> Vec<String> {
        sorted(self.0.catalog_names())
    }

    fn catalog(&self, name: &str) -> Option<Arc<dyn CatalogProvider>> {
        self.0
            .catalog(name)
            .map(|c| Arc::new(OrderedCatalog(c)) as Arc<dyn CatalogProvider>)
    }
}

/// One catalog, its schemas listed by name.
#[derive(Debug)]
pub struct OrderedCatalog(Arc<dyn CatalogProvider>);

impl CatalogProvider for OrderedCatalog {
    fn schema_names(&self) -> Vec<String> {
        sorted(self.0.schema_names())
    }

    fn schema(&self, name: &str) -> Option<Arc<dyn SchemaProvider>> {
        self.0
            .schema(name)
            .map(|s| Arc::new(OrderedSchema(s)) as Arc<dyn SchemaProvider>)
    }

    fn register_schema(
        &self,
        name: &str,
        schema: Arc<dyn SchemaProvider>,
    ) -> Result<Option<Arc<dyn SchemaProvider>>> {
        self.0.register_schema(name, schema)
    }

    fn deregister_schema(
        &self,
        name: &str,
        cascade: bool,
    ) -> Result<Option<Arc<dyn SchemaProvider>>> {
        self.0.deregister_schema(name, cascade)
    }
}

/// One schema, its tables listed by name.
#[derive(Debug)]
pub struct OrderedSchema(Arc<dyn SchemaProvider>);

#[async_trait]
impl SchemaProvider for OrderedSchema {
    fn owner_name(&self) -> Option<&str> {
        self.0.owner_name()
    }

    fn table_names(&self) -> Vec<String> {
        sorted(self.0.table_names())
    }

    async fn table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        self.0.table(name).await
    }

    async fn table_type(&self, name: &str) -> Result<Option<TableType>> {
        self.0.table_type(name).await
    }

    fn register_table(
        &self,
        name: String,
        table: Arc<dyn TableProvider>,
    ) -> Result<Option<Arc<dyn TableProvider>>> {
        self.0.register_table(name, table)
    }

    fn deregister_table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        self.0.deregister_table(name)
    }

    fn table_exist(&self, name: &str) -> bool {
        self.0.table_exist(name)
    }
}
