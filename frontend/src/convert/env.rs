//! The environment of a build step: an ordered list of variables where setting a key again
//! moves it to the end, as BuildKit's `llb.EnvList` orders them (this order is part of the
//! exec op, so it decides cache hits across frontends).
//!
//! Setting, finding and removing a variable take constant time however long the list is (a
//! stage of 100,000 ENV instructions is linear), and a copy (a stage built on another) shares
//! the values with the original.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use crate::shell::EnvGetter;

/// Lists with this many variables or more find them through a hash index; shorter ones by a
/// scan, faster for the handful of variables most stages have.
const INDEX_FROM: usize = 32;

#[derive(Clone, Default)]
pub struct EnvList {
    /// The variables in order. A variable removed, or set again (which moves it last), leaves
    /// a hole, and holes are squeezed out once they are as many as the variables.
    slots: Vec<Option<Entry>>,
    /// Variables in `slots`.
    len: usize,
    /// Bytes of their `KEY=value` forms.
    bytes: usize,
    /// Where each key is in `slots`, once the list is long.
    index: Option<HashMap<Entry, usize, foldhash::fast::RandomState>>,
}

/// One variable: `KEY=value`, the form the exec op takes, kept whole (and shared by copies of
/// the list), and where the key ends. As a key of the index it stands for its key alone.
#[derive(Clone)]
struct Entry {
    text: Arc<str>,
    key_len: usize,
}

impl Entry {
    fn new(key: &str, value: &str) -> Self {
        let mut text = String::with_capacity(key.len() + 1 + value.len());
        push_key_value(&mut text, key, value);
        Entry {
            text: text.into(),
            key_len: key.len(),
        }
    }

    fn key(&self) -> &str {
        &self.text[..self.key_len]
    }

    fn value(&self) -> &str {
        &self.text[self.key_len + 1..]
    }
}

impl Borrow<str> for Entry {
    fn borrow(&self) -> &str {
        self.key()
    }
}

impl Hash for Entry {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.key().hash(state);
    }
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}

impl Eq for Entry {}

impl EnvList {
    pub fn new() -> Self {
        EnvList::default()
    }

    pub fn set(&mut self, key: &str, value: &str) {
        self.remove(key);
        let entry = Entry::new(key, value);
        self.bytes += entry.text.len();
        self.len += 1;
        if let Some(index) = &mut self.index {
            index.insert(entry.clone(), self.slots.len());
        }
        self.slots.push(Some(entry));
        if self.index.is_none() && self.len >= INDEX_FROM {
            self.build_index();
        }
    }

    pub fn set_default(&mut self, key: &str, value: &str) {
        if self.get(key).is_none() {
            self.set(key, value);
        }
    }

    pub fn remove(&mut self, key: &str) {
        let Some(pos) = self.position(key) else {
            return;
        };
        if let Some(entry) = self.slots[pos].take() {
            self.bytes -= entry.text.len();
            self.len -= 1;
        }
        if let Some(index) = &mut self.index {
            index.remove(key);
        }
        if self.slots.len() >= 2 * self.len + 16 {
            self.slots.retain(Option::is_some);
            if self.index.is_some() {
                self.build_index();
            }
        }
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.position(key)
            .and_then(|pos| self.slots[pos].as_ref())
            .map(Entry::value)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries().map(|e| (e.key(), e.value()))
    }

    /// `KEY=value` strings, in order.
    pub fn to_vec(&self) -> Vec<String> {
        let mut out = Vec::with_capacity(self.len);
        out.extend(self.entries().map(|e| e.text.to_string()));
        out
    }

    /// Bytes of the variables' `KEY=value` forms (what the stage-size limit counts).
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.slots.iter().flatten()
    }

    fn position(&self, key: &str) -> Option<usize> {
        match &self.index {
            Some(index) => index.get(key).copied(),
            None => self
                .slots
                .iter()
                .position(|s| s.as_ref().is_some_and(|e| e.key() == key)),
        }
    }

    fn build_index(&mut self) {
        let mut index =
            HashMap::with_capacity_and_hasher(self.len, foldhash::fast::RandomState::default());
        for (pos, slot) in self.slots.iter().enumerate() {
            if let Some(e) = slot {
                index.insert(e.clone(), pos);
            }
        }
        self.index = Some(index);
    }
}

