//! A subquery in a grouped query's `HAVING` or select list may read the outer query's
//! grouped columns only, as PostgreSQL checks (42803, `subquery uses ungrouped column "t.b"
//! from outer query`): there is no one value of an ungrouped column per group. DataFusion
//! plans such a reference and only fails to run it, with a message about its own plan.

use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
use datafusion::common::{DFSchema, Result};
use datafusion::error::DataFusionError;
use datafusion::logical_expr::{Expr, LogicalPlan};

use crate::error::{EngineError, sqlstate};

/// The grouped output a node's expressions read, through the HAVING filters above it.
fn grouped_input(node: &LogicalPlan) -> Option<&DFSchema> {
    let mut input = match node {
        LogicalPlan::Filter(f) => f.input.as_ref(),
        LogicalPlan::Projection(p) => p.input.as_ref(),
        _ => return None,
    };
    while let LogicalPlan::Filter(f) = input {
        input = f.input.as_ref();
    }
    match input {
        LogicalPlan::Aggregate(a) => Some(a.schema.as_ref()),
        _ => None,
    }
}

/// Fails with 42803 where a subquery above a grouping reads an outer column it does not
/// group by.
pub fn check(plan: &LogicalPlan) -> Result<()> {
    plan.apply_with_subqueries(|node| {
        let Some(grouped) = grouped_input(node) else {
            return Ok(TreeNodeRecursion::Continue);
        };
        for expr in node.expressions() {
            expr.apply(|e| {
                let subquery = match e {
                    Expr::ScalarSubquery(s) => s,
                    Expr::Exists(x) => &x.subquery,
                    Expr::InSubquery(i) => &i.subquery,
                    Expr::SetComparison(c) => &c.subquery,
                    _ => return Ok(TreeNodeRecursion::Continue),
                };
                for outer in &subquery.outer_ref_columns {
                    if let Expr::OuterReferenceColumn(_, column) = outer
                        && !grouped.has_column(column)
                    {
                        // PostgreSQL names the column by its table alone: "t.b".
                        let name = match &column.relation {
                            Some(table) => format!("{}.{}", table.table(), column.name),
                            None => column.name.clone(),
                        };
                        return Err(DataFusionError::External(Box::new(EngineError::new(
                            sqlstate::GROUPING_ERROR,
                            format!("subquery uses ungrouped column \"{name}\" from outer query"),
                        ))));
                    }
                }
                Ok(TreeNodeRecursion::Continue)
            })?;
        }
        Ok(TreeNodeRecursion::Continue)
    })
    .map(|_| ())
}
