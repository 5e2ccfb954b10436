//! Go standard-library behaviour the reference frontend's output depends on, ported so our
//! bytes match: `strconv.Quote` and `%q`, `%v` and `time.Duration.String()`, `strings.ToLower`/
//! `ToUpper`, the `unicode` classes, `strconv`/`time` parsing with Go's error texts, a
//! `time.Time` in JSON, `path.Base`,
//! `encoding/json`'s escaping, `text/tabwriter` and `sort.Slice`.
//!
//! A leaf module: it depends on nothing else in the crate, so any part of it may use it.

mod fmt;
pub mod json;
pub mod parse;
mod path;
mod quote;
pub mod sort;
mod strings;
pub mod tabwriter;
pub mod time;
pub mod unicode;
mod unicode_tables;

pub use fmt::{go_duration, go_list};
pub use path::go_path_base;
pub use quote::{go_quote, go_quote_list};
pub use strings::{go_equal_fold_lower, go_lower, go_upper};
