//! Correlated subqueries of every shape, answered as PostgreSQL answers them.
//!
//! DataFusion turns some correlated subqueries into joins: EXISTS and IN among a WHERE
//! clause's ANDed conditions, and aggregate scalar subqueries correlated by equalities. Others
//! it cannot run (a correlation by `<`, a subquery in the select list that is an EXISTS or an
//! IN, one that is not an aggregate, a subquery nested in another that reads both outer
//! levels), and a correlated NOT IN it answers wrongly (a NULL anywhere in the subquery's
//! column, not only among the rows of the outer row's own correlation, empties the result).
//!
//! This analyzer rule takes those. For each it builds the domain (the distinct values of the
//! outer columns the subquery reads, [`domain`]), evaluates the subquery once for all of them,
//! and left-joins that back to the outer rows on the domain columns (NULL matching NULL):
//! - a scalar subquery gives one value per domain row (an aggregate's value over no rows
//!   when none match, so `count(*)` is 0; otherwise [`single_row`]'s, which raises 21000 on a
//!   second row);
//! - EXISTS is whether the domain row has any;
//! - IN, NOT IN, ANY and ALL keep SQL's three values from three per-domain flags: some
//!   comparison true, some false, some NULL.
//!
//! An analyzer rule rather than an optimizer rule because DataFusion's analyzer refuses some
//! of these shapes (a scalar subquery that is not an aggregate) before any optimizer rule sees
//! them; it runs after type coercion, so the comparisons it builds are between equal types.
//! Subqueries are rewritten innermost first, so one nested two levels deep is a join by the
//! time its parent is rewritten. A shape the rewrite does not know is left as it was and fails
//! with 0A000 as before.

pub mod domain;
pub mod single_row;
pub mod ungrouped;

use std::ops::Not;
use std::sync::Arc;

use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::common::{Column, Result, ScalarValue};
use datafusion::functions_aggregate::expr_fn::bool_or;
use datafusion::logical_expr::expr::{Exists, InSubquery, SetComparison, SetQuantifier};
use datafusion::logical_expr::expr_rewriter::NamePreserver;
use datafusion::logical_expr::utils::{conjunction, split_conjunction, split_conjunction_owned};
use datafusion::logical_expr::{
    Aggregate, BinaryExpr, Expr, Filter, Join, JoinType, LogicalPlan, LogicalPlanBuilder, Operator,
    Projection, Subquery, lit, when,
};
use datafusion::optimizer::AnalyzerRule;

use domain::{Domain, Pushed, fresh, push};

/// The analyzer rule; see the module's documentation.
#[derive(Debug, Default)]
pub struct DecorrelateSubqueries;

impl AnalyzerRule for DecorrelateSubqueries {
    fn analyze(&self, plan: LogicalPlan, _: &ConfigOptions) -> Result<LogicalPlan> {
        if !has_subqueries(&plan) {
            return Ok(plan);
        }
        ungrouped::check(&plan)?;
        plan.transform_up_with_subqueries(rewrite_node)
            .map(|t| t.data)
    }

    fn name(&self) -> &str {
        "aloe_decorrelate_subqueries"
    }
}

fn is_subquery(e: &Expr) -> bool {
    matches!(
        e,
        Expr::ScalarSubquery(_) | Expr::Exists(_) | Expr::InSubquery(_) | Expr::SetComparison(_)
    )
}

fn expr_has_subquery(e: &Expr) -> bool {
    e.exists(|e| Ok(is_subquery(e))).unwrap_or(false)
}

fn has_subqueries(plan: &LogicalPlan) -> bool {
    plan.exists(|node| Ok(node.expressions().iter().any(expr_has_subquery)))
        .unwrap_or(true)
}

fn rewrite_node(node: LogicalPlan) -> Result<Transformed<LogicalPlan>> {
    match node {
        // Rewriting a nested subquery can move its outer references up into this one's plan.
        LogicalPlan::Subquery(s) => {
            let refs = s.subquery.all_out_ref_exprs();
            if refs == s.outer_ref_columns {
                Ok(Transformed::no(LogicalPlan::Subquery(s)))
            } else {
                Ok(Transformed::yes(LogicalPlan::Subquery(Subquery {
                    outer_ref_columns: refs,
                    ..s
                })))
            }
        }
        LogicalPlan::Filter(f) if expr_has_subquery(&f.predicate) => rewrite_filter(f),
        LogicalPlan::Projection(p) if p.expr.iter().any(expr_has_subquery) => rewrite_projection(p),
        LogicalPlan::Aggregate(a)
            if a.group_expr
                .iter()
                .chain(&a.aggr_expr)
                .any(expr_has_subquery) =>
        {
            rewrite_aggregate(a)
        }
        LogicalPlan::Join(j) if j.filter.as_ref().is_some_and(expr_has_subquery) => {
            rewrite_join_condition(j)
        }
        other => Ok(Transformed::no(other)),
    }
}

