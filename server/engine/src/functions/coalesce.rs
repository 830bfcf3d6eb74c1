//! `coalesce` that also takes both of Arrow's bytea kinds at once: Binary (a `bytea` cast
//! or parameter) and BinaryView (what the lake's Parquet reader gives a bytea column).
//! DataFusion's own finds no common type for the two, so `coalesce($1, bytea_column)`
//! failed where PostgreSQL answers; here the Binary arguments become BinaryView. Everything
//! else is DataFusion's coalesce.

use datafusion::arrow::datatypes::{DataType, FieldRef};
use datafusion::common::Result;
use datafusion::functions::core::coalesce::CoalesceFunc;
use datafusion::logical_expr::simplify::{ExprSimplifyResult, SimplifyContext};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, Expr, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDFImpl,
    Signature,
};

/// DataFusion's coalesce with Binary and BinaryView brought to BinaryView.
#[derive(Debug, Default, PartialEq, Eq, Hash)]
pub struct Coalesce {
    inner: CoalesceFunc,
}

impl ScalarUDFImpl for Coalesce {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn signature(&self) -> &Signature {
        self.inner.signature()
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        self.inner.return_type(arg_types)
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        self.inner.return_field_from_args(args)
    }

    fn simplify(&self, args: Vec<Expr>, info: &SimplifyContext) -> Result<ExprSimplifyResult> {
        self.inner.simplify(args, info)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        self.inner.invoke_with_args(args)
    }

    fn conditional_arguments<'a>(
        &self,
        args: &'a [Expr],
    ) -> Option<(Vec<&'a Expr>, Vec<&'a Expr>)> {
        self.inner.conditional_arguments(args)
    }

    fn short_circuits(&self) -> bool {
        self.inner.short_circuits()
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let binary = |t: &DataType| {
            matches!(
                t,
                DataType::Binary | DataType::LargeBinary | DataType::BinaryView
            )
        };
        let views = arg_types.contains(&DataType::BinaryView);
        if views && arg_types.iter().all(|t| binary(t) || t.is_null()) {
            return Ok(arg_types
                .iter()
                .map(|t| {
                    if t.is_null() {
                        t.clone()
                    } else {
                        DataType::BinaryView
                    }
                })
                .collect());
        }
        self.inner.coerce_types(arg_types)
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.inner.documentation()
    }
}
