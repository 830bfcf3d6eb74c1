//! The ingester: consumes a topic in micro-batches and lands each in its bronze Delta table in
//! one commit that also records every partition's next offset. After a restart or a crash it
//! resumes from the offsets of the last commit, so each message lands exactly once.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use datafusion::arrow::array::RecordBatch;
use deltalake::DeltaTable;
use deltalake::kernel::Transaction;
use deltalake::kernel::transaction::CommitProperties;
use deltalake::protocol::SaveMode;
use futures::future::BoxFuture;
use rdkafka::consumer::Consumer;
use rdkafka::error::KafkaError as RdError;
use rdkafka::{Offset, TopicPartitionList};
use tokio::sync::{mpsc, watch};

use super::client;
use super::decode::{Message, decode};
use super::error::{KafkaError, KafkaResult};
use super::offsets::{Bronze, app_id, next_offsets};
use super::quarantine;
use super::scan::KafkaTable;
use super::sequence::{Admit, Sequence};
use crate::lake::{LakeError, delta};
use rdkafka::message::Message as _;

/// What an ingester has done, for logs, metrics and `aloe` status queries.
#[derive(Debug, Default)]
pub struct IngestStatus {
    /// Rows landed in bronze.
    pub rows: AtomicU64,
    /// Messages put in quarantine.
    pub quarantined: AtomicU64,
    /// Delta commits made.
    pub commits: AtomicU64,
    /// Failures (broker unreachable, commit failed), each followed by a retry.
    pub errors: AtomicU64,
    /// Whether the last attempt to reach the brokers worked.
    pub connected: AtomicBool,
    /// When the last commit was made, in milliseconds since the epoch (0 before the first).
    pub last_commit_ms: AtomicI64,
    /// Per partition: the next offset bronze holds and the broker's high watermark.
    pub partitions: std::sync::Mutex<BTreeMap<i32, PartitionProgress>>,
}

/// Where one partition stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PartitionProgress {
    /// The next offset to land (bronze holds everything before it), if known.
    pub next_offset: Option<i64>,
    /// The offset after the newest message on the broker, when last asked.
    pub high_watermark: Option<i64>,
}

impl IngestStatus {
    /// Each partition's progress, in partition order.
    pub fn partitions(&self) -> Vec<(i32, PartitionProgress)> {
        self.partitions
            .lock()
            .expect("status lock")
            .iter()
            .map(|(p, s)| (*p, *s))
            .collect()
    }

    fn update(&self, partition: i32, f: impl FnOnce(&mut PartitionProgress)) {
        f(self
            .partitions
            .lock()
            .expect("status lock")
            .entry(partition)
            .or_default());
    }
}

/// Called after each commit, so the server can show the new rows.
pub type OnCommit = Arc<dyn Fn() -> BoxFuture<'static, ()> + Send + Sync>;

/// Lands one topic in bronze.
pub struct Ingester {
    table: Arc<KafkaTable>,
    bronze: Bronze,
    quarantine: Bronze,
    status: Arc<IngestStatus>,
    on_commit: OnCommit,
}

/// Longest wait between retries.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

impl Ingester {
    /// An ingester for `table`, which must have a bronze target; `quarantine` is where bad
    /// messages go.
    pub fn new(
        table: Arc<KafkaTable>,
        quarantine: Bronze,
        on_commit: OnCommit,
    ) -> KafkaResult<Self> {
        let bronze = table.bronze().cloned().ok_or_else(|| KafkaError::Config {
            table: table.decl().name.clone(),
            message: "not ingested (no [ingest] section)".into(),
        })?;
        Ok(Self {
            table,
            bronze,
            quarantine,
            status: Arc::default(),
            on_commit,
        })
    }

    /// What it has done so far.
    pub fn status(&self) -> Arc<IngestStatus> {
        self.status.clone()
    }

