//! Arithmetic that fails as PostgreSQL's does instead of giving a wrong number: integer `+`,
//! `-` and `*` that overflow raise 22003 (`integer out of range`) where DataFusion wraps
//! around (`32767::int2 + 1::int2` is -32768 there), and a float `/` or `%` by zero raises
//! 22012 where DataFusion answers `Infinity` or `NaN`; `ln`, `log` and `log10` of zero or of
//! a negative number raise 2201E where DataFusion answers `-Infinity` or `NaN`. Casts of text
//! go through `text_input`'s checks on the way.
//!
//! An analyzer rule, after DataFusion's type coercion, turns those operators into calls of
//! the checked functions here, which run Arrow's checked kernels. It runs before constant
//! folding, so a constant expression that overflows fails too rather than being folded into
//! the wrapped value. The output names stay those of the operators (`a + b`).

use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::{Array, ArrayRef, Scalar, new_null_array};
use datafusion::arrow::compute::kernels::{cmp, numeric};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{DFSchema, Result, ScalarValue};
use datafusion::error::DataFusionError;
use datafusion::logical_expr::expr_rewriter::NamePreserver;
use datafusion::logical_expr::utils::merge_schema;
use datafusion::logical_expr::{
    BinaryExpr, ColumnarValue, Expr, ExprSchemable, LogicalPlan, Operator, ScalarFunctionArgs,
    ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use datafusion::optimizer::AnalyzerRule;

use crate::error::{EngineError, sqlstate};

/// Which checked operation a function runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Op {
    Add,
    Subtract,
    Multiply,
    FloatDivide,
    FloatModulo,
}

impl Op {
    fn of(op: Operator, left: &DataType, right: &DataType) -> Option<Op> {
        let integers =
            |t: &DataType| matches!(t, DataType::Int16 | DataType::Int32 | DataType::Int64);
        let floats = |t: &DataType| matches!(t, DataType::Float32 | DataType::Float64);
        if left != right {
            return None;
        }
        match op {
            Operator::Plus if integers(left) => Some(Op::Add),
            Operator::Minus if integers(left) => Some(Op::Subtract),
            Operator::Multiply if integers(left) => Some(Op::Multiply),
            Operator::Divide if floats(left) => Some(Op::FloatDivide),
            Operator::Modulo if floats(left) => Some(Op::FloatModulo),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Op::Add => "aloe_checked_add",
            Op::Subtract => "aloe_checked_subtract",
            Op::Multiply => "aloe_checked_multiply",
            Op::FloatDivide => "aloe_checked_float_divide",
            Op::FloatModulo => "aloe_checked_float_modulo",
        }
    }
}

/// One checked operator as a scalar function of two arguments of one type.
#[derive(Debug, PartialEq, Eq, Hash)]
struct Checked {
    op: Op,
    signature: Signature,
}

fn out_of_range(data_type: &DataType) -> DataFusionError {
    let name = match data_type {
        DataType::Int16 => "smallint",
        DataType::Int32 => "integer",
        _ => "bigint",
    };
    DataFusionError::External(Box::new(EngineError::new(
        sqlstate::NUMERIC_VALUE_OUT_OF_RANGE,
        format!("{name} out of range"),
    )))
}

fn division_by_zero() -> DataFusionError {
    DataFusionError::External(Box::new(EngineError::new(
        sqlstate::DIVISION_BY_ZERO,
        "division by zero",
    )))
}

impl ScalarUDFImpl for Checked {
    fn name(&self) -> &str {
        self.op.name()
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, args: &[DataType]) -> Result<DataType> {
        Ok(args[0].clone())
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let scalar = args
            .args
            .iter()
            .all(|a| matches!(a, ColumnarValue::Scalar(_)));
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let (left, right) = (&arrays[0], &arrays[1]);
        let data_type = left.data_type().clone();
        let result: ArrayRef = match self.op {
            Op::Add => numeric::add(left, right).map_err(|_| out_of_range(&data_type))?,
            Op::Subtract => numeric::sub(left, right).map_err(|_| out_of_range(&data_type))?,
            Op::Multiply => numeric::mul(left, right).map_err(|_| out_of_range(&data_type))?,
            Op::FloatDivide | Op::FloatModulo => {
                let zero = ScalarValue::new_zero(&data_type)?.to_array()?;
                let zeros = cmp::eq(right, &Scalar::new(zero))?;
                if zeros.true_count() > 0 {
                    return Err(division_by_zero());
                }
                if right.is_empty() {
                    new_null_array(&data_type, 0)
                } else if self.op == Op::FloatDivide {
                    numeric::div(left, right)?
                } else {
                    numeric::rem(left, right)?
                }
            }
        };
        Ok(if scalar {
            ColumnarValue::Scalar(ScalarValue::try_from_array(&result, 0)?)
        } else {
            ColumnarValue::Array(result)
        })
    }
}

