//! Engine errors and the SQLSTATE each maps to, so clients can act on the code, not the text.

use datafusion::arrow::error::ArrowError;
use datafusion::common::SchemaError;
use datafusion::error::DataFusionError;
use datafusion::sql::sqlparser::parser::ParserError;

/// SQLSTATE codes Aloe answers with (PostgreSQL's meanings).
pub mod sqlstate {
    /// Syntax error.
    pub const SYNTAX_ERROR: &str = "42601";
    /// Table or view does not exist.
    pub const UNDEFINED_TABLE: &str = "42P01";
    /// Column does not exist.
    pub const UNDEFINED_COLUMN: &str = "42703";
    /// Function does not exist.
    pub const UNDEFINED_FUNCTION: &str = "42883";
    /// Object (schema, cursor target, ...) does not exist.
    pub const UNDEFINED_OBJECT: &str = "42704";
    /// Object already exists.
    pub const DUPLICATE_OBJECT: &str = "42710";
    /// Table already exists.
    pub const DUPLICATE_TABLE: &str = "42P07";
    /// Text does not parse as the wanted type.
    pub const INVALID_TEXT_REPRESENTATION: &str = "22P02";
    /// Division by zero.
    pub const DIVISION_BY_ZERO: &str = "22012";
    /// A value does not fit its type.
    pub const NUMERIC_VALUE_OUT_OF_RANGE: &str = "22003";
    /// A column used outside an aggregate and not grouped by (here: by a subquery in
    /// `HAVING` or the select list of a grouped query).
    pub const GROUPING_ERROR: &str = "42803";
    /// A text value longer than its column's `varchar(n)` or `char(n)` allows.
    pub const STRING_DATA_RIGHT_TRUNCATION: &str = "22001";
    /// sqrt of a negative number, a power PostgreSQL cannot take.
    pub const INVALID_ARGUMENT_FOR_POWER_FUNCTION: &str = "2201F";
    /// `ln` or `log` of zero or of a negative number.
    pub const INVALID_ARGUMENT_FOR_LOG: &str = "2201E";
    /// A date/time literal that does not parse.
    pub const INVALID_DATETIME_FORMAT: &str = "22007";
    /// A date/time field out of its range (month 13, February 30th, 25 o'clock).
    pub const DATETIME_FIELD_OVERFLOW: &str = "22008";
    /// A subquery used as an expression returned more than one row.
    pub const CARDINALITY_VIOLATION: &str = "21000";
    /// Datatype mismatch.
    pub const DATATYPE_MISMATCH: &str = "42804";
    /// Parameter value not valid.
    pub const INVALID_PARAMETER_VALUE: &str = "22023";
    /// Unknown configuration parameter.
    pub const UNDEFINED_PARAMETER: &str = "42704";
    /// The query was cancelled by the user or by statement_timeout.
    pub const QUERY_CANCELED: &str = "57014";
    /// Feature not supported.
    pub const FEATURE_NOT_SUPPORTED: &str = "0A000";
    /// Protocol violation.
    pub const PROTOCOL_VIOLATION: &str = "08P01";
    /// Commands after an error inside a transaction block.
    pub const IN_FAILED_SQL_TRANSACTION: &str = "25P02";
    /// Statement needs a transaction block.
    pub const NO_ACTIVE_SQL_TRANSACTION: &str = "25P01";
    /// Cursor does not exist.
    pub const INVALID_CURSOR_NAME: &str = "34000";
    /// Cursor already exists.
    pub const DUPLICATE_CURSOR: &str = "42P03";
    /// Memory or another resource ran out.
    pub const OUT_OF_MEMORY: &str = "53200";
    /// Insufficient privilege.
    pub const INSUFFICIENT_PRIVILEGE: &str = "42501";
    /// Internal error.
    pub const INTERNAL_ERROR: &str = "XX000";
    /// 3F000: no such schema.
    pub const INVALID_SCHEMA_NAME: &str = "3F000";
    /// duplicate_schema
    pub const DUPLICATE_SCHEMA: &str = "42P06";
    /// dependent_objects_still_exist
    pub const DEPENDENT_OBJECTS_STILL_EXIST: &str = "2BP01";
    /// F0000: the configuration is wrong.
    pub const CONFIG_FILE_ERROR: &str = "F0000";
    /// 58P01: a file named does not exist.
    pub const UNDEFINED_FILE: &str = "58P01";
    /// 58030: the storage failed.
    pub const IO_ERROR: &str = "58030";
    /// 42809: the object is of the wrong kind (a view where a table is meant).
    pub const WRONG_OBJECT_TYPE: &str = "42809";
    /// 25006: a write inside a READ ONLY transaction.
    pub const READ_ONLY_SQL_TRANSACTION: &str = "25006";
    /// 3B001: no savepoint of that name.
    pub const INVALID_SAVEPOINT_SPECIFICATION: &str = "3B001";
    /// 55000: the object is not in the state the statement needs.
    pub const OBJECT_NOT_IN_PREREQUISITE_STATE: &str = "55000";
    /// 55P02: the setting cannot be changed now.
    pub const CANT_CHANGE_RUNTIME_PARAM: &str = "55P02";
    /// P0001: a procedure raised an error (a model run that failed).
    pub const RAISE_EXCEPTION: &str = "P0001";
    /// 57P01: the server is shutting down.
    pub const ADMIN_SHUTDOWN: &str = "57P01";
    /// 00000: not an error (the code of a notice).
    pub const SUCCESSFUL_COMPLETION: &str = "00000";
    /// 53300: every connection slot is taken.
    pub const TOO_MANY_CONNECTIONS: &str = "53300";
    /// 08006: the connection failed (the login took too long).
    pub const CONNECTION_FAILURE: &str = "08006";
    /// 25P03: idle in a transaction block for longer than allowed.
    pub const IDLE_IN_TRANSACTION_SESSION_TIMEOUT: &str = "25P03";
    /// 57P05: idle for longer than allowed.
    pub const IDLE_SESSION_TIMEOUT: &str = "57P05";
    /// 28P01: wrong password (or unknown user).
    pub const INVALID_PASSWORD: &str = "28P01";
    /// 28000: this login is not allowed.
    pub const INVALID_AUTHORIZATION_SPECIFICATION: &str = "28000";
    /// 3D000: no such database.
    pub const INVALID_CATALOG_NAME: &str = "3D000";
    /// 22P03: a binary value that does not decode.
    pub const INVALID_BINARY_REPRESENTATION: &str = "22P03";
}

