//! `information_schema._pg_expandarray(array)`: PostgreSQL's set-returning function that
//! gives each element with its position as `(x, n)`. pgjdbc's getPrimaryKeys calls it in a
//! select list. Aloe plans it as `unnest(aloe_expand_array(array))`, where the scalar
//! `aloe_expand_array` turns the array into an array of `{x, n}` structs: the same rows.

use std::ops::ControlFlow;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, Int32Array, ListArray, StructArray};
use datafusion::arrow::buffer::OffsetBuffer;
use datafusion::arrow::datatypes::{DataType, Field, Fields};
use datafusion::common::{exec_err, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use datafusion::sql::sqlparser::ast::{Expr, Statement, VisitMut, VisitorMut};

use crate::sql::call::call;

/// The scalar half of the rewrite.
pub const FUNCTION: &str = "aloe_expand_array";

struct Visitor;

impl VisitorMut for Visitor {
    type Break = ();

    fn pre_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        if let Some((name, args)) = crate::sql::call::called(expr)
            && name.ends_with("_pg_expandarray")
            && let [arg] = args.as_slice()
        {
            let arg = (*arg).clone();
            *expr = Expr::Nested(Box::new(call("unnest", vec![call(FUNCTION, vec![arg])])));
        }
        ControlFlow::Continue(())
    }
}

/// Rewrites `_pg_expandarray(a)` to `unnest(aloe_expand_array(a))`.
pub fn rewrite(statement: &mut Statement) {
    let _ = statement.visit(&mut Visitor);
}

/// `aloe_expand_array(list)`: each list becomes a list of `{x: element, n: position}`.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct ExpandArray {
    /// One list argument.
    signature: Signature,
}

impl ExpandArray {
    /// The function, ready to register.
    pub fn udf() -> ScalarUDF {
        ScalarUDF::from(ExpandArray {
            signature: Signature::any(1, Volatility::Immutable),
        })
    }
}

fn fields(element: &DataType) -> Fields {
    Fields::from(vec![
        Field::new("x", element.clone(), true),
        Field::new("n", DataType::Int32, false),
    ])
}

impl ScalarUDFImpl for ExpandArray {
    fn name(&self) -> &str {
        FUNCTION
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> datafusion::error::Result<DataType> {
        match &arg_types[0] {
            DataType::List(f) => Ok(DataType::List(Arc::new(Field::new_list_field(
                DataType::Struct(fields(f.data_type())),
                true,
            )))),
            other => plan_err!("_pg_expandarray needs an array, not {other}"),
        }
    }

    fn invoke_with_args(
        &self,
        args: ScalarFunctionArgs,
    ) -> datafusion::error::Result<ColumnarValue> {
        let array = args.args[0].to_array(args.number_rows)?;
        let Some(lists) = array.as_any().downcast_ref::<ListArray>() else {
            return exec_err!("_pg_expandarray needs an array");
        };
        let element = lists.value_type();
        let offsets = lists.offsets();
        let positions: Int32Array = (0..lists.len())
            .flat_map(|i| {
                let len = offsets[i + 1] - offsets[i];
                1..=len
            })
            .map(Some)
            .collect();
        let start = offsets[0] as usize;
        let end = offsets[lists.len()] as usize;
        let values = lists.values().slice(start, end - start);
        let structs = StructArray::try_new(
            fields(&element),
            vec![values, Arc::new(positions) as ArrayRef],
            None,
        )?;
        let rebased: Vec<i32> = offsets.iter().map(|o| o - offsets[0]).collect();
        let out = ListArray::try_new(
            Arc::new(Field::new_list_field(
                DataType::Struct(fields(&element)),
                true,
            )),
            OffsetBuffer::new(rebased.into()),
            Arc::new(structs),
            lists.nulls().cloned(),
        )?;
        Ok(ColumnarValue::Array(Arc::new(out)))
    }
}
