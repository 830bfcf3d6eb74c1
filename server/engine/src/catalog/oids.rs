//! Aloe's OID policy: every database, schema, table and index gets an OID derived from its
//! name, so OIDs are the same after a restart, on every server that opens the same lake, and
//! do not move when another table is created or dropped.
//!
//! PostgreSQL's fixed OIDs are kept where clients know them: `pg_catalog` is 11, `public` is
//! 2200, the `postgres` database is 5 and type OIDs are PostgreSQL's (pg_type is static).
//! Other OIDs come from a hash of the object's kind and name, in the user range
//! (16384 and up). Two names whose hashes meet are told apart by taking the next free OID in
//! the order of their names, so a collision moves only the later name's OID, and only while
//! both exist.

use std::collections::{BTreeMap, HashMap, HashSet};

/// The first OID PostgreSQL leaves to user objects (`FirstNormalObjectId`).
const FIRST_USER_OID: u32 = 16384;

/// Schemas, tables and databases are numbered below this; recorded indexes from here on.
const FIRST_INDEX_OID: u32 = 1_000_000_000;

/// FNV-1a over `parts`, each followed by a zero byte. Written out here because the standard
/// hasher may change between Rust releases, and an OID must not.
fn hash(parts: &[&str]) -> u32 {
    let mut hash: u32 = 0x811c_9dc5;
    for part in parts {
        for byte in part.bytes().chain([0]) {
            hash ^= u32::from(byte);
            hash = hash.wrapping_mul(0x0100_0193);
        }
    }
    hash
}

/// An OID in `[low, high)` for `parts`.
fn in_range(parts: &[&str], low: u32, high: u32) -> u32 {
    low + hash(parts) % (high - low)
}

/// The stable OID of a recorded index in `zone`.
pub fn index(zone: &str, name: &str) -> i64 {
    i64::from(in_range(
        &["index", zone, name],
        FIRST_INDEX_OID,
        i32::MAX as u32,
    ))
}

/// PostgreSQL's own OID for a schema clients know by number.
fn fixed_namespace(name: &str) -> Option<u32> {
    match name {
        "pg_catalog" => Some(11),
        "public" => Some(2200),
        _ => None,
    }
}

/// PostgreSQL's own OID for a database clients know by number.
fn fixed_database(name: &str) -> Option<u32> {
    (name == "postgres").then_some(5)
}

/// The OIDs of one set of schemas and relations, each unique within the set.
#[derive(Debug, Default)]
pub struct Numbering {
    namespaces: HashMap<String, i32>,
    relations: HashMap<(String, String), i32>,
}

impl Numbering {
    /// Numbers `namespaces` and the `relations` (schema, name) in them.
    pub fn new(
        namespaces: impl IntoIterator<Item = String>,
        relations: impl IntoIterator<Item = (String, String)>,
    ) -> Self {
        let mut taken = HashSet::new();
        let namespaces: BTreeMap<String, ()> = namespaces.into_iter().map(|n| (n, ())).collect();
        // Fixed OIDs first, so a hashed name can never take one.
        taken.extend(namespaces.keys().filter_map(|n| fixed_namespace(n)));
        let namespaces = namespaces
            .into_keys()
            .map(|name| {
                let oid = fixed_namespace(&name)
                    .unwrap_or_else(|| free(&mut taken, &["namespace", &name]));
                (name, oid as i32)
            })
            .collect();
        let relations: BTreeMap<(String, String), ()> =
            relations.into_iter().map(|r| (r, ())).collect();
        let relations = relations
            .into_keys()
            .map(|(schema, name)| {
                let oid = free(&mut taken, &["relation", &schema, &name]);
                ((schema, name), oid as i32)
            })
            .collect();
        Self {
            namespaces,
            relations,
        }
    }

    /// The OID of schema `name`, if it is in the set.
    pub fn namespace(&self, name: &str) -> Option<i32> {
        self.namespaces.get(name).copied()
    }

    /// The OID of relation `name` in `schema`, if it is in the set.
    pub fn relation(&self, schema: &str, name: &str) -> Option<i32> {
        self.relations
            .get(&(schema.to_owned(), name.to_owned()))
            .copied()
    }
}

/// The hashed OID for `parts`, or the next one not yet `taken`.
fn free(taken: &mut HashSet<u32>, parts: &[&str]) -> u32 {
    let mut oid = in_range(parts, FIRST_USER_OID, FIRST_INDEX_OID);
    while !taken.insert(oid) {
        oid = if oid + 1 == FIRST_INDEX_OID {
            FIRST_USER_OID
        } else {
            oid + 1
        };
    }
    oid
}

/// The OIDs of the databases `names`, unique among them.
pub fn databases(names: impl IntoIterator<Item = String>) -> HashMap<String, i32> {
    let names: BTreeMap<String, ()> = names.into_iter().map(|n| (n, ())).collect();
    let mut taken: HashSet<u32> = names.keys().filter_map(|n| fixed_database(n)).collect();
    names
        .into_keys()
        .map(|name| {
            let oid =
                fixed_database(&name).unwrap_or_else(|| free(&mut taken, &["database", &name]));
            (name, oid as i32)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(s, t)| (s.to_string(), t.to_string()))
            .collect()
    }

    #[test]
    fn a_new_table_does_not_move_the_others() {
        let before = Numbering::new(
            ["gold".to_string()],
            names(&[("gold", "orders"), ("gold", "products")]),
        );
        let after = Numbering::new(
            ["gold".to_string(), "bronze".to_string()],
            names(&[("gold", "orders"), ("gold", "products"), ("bronze", "aaa")]),
        );
        for table in ["orders", "products"] {
            assert_eq!(
                before.relation("gold", table),
                after.relation("gold", table)
            );
        }
        assert_eq!(before.namespace("gold"), after.namespace("gold"));
        assert!(after.relation("gold", "missing").is_none());
    }

    #[test]
    fn postgres_fixed_oids_are_kept() {
        let n = Numbering::new(
            ["pg_catalog".into(), "public".into(), "gold".into()],
            vec![],
        );
        assert_eq!(n.namespace("pg_catalog"), Some(11));
        assert_eq!(n.namespace("public"), Some(2200));
        assert!(n.namespace("gold").unwrap() >= FIRST_USER_OID as i32);
        assert_eq!(databases(["postgres".to_string()])["postgres"], 5);
    }

    #[test]
    fn colliding_names_get_distinct_oids() {
        // Many names in a small set of schemas: every OID is distinct and in the user range.
        let relations: Vec<(String, String)> = (0..20_000)
            .map(|i| (format!("s{}", i % 7), format!("t{i}")))
            .collect();
        let n = Numbering::new((0..7).map(|i| format!("s{i}")), relations.clone());
        let oids: HashSet<i32> = relations
            .iter()
            .map(|(s, t)| n.relation(s, t).unwrap())
            .collect();
        assert_eq!(oids.len(), relations.len());
        assert!(
            oids.iter()
                .all(|o| (FIRST_USER_OID as i32..FIRST_INDEX_OID as i32).contains(o))
        );
    }

    #[test]
    fn a_collision_is_resolved_by_name_order() {
        let mut taken = HashSet::new();
        let first = free(&mut taken, &["relation", "a", "x"]);
        let second = free(&mut taken, &["relation", "a", "x"]);
        assert_eq!(second, first + 1);
    }
}