    /// Ingests until `shutdown` turns true, retrying with backoff whenever the brokers or the
    /// lake fail.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let name = self.table.decl().name.clone();
        let mut backoff = Duration::from_millis(500);
        while !*shutdown.borrow() {
            let started = Instant::now();
            match self.session(&mut shutdown).await {
                Ok(()) => return,
                Err(e) => {
                    self.status.errors.fetch_add(1, Ordering::Relaxed);
                    self.status.connected.store(false, Ordering::Relaxed);
                    if started.elapsed() > MAX_BACKOFF {
                        backoff = Duration::from_millis(500);
                    }
                    tracing::warn!(table = %name, error = %e, retry_in_ms = backoff.as_millis() as u64, "ingestion interrupted; resuming from bronze's offsets");
                    tokio::select! {
                        _ = tokio::time::sleep(backoff) => {}
                        _ = shutdown.changed() => return,
                    }
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        }
    }

    /// One run from bronze's offsets until shutdown (Ok) or a failure (Err).
    async fn session(&self, shutdown: &mut watch::Receiver<bool>) -> KafkaResult<()> {
        let decl = self.table.decl().clone();
        let partitions = self.table.partitions().await?;
        self.status.connected.store(true, Ordering::Relaxed);
        let mut current = self.bronze.load().await?;
        let start = match &current {
            Some(t) => next_offsets(t, decl.topic(), &partitions).await?,
            None => BTreeMap::new(),
        };
        let mut quarantine_table = self.quarantine.load().await?;
        let mut quarantined_until = match &quarantine_table {
            Some(t) => next_offsets(t, decl.topic(), &partitions).await?,
            None => BTreeMap::new(),
        };
        for &p in &partitions {
            let next = start.get(&p).copied();
            self.status
                .update(p, |s| s.next_offset = next.or(s.next_offset));
        }
        tracing::info!(table = %decl.name, ?start, "ingesting");
        let (tx, mut rx) = mpsc::channel::<KafkaResult<Vec<Message>>>(2);
        let stop = Arc::new(AtomicBool::new(false));
        let consumer_stop = stop.clone();
        let status = self.status.clone();
        let reader = tokio::task::spawn_blocking(move || {
            consume(&decl, &partitions, &start, &tx, &consumer_stop, &status)
        });
        let result = loop {
            tokio::select! {
                _ = shutdown.changed() => break Ok(()),
                batch = rx.recv() => match batch {
                    Some(Ok(messages)) => {
                        if let Err(e) = self
                            .commit(&messages, &mut current, &mut quarantine_table, &mut quarantined_until)
                            .await
                        {
                            break Err(e);
                        }
                    }
                    Some(Err(e)) => break Err(e),
                    None => break Err(KafkaError::Decode {
                        table: self.table.decl().name.clone(),
                        message: "the consumer stopped".into(),
                    }),
                }
            }
        };
        stop.store(true, Ordering::Relaxed);
        drop(rx);
        let _ = reader.await;
        result
    }

    /// Lands `messages`: bad ones in quarantine first, then the rows with the new offsets.
    async fn commit(
        &self,
        messages: &[Message],
        current: &mut Option<DeltaTable>,
        quarantine_table: &mut Option<DeltaTable>,
        quarantined_until: &mut BTreeMap<i32, i64>,
    ) -> KafkaResult<()> {
        let decl = self.table.decl();
        let decoded = decode(&self.table.table_schema(), messages)?;
        // A crash between the two commits replays these messages; the quarantine's own offsets
        // keep them from being quarantined twice.
        let fresh: Vec<_> = decoded
            .rejects
            .iter()
            .filter(|r| {
                let m = &messages[r.index];
                m.offset
                    >= quarantined_until
                        .get(&m.partition)
                        .copied()
                        .unwrap_or(i64::MIN)
            })
            .cloned()
            .collect();
        if !fresh.is_empty() {
            let rows = quarantine::rows(decl.topic(), messages, &fresh)?;
            let next = next_per_partition(fresh.iter().map(|r| &messages[r.index]));
            *quarantine_table = Some(
                append(
                    &self.quarantine,
                    quarantine_table.take(),
                    rows,
                    decl.topic(),
                    &next,
                )
                .await?,
            );
            quarantined_until.extend(next);
            self.status
                .quarantined
                .fetch_add(fresh.len() as u64, Ordering::Relaxed);
            tracing::warn!(table = %decl.name, messages = fresh.len(), first_reason = %fresh[0].reason, "messages quarantined");
        }
        let rows = decoded.batch.num_rows() as u64;
        if rows > 0 {
            let next = next_per_partition(messages.iter());
            for (&p, &o) in &next {
                self.status.update(p, |s| {
                    s.next_offset = Some(o);
                    // Offsets landed were on the broker: its watermark is at least past them,
                    // also when its answer to the watermark request has not come (tansu's
                    // often times out).
                    s.high_watermark = Some(s.high_watermark.map_or(o, |h| h.max(o)));
                });
            }
            *current = Some(
                append(
                    &self.bronze,
                    current.take(),
                    decoded.batch,
                    decl.topic(),
                    &next,
                )
                .await?,
            );
            self.status.rows.fetch_add(rows, Ordering::Relaxed);
            let commits = self.status.commits.fetch_add(1, Ordering::Relaxed) + 1;
            let every = decl.ingest.as_ref().map_or(0, |i| i.compact_every);
            if every > 0 && commits.is_multiple_of(every) {
                *current = Some(compact(current.take().expect("just written"), &decl.name).await?);
            }
            self.status
                .last_commit_ms
                .store(chrono::Utc::now().timestamp_millis(), Ordering::Relaxed);
        }
        if rows > 0 || !fresh.is_empty() {
            (self.on_commit)().await;
        }
        Ok(())
    }
}

/// Rewrites the small files of one commit per micro-batch into bigger ones (Delta's optimize:
/// one commit that removes the small files and adds the big ones; readers see either). The
/// offsets recorded earlier stay valid, since optimize changes no rows.
async fn compact(table: DeltaTable, name: &str) -> KafkaResult<DeltaTable> {
    let started = Instant::now();
    let (table, metrics) = table
        .optimize()
        .await
        .map_err(|e| KafkaError::Lake(LakeError::from(e)))?;
    tracing::info!(
        table = %name,
        files_removed = metrics.num_files_removed,
        files_added = metrics.num_files_added,
        ms = started.elapsed().as_millis() as u64,
        "bronze compacted"
    );
    Ok(table)
}

/// The offset after the last of `messages`, per partition.
fn next_per_partition<'a>(messages: impl Iterator<Item = &'a Message>) -> BTreeMap<i32, i64> {
    let mut next = BTreeMap::new();
    for m in messages {
        let e = next.entry(m.partition).or_insert(m.offset + 1);
        *e = (*e).max(m.offset + 1);
    }
    next
}

