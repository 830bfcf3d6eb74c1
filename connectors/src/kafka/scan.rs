//! A topic as a DataFusion table: a scan reads each partition from its start (or from where
//! bronze stands) up to the high watermark seen when the query starts, then ends.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::streaming::StreamingTable;
use datafusion::catalog::{Session, TableProvider};
use datafusion::datasource::TableType;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::TaskContext;
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown};
use datafusion::physical_plan::stream::RecordBatchReceiverStreamBuilder;
use datafusion::physical_plan::streaming::PartitionStream;
use datafusion::physical_plan::{ExecutionPlan, SendableRecordBatchStream};

use super::client;
use super::config::KafkaTableDecl;
use super::decode::{decode, table_schema};
use super::error::{KafkaError, KafkaResult};
use super::infer::infer;
use super::offsets::{Bronze, next_offsets};
use super::pruning::Pruning;

/// Messages decoded together.
const CHUNK: usize = 8192;

/// One partition's offsets to read, `[from, until)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    /// The partition.
    pub partition: i32,
    /// First offset read.
    pub from: i64,
    /// Offset after the last one read.
    pub until: i64,
}

/// Table `kafka.<name>`.
#[derive(Debug)]
pub struct KafkaTable {
    decl: Arc<KafkaTableDecl>,
    schema: SchemaRef,
    bronze: Option<Bronze>,
}

impl KafkaTable {
    /// The table for `decl`, its columns declared or inferred from the topic; `bronze` is where
    /// its ingester lands it, if it has one.
    pub async fn open(decl: KafkaTableDecl, bronze: Option<Bronze>) -> KafkaResult<Self> {
        decl.validate()?;
        let payload = match decl.declared_schema()? {
            Some(s) => s,
            None => {
                let d = decl.clone();
                blocking(move || infer(&d)).await?
            }
        };
        Ok(Self {
            schema: table_schema(&payload),
            decl: Arc::new(decl),
            bronze,
        })
    }

    /// The declaration.
    pub fn decl(&self) -> &KafkaTableDecl {
        &self.decl
    }

    /// Where the ingester lands the topic, if it is ingested.
    pub fn bronze(&self) -> Option<&Bronze> {
        self.bronze.as_ref()
    }

    /// The table's columns: the message's, then `_partition`, `_offset`, `_timestamp`, `_key`.
    pub fn table_schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    /// The ranges a scan with `pruning` reads; `start` gives each partition's first offset when
    /// the filters do not (bronze's next offsets, for the tail).
    pub async fn ranges(
        &self,
        pruning: Pruning,
        start: BTreeMap<i32, i64>,
    ) -> KafkaResult<Vec<Range>> {
        let decl = self.decl.clone();
        blocking(move || {
            let consumer = client::consumer(&decl)?;
            let mut ranges = Vec::new();
            for p in client::partitions(&decl, &consumer)? {
                if pruning
                    .partitions
                    .as_ref()
                    .is_some_and(|only| !only.contains(&p))
                {
                    continue;
                }
                let (low, high) = client::watermarks(&decl, &consumer, p)?;
                let mut from = low
                    .max(pruning.offset_from.unwrap_or(low))
                    .max(start.get(&p).copied().unwrap_or(low));
                let until = high.min(pruning.offset_until.unwrap_or(high));
                if let Some(ms) = pruning.time_from_ms {
                    from = from.max(client::offset_at(&decl, &consumer, p, ms)?.unwrap_or(high));
                }
                if from < until {
                    ranges.push(Range {
                        partition: p,
                        from,
                        until,
                    });
                }
            }
            Ok(ranges)
        })
        .await
    }

    /// A plan reading `ranges`, one partition of the plan per Kafka partition.
    pub async fn plan(
        &self,
        ranges: Vec<Range>,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let streams: Vec<Arc<dyn PartitionStream>> = ranges
            .into_iter()
            .map(|range| {
                Arc::new(PartitionReader {
                    decl: self.decl.clone(),
                    schema: self.schema.clone(),
                    range,
                }) as Arc<dyn PartitionStream>
            })
            .collect();
        StreamingTable::try_new(self.schema.clone(), streams)?
            .scan(state, projection, &[], limit)
            .await
    }

    /// The topic's partitions.
    pub async fn partitions(&self) -> KafkaResult<Vec<i32>> {
        let decl = self.decl.clone();
        blocking(move || client::partitions(&decl, &client::consumer(&decl)?)).await
    }

    /// Bronze's next offset per partition, when the topic is ingested and has been committed.
    pub async fn bronze_offsets(&self) -> KafkaResult<BTreeMap<i32, i64>> {
        let Some(bronze) = &self.bronze else {
            return Ok(BTreeMap::new());
        };
        let Some(table) = bronze.load().await? else {
            return Ok(BTreeMap::new());
        };
        next_offsets(&table, self.decl.topic(), &self.partitions().await?).await
    }
}

/// Runs librdkafka's blocking calls off the async threads.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> KafkaResult<T> + Send + 'static,
) -> KafkaResult<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| KafkaError::DataFusion(DataFusionError::External(e.into())))?
}

