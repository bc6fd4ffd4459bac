//! `SortedMap`: the string-keyed maps of playbooks and submissions (texts per
//! locale, minutes per grade, answers per field id), kept sorted: the keys end
//! to end in one `String`, the values in a `Vec`.
//!
//! Why not `BTreeMap`: every `BTreeMap<K, V>` is its own copy of the B-tree
//! code (insert, search, iteration, drop), and the widget ships every copy to
//! landing pages; five of them cost tens of KB of wasm. These maps hold a
//! handful of entries, where a binary search over a sorted `Vec` is as fast,
//! and keys live apart from values so the search is one function for all of
//! them (`KeyList`). Iteration, equality and serialization follow key order exactly as a
//! `BTreeMap<String, V>`'s do, so the JSON on the wire, the canonical JSON and
//! the version hash are the same bytes as before.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{Deserialize, DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde::ser::{Serialize, Serializer};

/// A map from `String` to `V`, iterated in key order (byte order, as `BTreeMap`).
#[derive(Clone, PartialEq, Eq)]
pub struct SortedMap<V> {
    keys: KeyList,
    /// `values[i]` belongs to key `i`.
    values: Vec<V>,
}

/// The keys of a map, sorted, without duplicates, end to end in one
/// `String`: a submission's dozen field ids are one allocation, not a dozen,
/// so parsing a lead allocates less and scoring reads its ids from one short
/// run of memory. Not generic: one copy of this code for every map.
#[derive(Clone, PartialEq, Eq)]
struct KeyList {
    text: String,
    /// `ends[i]` is where key `i` ends in `text` (it starts where `i - 1` ends).
    ends: Vec<u32>,
}

impl KeyList {
    fn start(&self, i: usize) -> usize {
        match i.checked_sub(1) {
            Some(j) => self.ends.get(j).map_or(0, |&e| e as usize),
            None => 0,
        }
    }

    fn get(&self, i: usize) -> Option<&str> {
        let end = *self.ends.get(i)? as usize;
        self.text.get(self.start(i)..end)
    }

    /// Where `key` is, or where it would go.
    fn search(&self, key: &str) -> Result<usize, usize> {
        let (mut lo, mut hi) = (0, self.ends.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.get(mid).unwrap_or("").cmp(key) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Ok(mid),
            }
        }
        Err(lo)
    }

    /// Puts `key` at `i` (where `search` said it goes); false when the keys
    /// would pass 4 GiB in all (no submission comes near: the edge takes 32 KB).
    fn insert(&mut self, i: usize, key: &str) -> bool {
        let at = self.start(i);
        let (Ok(len), Ok(end)) = (u32::try_from(key.len()), u32::try_from(at + key.len())) else {
            return false;
        };
        if u32::try_from(self.text.len() + key.len()).is_err() {
            return false;
        }
        self.text.insert_str(at, key);
        for e in self.ends.get_mut(i..).unwrap_or_default() {
            *e += len;
        }
        self.ends.insert(i, end);
        true
    }

    fn remove(&mut self, i: usize) {
        let (start, Some(&end)) = (self.start(i), self.ends.get(i)) else {
            return;
        };
        // Cut and joined (`replace_range` ships its splice machinery to the
        // widget). Both ends are key boundaries, so never inside a character.
        let end = end as usize;
        if start > end || !self.text.is_char_boundary(start) || !self.text.is_char_boundary(end) {
            return;
        }
        let tail = self.text.split_off(end);
        self.text.truncate(start);
        self.text.push_str(&tail);
        self.ends.remove(i);
        let len = u32::try_from(end - start).unwrap_or(0);
        for e in self.ends.get_mut(i..).unwrap_or_default() {
            *e -= len;
        }
    }
}

impl<V> SortedMap<V> {
    pub const fn new() -> Self {
        SortedMap {
            keys: KeyList {
                text: String::new(),
                ends: Vec::new(),
            },
            values: Vec::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    pub fn get(&self, key: &str) -> Option<&V> {
        self.keys.search(key).ok().and_then(|i| self.values.get(i))
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.keys.search(key).is_ok()
    }

    /// Sets `key` to `value`; returns the value it replaces, as `BTreeMap::insert`.
    pub fn insert(&mut self, key: String, value: V) -> Option<V> {
        self.insert_str(&key, value)
    }

    /// `insert` of a borrowed key (it is copied into the map's one buffer).
    pub fn insert_str(&mut self, key: &str, value: V) -> Option<V> {
        match self.keys.search(key) {
            Ok(i) => self
                .values
                .get_mut(i)
                .map(|slot| std::mem::replace(slot, value)),
            Err(i) => {
                if self.keys.insert(i, key) {
                    self.values.insert(i, value);
                }
                None
            }
        }
    }

    pub fn remove(&mut self, key: &str) -> Option<V> {
        let i = self.keys.search(key).ok()?;
        self.keys.remove(i);
        Some(self.values.remove(i))
    }

    /// The keys end to end, where each ends, and the values: for a merge
    /// that walks the keys without cutting each one out twice.
    pub(crate) fn parts(&self) -> (&str, &[u32], &[V]) {
        (&self.keys.text, &self.keys.ends, &self.values)
    }

    /// Key `i` in order.
    pub fn key(&self, i: usize) -> Option<&str> {
        self.keys.get(i)
    }

    /// Keys in order.
    pub fn keys(&self) -> Keys<'_> {
        Keys {
            text: &self.keys.text,
            ends: self.keys.ends.iter(),
            start: 0,
        }
    }

    /// Values in the order of their keys.
    pub fn values(&self) -> std::slice::Iter<'_, V> {
        self.values.iter()
    }

    /// Entries in key order.
    pub fn iter(&self) -> Iter<'_, V> {
        self.keys().zip(self.values.iter())
    }
}

/// The keys of a [`SortedMap`] in order.
#[derive(Debug, Clone)]
pub struct Keys<'a> {
    text: &'a str,
    ends: std::slice::Iter<'a, u32>,
    start: usize,
}

impl<'a> Iterator for Keys<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let end = *self.ends.next()? as usize;
        let key = self.text.get(self.start..end).unwrap_or("");
        self.start = end;
        Some(key)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.ends.size_hint()
    }
}

impl ExactSizeIterator for Keys<'_> {}

/// Entries of a [`SortedMap`] in key order.
pub type Iter<'a, V> = std::iter::Zip<Keys<'a>, std::slice::Iter<'a, V>>;

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
    type Item = (&'a str, &'a V);
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
                // Each key is read into one scratch buffer and copied into the
                // map's: no allocation per key.
                let mut key = String::new();
                while map.next_key_seed(KeyInto(&mut key))?.is_some() {
                    let value = map.next_value::<V>()?;
                    out.insert_str(&key, value);
                }
                Ok(out)
            }
        }
        /// Reads a map key into the buffer it holds, replacing what was there.
        struct KeyInto<'b>(&'b mut String);
        impl<'de> DeserializeSeed<'de> for KeyInto<'_> {
            type Value = ();
            fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
                d.deserialize_str(self)
            }
        }
        impl Visitor<'_> for KeyInto<'_> {
            type Value = ();
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string key")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<(), E> {
                self.0.clear();
                self.0.push_str(s);
                Ok(())
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
        assert!(ours.iter().eq(theirs.iter().map(|(k, v)| (k.as_str(), v))));
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
        assert_eq!(m.iter().collect::<Vec<_>>(), [("a", &2), ("b", &3)]);
        assert_eq!(
            serde_json::to_string(&m).ok().as_deref(),
            Some(r#"{"a":2,"b":3}"#)
        );
    }
}
