//! Where variable values come from.

use std::collections::{BTreeMap, HashMap};

/// The variables a word is expanded against. Lookups are case-sensitive, as BuildKit's are on
/// Unix (`NormalizeEnvKey` is the identity there).
pub trait EnvGetter {
    /// The value of `key`, `None` when it is unset (an empty value is set).
    fn get(&self, key: &str) -> Option<&str>;
    /// All names, in the order the source holds them (for "did you mean" suggestions).
    fn keys(&self) -> Vec<String>;
}

impl<T: EnvGetter + ?Sized> EnvGetter for &T {
    fn get(&self, key: &str) -> Option<&str> {
        (**self).get(key)
    }
    fn keys(&self) -> Vec<String> {
        (**self).keys()
    }
}

impl EnvGetter for BTreeMap<String, String> {
    fn get(&self, key: &str) -> Option<&str> {
        BTreeMap::get(self, key).map(String::as_str)
    }
    fn keys(&self) -> Vec<String> {
        BTreeMap::keys(self).cloned().collect()
    }
}

impl<S: std::hash::BuildHasher> EnvGetter for HashMap<String, String, S> {
    fn get(&self, key: &str) -> Option<&str> {
        HashMap::get(self, key).map(String::as_str)
    }
    fn keys(&self) -> Vec<String> {
        HashMap::keys(self).cloned().collect()
    }
}

/// An ordered list where a later entry overrides an earlier one with the same name, like
/// BuildKit's `EnvsFromSlice`. `keys` keeps every entry, duplicates included, as BuildKit does.
impl EnvGetter for [(String, String)] {
    fn get(&self, key: &str) -> Option<&str> {
        self.iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
    fn keys(&self) -> Vec<String> {
        self.iter().map(|(k, _)| k.clone()).collect()
    }
}

impl EnvGetter for Vec<(String, String)> {
    fn get(&self, key: &str) -> Option<&str> {
        EnvGetter::get(self.as_slice(), key)
    }
    fn keys(&self) -> Vec<String> {
        EnvGetter::keys(self.as_slice())
    }
}

/// Splits `KEY=VALUE` strings like BuildKit's `EnvsFromSlice`: an entry without `=` is a
/// variable set to the empty string.
pub fn envs_from_slice<S: AsRef<str>>(env: &[S]) -> Vec<(String, String)> {
    env.iter()
        .map(|e| {
            let e = e.as_ref();
            let (k, v) = e.split_once('=').unwrap_or((e, ""));
            (k.to_owned(), v.to_owned())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    // BuildKit's TestGetEnv.
    #[test]
    fn get_env_like_buildkit() {
        let get =
            |env: &[&str], k: &str| EnvGetter::get(&envs_from_slice(env), k).map(str::to_owned);
        assert_eq!(get(&[], "foo"), None);
        assert_eq!(get(&["foo"], "foo").as_deref(), Some(""));
        assert_eq!(get(&["foo="], "foo").as_deref(), Some(""));
        assert_eq!(get(&["foo=bar"], "foo").as_deref(), Some("bar"));
        assert_eq!(get(&["foo=bar", "car=hat"], "foo").as_deref(), Some("bar"));
        assert_eq!(get(&["foo=bar", "car=hat"], "car").as_deref(), Some("hat"));
        assert_eq!(
            get(&["foo=bar", "car=hat", "car=bike"], "car").as_deref(),
            Some("bike")
        );
        assert_eq!(get(&["a=b=c"], "a").as_deref(), Some("b=c"));
    }

    #[test]
    fn lookups_are_case_sensitive() {
        let env = envs_from_slice(&["PWD=/home"]);
        assert_eq!(EnvGetter::get(&env, "pwd"), None);
        let map: BTreeMap<String, String> = env.iter().cloned().collect();
        assert_eq!(EnvGetter::get(&map, "PWD"), Some("/home"));
        assert_eq!(EnvGetter::get(&map, "pwd"), None);
        let hash: HashMap<String, String> = env.iter().cloned().collect();
        assert_eq!(EnvGetter::get(&hash, "PWD"), Some("/home"));
        assert_eq!(EnvGetter::keys(&hash), vec!["PWD".to_owned()]);
    }

    #[test]
    fn list_keys_keep_order_and_duplicates() {
        let env = envs_from_slice(&["b=1", "a=2", "b=3"]);
        assert_eq!(EnvGetter::keys(&env), vec!["b", "a", "b"]);
        assert_eq!(EnvGetter::get(&env, "b"), Some("3"));
    }
}
