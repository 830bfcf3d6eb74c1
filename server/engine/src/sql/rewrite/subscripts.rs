//! `generate_subscripts(array, dim[, reverse])`: PostgreSQL's set-returning function that gives
//! the subscripts of an array's dimension `dim`, one row each. SQLAlchemy's inspector calls it
//! in a select list beside `unnest(indkey)` to number an index's or a key's columns. Aloe plans
//! it as `unnest(aloe_subscripts(array, dim, reverse))`, where the scalar `aloe_subscripts`
//! gives the list of subscripts, so that the two zip row by row as PostgreSQL's SRFs do.
//! In FROM, `from_functions` has already made it a derived table's select item.

use std::ops::ControlFlow;
use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, Int32Array, ListArray};
use datafusion::arrow::buffer::{NullBuffer, OffsetBuffer};
use datafusion::arrow::datatypes::{DataType, Field, Int64Type};
use datafusion::error::DataFusionError;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use datafusion::sql::sqlparser::ast::{Expr, Query, Statement, VisitMut, VisitorMut};

use crate::error::{EngineError, sqlstate};
use crate::sql::call::call;

/// The scalar half of the rewrite.
pub const FUNCTION: &str = "aloe_subscripts";

/// PostgreSQL's name for the function, and so for its unaliased output column.
const NAME: &str = "generate_subscripts";

/// The arguments of a `generate_subscripts` call, if `expr` is one.
fn arguments(expr: &Expr) -> Option<Vec<Expr>> {
    let (name, args) = crate::sql::call::called(expr)?;
    (name == NAME && matches!(args.len(), 2 | 3)).then(|| args.into_iter().cloned().collect())
}

struct Visitor;

impl VisitorMut for Visitor {
    type Break = ();

    fn pre_visit_query(&mut self, query: &mut Query) -> ControlFlow<()> {
        // The rewritten form would be named `unnest`.
        crate::sql::rewrite::names::alias_calls(query.body.as_mut(), &[NAME]);
        ControlFlow::Continue(())
    }

    fn pre_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        if let Some(args) = arguments(expr) {
            *expr = Expr::Nested(Box::new(call("unnest", vec![call(FUNCTION, args)])));
        }
        ControlFlow::Continue(())
    }
}

/// Rewrites `generate_subscripts(a, dim[, reverse])` to `unnest(aloe_subscripts(...))`.
pub fn rewrite(statement: &mut Statement) {
    let _ = statement.visit(&mut Visitor);
}

/// `aloe_subscripts(list, dim[, reverse])`: the subscripts `1..=len` of each list (descending
/// when `reverse`), for `dim` 1. Aloe's arrays are one-dimensional, so any other `dim` has no
/// subscripts, and a NULL array or dimension gives NULL: no rows once unnested, as in
/// PostgreSQL.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Subscripts {
    /// An array, a dimension and an optional direction.
    signature: Signature,
}

impl Subscripts {
    /// The function, ready to register.
    pub fn udf() -> ScalarUDF {
        ScalarUDF::from(Subscripts {
            signature: Signature::one_of(
                vec![
                    datafusion::logical_expr::TypeSignature::Any(2),
                    datafusion::logical_expr::TypeSignature::Any(3),
                ],
                Volatility::Immutable,
            ),
        })
    }
}

impl ScalarUDFImpl for Subscripts {
    fn name(&self) -> &str {
        FUNCTION
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> datafusion::error::Result<DataType> {
        match &arg_types[0] {
            DataType::List(_)
            | DataType::LargeList(_)
            | DataType::FixedSizeList(..)
            | DataType::Null => Ok(DataType::List(Arc::new(Field::new_list_field(
                DataType::Int32,
                true,
            )))),
            other => Err(DataFusionError::External(Box::new(EngineError::new(
                sqlstate::UNDEFINED_FUNCTION,
                format!(
                    "function generate_subscripts({other}, ...) does not exist: it takes an array"
                ),
            )))),
        }
    }

    fn invoke_with_args(
        &self,
        args: ScalarFunctionArgs,
    ) -> datafusion::error::Result<ColumnarValue> {
        let rows = args.number_rows;
        let array = args.args[0].to_array(rows)?;
        // Each row's length, None for a NULL array.
        let lengths: Vec<Option<i32>> = match array.data_type() {
            DataType::List(_) => {
                let l = array.as_list::<i32>();
                (0..rows)
                    .map(|i| l.is_valid(i).then(|| l.value_length(i)))
                    .collect()
            }
            DataType::LargeList(_) => {
                let l = array.as_list::<i64>();
                (0..rows)
                    .map(|i| l.is_valid(i).then(|| l.value_length(i) as i32))
                    .collect()
            }
            DataType::FixedSizeList(..) => {
                let l = array.as_fixed_size_list();
                (0..rows)
                    .map(|i| l.is_valid(i).then(|| l.value_length()))
                    .collect()
            }
            _ => vec![None; rows],
        };
        let dims =
            datafusion::arrow::compute::cast(&args.args[1].to_array(rows)?, &DataType::Int64)?;
        let dims = dims.as_primitive::<Int64Type>();
        let reverse = match args.args.get(2) {
            Some(r) => Some(datafusion::arrow::compute::cast(
                &r.to_array(rows)?,
                &DataType::Boolean,
            )?),
            None => None,
        };
        let mut offsets = Vec::with_capacity(rows + 1);
        offsets.push(0i32);
        let mut values: Vec<i32> = Vec::new();
        let mut valid = Vec::with_capacity(rows);
        for (i, length) in lengths.into_iter().enumerate() {
            let len = length.filter(|_| dims.is_valid(i));
            valid.push(len.is_some());
            if let Some(len) = len
                && dims.value(i) == 1
            {
                let descending = reverse
                    .as_ref()
                    .map(|r| r.as_boolean())
                    .is_some_and(|r| r.is_valid(i) && r.value(i));
                if descending {
                    values.extend((1..=len).rev());
                } else {
                    values.extend(1..=len);
                }
            }
            offsets.push(values.len() as i32);
        }
        let list = ListArray::try_new(
            Arc::new(Field::new_list_field(DataType::Int32, true)),
            OffsetBuffer::new(offsets.into()),
            Arc::new(Int32Array::from(values)),
            Some(NullBuffer::from(valid)),
        )?;
        Ok(ColumnarValue::Array(Arc::new(list)))
    }
}