/// Equal lists hold the same variables in the same order.
impl PartialEq for EnvList {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && self.iter().eq(other.iter())
    }
}

impl Eq for EnvList {}

impl std::fmt::Debug for EnvList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.entries().map(|e| &e.text))
            .finish()
    }
}

impl EnvGetter for EnvList {
    fn get(&self, key: &str) -> Option<&str> {
        EnvList::get(self, key)
    }

    fn keys(&self) -> Vec<String> {
        self.entries().map(|e| e.key().to_string()).collect()
    }
}

/// Appends `KEY=value` to `out`.
pub fn push_key_value(out: &mut String, key: &str, value: &str) {
    out.push_str(key);
    out.push('=');
    out.push_str(value);
}

/// Splits `KEY=value` (a missing `=` gives an empty value).
pub fn split_key_value(s: &str) -> (&str, &str) {
    s.split_once('=').unwrap_or((s, ""))
}

/// Where each key is in an image config's `Env` (`KEY=value` strings), so that ENV replaces a
/// value in place (the first entry of that key, as BuildKit's `addEnv` does) without
/// searching the list. Built on first use once the list is long, it takes in the entries
/// added since at each use, and starts again if it finds an entry it does not expect (the
/// list changed another way).
#[derive(Debug, Clone, Default)]
pub struct EnvPositions {
    positions: HashMap<String, usize, foldhash::fast::RandomState>,
    /// Entries of the list `positions` covers.
    covered: usize,
}

impl EnvPositions {
    /// Sets `key=value` in `env`: replaces the first entry of `key`, or adds one.
    pub fn set(&mut self, env: &mut Vec<String>, key: &str, value: &str) {
        let entry = [key, "=", value].concat();
        match self.find(env, key) {
            Some(pos) => env[pos] = entry,
            None => env.push(entry),
        }
    }

    fn find(&mut self, env: &[String], key: &str) -> Option<usize> {
        let key_of = |e: &str| split_key_value(e).0.to_owned();
        if env.len() < INDEX_FROM {
            return env.iter().position(|e| split_key_value(e).0 == key);
        }
        if self.covered > env.len() {
            self.positions.clear();
            self.covered = 0;
        }
        for (pos, e) in env.iter().enumerate().skip(self.covered) {
            self.positions.entry(key_of(e)).or_insert(pos);
        }
        self.covered = env.len();
        match self.positions.get(key) {
            Some(&pos) if env.get(pos).is_some_and(|e| split_key_value(e).0 == key) => Some(pos),
            // Out of step with the list: start again.
            Some(_) => {
                self.positions.clear();
                self.covered = 0;
                self.find(env, key)
            }
            None => None,
        }
    }
}

/// The ARGs a stage declared (and inherited from its base stage), each once, in order of first
/// declaration, with its latest value: what RUN's history lists.
#[derive(Debug, Clone, Default)]
pub struct DeclaredArgs {
    list: Vec<(String, Option<String>)>,
    index: HashMap<String, usize, foldhash::fast::RandomState>,
}

impl DeclaredArgs {
    /// Declares `key` (again: it keeps its place and takes the new value).
    pub fn declare(&mut self, key: &str, value: Option<String>) {
        match self.index.get(key) {
            Some(&pos) => self.list[pos].1 = value,
            None => {
                self.index.insert(key.to_owned(), self.list.len());
                self.list.push((key.to_owned(), value));
            }
        }
    }
}

