//! BuildKit's `BFlags`: the `--name[=value]` flags an instruction accepts.

use std::borrow::Cow;

use super::suggest;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum FlagType {
    Bool,
    String,
    Strings,
}

#[derive(Debug)]
struct Flag<'a> {
    name: &'static str,
    ty: FlagType,
    value: Cow<'a, str>,
    values: Vec<&'a str>,
}

/// Handle to a declared flag.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FlagId(usize);

/// The flags written on one instruction, and the ones it declares.
#[derive(Debug)]
pub(crate) struct BFlags<'a> {
    args: &'a [String],
    // Fixed arrays: no instruction declares more than MAX_FLAGS flags, and this runs for every
    // instruction, so it avoids two allocations each time.
    flags: [Flag<'a>; MAX_FLAGS],
    len: usize,
    /// Names in order of first use (Go returns map order; order does not matter there).
    used: [&'static str; MAX_FLAGS],
    used_len: usize,
}

const MAX_FLAGS: usize = 10;

impl<'a> BFlags<'a> {
    fn used_names(&self) -> &[&'static str] {
        &self.used[..self.used_len]
    }

    pub(crate) fn new(args: &'a [String]) -> Self {
        BFlags {
            args,
            flags: std::array::from_fn(|_| Flag {
                name: "",
                ty: FlagType::Bool,
                value: Cow::Borrowed(""),
                values: Vec::new(),
            }),
            len: 0,
            used: [""; MAX_FLAGS],
            used_len: 0,
        }
    }

    fn add(&mut self, name: &'static str, ty: FlagType, value: &'static str) -> FlagId {
        let value = Cow::Borrowed(value);
        debug_assert!(self.len < MAX_FLAGS);
        let at = self.len.min(MAX_FLAGS - 1);
        self.len = at + 1;
        self.flags[at] = Flag {
            name,
            ty,
            value,
            values: Vec::new(),
        };
        FlagId(at)
    }

    pub(crate) fn add_bool(&mut self, name: &'static str, default: bool) -> FlagId {
        self.add(name, FlagType::Bool, if default { "true" } else { "false" })
    }

    pub(crate) fn add_string(&mut self, name: &'static str, default: &'static str) -> FlagId {
        self.add(name, FlagType::String, default)
    }

    pub(crate) fn add_strings(&mut self, name: &'static str) -> FlagId {
        self.add(name, FlagType::Strings, "")
    }

    pub(crate) fn value(&self, id: FlagId) -> &str {
        &self.flags[id.0].value
    }

    pub(crate) fn take_values(&mut self, id: FlagId) -> Vec<String> {
        std::mem::take(&mut self.flags[id.0].values)
            .into_iter()
            .map(str::to_string)
            .collect()
    }

    pub(crate) fn is_true(&self, id: FlagId) -> bool {
        self.flags[id.0].value == "true"
    }

    pub(crate) fn is_used(&self, id: FlagId) -> bool {
        self.used_names().contains(&self.flags[id.0].name)
    }

    pub(crate) fn used(&self) -> Vec<String> {
        self.used_names().iter().map(|s| s.to_string()).collect()
    }

    /// `BFlags.Parse`: checks every written flag against the declared ones.
    pub(crate) fn parse(&mut self) -> Result<(), String> {
        let args: &'a [String] = self.args;
        for a in args {
            if a == "--" {
                // Stop processing further arguments as flags.
                return Ok(());
            }
            if !a.starts_with("--") {
                return Err(format!("arg should start with -- : {a}"));
            }
            let (flag_name, value, has_value) = match a.split_once('=') {
                Some((n, v)) => (n, v, true),
                None => (a.as_str(), "", false),
            };
            let arg = &flag_name[2..];
            let Some(idx) = self.flags[..self.len].iter().position(|f| f.name == arg) else {
                let names: Vec<&str> = self.flags[..self.len].iter().map(|f| f.name).collect();
                return Err(suggest::wrap(
                    format!("unknown flag: {flag_name}"),
                    arg,
                    &names,
                    true,
                ));
            };
            let seen = self.used[..self.used_len].contains(&self.flags[idx].name);
            let flag = &mut self.flags[idx];
            if seen && flag.ty != FlagType::Strings {
                return Err(format!("duplicate flag specified: {flag_name}"));
            }
            if !seen {
                self.used[self.used_len] = flag.name;
                self.used_len += 1;
            }
            match flag.ty {
                FlagType::Bool => {
                    // An empty value is only fine without "=".
                    if has_value && value.is_empty() {
                        return Err(format!("missing a value on flag: {flag_name}"));
                    }
                    match crate::gocompat::go_lower(value).as_str() {
                        "true" | "" => flag.value = Cow::Borrowed("true"),
                        "false" => flag.value = Cow::Borrowed("false"),
                        _ => {
                            return Err(format!(
                                "expecting boolean value for flag {flag_name}, not: {value}"
                            ))
                        }
                    }
                }
                FlagType::String => {
                    if !has_value {
                        return Err(format!("missing a value on flag: {flag_name}"));
                    }
                    flag.value = Cow::Borrowed(value);
                }
                FlagType::Strings => {
                    if !has_value {
                        return Err(format!("missing a value on flag: {flag_name}"));
                    }
                    flag.values.push(value);
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    fn args(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    // Ported from BuildKit's bflag_test.go.
    #[test]
    fn builder_flags() {
        assert!(BFlags::new(&[]).parse().is_ok());
        let a = args(&["--"]);
        assert!(BFlags::new(&a).parse().is_ok());

        let a = args(&[]);
        let mut bf = BFlags::new(&a);
        let s1 = bf.add_string("str1", "HI");
        let b1 = bf.add_bool("bool1", false);
        bf.parse().unwrap();
        assert_eq!(bf.value(s1), "HI");
        assert!(!bf.is_true(b1));
        assert!(!bf.is_used(s1) && !bf.is_used(b1));

        let a = args(&["--str1"]);
        let mut bf = BFlags::new(&a);
        bf.add_string("str1", "HI");
        assert_eq!(bf.parse().unwrap_err(), "missing a value on flag: --str1");

        for (input, want) in [("--str1=", ""), ("--str1=BYE", "BYE")] {
            let a = args(&[input]);
            let mut bf = BFlags::new(&a);
            let s1 = bf.add_string("str1", "HI");
            bf.parse().unwrap();
            assert_eq!(bf.value(s1), want);
        }

        for (input, want) in [
            ("--bool1", true),
            ("--bool1=true", true),
            ("--bool1=false", false),
            ("--bool1=TRUE", true),
        ] {
            let a = args(&[input]);
            let mut bf = BFlags::new(&a);
            let b1 = bf.add_bool("bool1", false);
            bf.parse().unwrap();
            assert_eq!(bf.is_true(b1), want, "{input}");
        }

        let a = args(&["--bool1=false1"]);
        let mut bf = BFlags::new(&a);
        bf.add_bool("bool1", false);
        assert_eq!(
            bf.parse().unwrap_err(),
            "expecting boolean value for flag --bool1, not: false1"
        );

        let a = args(&["--bool1="]);
        let mut bf = BFlags::new(&a);
        bf.add_bool("bool1", false);
        assert_eq!(bf.parse().unwrap_err(), "missing a value on flag: --bool1");

        let a = args(&["--bool2"]);
        let mut bf = BFlags::new(&a);
        bf.add_bool("bool1", false);
        assert_eq!(
            bf.parse().unwrap_err(),
            "unknown flag: --bool2 (did you mean bool1?)"
        );

        let a = args(&["--bool1", "--str1=BYE"]);
        let mut bf = BFlags::new(&a);
        let s1 = bf.add_string("str1", "HI");
        let b1 = bf.add_bool("bool1", false);
        bf.parse().unwrap();
        assert_eq!(bf.value(s1), "BYE");
        assert!(bf.is_true(b1));

        let a = args(&[
            "--bool2=false",
            "--bool3",
            "--bool4=true",
            "--bool5",
            "--str2= ",
            "--str3=def3",
            "--str4=my-val",
        ]);
        let mut bf = BFlags::new(&a);
        for b in ["bool1", "bool2", "bool3"] {
            bf.add_bool(b, false);
        }
        bf.add_bool("bool4", true);
        bf.add_bool("bool5", true);
        bf.add_string("str1", "");
        bf.add_string("str2", "");
        bf.add_string("str3", "def3");
        bf.add_string("str4", "def4");
        bf.parse().unwrap();
        let mut used = bf.used();
        used.sort();
        assert_eq!(
            used.join(", "),
            "bool2, bool3, bool4, bool5, str2, str3, str4"
        );
    }

    #[test]
    fn duplicates_and_repeatable() {
        let a = args(&["--from=a", "--from=b"]);
        let mut bf = BFlags::new(&a);
        bf.add_string("from", "");
        assert_eq!(bf.parse().unwrap_err(), "duplicate flag specified: --from");

        let a = args(&["--exclude=a", "--exclude=b"]);
        let mut bf = BFlags::new(&a);
        let ex = bf.add_strings("exclude");
        bf.parse().unwrap();
        assert_eq!(bf.take_values(ex), args(&["a", "b"]));

        let a = args(&["--exclude"]);
        let mut bf = BFlags::new(&a);
        bf.add_strings("exclude");
        assert_eq!(
            bf.parse().unwrap_err(),
            "missing a value on flag: --exclude"
        );

        let a = args(&["--", "--bogus"]);
        assert!(BFlags::new(&a).parse().is_ok());
    }
}
