//! `SortedMap`: the string-keyed maps of playbooks and submissions (texts per
//! locale, minutes per grade, answers per field id), kept as sorted vectors.
//!
//! Why not `BTreeMap`: every `BTreeMap<K, V>` is its own copy of the B-tree
//! code (insert, search, iteration, drop), and the widget ships every copy to
//! landing pages; five of them cost tens of KB of wasm. These maps hold a
//! handful of entries, where a binary search over a sorted `Vec` is as fast,
//! and keys live apart from values so the search is one function for all of
//! them. Iteration, equality and serialization follow key order exactly as a
//! `BTreeMap<String, V>`'s do, so the JSON on the wire, the canonical JSON and
//! the version hash are the same bytes as before.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde::ser::{Serialize, Serializer};

/// A map from `String` to `V`, iterated in key order (byte order, as `BTreeMap`).
#[derive(Clone, PartialEq, Eq)]
pub struct SortedMap<V> {
    /// Sorted, without duplicates.
    keys: Vec<String>,
    /// `values[i]` belongs to `keys[i]`.
    values: Vec<V>,
}

/// Where `key` is, or where it would go. Not generic: one copy for every map.
fn search(keys: &[String], key: &str) -> Result<usize, usize> {
    keys.binary_search_by(|k| k.as_str().cmp(key))
}

impl<V> SortedMap<V> {
    pub const fn new() -> Self {
        SortedMap {
            keys: Vec::new(),
            values: Vec::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    pub fn get(&self, key: &str) -> Option<&V> {
        search(&self.keys, key)
            .ok()
            .and_then(|i| self.values.get(i))
    }

    pub fn contains_key(&self, key: &str) -> bool {
        search(&self.keys, key).is_ok()
    }

    /// Sets `key` to `value`; returns the value it replaces, as `BTreeMap::insert`.
    pub fn insert(&mut self, key: String, value: V) -> Option<V> {
        match search(&self.keys, &key) {
            Ok(i) => self
                .values
                .get_mut(i)
                .map(|slot| std::mem::replace(slot, value)),
            Err(i) => {
                self.keys.insert(i, key);
                self.values.insert(i, value);
                None
            }
        }
    }

    pub fn remove(&mut self, key: &str) -> Option<V> {
        let i = search(&self.keys, key).ok()?;
        self.keys.remove(i);
        Some(self.values.remove(i))
    }

    /// Keys in order.
    pub fn keys(&self) -> std::slice::Iter<'_, String> {
        self.keys.iter()
    }

    /// Values in the order of their keys.
    pub fn values(&self) -> std::slice::Iter<'_, V> {
        self.values.iter()
    }

    /// Entries in key order.
    pub fn iter(&self) -> Iter<'_, V> {
        self.keys.iter().zip(self.values.iter())
    }
}

/// Entries of a [`SortedMap`] in key order.
pub type Iter<'a, V> = std::iter::Zip<std::slice::Iter<'a, String>, std::slice::Iter<'a, V>>;

impl<V> Default for SortedMap<V> {
    fn default() -> Self {
        SortedMap::new()
    }
}

impl<V: fmt::Debug> fmt::Debug for SortedMap<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<'a, V> IntoIterator for &'a SortedMap<V> {
    type Item = (&'a String, &'a V);
    type IntoIter = Iter<'a, V>;
    fn into_iter(self) -> Iter<'a, V> {
        self.iter()
    }
}

/// A later entry with the same key wins, as when collecting into a `BTreeMap`.
impl<V> FromIterator<(String, V)> for SortedMap<V> {
    fn from_iter<I: IntoIterator<Item = (String, V)>>(iter: I) -> Self {
        let mut m = SortedMap::new();
        for (k, v) in iter {
            m.insert(k, v);
        }
        m
    }
}

impl<V> From<std::collections::BTreeMap<String, V>> for SortedMap<V> {
    fn from(m: std::collections::BTreeMap<String, V>) -> Self {
        m.into_iter().collect()
    }
}

impl<V: Serialize> Serialize for SortedMap<V> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.iter())
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for SortedMap<V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct MapVisitor<V>(PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for MapVisitor<V> {
            type Value = SortedMap<V>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a map")
            }
            // A repeated key keeps its last value, as `BTreeMap` does.
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = SortedMap::new();
                while let Some((k, v)) = map.next_entry::<String, V>()? {
                    out.insert(k, v);
                }
                Ok(out)
            }
        }
        d.deserialize_map(MapVisitor(PhantomData))
    }
}

/// The same schema as `BTreeMap<String, V>`: editors see no difference.
#[cfg(feature = "schema")]
impl<V: schemars::JsonSchema> schemars::JsonSchema for SortedMap<V> {
    fn inline_schema() -> bool {
        <std::collections::BTreeMap<String, V>>::inline_schema()
    }
    fn schema_name() -> std::borrow::Cow<'static, str> {
        <std::collections::BTreeMap<String, V>>::schema_name()
    }
    fn schema_id() -> std::borrow::Cow<'static, str> {
        <std::collections::BTreeMap<String, V>>::schema_id()
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        <std::collections::BTreeMap<String, V>>::json_schema(generator)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn behaves_like_a_btreemap_of_strings() {
        let pairs = [
            ("de", 1),
            ("en", 2),
            ("De", 3),
            ("de", 4),
            ("", 5),
            ("é", 6),
        ];
        let ours: SortedMap<i32> = pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect();
        let theirs: BTreeMap<String, i32> =
            pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect();
        assert!(ours.iter().eq(theirs.iter()));
        assert_eq!(ours.len(), theirs.len());
        assert_eq!(ours.get("de"), Some(&4));
        assert_eq!(ours.get("fr"), None);
        assert_eq!(
            serde_json::to_string(&ours).ok(),
            serde_json::to_string(&theirs).ok()
        );
        let mut ours = ours;
        assert_eq!(ours.insert("en".into(), 7), Some(2));
        assert_eq!(ours.remove("De"), Some(3));
        assert_eq!(ours.remove("De"), None);
        assert!(!ours.contains_key("De"));
        assert_eq!(ours.keys().collect::<Vec<_>>(), ["", "de", "en", "é"]);
    }

    #[test]
    fn reads_json_objects_in_any_order_last_key_winning() {
        let m: SortedMap<u32> =
            serde_json::from_str(r#"{"b": 1, "a": 2, "b": 3}"#).unwrap_or_default();
        assert_eq!(
            m.iter().collect::<Vec<_>>(),
            [(&"a".into(), &2), (&"b".into(), &3)]
        );
        assert_eq!(
            serde_json::to_string(&m).ok().as_deref(),
            Some(r#"{"a":2,"b":3}"#)
        );
    }
}