/// A subquery in an inner join's ON condition is the same condition in a WHERE above the
/// join. In an outer join's it is not (it decides which rows are padded with NULLs); those are
/// left to DataFusion, which plans the uncorrelated ones (pgjdbc's catalog queries send them).
fn rewrite_join_condition(mut j: Join) -> Result<Transformed<LogicalPlan>> {
    if j.join_type != JoinType::Inner {
        return Ok(Transformed::no(LogicalPlan::Join(j)));
    }
    let Some(condition) = j.filter.take() else {
        return Ok(Transformed::no(LogicalPlan::Join(j)));
    };
    let join = LogicalPlan::Join(Join::try_new(
        j.left,
        j.right,
        j.on,
        None,
        j.join_type,
        j.join_constraint,
        j.null_equality,
        j.null_aware,
    )?);
    let filter = Filter::try_new(condition, Arc::new(join))?;
    match rewrite_filter(filter)? {
        t if t.transformed => Ok(t),
        t => Ok(Transformed::yes(t.data)),
    }
}

fn rewrite_filter(f: Filter) -> Result<Transformed<LogicalPlan>> {
    let mut outer = Outer::new(f.input.clone());
    let mut conjuncts = Vec::new();
    for c in split_conjunction_owned(f.predicate.clone()) {
        conjuncts.push(outer.replace(c, true)?);
    }
    if !outer.changed {
        return Ok(Transformed::no(LogicalPlan::Filter(f)));
    }
    let Some(predicate) = conjunction(conjuncts) else {
        return Ok(Transformed::no(LogicalPlan::Filter(f)));
    };
    let shown = f.input.schema().columns().into_iter().map(Expr::Column);
    let plan = LogicalPlanBuilder::from(outer.plan)
        .filter(predicate)?
        .project(shown)?
        .build()?;
    Ok(Transformed::yes(plan))
}

fn rewrite_projection(p: Projection) -> Result<Transformed<LogicalPlan>> {
    let mut outer = Outer::new(p.input.clone());
    let mut exprs = Vec::with_capacity(p.expr.len());
    for e in &p.expr {
        let saved = NamePreserver::new_for_projection().save(e);
        exprs.push(saved.restore(outer.replace(e.clone(), false)?));
    }
    if !outer.changed {
        return Ok(Transformed::no(LogicalPlan::Projection(p)));
    }
    let plan = LogicalPlan::Projection(Projection::try_new(exprs, Arc::new(outer.plan))?);
    Ok(Transformed::yes(plan))
}

/// A subquery in an aggregate's argument or grouping key: its answers are joined to the rows
/// being aggregated.
fn rewrite_aggregate(a: Aggregate) -> Result<Transformed<LogicalPlan>> {
    let mut outer = Outer::new(a.input.clone());
    // DataFusion decorrelates scalar subqueries in projections and filters only.
    outer.in_aggregate = true;
    let named = |es: &[Expr], outer: &mut Outer| -> Result<Vec<Expr>> {
        es.iter()
            .map(|e| {
                let saved = NamePreserver::new_for_projection().save(e);
                Ok(saved.restore(outer.replace(e.clone(), false)?))
            })
            .collect()
    };
    let group = named(&a.group_expr, &mut outer)?;
    let aggr = named(&a.aggr_expr, &mut outer)?;
    if !outer.changed {
        return Ok(Transformed::no(LogicalPlan::Aggregate(a)));
    }
    let plan = LogicalPlan::Aggregate(Aggregate::try_new(Arc::new(outer.plan), group, aggr)?);
    Ok(Transformed::yes(plan))
}

