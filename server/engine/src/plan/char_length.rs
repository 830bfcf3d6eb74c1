//! The declared length of `varchar(n)` and `char(n)`, kept as the column's or cast's type tag
//! (`character varying(3)`, PostgreSQL's own name of the type) on an Arrow text field: a cast
//! to the type cuts the text to `n` characters (`'abcdef'::varchar(3)` is `abc`), and an
//! INSERT of a longer value is refused with 22001 unless what is over is blanks, as in
//! PostgreSQL. `char(n)` is not blank-padded: Aloe holds it as text, and padding would make
//! `c = 'ab'` false where PostgreSQL's blank-insensitive comparison makes it true.

use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::{Array, StringBuilder};
use datafusion::arrow::datatypes::{DataType, Field};
use datafusion::common::{Result, ScalarValue};
use datafusion::error::DataFusionError;
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use datafusion::prelude::lit;
use datafusion::sql::sqlparser::ast::{CharacterLength, DataType as SqlType};

use super::text_input::{shaped_as, texts};
use super::types::PG_TYPE_KEY;
use crate::error::{EngineError, sqlstate};

/// PostgreSQL's name of a SQL character type with a length, the tag Aloe keeps it by.
pub fn tag(sql_type: &SqlType) -> Option<String> {
    let (name, length) = match sql_type {
        SqlType::Varchar(Some(l))
        | SqlType::CharacterVarying(Some(l))
        | SqlType::CharVarying(Some(l)) => ("character varying", l),
        SqlType::Char(Some(l)) | SqlType::Character(Some(l)) => ("character", l),
        // A bare `char` is `char(1)`, as in PostgreSQL.
        SqlType::Char(None) | SqlType::Character(None) => return Some("character(1)".to_owned()),
        // No length to keep, but the type still names itself to clients (pgjdbc's
        // setString declares one).
        SqlType::Varchar(None) | SqlType::CharacterVarying(None) | SqlType::CharVarying(None) => {
            return Some("character varying".to_owned());
        }
        _ => return None,
    };
    match length {
        CharacterLength::IntegerLength { length, .. } => Some(format!("{name}({length})")),
        CharacterLength::Max => None,
    }
}

/// The type a field's tag names and its length: `("character varying(3)", 3)`.
pub fn declared(field: &Field) -> Option<(&str, u64)> {
    let tag = field.metadata().get(PG_TYPE_KEY)?;
    let inner = tag
        .strip_prefix("character varying(")
        .or_else(|| tag.strip_prefix("character("))?;
    let length = inner.strip_suffix(')')?.parse().ok()?;
    Some((tag.as_str(), length))
}

/// How a value meets its declared length: by a cast (cut) or by an assignment (refused when
/// what is over is not blanks).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Meet {
    /// `x::varchar(n)`.
    Cast,
    /// INSERT into a `varchar(n)` column.
    Assign,
}

/// `aloe_char_length(text, n, type name)`: the text cut to `n` characters.
#[derive(Debug, PartialEq, Eq, Hash)]
struct CharLength {
    meet: Meet,
    signature: Signature,
}

fn cut<'a>(text: &'a str, length: usize, meet: Meet, type_name: &str) -> Result<&'a str> {
    let Some((end, _)) = text.char_indices().nth(length) else {
        return Ok(text);
    };
    if meet == Meet::Assign && text[end..].chars().any(|c| c != ' ') {
        return Err(DataFusionError::External(Box::new(EngineError::new(
            sqlstate::STRING_DATA_RIGHT_TRUNCATION,
            format!("value too long for type {type_name}"),
        ))));
    }
    Ok(&text[..end])
}

impl ScalarUDFImpl for CharLength {
    fn name(&self) -> &str {
        match self.meet {
            Meet::Cast => "aloe_char_length_cast",
            Meet::Assign => "aloe_char_length_assign",
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (
            ColumnarValue::Scalar(ScalarValue::UInt64(Some(length))),
            ColumnarValue::Scalar(ScalarValue::Utf8(Some(type_name))),
        ) = (&args.args[1], &args.args[2])
        else {
            return Err(DataFusionError::Internal(
                "aloe_char_length: length and type name".into(),
            ));
        };
        let length = usize::try_from(*length).unwrap_or(usize::MAX);
        let value = &args.args[0];
        let strings = texts(&value.to_array(args.number_rows)?)?;
        let mut out = StringBuilder::with_capacity(strings.len(), strings.value_data().len());
        for text in strings.iter() {
            match text {
                Some(text) => out.append_value(cut(text, length, self.meet, type_name)?),
                None => out.append_null(),
            }
        }
        shaped_as(value, Arc::new(out.finish()))
    }
}

static FUNCTIONS: LazyLock<[Arc<ScalarUDF>; 2]> = LazyLock::new(|| {
    [Meet::Cast, Meet::Assign].map(|meet| {
        Arc::new(ScalarUDF::new_from_impl(CharLength {
            meet,
            signature: Signature::any(3, Volatility::Immutable),
        }))
    })
});

/// `text` meeting the length `field` declares; `None` when it declares none.
pub fn met(text: Expr, field: &Field, meet: Meet) -> Option<Expr> {
    let (type_name, length) = declared(field)?;
    let function = &FUNCTIONS[usize::from(meet == Meet::Assign)];
    Some(function.call(vec![text, lit(length), lit(type_name)]))
}

#[cfg(test)]
mod tests {
    use super::{Meet, cut};

    #[test]
    fn lengths_are_met_as_postgresql_meets_them() {
        let t = "character varying(3)";
        assert_eq!(cut("abcdef", 3, Meet::Cast, t).unwrap(), "abc");
        assert_eq!(cut("ab", 3, Meet::Assign, t).unwrap(), "ab");
        assert_eq!(cut("abc   ", 3, Meet::Assign, t).unwrap(), "abc");
        assert_eq!(cut("éèêë", 3, Meet::Cast, t).unwrap(), "éèê");
        assert!(cut("abcd", 3, Meet::Assign, t).is_err());
    }
}
