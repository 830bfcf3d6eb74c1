//! Compacting string views after joins.
//!
//! A hash join gathers its build side into one batch and takes its output rows from it. For
//! `Utf8View`/`BinaryView` columns a take copies the views but keeps the build side's data
//! buffers shared, and memory accounting counts whole buffers: every output batch then
//! "holds" the entire build side. A sort after a join over a multi-gigabyte build side
//! reserved gigabytes per batch of a few thousand rows and failed with "resources exhausted"
//! although the rows were small (DataFusion issues 19679 and 25271 are still open).
//! `CompactViews` places `CompactViewsExec` above every join that gathers a side; it copies
//! out the strings a batch uses when they are a small share of the buffers it references and
//! passes dense batches through untouched.

use std::fmt;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, GenericByteViewArray, RecordBatch};
use arrow::datatypes::{ByteViewType, DataType};
use datafusion::common::Statistics;
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::error::Result;
use datafusion::execution::TaskContext;
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::execution_plan::CardinalityEffect;
use datafusion::physical_plan::joins::{CrossJoinExec, HashJoinExec, NestedLoopJoinExec};
use datafusion::physical_plan::metrics::{BaselineMetrics, ExecutionPlanMetricsSet, MetricsSet};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    ChildStats, DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties,
    SendableRecordBatchStream, StatisticsArgs,
};
use futures::StreamExt;

/// Below this many referenced bytes a batch is left alone: copying would save too little.
const MIN_HELD_BYTES: usize = 1 << 20;

/// A batch is compacted when its buffers are more than this many times the bytes it uses.
const SPARSE_RATIO: usize = 4;

/// The physical optimizer rule that puts `CompactViewsExec` above joins with view columns.
#[derive(Debug, Default)]
pub struct CompactViews;

impl PhysicalOptimizerRule for CompactViews {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        _config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        plan.transform_up(|node| {
            let gathers_a_side = node.is::<HashJoinExec>()
                || node.is::<NestedLoopJoinExec>()
                || node.is::<CrossJoinExec>();
            if gathers_a_side && has_views(&node) {
                Ok(Transformed::yes(
                    Arc::new(CompactViewsExec::new(node)) as Arc<dyn ExecutionPlan>
                ))
            } else {
                Ok(Transformed::no(node))
            }
        })
        .map(|t| t.data)
    }

    fn name(&self) -> &str {
        "compact_views"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

fn has_views(plan: &Arc<dyn ExecutionPlan>) -> bool {
    plan.schema()
        .fields()
        .iter()
        .any(|f| matches!(f.data_type(), DataType::Utf8View | DataType::BinaryView))
}

/// Passes its input's batches on, with sparse view columns copied into buffers of their own.
#[derive(Debug)]
pub struct CompactViewsExec {
    input: Arc<dyn ExecutionPlan>,
    metrics: ExecutionPlanMetricsSet,
}

impl CompactViewsExec {
    /// Compacts the batches of `input`.
    pub fn new(input: Arc<dyn ExecutionPlan>) -> Self {
        Self {
            input,
            metrics: ExecutionPlanMetricsSet::new(),
        }
    }
}

impl DisplayAs for CompactViewsExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "CompactViewsExec")
    }
}

impl ExecutionPlan for CompactViewsExec {
    fn name(&self) -> &str {
        "CompactViewsExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        self.input.properties()
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }

    fn maintains_input_order(&self) -> Vec<bool> {
        vec![true]
    }