/// The rows a filter, projection or aggregate reads, with the subqueries' answers joined on as they are
/// rewritten.
struct Outer {
    /// The node's input as it was: the domains are taken from it.
    input: Arc<LogicalPlan>,
    /// The input with every rewritten subquery's answers left-joined to it.
    plan: LogicalPlan,
    changed: bool,
    /// The node is an aggregate, whose subqueries DataFusion's own rules never reach.
    in_aggregate: bool,
}

impl Outer {
    fn new(input: Arc<LogicalPlan>) -> Self {
        Self {
            plan: input.as_ref().clone(),
            input,
            changed: false,
            in_aggregate: false,
        }
    }

    /// `e` with the subqueries this rule takes replaced by the columns of their answers;
    /// `conjunct` when `e` is one of a WHERE clause's ANDed conditions.
    fn replace(&mut self, e: Expr, conjunct: bool) -> Result<Expr> {
        let mut top = conjunct;
        e.transform_down(|e| {
            let at_top = std::mem::take(&mut top);
            if !is_subquery(&e) || !self.takes(&e, at_top) {
                return Ok(Transformed::no(e));
            }
            match self.answer(&e)? {
                Some(new) => Ok(Transformed::new(new, true, TreeNodeRecursion::Jump)),
                None => Ok(Transformed::no(e)),
            }
        })
        .map(|t| t.data)
    }

    /// Whether this rule rather than DataFusion's own decorrelation answers `e`.
    fn takes(&self, e: &Expr, conjunct: bool) -> bool {
        let schema = self.input.schema();
        let judge = |s: &Subquery| {
            let refs = outer_columns(&s.subquery);
            let correlated = !refs.is_empty();
            let simple =
                !contains_subquery(&s.subquery) && refs.iter().all(|c| schema.has_column(c));
            (correlated, simple)
        };
        match e {
            Expr::ScalarSubquery(s) => {
                let (correlated, simple) = judge(s);
                correlated
                    && (self.in_aggregate || !(simple && datafusion_scalar_form(&s.subquery)))
            }
            Expr::Exists(Exists { subquery, .. }) => {
                let (correlated, simple) = judge(subquery);
                !(conjunct
                    && (!correlated || simple && filters_over_uncorrelated(&subquery.subquery)))
            }
            Expr::InSubquery(InSubquery {
                subquery, negated, ..
            }) => {
                let (correlated, simple) = judge(subquery);
                let datafusion_answers = if *negated {
                    !correlated
                } else {
                    !correlated || simple && filters_over_uncorrelated(&subquery.subquery)
                };
                !(conjunct && datafusion_answers)
            }
            Expr::SetComparison(SetComparison { subquery, .. }) => {
                let (correlated, simple) = judge(subquery);
                !(conjunct
                    && (!correlated || simple && filters_over_uncorrelated(&subquery.subquery)))
            }
            _ => false,
        }
    }

    /// The expression standing for `e` over the joined answers, or `None` for a shape the
    /// rewrite does not know.
    fn answer(&mut self, e: &Expr) -> Result<Option<Expr>> {
        match e {
            Expr::ScalarSubquery(s) => self.scalar(s),
            Expr::Exists(Exists { subquery, negated }) => {
                let found = self.exists(subquery)?;
                Ok(found.map(|f| {
                    if *negated {
                        f.is_null()
                    } else {
                        f.is_not_null()
                    }
                }))
            }
            Expr::InSubquery(InSubquery {
                expr,
                subquery,
                negated,
            }) => {
                let any = self.quantified(expr, Operator::Eq, SetQuantifier::Any, subquery)?;
                Ok(any.map(|a| if *negated { a.not() } else { a }))
            }
            Expr::SetComparison(SetComparison {
                expr,
                subquery,
                op,
                quantifier,
            }) => self.quantified(expr, *op, *quantifier, subquery),
            _ => Ok(None),
        }
    }

    /// The domain of the outer columns `s` reads (and `extra`, a comparison's left side)
    /// among this node's input columns.
    fn domain(&self, s: &Subquery, extra: Vec<Column>) -> Result<Domain> {
        let schema = self.input.schema();
        let mut outer = Vec::new();
        for c in outer_columns(&s.subquery).into_iter().chain(extra) {
            if schema.has_column(&c) && !outer.contains(&c) {
                outer.push(c);
            }
        }
        Domain::over(&self.input, outer)
    }

