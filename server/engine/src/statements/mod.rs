//! One module per statement family, each a small function of the session and the statement.

pub(crate) mod call;
pub(crate) mod copy;
mod kafka_ddl;
mod lake;
