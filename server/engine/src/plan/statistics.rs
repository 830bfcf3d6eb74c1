//! Row estimates for join ordering.
//!
//! DataFusion puts the side it believes smaller on a hash join's build side. Lake tables
//! carry row counts and per-column min/max and null counts but no distinct counts, and
//! DataFusion's own estimates then keep an aggregate's input row count as its output: a
//! `GROUP BY order_id` over 52 M web events was taken for 52 M rows although `order_id` spans
//! 118,658 values, and the 19 M-row sessions table became the build side (5 GB, 3 s) of a
//! join whose other side had 118,658 rows. DataFusion's statistics registry propagates
//! distinct counts through filters, aggregates and joins; `LakeStatistics` feeds it the one
//! thing the lake knows: an integer column has at most `max - min + 1` distinct values.
//! For a join key nobody knows the distinct count of, it assumes a key/foreign-key join
//! (the output about the size of the bigger side) instead of the registry's cross product.

use std::sync::Arc;

use datafusion::common::stats::Precision;
use datafusion::common::{ScalarValue, Statistics};
use datafusion::error::Result;
use datafusion::physical_expr::expressions::Column;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::joins::HashJoinExec;
use datafusion::physical_plan::operator_statistics::{
    ExtendedStatistics, StatisticsProvider, StatisticsRegistry, StatisticsResult,
};

/// The registry Aloe's sessions plan joins with.
pub fn registry() -> StatisticsRegistry {
    StatisticsRegistry::with_providers(vec![Arc::new(LakeStatistics::default())])
}

/// DataFusion's providers, with distinct counts of integer columns filled in from their
/// ranges and key/foreign-key estimates for joins on keys of unknown distinct count.
#[derive(Debug)]
pub struct LakeStatistics {
    chain: Vec<Arc<dyn StatisticsProvider>>,
}

impl Default for LakeStatistics {
    fn default() -> Self {
        Self {
            chain: StatisticsRegistry::default_with_builtin_providers()
                .providers()
                .to_vec(),
        }
    }
}

impl StatisticsProvider for LakeStatistics {
    fn compute_statistics(
        &self,
        plan: &dyn ExecutionPlan,
        child_stats: &[ExtendedStatistics],
    ) -> Result<StatisticsResult> {
        let patched;
        let children = match plan.downcast_ref::<HashJoinExec>() {
            Some(join) if child_stats.len() == 2 => {
                patched = assume_key_ndv(join, child_stats);
                &patched[..]
            }
            _ => child_stats,
        };
        for provider in &self.chain {
            // An estimate is advice: a provider that cannot make one must not fail the query,
            // so its error hands the node to the plan's own statistics.
            let stats = match provider.compute_statistics(plan, children) {
                Ok(StatisticsResult::Computed(stats)) => stats,
                Ok(StatisticsResult::Delegate) => continue,
                Err(e) => {
                    let node = plan.name();
                    tracing::debug!(node, error = %e, "no estimate from the statistics registry");
                    return Ok(StatisticsResult::Delegate);
                }
            };
            let mut base = stats.base().clone();
            fill_integer_ndv(&mut base);
            let mut out = ExtendedStatistics::new(base);
            out.merge_extensions(&stats);
            return Ok(StatisticsResult::Computed(out));
        }
        Ok(StatisticsResult::Delegate)
    }
}

/// Gives every integer column without a distinct count one from its range, capped by the
/// non-null rows.
fn fill_integer_ndv(stats: &mut Statistics) {
    let Some(&rows) = stats.num_rows.get_value() else {
        return;
    };
    for column in &mut stats.column_statistics {
        if column.distinct_count.get_value().is_some() {
            continue;
        }
        let (Some(min), Some(max)) = (column.min_value.get_value(), column.max_value.get_value())
        else {
            continue;
        };
        let Some(distance) = integer_distance(min, max) else {
            continue;
        };
        let nulls = column.null_count.get_value().copied().unwrap_or(0);
        let range = usize::try_from(distance).map_or(usize::MAX, |d| d.saturating_add(1));
        column.distinct_count = Precision::Inexact(range.min(rows.saturating_sub(nulls)).max(1));
    }
}

/// `max - min` for integer (and date) bounds; floats' ranges do not bound distinct values.
fn integer_distance(min: &ScalarValue, max: &ScalarValue) -> Option<u64> {
    let as_integer = |v: &ScalarValue| match v {
        ScalarValue::Date32(days) => ScalarValue::Int32(*days),
        other => other.clone(),
    };
    let (min, max) = (as_integer(min), as_integer(max));
    if !min.data_type().is_integer() || max < min {
        return None;
    }
    min.distance_u64(&max)
}

