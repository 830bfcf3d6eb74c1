//! librdkafka clients for a Kafka table: configuration, partitions, watermarks, and reading an
//! offset range of one partition. Calls block (librdkafka's API does), so callers run them on
//! blocking threads.

use std::time::{Duration, Instant};

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError as RdError;
use rdkafka::message::Message as _;
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::{Offset, TopicPartitionList};

use super::config::KafkaTableDecl;
use super::decode::Message;
use super::error::{KafkaError, KafkaResult};
use super::sequence::{Admit, Sequence};

/// How long a metadata or watermark request may take.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a read may go without a message before it gives up.
pub const READ_IDLE_TIMEOUT: Duration = Duration::from_secs(15);

/// A consumer for `decl`'s brokers. It never joins a group or commits offsets: Aloe assigns
/// partitions itself and keeps offsets in bronze.
pub fn consumer(decl: &KafkaTableDecl) -> KafkaResult<BaseConsumer> {
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", &decl.brokers)
        .set("group.id", format!("aloe-{}", decl.name))
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("enable.partition.eof", "true")
        .set("auto.offset.reset", "earliest");
    for (k, v) in &decl.options {
        config.set(k, v);
    }
    config.create().map_err(|e| client(decl, e))
}

fn client(decl: &KafkaTableDecl, source: RdError) -> KafkaError {
    KafkaError::Client {
        table: decl.name.clone(),
        source,
    }
}

/// The topic's partitions, in order.
pub fn partitions(decl: &KafkaTableDecl, consumer: &BaseConsumer) -> KafkaResult<Vec<i32>> {
    let metadata = consumer
        .fetch_metadata(Some(decl.topic()), REQUEST_TIMEOUT)
        .map_err(|e| client(decl, e))?;
    let topic = metadata
        .topics()
        .iter()
        .find(|t| t.name() == decl.topic())
        .filter(|t| {
            !matches!(
                t.error().map(RDKafkaErrorCode::from),
                Some(RDKafkaErrorCode::UnknownTopicOrPartition)
            )
        })
        .ok_or_else(|| KafkaError::NoTopic {
            table: decl.name.clone(),
            topic: decl.topic().to_owned(),
        })?;
    if let Some(e) = topic.error() {
        return Err(client(decl, RdError::MetadataFetch(e.into())));
    }
    let mut ids: Vec<i32> = topic.partitions().iter().map(|p| p.id()).collect();
    if ids.is_empty() {
        return Err(KafkaError::NoTopic {
            table: decl.name.clone(),
            topic: decl.topic().to_owned(),
        });
    }
    ids.sort_unstable();
    Ok(ids)
}

/// The first offset and the offset after the last message of a partition.
pub fn watermarks(
    decl: &KafkaTableDecl,
    consumer: &BaseConsumer,
    partition: i32,
) -> KafkaResult<(i64, i64)> {
    consumer
        .fetch_watermarks(decl.topic(), partition, REQUEST_TIMEOUT)
        .map_err(|e| client(decl, e))
}

/// The first offset whose timestamp is at or after `ms`, or None if there is none yet.
pub fn offset_at(
    decl: &KafkaTableDecl,
    consumer: &BaseConsumer,
    partition: i32,
    ms: i64,
) -> KafkaResult<Option<i64>> {
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset(decl.topic(), partition, Offset::Offset(ms))
        .map_err(|e| client(decl, e))?;
    let found = consumer
        .offsets_for_times(tpl, REQUEST_TIMEOUT)
        .map_err(|e| client(decl, e))?;
    Ok(found.elements().first().and_then(|e| match e.offset() {
        Offset::Offset(o) => Some(o),
        _ => None,
    }))
}

/// The high watermark of `partition` as the last fetch response carried it, if one came.
/// rdkafka 0.39 does not wrap `rd_kafka_get_watermark_offsets`, which reads librdkafka's
/// cached value without a request, hence the FFI call.
fn fetched_high_watermark(consumer: &BaseConsumer, topic: &str, partition: i32) -> Option<i64> {
    use rdkafka::bindings::{rd_kafka_get_watermark_offsets, rd_kafka_resp_err_t};
    let topic = std::ffi::CString::new(topic).ok()?;
    let (mut low, mut high) = (-1i64, -1i64);
    // SAFETY: the client handle lives as long as `consumer`; `topic` is a NUL-terminated string
    // that outlives the call; `low` and `high` are locals librdkafka writes to.
    let err = unsafe {
        rd_kafka_get_watermark_offsets(
            consumer.client().native_ptr(),
            topic.as_ptr(),
            partition,
            &mut low,
            &mut high,
        )
    };
    (err == rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR && high >= 0).then_some(high)
}

/// Reads `[start, end)` of `partition`, handing messages to `sink` in chunks of up to `chunk`;
/// `sink` returns false to stop early (the reader went away).
pub fn read_range(
    decl: &KafkaTableDecl,
    consumer: &BaseConsumer,
    partition: i32,
    (start, end): (i64, i64),
    chunk: usize,
    mut sink: impl FnMut(Vec<Message>) -> bool,
) -> KafkaResult<()> {
    if start >= end {
        return Ok(());
    }
    let mut tpl = TopicPartitionList::new();
    // From before `start`: see `sequence` for the brokers that need it.
    tpl.add_partition_offset(
        decl.topic(),
        partition,
        Offset::Offset(Sequence::fetch_from(start)),
    )
    .map_err(|e| client(decl, e))?;
    consumer.assign(&tpl).map_err(|e| client(decl, e))?;
    let mut sequence = Sequence::new(&std::collections::BTreeMap::from([(partition, start)]));
    let (mut end, mut checked_end) = (end, false);
    let mut buffer = Vec::with_capacity(chunk.min(65_536));
    let mut last_progress = Instant::now();
    loop {
        match consumer.poll(Duration::from_millis(100)) {
            Some(Ok(m)) => {
                last_progress = Instant::now();
                if !checked_end && m.offset() >= end - 1 {
                    // Some brokers (tansu 0.6) answer ListOffsets with less than the high
                    // watermark their own fetch responses carry; the fetch's is the truth.
                    checked_end = true;
                    if let Some(high) = fetched_high_watermark(consumer, decl.topic(), partition) {
                        end = end.max(high);
                    }
                }
                if m.offset() >= end {
                    break;
                }
                if sequence.admit(partition, m.offset()) != Admit::Seen {
                    buffer.push(Message::copied(&m));
                }
                let done = m.offset() >= end - 1;
                if (buffer.len() >= chunk || done) && !sink(std::mem::take(&mut buffer)) {
                    return Ok(());
                }
                if done {
                    break;
                }
            }
            // The end of what the partition held: offsets past it were compacted away or were
            // transaction markers.
            Some(Err(RdError::PartitionEOF(_))) => break,
            Some(Err(e)) => {
                tracing::warn!(table = %decl.name, partition, error = %e, "kafka read error");
                if last_progress.elapsed() > READ_IDLE_TIMEOUT {
                    return Err(client(decl, e));
                }
            }
            None => {
                if last_progress.elapsed() > READ_IDLE_TIMEOUT {
                    return Err(KafkaError::Decode {
                        table: decl.name.clone(),
                        message: format!(
                            "no message from partition {partition} for {}s while reading \
                             offsets {start}..{end}; are the brokers up?",
                            READ_IDLE_TIMEOUT.as_secs()
                        ),
                    });
                }
            }
        }
    }
    if !buffer.is_empty() {
        sink(buffer);
    }
    let _ = consumer.unassign();
    Ok(())
}