    fn benefits_from_input_partitioning(&self) -> Vec<bool> {
        vec![false]
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn with_new_children(
        self: Arc<Self>,
        mut children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        Ok(Arc::new(Self::new(children.swap_remove(0))))
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let input = self.input.execute(partition, context)?;
        let metrics = BaselineMetrics::new(&self.metrics, partition);
        let schema = input.schema();
        let compacted = input.map(move |batch| {
            let _timer = metrics.elapsed_compute().timer();
            let batch = compact(batch?)?;
            metrics.record_output(batch.num_rows());
            Ok(batch)
        });
        Ok(Box::pin(RecordBatchStreamAdapter::new(schema, compacted)))
    }

    fn child_stats_requests(&self, partition: Option<usize>) -> Vec<ChildStats> {
        vec![ChildStats::At(partition)]
    }

    fn statistics_from_inputs(
        &self,
        input_stats: &[Arc<Statistics>],
        _args: &StatisticsArgs,
    ) -> Result<Arc<Statistics>> {
        Ok(input_stats[0].clone())
    }

    fn cardinality_effect(&self) -> CardinalityEffect {
        CardinalityEffect::Equal
    }

    fn metrics(&self) -> Option<MetricsSet> {
        Some(self.metrics.clone_inner())
    }
}

/// `batch` with every sparse view column copied into tight buffers.
fn compact(batch: RecordBatch) -> Result<RecordBatch> {
    let mut changed = false;
    let columns: Vec<ArrayRef> = batch
        .columns()
        .iter()
        .map(|column| {
            let compacted = match column.data_type() {
                DataType::Utf8View => compact_views(column.as_string_view()),
                DataType::BinaryView => compact_views(column.as_binary_view()),
                _ => None,
            };
            changed |= compacted.is_some();
            compacted.unwrap_or_else(|| column.clone())
        })
        .collect();
    if !changed {
        return Ok(batch);
    }
    Ok(RecordBatch::try_new(batch.schema(), columns)?)
}

/// A tight copy of `array` when it uses a small share of the buffers it holds.
fn compact_views<T: ByteViewType + ?Sized>(array: &GenericByteViewArray<T>) -> Option<ArrayRef> {
    let held: usize = array.data_buffers().iter().map(|b| b.capacity()).sum();
    let sparse = held >= MIN_HELD_BYTES
        && held > array.total_buffer_bytes_used().saturating_mul(SPARSE_RATIO);
    sparse.then(|| Arc::new(array.gc()) as ArrayRef)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::StringViewArray;
    use arrow::compute::take;
    use arrow::datatypes::{Field, Schema};
    use datafusion::common::utils::memory::get_record_batch_memory_size;

    fn batch(column: ArrayRef) -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![Field::new("s", DataType::Utf8View, true)]));
        RecordBatch::try_new(schema, vec![column]).unwrap()
    }

    #[test]
    fn a_few_rows_taken_from_a_big_build_side_stop_holding_all_of_it() {
        let big = StringViewArray::from_iter_values(
            (0..100_000).map(|i| format!("session-{i:08}-with-a-long-tail")),
        );
        let few = take(
            &big,
            &arrow::array::UInt32Array::from(vec![7, 70_000, 99]),
            None,
        )
        .unwrap();
        let before = batch(few);
        assert!(get_record_batch_memory_size(&before) > 3_000_000);
        let after = compact(before.clone()).unwrap();
        assert!(get_record_batch_memory_size(&after) < 10_000);
        assert_eq!(after, before, "the values are the same");
    }

    /// Whether the first data buffers of two one-column batches are the same memory.
    fn same_buffer(x: &RecordBatch, y: &RecordBatch) -> bool {
        let (a, b) = (x.column(0).as_string_view(), y.column(0).as_string_view());
        a.data_buffers()[0].ptr_eq(&b.data_buffers()[0])
    }

    #[test]
    fn dense_and_small_batches_pass_through_untouched() {
        let dense = batch(Arc::new(StringViewArray::from_iter_values(
            (0..100_000).map(|i| format!("session-{i:08}-with-a-long-tail")),
        )));
        assert!(
            same_buffer(&dense, &compact(dense.clone()).unwrap()),
            "not copied"
        );

        let small =
            StringViewArray::from_iter_values((0..100).map(|i| format!("a-long-value-{i:04}")));
        let one = batch(take(&small, &arrow::array::UInt32Array::from(vec![1]), None).unwrap());
        assert!(
            same_buffer(&one, &compact(one.clone()).unwrap()),
            "too small to bother"
        );
    }
}