/// An error that reaches the client: a SQLSTATE and a message a person can act on.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct EngineError {
    /// The five-character SQLSTATE.
    pub code: &'static str,
    /// The primary message, PostgreSQL style (lower case, no trailing period).
    pub message: String,
}

/// Result of engine calls.
pub type EngineResult<T> = Result<T, EngineError>;

impl EngineError {
    /// An error with an explicit SQLSTATE.
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// 0A000: a feature Aloe does not have, named in the message.
    pub fn not_supported(message: impl Into<String>) -> Self {
        Self::new(sqlstate::FEATURE_NOT_SUPPORTED, message)
    }

    /// XX000: something Aloe itself got wrong, named in the message.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(sqlstate::INTERNAL_ERROR, message)
    }

    /// 42601: the text is not valid SQL.
    pub fn syntax(message: impl Into<String>) -> Self {
        Self::new(sqlstate::SYNTAX_ERROR, message)
    }

    /// 57P01: the server stopped the statement because it is shutting down.
    pub fn shutting_down() -> Self {
        Self::new(
            sqlstate::ADMIN_SHUTDOWN,
            "terminating connection due to administrator command",
        )
    }

    /// 57014: cancelled by a CancelRequest.
    pub fn cancelled() -> Self {
        Self::new(
            sqlstate::QUERY_CANCELED,
            "canceling statement due to user request",
        )
    }

    /// 57014: cancelled by statement_timeout.
    pub fn timed_out() -> Self {
        Self::new(
            sqlstate::QUERY_CANCELED,
            "canceling statement due to statement timeout",
        )
    }
}