/// Appends `rows` to the Delta table of `target` with `next` recorded as the partitions' next
/// offsets, in one commit.
async fn append(
    target: &Bronze,
    table: Option<DeltaTable>,
    rows: RecordBatch,
    topic: &str,
    next: &BTreeMap<i32, i64>,
) -> KafkaResult<DeltaTable> {
    let table = match table {
        Some(t) => t,
        None => delta::handle_for_write(&target.zone, &target.url).await?,
    };
    let txns = next
        .iter()
        .map(|(&p, &o)| Transaction::new(app_id(topic, p), o))
        .collect();
    table
        .write(vec![rows])
        .with_save_mode(SaveMode::Append)
        .with_commit_properties(CommitProperties::default().with_application_transactions(txns))
        .await
        .map_err(|e| KafkaError::Lake(LakeError::from(e)))
}

/// The consumer loop, on a blocking thread: assigns every partition at its next offset and
/// sends a batch whenever `batch_size` messages are in or `interval_ms` has passed since the
/// first of them.
fn consume(
    decl: &crate::kafka::KafkaTableDecl,
    partitions: &[i32],
    start: &BTreeMap<i32, i64>,
    tx: &mpsc::Sender<KafkaResult<Vec<Message>>>,
    stop: &AtomicBool,
    status: &IngestStatus,
) {
    let ingest = decl
        .ingest
        .clone()
        .unwrap_or_else(|| unreachable!("checked in Ingester::new"));
    let fail = |e: KafkaError| {
        let _ = tx.blocking_send(Err(e));
    };
    let consumer = match client::consumer(decl) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let mut tpl = TopicPartitionList::new();
    for &p in partitions {
        let offset = start.get(&p).map_or(Offset::Beginning, |&o| {
            Offset::Offset(Sequence::fetch_from(o))
        });
        if let Err(e) = tpl.add_partition_offset(decl.topic(), p, offset) {
            return fail(KafkaError::Client {
                table: decl.name.clone(),
                source: e,
            });
        }
    }
    if let Err(e) = consumer.assign(&tpl) {
        return fail(KafkaError::Client {
            table: decl.name.clone(),
            source: e,
        });
    }
    let mut sequence = Sequence::new(start);
    let interval = Duration::from_millis(ingest.interval_ms);
    let mut batch: Vec<Message> = Vec::with_capacity(ingest.batch_size.min(65_536));
    let mut first_at = Instant::now();
    let mut last_error_log: Option<Instant> = None;
    let mut watermarks_at: Option<Instant> = None;
    while !stop.load(Ordering::Relaxed) {
        // The broker's high watermarks, for the lag; a failure here is reported by the polls.
        if watermarks_at.is_none_or(|t| t.elapsed() > Duration::from_secs(2)) {
            watermarks_at = Some(Instant::now());
            for &p in partitions {
                if let Ok((_, high)) =
                    consumer.fetch_watermarks(decl.topic(), p, Duration::from_millis(500))
                {
                    // Some brokers (tansu) answer a stale watermark below what was consumed.
                    status.update(p, |s| {
                        s.high_watermark = Some(s.next_offset.map_or(high, |n| high.max(n)))
                    });
                }
            }
        }
        match consumer.poll(Duration::from_millis(50)) {
            Some(Ok(m)) => {
                status.connected.store(true, Ordering::Relaxed);
                match sequence.admit(m.partition(), m.offset()) {
                    Admit::Seen => continue,
                    Admit::Next => {}
                    Admit::AfterGap { missing } => tracing::warn!(
                        table = %decl.name, partition = m.partition(), missing,
                        next = m.offset(),
                        "the broker skipped offsets (compaction or transaction markers do)"
                    ),
                }
                if batch.is_empty() {
                    first_at = Instant::now();
                }
                batch.push(Message::copied(&m));
            }
            Some(Err(RdError::PartitionEOF(_))) | None => {}
            Some(Err(e)) => {
                // librdkafka reconnects by itself, with its own backoff; this only reports.
                status.connected.store(false, Ordering::Relaxed);
                status.errors.fetch_add(1, Ordering::Relaxed);
                if last_error_log.is_none_or(|t| t.elapsed() > Duration::from_secs(10)) {
                    tracing::warn!(table = %decl.name, error = %e, "kafka unreachable; librdkafka keeps retrying");
                    last_error_log = Some(Instant::now());
                }
            }
        }
        let due = !batch.is_empty()
            && (batch.len() >= ingest.batch_size || first_at.elapsed() >= interval);
        if due && tx.blocking_send(Ok(std::mem::take(&mut batch))).is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::KafkaTableDecl;
    use crate::lake::{S3Options, Zone};
    use datafusion::arrow::array::AsArray;
    use datafusion::arrow::datatypes::Int64Type;
    use datafusion::prelude::SessionContext;
    use rdkafka::ClientConfig;
    use rdkafka::mocking::MockCluster;
    use rdkafka::producer::{BaseProducer, BaseRecord, Producer};

    fn produce(brokers: &str, from: usize, to: usize) {
        let producer: BaseProducer = ClientConfig::new()
            .set("bootstrap.servers", brokers)
            .set("queue.buffering.max.messages", "1000000")
            .create()
            .unwrap();
        for i in from..to {
            let payload = if i % 1000 == 999 {
                format!(r#"{{"id": "bad-{i}"}}"#)
            } else {
                format!(r#"{{"id": {i}, "page": "/p/{}"}}"#, i % 13)
            };
            let key = i.to_string();
            producer
                .send(BaseRecord::to("events").key(&key).payload(&payload))
                .unwrap();
            if i % 10_000 == 0 {
                producer.poll(Duration::ZERO);
            }
        }
        producer.flush(Duration::from_secs(30)).unwrap();
    }

    async fn ingest_until(
        table: Arc<KafkaTable>,
        quarantine: Bronze,
        rows: u64,
        bad: u64,
    ) -> Arc<IngestStatus> {
        let ingester = Ingester::new(table, quarantine, Arc::new(|| Box::pin(async {}))).unwrap();
        let status = ingester.status();
        let (stop, shutdown) = watch::channel(false);
        let task = tokio::spawn(ingester.run(shutdown));
        let deadline = Instant::now() + Duration::from_secs(60);
        while status.rows.load(Ordering::Relaxed) < rows
            || status.quarantined.load(Ordering::Relaxed) < bad
        {
            assert!(Instant::now() < deadline, "{status:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        stop.send(true).unwrap();
        task.await.unwrap();
        status
    }

    async fn query(ctx: &SessionContext, sql: &str) -> Vec<i64> {
        let batches = ctx.sql(sql).await.unwrap().collect().await.unwrap();
        (0..batches[0].num_columns())
            .map(|c| batches[0].column(c).as_primitive::<Int64Type>().value(0))
            .collect()
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn every_message_lands_once_across_restarts_and_bad_ones_in_quarantine() {
        let _ = tracing_subscriber::fmt().with_test_writer().try_init();
        let cluster = MockCluster::new(1).unwrap();
        cluster.create_topic("events", 4, 1).unwrap();
        let brokers = cluster.bootstrap_servers();
        produce(&brokers, 0, 50_000);
        let dir = tempfile::tempdir().unwrap();
        let zone = Zone::open(
            "bronze",
            dir.path().to_str().unwrap(),
            &S3Options::default(),
        )
        .unwrap();
        let decl: KafkaTableDecl = toml::from_str(&format!(
            "name = 'events'\nbrokers = '{brokers}'\n[[columns]]\nname = 'id'\ntype = 'bigint'\n\
             [[columns]]\nname = 'page'\ntype = 'text'\n[ingest]\nbatch_size = 7000\ninterval_ms = 200\ncompact_every = 4\n"
        ))
        .unwrap();
        let bronze = Bronze {
            zone: zone.clone(),
            url: zone.table_url("events"),
            name: "events".into(),
        };
        let quarantine = Bronze {
            zone: zone.clone(),
            url: zone.table_url("events_quarantine"),
            name: "events_quarantine".into(),
        };
        let table = Arc::new(KafkaTable::open(decl, Some(bronze.clone())).await.unwrap());
        let first = ingest_until(table.clone(), quarantine.clone(), 49_950, 50).await;
        assert_eq!(first.rows.load(Ordering::Relaxed), 49_950);
        // A second run after more messages arrive picks up where the first stopped.
        produce(&brokers, 50_000, 100_000);
        let second = ingest_until(table.clone(), quarantine.clone(), 49_950, 50).await;
        assert_eq!(second.rows.load(Ordering::Relaxed), 49_950);
        assert_eq!(second.quarantined.load(Ordering::Relaxed), 50);

        let ctx = SessionContext::new();
        let landed = delta::open(&zone, &bronze.url).await.unwrap();
        ctx.register_table("landed", landed).unwrap();
        let q = delta::open(&zone, &quarantine.url).await.unwrap();
        ctx.register_table("q", q).unwrap();
        assert_eq!(
            query(&ctx, "SELECT count(*), count(DISTINCT id), count(DISTINCT (_partition, _offset)) FROM landed").await,
            [99_900, 99_900, 99_900]
        );
        assert_eq!(
            query(&ctx, "SELECT count(*), count(DISTINCT (_partition, _offset)) FROM q WHERE reason LIKE '%bad-%'").await,
            [100, 100]
        );
        // Compaction kept the file count below one per commit, without touching the offsets.
        let files = delta::load(&zone, &bronze.url)
            .await
            .unwrap()
            .unwrap()
            .get_file_uris()
            .unwrap()
            .count();
        let commits =
            first.commits.load(Ordering::Relaxed) + second.commits.load(Ordering::Relaxed);
        assert!(
            commits >= 8 && (files as u64) < commits,
            "{files} files after {commits} commits"
        );
        // The tail beyond bronze is empty now.
        ctx.register_table("tail", table.clone()).unwrap();
        assert_eq!(query(&ctx, "SELECT count(*) FROM tail").await, [0]);
        assert_eq!(
            query(&ctx, "SELECT count(*) FROM tail WHERE _offset >= 0").await,
            [99_900]
        );
    }
}