    fn scalar(&mut self, s: &Subquery) -> Result<Option<Expr>> {
        let d = self.domain(s, vec![])?;
        let Some(p) = push(&s.subquery, &d)? else {
            return Ok(None);
        };
        let value = Expr::Column(Column::from(s.subquery.schema().qualified_field(0)));
        let v = fresh("v");
        let keys = key_names(&p);
        let grouped = keys_as(&p, &keys);
        let answers = if s.subquery.max_rows().is_some_and(|m| m <= 1) {
            let mut exprs = grouped;
            exprs.push(value.alias(&v));
            LogicalPlan::Projection(Projection::try_new(exprs, Arc::new(p.plan))?)
        } else {
            LogicalPlan::Aggregate(Aggregate::try_new(
                Arc::new(p.plan),
                grouped,
                vec![single_row::single_row(value).alias(&v)],
            )?)
        };
        self.attach(answers, &d, &keys)?;
        Ok(Some(Expr::Column(Column::from_name(v))))
    }

    fn exists(&mut self, s: &Subquery) -> Result<Option<Expr>> {
        let d = self.domain(s, vec![])?;
        let Some(p) = push(&s.subquery, &d)? else {
            return Ok(None);
        };
        let found = fresh("e");
        let keys = key_names(&p);
        let grouped = keys_as(&p, &keys);
        let builder = if grouped.is_empty() {
            LogicalPlanBuilder::from(p.plan).limit(0, Some(1))?
        } else {
            LogicalPlanBuilder::from(p.plan).aggregate(grouped, Vec::<Expr>::new())?
        };
        let mut shown: Vec<Expr> = keys
            .iter()
            .map(|k| Expr::Column(Column::from_name(k)))
            .collect();
        shown.push(lit(true).alias(&found));
        let answers = builder.project(shown)?.build()?;
        self.attach(answers, &d, &keys)?;
        Ok(Some(Expr::Column(Column::from_name(found))))
    }

    /// `left op ANY (s)` or `left op ALL (s)` (IN is `= ANY`) with SQL's NULL rules: over no
    /// rows ANY is false and ALL true; otherwise a decisive comparison (a true one for ANY, a
    /// false one for ALL) decides, and failing that a NULL comparison makes the answer NULL.
    fn quantified(
        &mut self,
        left: &Expr,
        op: Operator,
        quantifier: SetQuantifier,
        s: &Subquery,
    ) -> Result<Option<Expr>> {
        if expr_has_subquery(left) || left.contains_outer() {
            return Ok(None);
        }
        let left_columns: Vec<Column> = left.column_refs().into_iter().cloned().collect();
        let d = self.domain(s, left_columns)?;
        if left.column_refs().iter().any(|c| !d.outer.contains(c)) {
            return Ok(None);
        }
        let Some(p) = push(&s.subquery, &d)? else {
            return Ok(None);
        };
        let left = left
            .clone()
            .transform_up(|e| match &e {
                Expr::Column(c) => match d.outer.iter().position(|o| o == c) {
                    Some(i) => Ok(Transformed::yes(Expr::Column(p.columns[i].clone()))),
                    None => Ok(Transformed::no(e)),
                },
                _ => Ok(Transformed::no(e)),
            })?
            .data;
        let value = Expr::Column(Column::from(s.subquery.schema().qualified_field(0)));
        let compared = Expr::BinaryExpr(BinaryExpr::new(Box::new(left), op, Box::new(value)));
        let (t, f, n) = (fresh("t"), fresh("f"), fresh("n"));
        let keys = key_names(&p);
        let grouped = keys_as(&p, &keys);
        let answers = LogicalPlan::Aggregate(Aggregate::try_new(
            Arc::new(p.plan),
            grouped,
            vec![
                bool_or(compared.clone()).alias(&t),
                bool_or(compared.clone().not()).alias(&f),
                bool_or(compared.is_null()).alias(&n),
            ],
        )?);
        self.attach(answers, &d, &keys)?;
        let column = |name: &str| Expr::Column(Column::from_name(name));
        let unknown = lit(ScalarValue::Boolean(None));
        // `n` is never NULL for a domain row with rows, so a NULL `n` means no rows.
        let answer = match quantifier {
            SetQuantifier::Any => when(column(&n).is_null(), lit(false))
                .when(column(&t), lit(true))
                .when(column(&n), unknown)
                .otherwise(lit(false))?,
            SetQuantifier::All => when(column(&n).is_null(), lit(true))
                .when(column(&f), lit(false))
                .when(column(&n), unknown)
                .otherwise(lit(true))?,
        };
        Ok(Some(answer))
    }