#[async_trait]
impl TableProvider for KafkaTable {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> Result<Vec<TableProviderFilterPushDown>> {
        Ok(filters
            .iter()
            .map(|f| {
                if Pruning::understands(f) {
                    TableProviderFilterPushDown::Inexact
                } else {
                    TableProviderFilterPushDown::Unsupported
                }
            })
            .collect())
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let pruning = Pruning::from_filters(filters);
        // Without an explicit offset bound, an ingested topic shows what bronze lacks.
        let start = if pruning.offset_from.is_none() {
            self.bronze_offsets().await?
        } else {
            BTreeMap::new()
        };
        let ranges = self.ranges(pruning, start).await?;
        self.plan(ranges, state, projection, limit).await
    }
}

/// Reads one range on a blocking thread and decodes it chunk by chunk.
#[derive(Debug)]
struct PartitionReader {
    decl: Arc<KafkaTableDecl>,
    schema: SchemaRef,
    range: Range,
}

impl PartitionStream for PartitionReader {
    fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    fn execute(&self, _ctx: Arc<TaskContext>) -> SendableRecordBatchStream {
        let mut builder = RecordBatchReceiverStreamBuilder::new(self.schema.clone(), 2);
        let tx = builder.tx();
        let (decl, schema, range) = (self.decl.clone(), self.schema.clone(), self.range);
        builder.spawn_blocking(move || {
            let consumer = client::consumer(&decl)?;
            let mut failure = None;
            let mut skipped = 0usize;
            client::read_range(
                &decl,
                &consumer,
                range.partition,
                (range.from, range.until),
                CHUNK,
                |messages| match decode(&schema, &messages) {
                    Ok(d) => {
                        skipped += d.rejects.len();
                        tx.blocking_send(Ok(d.batch)).is_ok()
                    }
                    Err(e) => {
                        failure = Some(e);
                        false
                    }
                },
            )?;
            if skipped > 0 {
                tracing::warn!(
                    table = %decl.name,
                    partition = range.partition,
                    skipped,
                    "messages that are not rows of the table were left out of the scan"
                );
            }
            match failure {
                Some(e) => Err(e.into()),
                None => Ok(()),
            }
        });
        builder.build()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::decode::{OFFSET, PARTITION};
    use datafusion::arrow::array::AsArray;
    use datafusion::arrow::datatypes::Int64Type;
    use datafusion::prelude::SessionContext;
    use rdkafka::ClientConfig;
    use rdkafka::mocking::MockCluster;
    use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
    use std::time::Duration;

    fn produce(brokers: &str, topic: &str, messages: &[(i32, String)]) {
        let producer: BaseProducer = ClientConfig::new()
            .set("bootstrap.servers", brokers)
            .create()
            .unwrap();
        for (p, m) in messages {
            producer
                .send(BaseRecord::<(), _>::to(topic).partition(*p).payload(m))
                .unwrap();
        }
        producer.flush(Duration::from_secs(10)).unwrap();
    }

    async fn count(ctx: &SessionContext, sql: &str) -> i64 {
        let batches = ctx.sql(sql).await.unwrap().collect().await.unwrap();
        batches[0].column(0).as_primitive::<Int64Type>().value(0)
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_topic_is_a_table_and_filters_limit_the_read() {
        let cluster = MockCluster::new(1).unwrap();
        cluster.create_topic("clicks", 3, 1).unwrap();
        let brokers = cluster.bootstrap_servers();
        let messages: Vec<(i32, String)> = (0..300)
            .map(|i| (i % 3, format!(r#"{{"id": {i}, "page": "/p/{}"}}"#, i % 7)))
            .chain([(1, "not json".to_owned())])
            .collect();
        produce(&brokers, "clicks", &messages);
        let decl: KafkaTableDecl =
            toml::from_str(&format!("name = 'clicks'\nbrokers = '{brokers}'\n")).unwrap();
        let table = KafkaTable::open(decl, None).await.unwrap();
        let names: Vec<&str> = table
            .schema
            .fields()
            .iter()
            .map(|f| f.name().as_str())
            .collect();
        assert_eq!(
            names,
            ["id", "page", PARTITION, OFFSET, "_timestamp", "_key"]
        );
        let ctx = SessionContext::new();
        ctx.register_table("clicks", Arc::new(table)).unwrap();
        assert_eq!(count(&ctx, "SELECT count(*) FROM clicks").await, 300);
        assert_eq!(
            count(&ctx, "SELECT count(DISTINCT id) FROM clicks").await,
            300
        );
        assert_eq!(
            count(
                &ctx,
                "SELECT count(*) FROM clicks WHERE _partition = 1 AND _offset >= 90"
            )
            .await,
            11 - 1
        );
        assert_eq!(
            count(
                &ctx,
                "SELECT sum(id) FROM clicks WHERE _partition IN (0, 2) AND _offset < 2"
            )
            .await,
            3 + 2 + 5
        );
        // The scan plan reads only the partitions the filter allows.
        let plan = ctx
            .sql("EXPLAIN SELECT * FROM clicks WHERE _partition = 2")
            .await
            .unwrap()
            .collect()
            .await
            .unwrap();
        let text = datafusion::arrow::util::pretty::pretty_format_batches(&plan)
            .unwrap()
            .to_string();
        assert!(
            text.contains("partition_sizes=[1]") || text.contains("partitions=1"),
            "{text}"
        );
    }
}
