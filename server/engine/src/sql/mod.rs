//! The SQL layer: parsing PostgreSQL's dialect and rewriting what DataFusion does not plan into
//! forms it does. It knows neither the catalog nor sessions: everything here is a function of
//! the statement's text or syntax tree.

pub mod call;
pub mod kind;
pub mod parse;
pub mod rewrite;

/// A name as PostgreSQL reads it: unquoted names fold to lower case.
pub fn ident_name(i: &datafusion::sql::sqlparser::ast::Ident) -> String {
    if i.quote_style.is_some() {
        i.value.clone()
    } else {
        i.value.to_ascii_lowercase()
    }
}
