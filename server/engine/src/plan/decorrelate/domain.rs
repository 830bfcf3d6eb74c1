//! A correlated subquery evaluated for every value of its outer columns at once.
//!
//! The domain is the distinct values of the outer columns a subquery reads. Pushing it through
//! the subquery's plan (Neumann and Kemper, "Unnesting Arbitrary Queries") gives a plan without
//! outer references whose rows are the subquery's rows for each domain value, with the domain's
//! columns beside them: uncorrelated parts are joined with the domain, filters and projections
//! read the domain's columns where they read the outer ones, aggregates and windows group by
//! them too. A shape this module does not know gives `None`, so the subquery stays as it was and
//! fails cleanly rather than answering wrongly.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::common::{Column, DFSchema, NullEquality, Result, ScalarValue, internal_err};
use datafusion::functions_window::expr_fn::row_number;
use datafusion::logical_expr::expr::{Exists, InSubquery, SetComparison};
use datafusion::logical_expr::expr_rewriter::NamePreserver;
use datafusion::logical_expr::utils::conjunction;
use datafusion::logical_expr::{
    Aggregate, BinaryExpr, Distinct, EmptyRelation, Expr, ExprFunctionExt, Filter, Join,
    JoinConstraint, JoinType, Limit, LogicalPlan, LogicalPlanBuilder, Operator, Projection, Sort,
    SortExpr, SubqueryAlias, Window, lit,
};
use datafusion::logical_expr::{FetchType, SkipType};

