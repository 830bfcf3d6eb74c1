//! PostgreSQL's SQL names of its types (what `format_type` and information_schema show), by
//! internal name: `int4` is `integer`, `_int4` is `integer[]`.

/// The SQL name of a type given its pg_type name.
pub fn sql_name(typname: &str) -> String {
    match typname {
        "int2" => "smallint".into(),
        "int4" => "integer".into(),
        "int8" => "bigint".into(),
        "float4" => "real".into(),
        "float8" => "double precision".into(),
        "bool" => "boolean".into(),
        "varchar" => "character varying".into(),
        "bpchar" => "character".into(),
        "timestamp" => "timestamp without time zone".into(),
        "timestamptz" => "timestamp with time zone".into(),
        "time" => "time without time zone".into(),
        "timetz" => "time with time zone".into(),
        t if t.starts_with('_') => format!("{}[]", sql_name(&t[1..])),
        t => t.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::sql_name;

    #[test]
    fn names() {
        assert_eq!(sql_name("int8"), "bigint");
        assert_eq!(sql_name("_float8"), "double precision[]");
        assert_eq!(sql_name("text"), "text");
    }
}