impl std::ops::Deref for DeclaredArgs {
    type Target = [(String, Option<String>)];
    fn deref(&self) -> &Self::Target {
        &self.list
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn setting_again_moves_the_key_last() {
        let mut e = EnvList::new();
        e.set("A", "1");
        e.set("B", "2");
        e.set("A", "3");
        assert_eq!(e.to_vec(), vec!["B=2", "A=3"]);
        e.set_default("B", "x");
        e.set_default("C", "4");
        assert_eq!(e.to_vec(), vec!["B=2", "A=3", "C=4"]);
        e.set("D", "x=y");
        assert_eq!(e.get("D"), Some("x=y"));
        assert_eq!(e.iter().last(), Some(("D", "x=y")));
        e.remove("A");
        assert_eq!(e.to_vec(), vec!["B=2", "C=4", "D=x=y"]);
        assert_eq!(e.bytes(), "B=2C=4D=x=y".len());
    }

    /// The same operations on the list and on a plain vector (BuildKit's `EnvList`), on short
    /// and long lists (with the index), with keys set again, removed and compacted.
    #[test]
    fn behaves_like_a_plain_list_at_every_length() {
        let mut list = EnvList::new();
        let mut plain: Vec<(String, String)> = Vec::new();
        let mut state = 12345u64;
        for step in 0..20_000u64 {
            // A small LCG: deterministic, several passes over short and long lists.
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let range = if (step / 2_000) % 2 == 0 { 8 } else { 300 };
            let key = format!("K{}", (state >> 33) % range);
            let value = format!("v{step}");
            match (state >> 20) % 5 {
                0 => {
                    list.remove(&key);
                    plain.retain(|(k, _)| *k != key);
                }
                1 => {
                    list.set_default(&key, &value);
                    if !plain.iter().any(|(k, _)| *k == key) {
                        plain.push((key.clone(), value.clone()));
                    }
                }
                _ => {
                    list.set(&key, &value);
                    plain.retain(|(k, _)| *k != key);
                    plain.push((key.clone(), value.clone()));
                }
            }
            let expected: Vec<String> = plain.iter().map(|(k, v)| format!("{k}={v}")).collect();
            assert_eq!(
                list.get(&key),
                plain
                    .iter()
                    .find(|(k, _)| *k == key)
                    .map(|(_, v)| v.as_str())
            );
            if step % 97 == 0 || step > 19_900 {
                assert_eq!(list.to_vec(), expected, "step {step}");
                assert_eq!(
                    list.bytes(),
                    expected.iter().map(String::len).sum::<usize>()
                );
                assert_eq!(EnvGetter::keys(&list).len(), plain.len());
                let copy = list.clone();
                assert_eq!(copy, list);
            }
        }
    }

    #[test]
    fn declared_args_keep_their_first_place() {
        let mut args = DeclaredArgs::default();
        args.declare("A", Some("1".into()));
        args.declare("B", None);
        args.declare("A", None);
        args.declare("C", Some("3".into()));
        args.declare("B", Some("2".into()));
        let list: Vec<(&str, Option<&str>)> = args
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_deref()))
            .collect();
        assert_eq!(list, [("A", None), ("B", Some("2")), ("C", Some("3"))]);
    }

    #[test]
    fn positions_replace_the_first_entry_like_a_scan() {
        let scan = |env: &mut Vec<String>, key: &str, value: &str| {
            let entry = format!("{key}={value}");
            match env.iter_mut().find(|e| split_key_value(e).0 == key) {
                Some(e) => *e = entry,
                None => env.push(entry),
            }
        };
        // A base image's env may repeat a key, or hold an entry without `=`.
        let start: Vec<String> = vec!["PATH=/bin".into(), "A=1".into(), "A=2".into(), "B".into()];
        let (mut fast, mut slow) = (start.clone(), start);
        let mut positions = EnvPositions::default();
        for i in 0..500 {
            let key = match i % 7 {
                0 => "A".to_string(),
                1 => "B".to_string(),
                _ => format!("K{}", i % 61),
            };
            positions.set(&mut fast, &key, &i.to_string());
            scan(&mut slow, &key, &i.to_string());
            assert_eq!(fast, slow);
            if i == 250 {
                // Changed behind its back: it notices.
                fast.truncate(40);
                slow.truncate(40);
            }
        }
    }
}
