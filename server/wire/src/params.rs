//! Bind parameters to DataFusion values. arrow-pg decodes the core types; uuid and json
//! parameters, which Aloe holds as text, are brought to their text form here first because
//! arrow-pg reads them only in text format.

use aloe_engine::error::sqlstate;
use aloe_engine::input::infinity::{self, Infinity};
use arrow_pg::datatypes::df::deserialize_parameters_with_server_types;
use bytes::Bytes;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::metadata::ScalarAndMetadata;
use datafusion::common::{ParamValues, ScalarValue};
use pgwire::api::Type;
use std::sync::Arc;

use pgwire::api::portal::Portal;
use pgwire::api::stmt::StoredStatement;
use pgwire::error::{ErrorInfo, PgWireError, PgWireResult};
use pgwire::messages::extendedquery::Bind;

use super::extended::param_type;
use aloe_engine::Prepared;

/// The portal's parameters as DataFusion values, typed by the prepared statement; numeric
/// values at the scale the client wrote them with.
pub fn decode(portal: &Portal<Prepared>) -> PgWireResult<ParamValues> {
    let ends: Vec<Option<Infinity>> = (0..portal.parameter_len())
        .map(|i| infinite(portal, i))
        .collect();
    let values = if ends.iter().all(Option::is_none) {
        decoded(portal)?
    } else {
        // arrow-pg reads dates and timestamps through chrono, where an infinity is no value:
        // it decodes a NULL in their place, and the infinity is put in after.
        let formats = (0..portal.parameter_len())
            .map(|i| i16::from(portal.parameter_format.is_binary(i)))
            .collect();
        let values = portal
            .parameters
            .iter()
            .zip(&ends)
            .map(|(v, end)| if end.is_some() { None } else { v.clone() })
            .collect();
        let bind = Bind::new(None, None, formats, values, vec![]);
        decoded(&Portal::try_new(&bind, portal.statement.clone())?)?
    };
    Ok(match values {
        ParamValues::List(values) => ParamValues::List(
            values
                .into_iter()
                .enumerate()
                .map(|(i, value)| match ends.get(i).copied().flatten() {
                    Some(end) => {
                        let (scalar, metadata) = value.into_inner();
                        ScalarAndMetadata::new(end.scalar(&scalar.data_type()), metadata)
                    }
                    None => own_scale(portal, i, value),
                })
                .collect(),
        ),
        named => named,
    })
}

/// The parameter's type: the client's declared one, else the one the statement gives it.
fn parameter_type(portal: &Portal<Prepared>, i: usize) -> Option<Type> {
    portal
        .statement
        .parameter_types
        .get(i)
        .cloned()
        .flatten()
        .or_else(|| {
            let planned = portal.statement.statement.param_types.get(i)?;
            param_type(planned.as_ref()).ok()
        })
}

/// The infinity a date or timestamp parameter holds, if it holds one: the text `infinity` or
/// `-infinity`, or in binary the int4/int8 range's ends, as PostgreSQL's clients send them.
fn infinite(portal: &Portal<Prepared>, i: usize) -> Option<Infinity> {
    let ty = parameter_type(portal, i)?;
    let bytes = portal.parameters.get(i)?.as_ref()?;
    if !portal.parameter_format.is_binary(i) {
        return match ty {
            Type::DATE | Type::TIMESTAMP | Type::TIMESTAMPTZ => {
                infinity::named(std::str::from_utf8(bytes).ok()?)
            }
            _ => None,
        };
    }
    match ty {
        Type::DATE => match i32::from_be_bytes(bytes[..].try_into().ok()?) {
            i32::MAX => Some(Infinity::Plus),
            i32::MIN => Some(Infinity::Minus),
            _ => None,
        },
        Type::TIMESTAMP | Type::TIMESTAMPTZ => {
            match i64::from_be_bytes(bytes[..].try_into().ok()?) {
                i64::MAX => Some(Infinity::Plus),
                i64::MIN => Some(Infinity::Minus),
                _ => None,
            }
        }
        _ => None,
    }
}

/// The scale a numeric parameter was written with: digits after the point in text, the
/// display scale field of the binary form.
fn written_scale(bytes: &[u8], binary: bool) -> Option<i8> {
    if binary {
        let dscale = i16::from_be_bytes(bytes.get(6..8)?.try_into().ok()?);
        return i8::try_from(dscale).ok();
    }
    let text = std::str::from_utf8(bytes).ok()?.trim();
    if text.contains(['e', 'E']) {
        return None;
    }
    let fraction = text.split_once('.').map_or("", |(_, f)| f);
    i8::try_from(fraction.len()).ok()
}

/// A numeric parameter at its own scale, as PostgreSQL keeps a numeric value's scale:
/// `12.50` bound to an unconstrained numeric parameter is 12.50, where the type's default
/// scale would make it 12.5000000000. Exact only: a value with more digits stays as it is.
fn own_scale(portal: &Portal<Prepared>, i: usize, value: ScalarAndMetadata) -> ScalarAndMetadata {
    let (scalar, metadata) = value.into_inner();
    if let ScalarValue::Decimal128(Some(v), precision, scale) = scalar
        && let Some(Some(bytes)) = portal.parameters.get(i)
        && let Some(written) = written_scale(bytes, portal.parameter_format.is_binary(i))
        && (0..scale).contains(&written)
    {
        let factor = 10i128.pow(u32::from((scale - written).unsigned_abs()));
        if v % factor == 0 {
            return ScalarAndMetadata::new(
                ScalarValue::Decimal128(Some(v / factor), precision, written),
                metadata,
            );
        }
    }
    ScalarAndMetadata::new(scalar, metadata)
}