impl From<ParserError> for EngineError {
    fn from(e: ParserError) -> Self {
        let text = match e {
            ParserError::TokenizerError(s) | ParserError::ParserError(s) => s,
            ParserError::RecursionLimitExceeded => "statement is nested too deeply".to_owned(),
        };
        EngineError::syntax(format!("syntax error: {text}"))
    }
}

impl From<DataFusionError> for EngineError {
    fn from(e: DataFusionError) -> Self {
        classify(&e)
    }
}

impl From<ArrowError> for EngineError {
    fn from(e: ArrowError) -> Self {
        classify_arrow(&e)
    }
}

fn classify_arrow(e: &ArrowError) -> EngineError {
    use sqlstate::*;
    match e {
        ArrowError::DivideByZero => EngineError::new(DIVISION_BY_ZERO, "division by zero"),
        ArrowError::CastError(m) | ArrowError::ParseError(m) => cast_error(m),
        ArrowError::ArithmeticOverflow(m) => {
            EngineError::new(NUMERIC_VALUE_OUT_OF_RANGE, m.clone())
        }
        ArrowError::MemoryError(m) => EngineError::new(OUT_OF_MEMORY, m.clone()),
        ArrowError::ComputeError(m) if m.contains("square root of a negative number") => {
            EngineError::new(
                INVALID_ARGUMENT_FOR_POWER_FUNCTION,
                "cannot take square root of a negative number",
            )
        }
        ArrowError::ExternalError(inner) => match inner.downcast_ref::<DataFusionError>() {
            Some(df) => classify(df),
            None => EngineError::new(INTERNAL_ERROR, inner.to_string()),
        },
        other => EngineError::new(INTERNAL_ERROR, other.to_string()),
    }
}

/// PostgreSQL's name of an Arrow integer, float or boolean type, as its cast messages say it.
fn pg_type_name(arrow: &str) -> Option<&'static str> {
    Some(match arrow {
        "Int16" => "smallint",
        "Int32" => "integer",
        "Int64" => "bigint",
        "Float32" => "real",
        "Float64" => "double precision",
        "Boolean" => "boolean",
        _ => return None,
    })
}

/// Arrow's cast errors in PostgreSQL's words and codes: a number too big for its type is
/// 22003 (`integer out of range`, `value "3000000000" is out of range for type integer`),
/// text that is no number or boolean 22P02 (`invalid input syntax for type integer: "1.5"`).
fn cast_error(m: &str) -> EngineError {
    use sqlstate::*;
    // "Can't cast value 3000000000 to type Int32"
    if let Some(rest) = m.strip_prefix("Can't cast value ")
        && let Some((_, arrow)) = rest.rsplit_once(" to type ")
        && let Some(name) = pg_type_name(arrow)
    {
        return EngineError::new(NUMERIC_VALUE_OUT_OF_RANGE, format!("{name} out of range"));
    }
    // "Cannot cast string '1.5' to value of Int32 type", "Cannot cast value 'maybe' to ..."
    let quoted = m
        .strip_prefix("Cannot cast string '")
        .or_else(|| m.strip_prefix("Cannot cast value '"));
    if let Some(rest) = quoted
        && let Some((value, tail)) = rest.rsplit_once("' to value of ")
        && let Some(name) = tail.strip_suffix(" type").and_then(pg_type_name)
    {
        let digits = value.trim().trim_start_matches(['-', '+']);
        if name != "boolean" && !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) {
            return EngineError::new(
                NUMERIC_VALUE_OUT_OF_RANGE,
                format!("value \"{value}\" is out of range for type {name}"),
            );
        }
        return EngineError::new(
            INVALID_TEXT_REPRESENTATION,
            format!("invalid input syntax for type {name}: \"{value}\""),
        );
    }
    EngineError::new(INVALID_TEXT_REPRESENTATION, m.to_owned())
}