    /// Left-joins a subquery's per-domain answers (keyed by `keys`, in the domain's order)
    /// to the outer rows, NULL matching NULL as the domain grouped them.
    fn attach(&mut self, answers: LogicalPlan, d: &Domain, keys: &[String]) -> Result<()> {
        let on = d
            .outer
            .iter()
            .zip(keys)
            .map(|(o, k)| (Expr::Column(o.clone()), Expr::Column(Column::from_name(k))))
            .collect();
        self.plan = domain::left_join_matching_nulls(Arc::new(self.plan.clone()), answers, on)?;
        self.changed = true;
        Ok(())
    }
}

/// Fresh names for a pushed plan's domain columns in the answers joined back.
fn key_names(p: &Pushed) -> Vec<String> {
    let base = fresh("k");
    (0..p.columns.len())
        .map(|i| format!("{base}_{i}"))
        .collect()
}

fn keys_as(p: &Pushed, keys: &[String]) -> Vec<Expr> {
    p.columns
        .iter()
        .zip(keys)
        .map(|(c, k)| Expr::Column(c.clone()).alias(k))
        .collect()
}

/// The outer columns a subquery's plan reads, nested subqueries' included.
fn outer_columns(plan: &LogicalPlan) -> Vec<Column> {
    let mut cols = Vec::new();
    let _ = plan.apply_with_subqueries(|node| {
        node.apply_expressions(|e| {
            e.apply(|e| {
                if let Expr::OuterReferenceColumn(_, c) = e
                    && !cols.contains(c)
                {
                    cols.push(c.clone());
                }
                Ok(TreeNodeRecursion::Continue)
            })
        })
    });
    cols
}

fn contains_subquery(plan: &LogicalPlan) -> bool {
    has_subqueries(plan)
}

fn reads_outer(plan: &LogicalPlan) -> bool {
    !outer_columns(plan).is_empty()
}

/// EXISTS or IN over filters that read outer columns above a plan that reads none: the shape
/// DataFusion's semi and anti joins answer correctly.
fn filters_over_uncorrelated(plan: &LogicalPlan) -> bool {
    match plan {
        LogicalPlan::Projection(p) => {
            !p.expr.iter().any(|e| e.contains_outer()) && filters_over_uncorrelated(&p.input)
        }
        LogicalPlan::SubqueryAlias(a) => filters_over_uncorrelated(&a.input),
        LogicalPlan::Filter(f) => filters_over_uncorrelated(&f.input),
        other => !reads_outer(other),
    }
}

/// An aggregate without GROUP BY over filters whose outer references are all equalities
/// (`inner = outer`): the scalar subquery DataFusion turns into a join itself, counting an
/// empty match as 0.
fn datafusion_scalar_form(plan: &LogicalPlan) -> bool {
    let mut node = plan;
    loop {
        match node {
            LogicalPlan::Projection(p) if !p.expr.iter().any(|e| e.contains_outer()) => {
                node = &p.input
            }
            LogicalPlan::SubqueryAlias(a) => node = &a.input,
            _ => break,
        }
    }
    let LogicalPlan::Aggregate(agg) = node else {
        return false;
    };
    if !agg.group_expr.is_empty()
        || agg.aggr_expr.is_empty()
        || agg.aggr_expr.iter().any(|e| e.contains_outer())
    {
        return false;
    }
    let mut node = agg.input.as_ref();
    while let LogicalPlan::Filter(f) = node {
        if !split_conjunction(&f.predicate)
            .into_iter()
            .all(|c| !c.contains_outer() || is_equality_correlation(c))
        {
            return false;
        }
        node = &f.input;
    }
    !reads_outer(node)
}

/// `inner = outer` with one side reading only outer columns and the other none.
fn is_equality_correlation(e: &Expr) -> bool {
    let Expr::BinaryExpr(BinaryExpr {
        left,
        op: Operator::Eq,
        right,
    }) = e
    else {
        return false;
    };
    let only_outer = |e: &Expr| e.contains_outer() && e.column_refs().is_empty();
    only_outer(left) && !right.contains_outer() || only_outer(right) && !left.contains_outer()
}