/// Gives each column the rewrite invents a name no query or earlier rewrite (a view's plan)
/// uses.
pub fn fresh(kind: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!("__aloe_{kind}{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// The distinct values of the outer columns a subquery reads.
#[derive(Debug, Clone)]
pub struct Domain {
    /// One row per distinct combination of the outer columns' values.
    pub plan: Arc<LogicalPlan>,
    /// The outer columns, as the subquery's outer references name them.
    pub outer: Vec<Column>,
    /// The domain's own columns, in the order of `outer`.
    pub columns: Vec<Column>,
}

impl Domain {
    /// The domain of `outer` columns over the rows of `input`.
    pub fn over(input: &Arc<LogicalPlan>, outer: Vec<Column>) -> Result<Domain> {
        let base = fresh("d");
        let names: Vec<String> = (0..outer.len()).map(|i| format!("{base}_{i}")).collect();
        let plan = if outer.is_empty() {
            LogicalPlan::EmptyRelation(EmptyRelation {
                produce_one_row: true,
                schema: Arc::new(DFSchema::empty()),
            })
        } else {
            LogicalPlanBuilder::new_from_arc(input.clone())
                .aggregate(
                    outer
                        .iter()
                        .zip(&names)
                        .map(|(c, n)| Expr::Column(c.clone()).alias(n)),
                    Vec::<Expr>::new(),
                )?
                .build()?
        };
        Ok(Domain {
            plan: Arc::new(plan),
            outer,
            columns: names.into_iter().map(Column::from_name).collect(),
        })
    }

    fn position(&self, c: &Column) -> Option<usize> {
        self.outer.iter().position(|o| o == c)
    }
}

/// A subquery's plan with the domain pushed through it.
#[derive(Debug)]
pub struct Pushed {
    /// The subquery's rows for every domain value, the domain's columns among its outputs.
    pub plan: LogicalPlan,
    /// Where the domain's columns are in `plan`'s output, in the domain's order.
    pub columns: Vec<Column>,
}

/// Whether anything in `plan`, nested subqueries included, reads one of the domain's columns.
pub fn refers_to(plan: &LogicalPlan, d: &Domain) -> bool {
    let mut found = false;
    let _ = plan.apply_with_subqueries(|node| {
        let _ = node.apply_expressions(|e| {
            found |= expr_refers_to(e, d);
            Ok(if found {
                TreeNodeRecursion::Stop
            } else {
                TreeNodeRecursion::Continue
            })
        });
        Ok(if found {
            TreeNodeRecursion::Stop
        } else {
            TreeNodeRecursion::Continue
        })
    });
    found
}

/// Whether `e` itself (not a subquery inside it) reads one of the domain's columns.
fn expr_refers_to(e: &Expr, d: &Domain) -> bool {
    e.exists(|e| Ok(matches!(e, Expr::OuterReferenceColumn(_, c) if d.position(c).is_some())))
        .unwrap_or(false)
}

/// Whether a subquery inside `e` reads one of the domain's columns.
fn subquery_refers_to(e: &Expr, d: &Domain) -> bool {
    e.exists(|e| {
        Ok(match e {
            Expr::ScalarSubquery(s)
            | Expr::Exists(Exists { subquery: s, .. })
            | Expr::InSubquery(InSubquery { subquery: s, .. })
            | Expr::SetComparison(SetComparison { subquery: s, .. }) => refers_to(&s.subquery, d),
            _ => false,
        })
    })
    .unwrap_or(true)
}

/// `e` reading the domain's `columns` where it read the outer columns; `None` when a subquery
/// inside it still reads them (only a rewrite of that subquery first could say what it means).
pub fn substitute(e: &Expr, d: &Domain, columns: &[Column]) -> Result<Option<Expr>> {
    if subquery_refers_to(e, d) {
        return Ok(None);
    }
    let e = e
        .clone()
        .transform_up(|e| match &e {
            Expr::OuterReferenceColumn(_, c) => match d.position(c) {
                Some(i) => Ok(Transformed::yes(Expr::Column(columns[i].clone()))),
                None => Ok(Transformed::no(e)),
            },
            _ => Ok(Transformed::no(e)),
        })?
        .data;
    Ok(Some(e))
}

/// [`substitute`] keeping the expression's output name, for nodes whose outputs are named
/// after their expressions.
fn substitute_named(e: &Expr, d: &Domain, columns: &[Column]) -> Result<Option<Expr>> {
    let saved = NamePreserver::new_for_projection().save(e);
    Ok(substitute(e, d, columns)?.map(|new| saved.restore(new)))
}

fn substitute_all(es: &[Expr], d: &Domain, columns: &[Column]) -> Result<Option<Vec<Expr>>> {
    es.iter()
        .map(|e| substitute_named(e, d, columns))
        .collect::<Result<Option<Vec<_>>>>()
}

fn columns_of(cs: &[Column]) -> Vec<Expr> {
    cs.iter().cloned().map(Expr::Column).collect()
}

/// The subquery `plan`'s rows for every domain value.
pub fn push(plan: &LogicalPlan, d: &Domain) -> Result<Option<Pushed>> {
    if !refers_to(plan, d) {
        return cross(plan, d).map(Some);
    }
    match plan {
        LogicalPlan::Filter(f) => {
            let Some(p) = push(&f.input, d)? else {
                return Ok(None);
            };
            let Some(predicate) = substitute(&f.predicate, d, &p.columns)? else {
                return Ok(None);
            };
            let plan = LogicalPlan::Filter(Filter::try_new(predicate, Arc::new(p.plan))?);
            Ok(Some(Pushed {
                plan,
                columns: p.columns,
            }))
        }
        LogicalPlan::Projection(pr) => {
            let Some(p) = push(&pr.input, d)? else {
                return Ok(None);
            };
            let Some(exprs) = substitute_all(&pr.expr, d, &p.columns)? else {
                return Ok(None);
            };
            let mut all = columns_of(&p.columns);
            all.extend(exprs);
            let plan = LogicalPlan::Projection(Projection::try_new(all, Arc::new(p.plan))?);
            Ok(Some(Pushed {
                plan,
                columns: p.columns,
            }))
        }
        LogicalPlan::SubqueryAlias(a) => {
            let Some(p) = push(&a.input, d)? else {
                return Ok(None);
            };
            let plan = LogicalPlan::SubqueryAlias(SubqueryAlias::try_new(
                Arc::new(p.plan),
                a.alias.clone(),
            )?);
            let columns = p
                .columns
                .iter()
                .map(|c| Column::new(Some(a.alias.clone()), c.name.clone()))
                .collect();
            Ok(Some(Pushed { plan, columns }))
        }
        LogicalPlan::Aggregate(agg) if agg.group_expr.is_empty() => scalar_aggregate(agg, d),
        LogicalPlan::Aggregate(agg) => {
            if agg
                .group_expr
                .iter()
                .any(|g| matches!(g, Expr::GroupingSet(_)))
            {
                return Ok(None);
            }
            let Some(p) = push(&agg.input, d)? else {
                return Ok(None);
            };
            let (Some(group), Some(aggr)) = (
                substitute_all(&agg.group_expr, d, &p.columns)?,
                substitute_all(&agg.aggr_expr, d, &p.columns)?,
            ) else {
                return Ok(None);
            };
            let mut all_groups = columns_of(&p.columns);
            all_groups.extend(group);
            let plan =
                LogicalPlan::Aggregate(Aggregate::try_new(Arc::new(p.plan), all_groups, aggr)?);
            Ok(Some(Pushed {
                plan,
                columns: p.columns,
            }))
        }
        LogicalPlan::Distinct(Distinct::All(input)) => {
            let Some(p) = push(input, d)? else {
                return Ok(None);
            };
            Ok(Some(Pushed {
                plan: LogicalPlan::Distinct(Distinct::All(Arc::new(p.plan))),
                columns: p.columns,
            }))
        }
        LogicalPlan::Sort(s) => match s.fetch {
            None => {
                let Some(p) = push(&s.input, d)? else {
                    return Ok(None);
                };
                let Some(order) = substitute_sorts(&s.expr, d, &p.columns)? else {
                    return Ok(None);
                };
                let plan = LogicalPlan::Sort(Sort {
                    expr: order,
                    input: Arc::new(p.plan),
                    fetch: None,
                });
                Ok(Some(Pushed {
                    plan,
                    columns: p.columns,
                }))
            }
            Some(fetch) => first_rows(&s.input, &s.expr, 0, Some(fetch), d),
        },
        LogicalPlan::Limit(l) => limit(l, d),
        LogicalPlan::Window(w) => window(w, d),
        LogicalPlan::Join(j) => join(j, d),
        LogicalPlan::Union(u) => {
            let names = fresh("u");
            let mut branches = Vec::with_capacity(u.inputs.len());
            for input in &u.inputs {
                let Some(p) = push(input, d)? else {
                    return Ok(None);
                };
                let mut exprs: Vec<Expr> = p
                    .columns
                    .iter()
                    .enumerate()
                    .map(|(i, c)| Expr::Column(c.clone()).alias(format!("{names}_{i}")))
                    .collect();
                exprs.extend(input.schema().columns().into_iter().map(Expr::Column));
                branches.push(LogicalPlan::Projection(Projection::try_new(
                    exprs,
                    Arc::new(p.plan),
                )?));
            }
            let mut branches = branches.into_iter();
            let Some(first) = branches.next() else {
                return Ok(None);
            };
            let mut builder = LogicalPlanBuilder::from(first);
            for b in branches {
                builder = builder.union(b)?;
            }
            let columns = (0..d.columns.len())
                .map(|i| Column::from_name(format!("{names}_{i}")))
                .collect();
            Ok(Some(Pushed {
                plan: builder.build()?,
                columns,
            }))
        }
        _ => Ok(None),
    }
}

/// An uncorrelated plan's rows beside every domain value.
fn cross(plan: &LogicalPlan, d: &Domain) -> Result<Pushed> {
    let plan = LogicalPlanBuilder::new_from_arc(d.plan.clone())
        .cross_join(plan.clone())?
        .build()?;
    Ok(Pushed {
        plan,
        columns: d.columns.clone(),
    })
}

fn substitute_sorts(
    sorts: &[SortExpr],
    d: &Domain,
    columns: &[Column],
) -> Result<Option<Vec<SortExpr>>> {
    let mut out = Vec::with_capacity(sorts.len());
    for s in sorts {
        let Some(e) = substitute(&s.expr, d, columns)? else {
            return Ok(None);
        };
        out.push(SortExpr::new(e, s.asc, s.nulls_first));
    }
    Ok(Some(out))
}

/// An aggregate without GROUP BY has one row even over no input (`count(*)` of nothing is
/// 0), so each domain value is left-joined to its input rows rather than crossed with them,
/// and the aggregates count only rows that matched.
fn scalar_aggregate(agg: &Aggregate, d: &Domain) -> Result<Option<Pushed>> {
    let marker = fresh("m");
    let Some(input) = left_join_domain(&agg.input, d, &marker)? else {
        return Ok(None);
    };
    let matched = Expr::Column(Column::from_name(&marker)).is_not_null();
    let mut aggr = Vec::with_capacity(agg.aggr_expr.len());
    for e in &agg.aggr_expr {
        let saved = NamePreserver::new_for_projection().save(e);
        let Some(e) = substitute(e, d, &d.columns)? else {
            return Ok(None);
        };
        let e = e
            .transform_down(|e| match e {
                Expr::AggregateFunction(mut f) => {
                    f.params.filter = Some(Box::new(match f.params.filter.take() {
                        Some(old) => old.and(matched.clone()),
                        None => matched.clone(),
                    }));
                    Ok(Transformed::new(
                        Expr::AggregateFunction(f),
                        true,
                        TreeNodeRecursion::Jump,
                    ))
                }
                other => Ok(Transformed::no(other)),
            })?
            .data;
        aggr.push(saved.restore(e));
    }
    let plan = LogicalPlan::Aggregate(Aggregate::try_new(
        Arc::new(input),
        columns_of(&d.columns),
        aggr,
    )?);
    Ok(Some(Pushed {
        plan,
        columns: d.columns.clone(),
    }))
}

/// Every domain value with the rows of `input` it matches, or one row of NULLs and a NULL
/// `marker` when it matches none.
fn left_join_domain(input: &LogicalPlan, d: &Domain, marker: &str) -> Result<Option<LogicalPlan>> {
    let mark = |plan: LogicalPlan, keep: &dyn Fn(&Column) -> bool| -> Result<LogicalPlan> {
        let mut exprs: Vec<Expr> = plan
            .schema()
            .columns()
            .into_iter()
            .filter(|c| keep(c))
            .map(Expr::Column)
            .collect();
        exprs.push(lit(true).alias(marker));
        Ok(LogicalPlan::Projection(Projection::try_new(
            exprs,
            Arc::new(plan),
        )?))
    };
    // The common case, filters that read outer columns over a table that does not: the
    // filters become the left join's condition (and its equalities, hash keys).
    let mut predicates = Vec::new();
    let mut base = input;
    while let LogicalPlan::Filter(f) = base {
        predicates.push(&f.predicate);
        base = &f.input;
    }
    if !refers_to(base, d) {
        let mut on = Vec::with_capacity(predicates.len());
        for p in predicates {
            let Some(p) = substitute(p, d, &d.columns)? else {
                return Ok(None);
            };
            on.push(p);
        }
        let right = mark(base.clone(), &|_| true)?;
        let join = Join::try_new(
            d.plan.clone(),
            Arc::new(right),
            vec![],
            conjunction(on),
            JoinType::Left,
            JoinConstraint::On,
            NullEquality::NullEqualsNothing,
            false,
        )?;
        return Ok(Some(LogicalPlan::Join(join)));
    }
    let Some(p) = push(input, d)? else {
        return Ok(None);
    };
    let renamed = rename(p, "r")?;
    let keys: Vec<Column> = renamed.columns.clone();
    let right = mark(renamed.plan, &|_| true)?;
    let on = d
        .columns
        .iter()
        .zip(keys)
        .map(|(l, r)| (Expr::Column(l.clone()), Expr::Column(r)))
        .collect();
    Ok(Some(left_join_matching_nulls(d.plan.clone(), right, on)?))
}

/// `left` LEFT JOIN `right` on `on`, NULL matching NULL: a domain value that is NULL must find
/// its own answers.
pub fn left_join_matching_nulls(
    left: Arc<LogicalPlan>,
    right: LogicalPlan,
    on: Vec<(Expr, Expr)>,
) -> Result<LogicalPlan> {
    Ok(LogicalPlan::Join(Join::try_new(
        left,
        Arc::new(right),
        on,
        None,
        JoinType::Left,
        JoinConstraint::On,
        NullEquality::NullEqualsNull,
        false,
    )?))
}

/// `p` with its domain columns under fresh names, so that it can be joined with a plan that
/// carries the domain's own.
fn rename(p: Pushed, kind: &str) -> Result<Pushed> {
    let base = fresh(kind);
    let names: Vec<String> = (0..p.columns.len())
        .map(|i| format!("{base}_{i}"))
        .collect();
    let shown = p.plan.schema().columns();
    if let Some(missing) = p.columns.iter().find(|c| !shown.contains(c)) {
        return internal_err!("domain column {missing} is not among the subquery's outputs");
    }
    let exprs: Vec<Expr> = shown
        .into_iter()
        .map(|c| match p.columns.iter().position(|d| d == &c) {
            Some(i) => Expr::Column(c).alias(&names[i]),
            None => Expr::Column(c),
        })
        .collect();
    let plan = LogicalPlan::Projection(Projection::try_new(exprs, Arc::new(p.plan))?);
    Ok(Pushed {
        plan,
        columns: names.into_iter().map(Column::from_name).collect(),
    })
}

fn limit(l: &Limit, d: &Domain) -> Result<Option<Pushed>> {
    let (SkipType::Literal(skip), FetchType::Literal(fetch)) =
        (l.get_skip_type()?, l.get_fetch_type()?)
    else {
        return Ok(None);
    };
    match l.input.as_ref() {
        LogicalPlan::Sort(s) if s.fetch.is_none() => first_rows(&s.input, &s.expr, skip, fetch, d),
        // `ORDER BY y LIMIT 1` over a select list without `y` plans the projection between
        // the limit and the sort; a limit commutes with a projection, so it moves down to
        // meet the sort's order.
        LogicalPlan::Projection(p) => {
            let below = LogicalPlan::Limit(Limit {
                skip: l.skip.clone(),
                fetch: l.fetch.clone(),
                input: p.input.clone(),
            });
            let swapped = Projection::try_new(p.expr.clone(), Arc::new(below))?;
            push(&LogicalPlan::Projection(swapped), d)
        }
        input => first_rows(input, &[], skip, fetch, d),
    }
}

/// Window functions per domain value: each one's partitions are split by the domain columns
/// too, so a row is numbered or summed only among its own outer row's rows. The outputs keep
/// their names, which the plan above refers to.
fn window(w: &Window, d: &Domain) -> Result<Option<Pushed>> {
    let Some(p) = push(&w.input, d)? else {
        return Ok(None);
    };
    let first_output = w.input.schema().fields().len();
    let mut exprs = Vec::with_capacity(w.window_expr.len());
    for (i, e) in w.window_expr.iter().enumerate() {
        let name = w.schema.field(first_output + i).name().clone();
        let Expr::WindowFunction(f) = e.clone().unalias() else {
            return Ok(None);
        };
        let mut f = *f;
        let mut partition_by = columns_of(&p.columns);
        partition_by.append(&mut f.params.partition_by);
        f.params.partition_by = partition_by;
        let Some(e) = substitute(&Expr::WindowFunction(Box::new(f)), d, &p.columns)? else {
            return Ok(None);
        };
        exprs.push(e.alias(name));
    }
    let plan = LogicalPlan::Window(Window::try_new(exprs, Arc::new(p.plan))?);
    Ok(Some(Pushed {
        plan,
        columns: p.columns,
    }))
}

/// LIMIT and OFFSET per domain value: rows numbered within each value, in the subquery's
/// order.
fn first_rows(
    input: &LogicalPlan,
    order: &[SortExpr],
    skip: usize,
    fetch: Option<usize>,
    d: &Domain,
) -> Result<Option<Pushed>> {
    let Some(p) = push(input, d)? else {
        return Ok(None);
    };
    let Some(order) = substitute_sorts(order, d, &p.columns)? else {
        return Ok(None);
    };
    let shown = p.plan.schema().columns();
    let rn = fresh("rn");
    let numbered = row_number()
        .partition_by(columns_of(&p.columns))
        .order_by(order)
        .build()?
        .alias(&rn);
    let n = || Expr::Column(Column::from_name(&rn));
    let as_u64 = |v: usize| lit(ScalarValue::UInt64(Some(v as u64)));
    let mut keep = vec![n().gt(as_u64(skip))];
    if let Some(f) = fetch {
        keep.push(n().lt_eq(as_u64(skip + f)));
    }
    let plan = LogicalPlanBuilder::from(p.plan)
        .window(vec![numbered])?
        .filter(conjunction(keep).unwrap_or(lit(true)))?
        .project(shown.into_iter().map(Expr::Column))?
        .build()?;
    Ok(Some(Pushed {
        plan,
        columns: p.columns,
    }))
}

/// Joins: the domain goes through the side that reads it; when both sides (or the condition
/// and the inner side of an outer join) read it, both sides carry it and must agree on it.
fn join(j: &Join, d: &Domain) -> Result<Option<Pushed>> {
    let left_refers = refers_to(&j.left, d);
    let right_refers = refers_to(&j.right, d);
    let condition_refers = j.filter.as_ref().is_some_and(|f| expr_refers_to(f, d))
        || j.on
            .iter()
            .any(|(l, r)| expr_refers_to(l, d) || expr_refers_to(r, d));
    if !matches!(
        j.join_type,
        JoinType::Inner
            | JoinType::Left
            | JoinType::LeftSemi
            | JoinType::LeftAnti
            | JoinType::LeftMark
    ) {
        return Ok(None);
    }
    let rebuild = |left: LogicalPlan,
                   right: LogicalPlan,
                   columns: &[Column],
                   extra: Vec<Expr>|
     -> Result<Option<LogicalPlan>> {
        let mut on = Vec::with_capacity(j.on.len());
        for (l, r) in &j.on {
            let (Some(l), Some(r)) = (substitute(l, d, columns)?, substitute(r, d, columns)?)
            else {
                return Ok(None);
            };
            on.push((l, r));
        }
        let mut filters = extra;
        if let Some(f) = &j.filter {
            let Some(f) = substitute(f, d, columns)? else {
                return Ok(None);
            };
            filters.push(f);
        }
        Ok(Some(LogicalPlan::Join(Join::try_new(
            Arc::new(left),
            Arc::new(right),
            on,
            conjunction(filters),
            j.join_type,
            j.join_constraint,
            j.null_equality,
            j.null_aware,
        )?)))
    };
    if j.join_type == JoinType::Inner && !left_refers && !condition_refers {
        let Some(right) = push(&j.right, d)? else {
            return Ok(None);
        };
        let columns = right.columns;
        let Some(plan) = rebuild(j.left.as_ref().clone(), right.plan, &columns, vec![])? else {
            return Ok(None);
        };
        return Ok(Some(Pushed { plan, columns }));
    }
    let Some(left) = push(&j.left, d)? else {
        return Ok(None);
    };
    let columns = left.columns;
    let (right, agree) = if right_refers {
        let Some(right) = push(&j.right, d)? else {
            return Ok(None);
        };
        let right = rename(right, "j")?;
        let agree = columns
            .iter()
            .zip(&right.columns)
            .map(|(l, r)| {
                Expr::BinaryExpr(BinaryExpr::new(
                    Box::new(Expr::Column(l.clone())),
                    Operator::IsNotDistinctFrom,
                    Box::new(Expr::Column(r.clone())),
                ))
            })
            .collect();
        (right.plan, agree)
    } else {
        (j.right.as_ref().clone(), vec![])
    };
    let Some(plan) = rebuild(left.plan, right, &columns, agree)? else {
        return Ok(None);
    };
    Ok(Some(Pushed { plan, columns }))
}