static FUNCTIONS: LazyLock<Vec<Arc<ScalarUDF>>> = LazyLock::new(|| {
    [
        Op::Add,
        Op::Subtract,
        Op::Multiply,
        Op::FloatDivide,
        Op::FloatModulo,
    ]
    .into_iter()
    .map(|op| {
        Arc::new(ScalarUDF::new_from_impl(Checked {
            op,
            signature: Signature::any(2, Volatility::Immutable),
        }))
    })
    .collect()
});

fn function(op: Op) -> Arc<ScalarUDF> {
    FUNCTIONS
        .iter()
        .find(|f| f.name() == op.name())
        .expect("every op has a function")
        .clone()
}

/// The functions whose arguments must be positive, as PostgreSQL's logarithms check them.
const LOGARITHMS: &[&str] = &["ln", "log", "log10"];

/// `aloe_log_argument(x)`: `x` itself, once every value of it is known to be positive (or
/// NULL); 2201E otherwise, with PostgreSQL's message.
fn positive(array: &ArrayRef, _: &[ColumnarValue]) -> Result<()> {
    if array.data_type().is_numeric() && !array.is_empty() {
        let zero = Scalar::new(ScalarValue::new_zero(array.data_type())?.to_array()?);
        let refuse = |message: &str| {
            DataFusionError::External(Box::new(EngineError::new(
                sqlstate::INVALID_ARGUMENT_FOR_LOG,
                message,
            )))
        };
        if cmp::eq(array, &zero)?.true_count() > 0 {
            return Err(refuse("cannot take logarithm of zero"));
        }
        if cmp::lt(array, &zero)?.true_count() > 0 {
            return Err(refuse("cannot take logarithm of a negative number"));
        }
    }
    Ok(())
}

static LOG_ARGUMENT: LazyLock<Arc<ScalarUDF>> =
    LazyLock::new(|| super::argument_check::udf("aloe_log_argument", 1, positive));

/// The analyzer rule: checked operators in place of DataFusion's wrapping ones.
#[derive(Debug, Default)]
pub struct CheckedArithmetic;

fn rewrite_expr(expr: Expr, schema: &DFSchema, zone: Option<&str>) -> Result<Transformed<Expr>> {
    expr.transform_up(|e| {
        if let Expr::ScalarFunction(f) = &e
            && LOGARITHMS.contains(&f.func.name())
        {
            let Expr::ScalarFunction(mut f) = e else {
                unreachable!("matched above")
            };
            f.args = f
                .args
                .into_iter()
                .map(|a| LOG_ARGUMENT.call(vec![a]))
                .collect();
            return Ok(Transformed::yes(Expr::ScalarFunction(f)));
        }
        if let Expr::Cast(cast) = e {
            if let Some(kept) = super::text_output::written(&cast, schema, zone)
                .or_else(|| super::infinity_casts::kept(&cast, schema))
            {
                return Ok(Transformed::yes(kept));
            }
            return Ok(super::text_input::checked(cast, schema));
        }
        let Expr::BinaryExpr(BinaryExpr { left, op, right }) = &e else {
            return Ok(Transformed::no(e));
        };
        let (Ok(l), Ok(r)) = (left.get_type(schema), right.get_type(schema)) else {
            return Ok(Transformed::no(e));
        };
        match Op::of(*op, &l, &r) {
            Some(checked) => {
                let Expr::BinaryExpr(BinaryExpr { left, right, .. }) = e else {
                    unreachable!("matched above")
                };
                Ok(Transformed::yes(
                    function(checked).call(vec![*left, *right]),
                ))
            }
            None => Ok(Transformed::no(e)),
        }
    })
}

impl AnalyzerRule for CheckedArithmetic {
    fn name(&self) -> &str {
        "aloe_checked_arithmetic"
    }

    fn analyze(&self, plan: LogicalPlan, config: &ConfigOptions) -> Result<LogicalPlan> {
        let zone = config.execution.time_zone.as_deref();
        plan.transform_up_with_subqueries(|plan| {
            let mut schema = merge_schema(&plan.inputs());
            if let LogicalPlan::TableScan(ts) = &plan {
                schema.merge(&DFSchema::try_from_qualified_schema(
                    ts.table_name.clone(),
                    &ts.source.schema(),
                )?);
            }
            let names = NamePreserver::new(&plan);
            let rewritten = plan.map_expressions(|expr| {
                let name = names.save(&expr);
                rewrite_expr(expr, &schema, zone).map(|t| t.update_data(|e| name.restore(e)))
            })?;
            if rewritten.transformed {
                rewritten.map_data(|p| p.recompute_schema())
            } else {
                Ok(rewritten)
            }
        })
        .map(|t| t.data)
    }
}