/// Maps a DataFusion error to the SQLSTATE PostgreSQL would use for the same mistake.
///
/// DataFusion reports most user errors as `Plan` or `Execution` strings, so the finer codes
/// are recognised from the message; anything unrecognised stays XX000 rather than guessing.
fn classify(e: &DataFusionError) -> EngineError {
    use sqlstate::*;
    let root = e.find_root();
    match root {
        DataFusionError::SQL(p, _) => EngineError::from(clone_parser_error(p)),
        DataFusionError::ArrowError(a, _) => classify_arrow(a),
        DataFusionError::SchemaError(s, _) => match s.as_ref() {
            SchemaError::FieldNotFound { field, .. } => EngineError::new(
                UNDEFINED_COLUMN,
                format!("column \"{}\" does not exist", field.name()),
            ),
            SchemaError::DuplicateQualifiedField { .. }
            | SchemaError::DuplicateUnqualifiedField { .. } => {
                EngineError::new(sqlstate::DUPLICATE_OBJECT, root.message().to_string())
            }
            _ => EngineError::new(SYNTAX_ERROR, root.message().to_string()),
        },
        DataFusionError::NotImplemented(m) => {
            EngineError::not_supported(format!("not supported: {m}"))
        }
        DataFusionError::ResourcesExhausted(m) => {
            EngineError::new(OUT_OF_MEMORY, format!("out of memory: {m}"))
        }
        DataFusionError::External(inner) => {
            if let Some(engine) = inner.downcast_ref::<EngineError>() {
                EngineError::new(engine.code, engine.message.clone())
            } else if let Some(lake) = inner.downcast_ref::<aloe_connectors::lake::LakeError>() {
                match lake {
                    aloe_connectors::lake::LakeError::DataFusion(d) => classify(d),
                    aloe_connectors::lake::LakeError::Delta(d) => classify_foreign(d),
                    other => EngineError::new(lake_code(other), other.to_string()),
                }
            } else if let Some(kafka) = inner.downcast_ref::<aloe_connectors::kafka::KafkaError>() {
                EngineError::from_kafka(kafka)
            } else if let Some(arrow) = inner.downcast_ref::<ArrowError>() {
                classify_arrow(arrow)
            } else {
                classify_foreign(inner.as_ref())
            }
        }
        DataFusionError::Plan(m) | DataFusionError::Execution(m) => classify_message(m),
        other => classify_message(&other.message()),
    }
}

