//! The environment of a build step: an ordered list of variables where setting a key again
//! moves it to the end, as BuildKit's `llb.EnvList` orders them (this order is part of the
//! exec op, so it decides cache hits across frontends).

use crate::shell::EnvGetter;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnvList {
    /// `KEY=value`, and where the key ends: the form the exec op takes, kept whole.
    vars: Vec<(String, usize)>,
}

impl EnvList {
    pub fn new() -> Self {
        EnvList::default()
    }

    pub fn set(&mut self, key: &str, value: &str) {
        self.remove(key);
        let mut entry = String::with_capacity(key.len() + 1 + value.len());
        push_key_value(&mut entry, key, value);
        self.vars.push((entry, key.len()));
    }

    pub fn set_default(&mut self, key: &str, value: &str) {
        if self.get(key).is_none() {
            self.set(key, value);
        }
    }

    pub fn remove(&mut self, key: &str) {
        self.vars.retain(|(e, n)| &e[..*n] != key);
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.vars
            .iter()
            .find(|(e, n)| &e[..*n] == key)
            .map(|(e, n)| &e[n + 1..])
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.vars.iter().map(|(e, n)| (&e[..*n], &e[n + 1..]))
    }

    /// `KEY=value` strings, in order.
    pub fn to_vec(&self) -> Vec<String> {
        self.vars.iter().map(|(e, _)| e.clone()).collect()
    }
}

impl EnvGetter for EnvList {
    fn get(&self, key: &str) -> Option<&str> {
        EnvList::get(self, key)
    }

    fn keys(&self) -> Vec<String> {
        self.vars.iter().map(|(e, n)| e[..*n].to_string()).collect()
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
    }
}