/// The join's inputs with a distinct count for every key column that has none: the smaller
/// side's row count, so that a join on keys nobody counted comes out about as big as its
/// bigger side.
fn assume_key_ndv(join: &HashJoinExec, children: &[ExtendedStatistics]) -> Vec<ExtendedStatistics> {
    let rows = |s: &ExtendedStatistics| s.base().num_rows.get_value().copied();
    let (Some(left_rows), Some(right_rows)) = (rows(&children[0]), rows(&children[1])) else {
        return children.to_vec();
    };
    let assumed = left_rows.min(right_rows).max(1);
    let mut left = children[0].base().clone();
    let mut right = children[1].base().clone();
    for (l, r) in join.on() {
        for (key, stats) in [(l, &mut left), (r, &mut right)] {
            if let Some(column) = key
                .downcast_ref::<Column>()
                .and_then(|c| stats.column_statistics.get_mut(c.index()))
                && column.distinct_count.get_value().is_none()
            {
                column.distinct_count = Precision::Inexact(assumed);
            }
        }
    }
    vec![
        ExtendedStatistics::new(left),
        ExtendedStatistics::new(right),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::common::ColumnStatistics;

    #[derive(Debug)]
    struct Failing;

    impl StatisticsProvider for Failing {
        fn compute_statistics(
            &self,
            _plan: &dyn ExecutionPlan,
            _child_stats: &[ExtendedStatistics],
        ) -> Result<StatisticsResult> {
            Err(datafusion::error::DataFusionError::Internal(
                "no estimate".into(),
            ))
        }
    }

    #[test]
    fn a_provider_that_fails_leaves_the_node_to_its_own_statistics() {
        use datafusion::arrow::datatypes::{DataType, Field, Schema};
        use datafusion::physical_plan::empty::EmptyExec;
        let plan = EmptyExec::new(Arc::new(Schema::new(vec![Field::new(
            "x",
            DataType::Int64,
            true,
        )])));
        let stats = LakeStatistics {
            chain: vec![Arc::new(Failing)],
        };
        assert!(matches!(
            stats.compute_statistics(&plan, &[]),
            Ok(StatisticsResult::Delegate)
        ));
        let registry = StatisticsRegistry::with_providers(vec![Arc::new(stats)]);
        assert!(
            registry.compute(&plan).is_ok(),
            "the plan's own statistics answer"
        );
    }

    #[test]
    fn a_join_on_uncounted_keys_is_taken_for_a_key_foreign_key_join() {
        use datafusion::arrow::datatypes::{DataType, Field, Schema};
        use datafusion::common::JoinType;
        use datafusion::physical_plan::empty::EmptyExec;
        use datafusion::physical_plan::joins::HashJoinExecBuilder;
        let side = || -> Arc<dyn ExecutionPlan> {
            Arc::new(EmptyExec::new(Arc::new(Schema::new(vec![Field::new(
                "k",
                DataType::Utf8,
                true,
            )]))))
        };
        let (left, right) = (side(), side());
        let key = |plan: &Arc<dyn ExecutionPlan>| {
            Arc::new(Column::new_with_schema("k", &plan.schema()).unwrap())
                as Arc<dyn datafusion::physical_expr::PhysicalExpr>
        };
        let on = vec![(key(&left), key(&right))];
        let join = HashJoinExecBuilder::new(left.clone(), right, on, JoinType::Inner)
            .build()
            .unwrap();
        let rows = |n| {
            let mut stats = Statistics::new_unknown(&left.schema());
            stats.num_rows = Precision::Exact(n);
            ExtendedStatistics::new(stats)
        };
        let children = [rows(1_000_000), rows(1_000)];
        let estimate = |provider: &dyn StatisticsProvider| match provider
            .compute_statistics(&join, &children)
            .unwrap()
        {
            StatisticsResult::Computed(s) => s.base().num_rows,
            StatisticsResult::Delegate => panic!("an estimate"),
        };
        assert_eq!(
            estimate(&LakeStatistics::default()),
            Precision::Inexact(1_000_000)
        );
        // DataFusion's own join provider takes it for a cross product.
        assert_eq!(
            estimate(&datafusion::physical_plan::operator_statistics::JoinStatisticsProvider),
            Precision::Inexact(1_000_000_000)
        );
    }

    #[test]
    fn an_integer_column_has_at_most_its_range_of_distinct_values() {
        let mut stats = Statistics {
            num_rows: Precision::Exact(52_000_000),
            total_byte_size: Precision::Absent,
            column_statistics: vec![
                ColumnStatistics {
                    min_value: Precision::Inexact(ScalarValue::Int64(Some(1))),
                    max_value: Precision::Inexact(ScalarValue::Int64(Some(118_658))),
                    null_count: Precision::Inexact(51_000_000),
                    ..Default::default()
                },
                ColumnStatistics {
                    min_value: Precision::Exact(ScalarValue::Int32(Some(5))),
                    max_value: Precision::Exact(ScalarValue::Int32(Some(5_000_000))),
                    null_count: Precision::Exact(51_999_990),
                    ..Default::default()
                },
                ColumnStatistics {
                    min_value: Precision::Exact(ScalarValue::from("a")),
                    max_value: Precision::Exact(ScalarValue::from("z")),
                    ..Default::default()
                },
            ],
        };
        fill_integer_ndv(&mut stats);
        let ndv: Vec<_> = stats
            .column_statistics
            .iter()
            .map(|c| c.distinct_count)
            .collect();
        assert_eq!(
            ndv,
            vec![
                Precision::Inexact(118_658),
                Precision::Inexact(10),
                Precision::Absent
            ]
        );
    }
}