fn decoded(portal: &Portal<Prepared>) -> PgWireResult<ParamValues> {
    let prepared = &portal.statement.statement;
    let data_types: Vec<Option<&DataType>> = prepared
        .param_types
        .iter()
        .map(|f| f.as_ref().map(|f| f.data_type()))
        .collect();
    let wire: Vec<Option<Type>> = prepared
        .param_types
        .iter()
        .map(|f| param_type(f.as_ref()).ok())
        .collect();
    let text_type = |i: usize| {
        let client = portal.statement.parameter_types.get(i).cloned().flatten();
        client
            .or_else(|| wire.get(i).cloned().flatten())
            .filter(|t| *t == Type::UUID || *t == Type::JSON || *t == Type::JSONB)
    };
    for i in 0..portal.parameter_len() {
        let ty = portal
            .statement
            .parameter_types
            .get(i)
            .cloned()
            .flatten()
            .or_else(|| wire.get(i).cloned().flatten());
        if portal.parameter_format.is_binary(i)
            && let (Some(Some(bytes)), Some(ty)) = (portal.parameters.get(i), ty)
        {
            check_width(bytes, &ty, i)?;
        }
    }
    let textual = |i: usize| text_type(i).is_some();
    let needs_text =
        (0..portal.parameter_len()).any(|i| textual(i) && portal.parameter_format.is_binary(i));
    if !needs_text {
        let wire: Vec<Option<&Type>> = wire.iter().map(Option::as_ref).collect();
        return deserialize_parameters_with_server_types(portal, &data_types, &wire);
    }
    let mut formats = Vec::with_capacity(portal.parameter_len());
    let mut values = Vec::with_capacity(portal.parameter_len());
    for (i, value) in portal.parameters.iter().enumerate() {
        let binary = portal.parameter_format.is_binary(i);
        let value = match value {
            Some(bytes) if binary && textual(i) => {
                Some(binary_to_text(bytes, &text_type(i).expect("textual"), i)?)
            }
            other => other.clone(),
        };
        formats.push(if binary && !textual(i) { 1 } else { 0 });
        values.push(value);
    }
    let bind = Bind::new(None, None, formats, values, vec![]);
    // arrow-pg decodes by the client's declared type first, and it reads uuid/json only as
    // text: declare those as text now that they are text.
    let declared: Vec<Option<Type>> = (0..portal.parameter_len())
        .map(|i| {
            if textual(i) {
                Some(Type::TEXT)
            } else {
                portal.statement.parameter_types.get(i).cloned().flatten()
            }
        })
        .collect();
    let statement = StoredStatement::new(
        portal.statement.id.clone(),
        portal.statement.statement.clone(),
        declared,
    );
    let rewritten = Portal::try_new(&bind, Arc::new(statement))?;
    // As text, these are plain text parameters of the text column that holds them.
    let text: Vec<Option<&Type>> = (0..portal.parameter_len())
        .map(|i| {
            if textual(i) {
                Some(&Type::TEXT)
            } else {
                wire[i].as_ref()
            }
        })
        .collect();
    deserialize_parameters_with_server_types(&rewritten, &data_types, &text)
}

/// A binary value of a fixed-width type must have exactly its width, checked as PostgreSQL's
/// receive functions check it: too few bytes is a broken message (08P01), too many a value
/// that is not of its type (22P03). Arrow-pg's decoder would call both a bad value.
fn check_width(bytes: &Bytes, ty: &Type, index: usize) -> PgWireResult<()> {
    let width = match *ty {
        Type::BOOL | Type::CHAR => 1,
        Type::INT2 => 2,
        Type::INT4 | Type::OID | Type::FLOAT4 | Type::DATE => 4,
        Type::INT8 | Type::FLOAT8 | Type::TIME | Type::TIMESTAMP | Type::TIMESTAMPTZ => 8,
        Type::UUID => 16,
        _ => return Ok(()),
    };
    let refuse = |code: &str, message: String| {
        Err(PgWireError::UserError(Box::new(ErrorInfo::new(
            "ERROR".into(),
            code.into(),
            message,
        ))))
    };
    if bytes.len() < width {
        return refuse(
            sqlstate::PROTOCOL_VIOLATION,
            "insufficient data left in message".into(),
        );
    }
    if bytes.len() > width {
        return refuse(
            sqlstate::INVALID_BINARY_REPRESENTATION,
            format!(
                "incorrect binary data format in bind parameter {}",
                index + 1
            ),
        );
    }
    Ok(())
}

/// uuid: 16 bytes; json: the text; jsonb: a version byte (1) and the text.
fn binary_to_text(bytes: &Bytes, ty: &Type, index: usize) -> PgWireResult<Bytes> {
    let bad = |what: &str| {
        PgWireError::UserError(Box::new(ErrorInfo::new(
            "ERROR".into(),
            sqlstate::INVALID_BINARY_REPRESENTATION.into(),
            format!("invalid binary {what} in parameter ${}", index + 1),
        )))
    };
    if *ty == Type::UUID {
        if bytes.len() != 16 {
            return Err(bad("uuid"));
        }
        let u = u128::from_be_bytes(bytes[..].try_into().expect("16 bytes"));
        let hex = format!("{u:032x}");
        return Ok(Bytes::from(format!(
            "{}-{}-{}-{}-{}",
            &hex[0..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..32]
        )));
    }
    let text = if *ty == Type::JSONB {
        match bytes.first() {
            Some(1) => bytes.slice(1..),
            _ => return Err(bad("jsonb (unknown version)")),
        }
    } else {
        bytes.clone()
    };
    std::str::from_utf8(&text).map_err(|_| bad("json (not UTF-8)"))?;
    Ok(text)
}
