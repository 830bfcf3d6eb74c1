//! Integer constants typed as PostgreSQL types them: a literal that fits in 32 bits is an
//! `integer`, a larger one a `bigint`. DataFusion's parser makes every integer literal an
//! Int64, so `2147483647 + 1` answered 2147483648 where PostgreSQL raises 22003, and `SELECT 1`
//! was described to clients as int8 where PostgreSQL says int4.
//!
//! An analyzer rule, before DataFusion's type coercion, narrows those literals; coercion then
//! widens them again wherever the other operand is wider (`bigint_column + 1` stays bigint,
//! as in PostgreSQL). Some plan parts are left alone because DataFusion reads them as Int64:
//! LIMIT and OFFSET, and the arguments of aggregate and window
//! functions, where `count(*)` is planned as `count(Int64(1))` and recognised by that value.

use datafusion::common::config::ConfigOptions;
use datafusion::common::metadata::ScalarAndMetadata;
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::common::{ParamValues, Result, ScalarValue};
use datafusion::logical_expr::expr_rewriter::NamePreserver;
use datafusion::logical_expr::{Expr, LogicalPlan, LogicalPlanBuilder, Values};
use datafusion::optimizer::AnalyzerRule;

/// The analyzer rule that types integer literals as `integer` when they fit in 32 bits.
#[derive(Debug, Default)]
pub struct IntegerLiterals;

/// Marks bound parameter values so that the rule leaves them at the type the statement gave
/// its parameters: DataFusion substitutes them as plain literals, and a bigint parameter
/// holding 5 must stay a bigint. The mark is empty metadata, which adds nothing to a field.
pub fn parameters_kept(params: ParamValues) -> ParamValues {
    let mark = |value: ScalarAndMetadata| {
        let (value, metadata) = value.into_inner();
        ScalarAndMetadata::new(value, Some(metadata.unwrap_or_default()))
    };
    match params {
        ParamValues::List(values) => ParamValues::List(values.into_iter().map(mark).collect()),
        ParamValues::Map(values) => {
            ParamValues::Map(values.into_iter().map(|(k, v)| (k, mark(v))).collect())
        }
    }
}

/// The name of DataFusion's type coercion rule, which this one must run before.
pub const BEFORE: &str = "type_coercion";

fn narrow(expr: Expr) -> Result<Transformed<Expr>> {
    expr.transform_down(|expr| match expr {
        Expr::Literal(ScalarValue::Int64(Some(value)), None) => match i32::try_from(value) {
            Ok(narrow) => Ok(Transformed::yes(Expr::Literal(
                ScalarValue::Int32(Some(narrow)),
                None,
            ))),
            Err(_) => Ok(Transformed::no(Expr::Literal(
                ScalarValue::Int64(Some(value)),
                None,
            ))),
        },
        Expr::AggregateFunction(_) | Expr::WindowFunction(_) => {
            Ok(Transformed::new(expr, false, TreeNodeRecursion::Jump))
        }
        other => Ok(Transformed::no(other)),
    })
}

/// VALUES rows with their literals narrowed, planned again: their schema is fixed when they
/// are planned, and recomputing it keeps the old types.
fn values_narrowed(values: Values) -> Result<Transformed<LogicalPlan>> {
    let mut changed = false;
    let rows = values
        .values
        .iter()
        .map(|row| {
            row.iter()
                .map(|expr| {
                    let narrowed = narrow(expr.clone())?;
                    changed |= narrowed.transformed;
                    Ok(narrowed.data)
                })
                .collect::<Result<Vec<_>>>()
        })
        .collect::<Result<Vec<_>>>()?;
    if !changed {
        return Ok(Transformed::no(LogicalPlan::Values(values)));
    }
    LogicalPlanBuilder::values(rows)?
        .build()
        .map(Transformed::yes)
}

impl AnalyzerRule for IntegerLiterals {
    fn name(&self) -> &str {
        "aloe_integer_literals"
    }

    fn analyze(&self, plan: LogicalPlan, _config: &ConfigOptions) -> Result<LogicalPlan> {
        plan.transform_up_with_subqueries(|plan| {
            // A node whose own expressions stay takes its input's new types all the same.
            let rewritten = if let LogicalPlan::Values(values) = plan {
                values_narrowed(values)?
            } else if matches!(plan, LogicalPlan::Limit(_) | LogicalPlan::Extension(_)) {
                Transformed::no(plan)
            } else {
                let names = NamePreserver::new(&plan);
                plan.map_expressions(|expr| {
                    let name = names.save(&expr);
                    narrow(expr).map(|t| t.update_data(|e| name.restore(e)))
                })?
            };
            rewritten.map_data(|p| p.recompute_schema())
        })
        .map(|t| t.data)
    }
}