/// Errors wrapped by other crates (Delta's writer) still carry DataFusion's or Arrow's error
/// somewhere down their chain; failing that, the message is all there is to go on.
fn classify_foreign(inner: &(dyn std::error::Error + 'static)) -> EngineError {
    let mut source = Some(inner);
    while let Some(e) = source {
        if let Some(df) = e.downcast_ref::<DataFusionError>() {
            return classify(df);
        }
        if let Some(arrow) = e.downcast_ref::<ArrowError>() {
            return classify_arrow(arrow);
        }
        if let Some(engine) = e.downcast_ref::<EngineError>() {
            return EngineError::new(engine.code, engine.message.clone());
        }
        source = e.source();
    }
    classify_message(&inner.to_string())
}

/// Delta's writer flattens the errors of the query it writes into text (`Generic DeltaTable
/// error: External error: integer out of range`), so Aloe's own errors raised while a write
/// ran are known again by their PostgreSQL messages.
fn raised_during_write(m: &str) -> Option<EngineError> {
    use sqlstate::*;
    let (_, message) = m.rsplit_once("External error: ")?;
    let code =
        if message.ends_with(" out of range") || message.contains("\" is out of range for type ") {
            NUMERIC_VALUE_OUT_OF_RANGE
        } else if message.starts_with("cannot take logarithm of ") {
            INVALID_ARGUMENT_FOR_LOG
        } else if message == "division by zero" {
            DIVISION_BY_ZERO
        } else if message.starts_with("value too long for type ") {
            STRING_DATA_RIGHT_TRUNCATION
        } else {
            return None;
        };
    Some(EngineError::new(code, message.to_owned()))
}

/// DataFusion's `No function matches the given name and argument types 'upper(Int64)'` as
/// PostgreSQL says it: 42883, `function upper(bigint) does not exist`, whichever of its
/// checks refused the call first (DataFusion also calls some of these internal errors).
fn no_such_function(m: &str) -> Option<EngineError> {
    let (_, rest) = m.split_once("No function matches the given name and argument types '")?;
    let (call, _) = rest.split_once("'.")?;
    let (name, args) = call.strip_suffix(')')?.split_once('(')?;
    let args: Vec<String> = if args.is_empty() {
        vec![]
    } else {
        args.split(", ").map(pg_name_of_arrow).collect()
    };
    Some(EngineError::new(
        sqlstate::UNDEFINED_FUNCTION,
        format!("function {name}({}) does not exist", args.join(", ")),
    ))
}

/// PostgreSQL's name of the type an Arrow type name stands for, as function signatures in
/// its messages name them (the integer, float and boolean names are `pg_type_name`'s); the
/// Arrow name where there is none.
fn pg_name_of_arrow(arrow: &str) -> String {
    let name = match arrow {
        "Utf8" | "Utf8View" | "LargeUtf8" => "text",
        "Date32" => "date",
        "Binary" | "BinaryView" | "LargeBinary" => "bytea",
        "Null" => "unknown",
        other if other.starts_with("Decimal128") => "numeric",
        other if other.starts_with("Timestamp(") && other.contains("None") => {
            "timestamp without time zone"
        }
        other if other.starts_with("Timestamp(") => "timestamp with time zone",
        other if other.starts_with("Interval") => "interval",
        other => return pg_type_name(other).unwrap_or(other).to_owned(),
    };
    name.to_owned()
}

fn classify_message(m: &str) -> EngineError {
    use sqlstate::*;
    if let Some(raised) = raised_during_write(m) {
        return raised;
    }
    if let Some(missing) = no_such_function(m) {
        return missing;
    }
    let lower = m.to_ascii_lowercase();
    // Delta's writer turns DataFusion's ResourcesExhausted into a text-only error.
    let code = if lower.contains("resources exhausted") {
        OUT_OF_MEMORY
    } else if lower.contains("table '") && lower.contains("not found")
        || lower.starts_with("table not found")
        || lower.contains("no table named")
    {
        UNDEFINED_TABLE
    } else if lower.contains("invalid function") || lower.contains("function not found") {
        UNDEFINED_FUNCTION
    } else if lower.contains("divide by zero") || lower.contains("division by zero") {
        DIVISION_BY_ZERO
    } else if lower.contains("square root of a negative number") {
        INVALID_ARGUMENT_FOR_POWER_FUNCTION
    } else if lower.contains("cannot cast") || lower.contains("cast error") {
        INVALID_TEXT_REPRESENTATION
    } else if lower.contains("already exists") {
        DUPLICATE_TABLE
    } else if lower.contains("not supported")
        || lower.contains("unsupported")
        || lower.contains("does not support")
    {
        FEATURE_NOT_SUPPORTED
    } else if lower.contains("no field named")
        || lower.contains("column") && lower.contains("not found")
    {
        UNDEFINED_COLUMN
    } else if lower.contains("overflow") {
        NUMERIC_VALUE_OUT_OF_RANGE
    } else if lower.contains("does not match") && lower.contains("type")
        || lower.contains("coercion")
        || lower.contains("cannot infer common")
    {
        DATATYPE_MISMATCH
    } else {
        INTERNAL_ERROR
    };
    let message = if code == UNDEFINED_TABLE {
        undefined_table_message(m)
    } else {
        m.to_owned()
    };
    EngineError::new(code, message)
}

/// DataFusion says `table 'aloe.public.x' not found`; PostgreSQL says `relation "x" does not
/// exist`. Clients and people both know the latter.
fn undefined_table_message(m: &str) -> String {
    let name = m
        .split('\'')
        .nth(1)
        .map(|full| full.rsplit('.').next().unwrap_or(full).to_owned());
    match name {
        Some(n) => format!("relation \"{n}\" does not exist"),
        None => m.to_owned(),
    }
}

fn clone_parser_error(p: &ParserError) -> ParserError {
    match p {
        ParserError::TokenizerError(s) => ParserError::TokenizerError(s.clone()),
        ParserError::ParserError(s) => ParserError::ParserError(s.clone()),
        ParserError::RecursionLimitExceeded => ParserError::RecursionLimitExceeded,
    }
}

impl From<aloe_connectors::lake::LakeError> for EngineError {
    fn from(e: aloe_connectors::lake::LakeError) -> Self {
        match e {
            aloe_connectors::lake::LakeError::DataFusion(d) => classify(&d),
            aloe_connectors::lake::LakeError::Delta(d) => classify_foreign(&d),
            other => EngineError::new(lake_code(&other), other.to_string()),
        }
    }
}

impl From<aloe_connectors::kafka::KafkaError> for EngineError {
    fn from(e: aloe_connectors::kafka::KafkaError) -> Self {
        Self::from_kafka(&e)
    }
}

impl EngineError {
    /// A Kafka table's failure with its SQLSTATE.
    fn from_kafka(e: &aloe_connectors::kafka::KafkaError) -> Self {
        use aloe_connectors::kafka::KafkaError;
        let code = match e {
            KafkaError::Config { .. } => sqlstate::INVALID_PARAMETER_VALUE,
            KafkaError::NoTopic { .. } => sqlstate::UNDEFINED_TABLE,
            KafkaError::Decode { .. } => sqlstate::INVALID_TEXT_REPRESENTATION,
            // The brokers are outside systems; PostgreSQL reports such failures as I/O errors.
            KafkaError::Client { .. } => sqlstate::IO_ERROR,
            KafkaError::Lake(l) => return Self::new(lake_code(l), l.to_string()),
            KafkaError::Arrow(a) => return classify_arrow(a),
            KafkaError::DataFusion(d) => return classify(d),
        };
        Self::new(code, e.to_string())
    }
}

/// The SQLSTATE of a lake failure.
fn lake_code(e: &aloe_connectors::lake::LakeError) -> &'static str {
    use aloe_connectors::lake::LakeError;
    match e {
        LakeError::OutsideLake(_) => sqlstate::INSUFFICIENT_PRIVILEGE,
        LakeError::NoZone(_) | LakeError::NoSchema(_) => sqlstate::INVALID_SCHEMA_NAME,
        LakeError::SchemaExists(_) => sqlstate::DUPLICATE_SCHEMA,
        LakeError::Exists(_) => sqlstate::DUPLICATE_TABLE,
        LakeError::Missing(_) => sqlstate::UNDEFINED_TABLE,
        LakeError::Unsupported(_) => sqlstate::FEATURE_NOT_SUPPORTED,
        LakeError::Config(_) => sqlstate::CONFIG_FILE_ERROR,
        LakeError::Store(object_store::Error::NotFound { .. }) => sqlstate::UNDEFINED_FILE,
        LakeError::Store(_) | LakeError::BadFile { .. } => sqlstate::IO_ERROR,
        LakeError::DataFusion(_) | LakeError::Delta(_) => sqlstate::INTERNAL_ERROR,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn undefined_table_is_named_like_postgres() {
        let e = classify_message("table 'aloe.public.nope' not found");
        assert_eq!(e.code, sqlstate::UNDEFINED_TABLE);
        assert_eq!(e.message, "relation \"nope\" does not exist");
    }

    #[test]
    fn memory_exhausted_inside_the_delta_writer_is_out_of_memory() {
        let e = classify_message(
            "Generic DeltaTable error: Not enough memory to continue external sort. caused by\n\
             Resources exhausted: Failed to allocate additional 2.2 GB for ExternalSorter[0]",
        );
        assert_eq!(e.code, sqlstate::OUT_OF_MEMORY);
    }

    #[test]
    fn unknown_messages_stay_internal() {
        assert_eq!(
            classify_message("something odd").code,
            sqlstate::INTERNAL_ERROR
        );
    }
}
