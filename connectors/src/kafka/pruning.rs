//! What a scan's filters say about which partitions, offsets and times can match, so that only
//! those are read. Bounds may be looser than the filters: DataFusion applies them again.

use std::collections::BTreeSet;

use datafusion::common::ScalarValue;
use datafusion::logical_expr::{BinaryExpr, Expr, Operator};

use super::decode::{OFFSET, PARTITION, TIMESTAMP};

/// The part of the topic a scan must read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Pruning {
    /// Only these partitions, if set.
    pub partitions: Option<BTreeSet<i32>>,
    /// Offsets from here on (inclusive), if set.
    pub offset_from: Option<i64>,
    /// Offsets before this (exclusive), if set.
    pub offset_until: Option<i64>,
    /// Messages stamped at or after this (milliseconds since the epoch), if set.
    pub time_from_ms: Option<i64>,
}

impl Pruning {
    /// The pruning all of `filters` allow together.
    pub fn from_filters(filters: &[Expr]) -> Self {
        let mut p = Self::default();
        for f in filters {
            p.add(f);
        }
        p
    }

    /// Whether `filter` limits what is read.
    pub fn understands(filter: &Expr) -> bool {
        let mut p = Self::default();
        p.add(filter);
        p != Self::default()
    }

    fn add(&mut self, filter: &Expr) {
        match filter {
            Expr::BinaryExpr(BinaryExpr { left, op, right }) if *op == Operator::And => {
                self.add(left);
                self.add(right);
            }
            Expr::BinaryExpr(BinaryExpr { left, op, right }) => {
                let (column, op, value) = match (left.as_ref(), right.as_ref()) {
                    (Expr::Column(c), Expr::Literal(v, _)) => (c.name.as_str(), *op, v),
                    (Expr::Literal(v, _), Expr::Column(c)) => match op.swap() {
                        Some(op) => (c.name.as_str(), op, v),
                        None => return,
                    },
                    _ => return,
                };
                self.compare(column, op, value);
            }
            Expr::Between(b) if !b.negated => {
                if let (Expr::Column(c), Expr::Literal(lo, _), Expr::Literal(hi, _)) =
                    (b.expr.as_ref(), b.low.as_ref(), b.high.as_ref())
                {
                    self.compare(&c.name, Operator::GtEq, lo);
                    self.compare(&c.name, Operator::LtEq, hi);
                }
            }
            Expr::InList(l) if !l.negated => {
                if let Expr::Column(c) = l.expr.as_ref()
                    && c.name == PARTITION
                {
                    let ids: Option<BTreeSet<i32>> = l
                        .list
                        .iter()
                        .map(|e| match e {
                            Expr::Literal(v, _) => integer(v).and_then(|n| i32::try_from(n).ok()),
                            _ => None,
                        })
                        .collect();
                    if let Some(ids) = ids {
                        self.only(ids);
                    }
                }
            }
            _ => {}
        }
    }

    fn only(&mut self, ids: BTreeSet<i32>) {
        self.partitions = Some(match self.partitions.take() {
            Some(old) => old.intersection(&ids).copied().collect(),
            None => ids,
        });
    }

    fn compare(&mut self, column: &str, op: Operator, value: &ScalarValue) {
        match column {
            PARTITION => {
                if let (Operator::Eq, Some(n)) =
                    (op, integer(value).and_then(|n| i32::try_from(n).ok()))
                {
                    self.only(BTreeSet::from([n]));
                }
            }
            OFFSET => {
                let Some(n) = integer(value) else { return };
                let from = |p: &mut Self, v: i64| {
                    p.offset_from = Some(p.offset_from.map_or(v, |o| o.max(v)))
                };
                let until = |p: &mut Self, v: i64| {
                    p.offset_until = Some(p.offset_until.map_or(v, |o| o.min(v)))
                };
                match op {
                    Operator::Eq => {
                        from(self, n);
                        until(self, n.saturating_add(1));
                    }
                    Operator::GtEq => from(self, n),
                    Operator::Gt => from(self, n.saturating_add(1)),
                    Operator::Lt => until(self, n),
                    Operator::LtEq => until(self, n.saturating_add(1)),
                    _ => {}
                }
            }
            TIMESTAMP => {
                let Some(ms) = millis(value) else { return };
                if matches!(op, Operator::Gt | Operator::GtEq | Operator::Eq) {
                    self.time_from_ms = Some(self.time_from_ms.map_or(ms, |t| t.max(ms)));
                }
            }
            _ => {}
        }
    }
}

fn integer(v: &ScalarValue) -> Option<i64> {
    match v {
        ScalarValue::Int8(Some(n)) => Some(i64::from(*n)),
        ScalarValue::Int16(Some(n)) => Some(i64::from(*n)),
        ScalarValue::Int32(Some(n)) => Some(i64::from(*n)),
        ScalarValue::Int64(Some(n)) => Some(*n),
        ScalarValue::UInt8(Some(n)) => Some(i64::from(*n)),
        ScalarValue::UInt16(Some(n)) => Some(i64::from(*n)),
        ScalarValue::UInt32(Some(n)) => Some(i64::from(*n)),
        ScalarValue::UInt64(Some(n)) => i64::try_from(*n).ok(),
        _ => None,
    }
}

/// A timestamp literal in milliseconds, rounded down so the bound stays loose.
fn millis(v: &ScalarValue) -> Option<i64> {
    match v {
        ScalarValue::TimestampSecond(Some(s), _) => s.checked_mul(1000),
        ScalarValue::TimestampMillisecond(Some(ms), _) => Some(*ms),
        ScalarValue::TimestampMicrosecond(Some(us), _) => Some(us.div_euclid(1000)),
        ScalarValue::TimestampNanosecond(Some(ns), _) => Some(ns.div_euclid(1_000_000)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::prelude::{col, lit};

    #[test]
    fn partitions_offsets_and_times_become_bounds() {
        let p = Pruning::from_filters(&[
            col(PARTITION).in_list(vec![lit(0), lit(2)], false),
            col(OFFSET)
                .gt_eq(lit(10i64))
                .and(col(OFFSET).lt(lit(20i64))),
            lit(12i64).lt(col(OFFSET)),
            col(TIMESTAMP).gt_eq(lit(ScalarValue::TimestampMicrosecond(
                Some(1_700_000_000_123_456),
                Some("UTC".into()),
            ))),
        ]);
        assert_eq!(p.partitions, Some(BTreeSet::from([0, 2])));
        assert_eq!(p.offset_from, Some(13));
        assert_eq!(p.offset_until, Some(20));
        assert_eq!(p.time_from_ms, Some(1_700_000_000_123));
        assert!(!Pruning::understands(&col("page").eq(lit("/"))));
        assert!(!Pruning::understands(&col(OFFSET).not_eq(lit(3i64))));
        let eq = Pruning::from_filters(&[col(PARTITION).eq(lit(1)), col(OFFSET).eq(lit(7i64))]);
        assert_eq!((eq.offset_from, eq.offset_until), (Some(7), Some(8)));
        assert_eq!(eq.partitions, Some(BTreeSet::from([1])));
    }
}
