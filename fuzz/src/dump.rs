//! The messages the fuzz targets encode for BuildKit, written to the file `DFRS_FUZZ_DUMP`
//! names (nothing is written without it, so fuzzing itself stays fast) for the Go checker
//! (`fuzz/go-decode`, run by `tests/fuzz-decode.sh` over the corpus).
//!
//! The file is a stream of records: one tag byte, the payload's length (u32, little endian),
//! the payload. An [`INPUT`] record (the fuzz input itself) starts each input's records, so a
//! failure names the corpus file it came from.

use std::fs::File;
use std::io::Write;
use std::sync::{Mutex, OnceLock};

use buildkit_llb::pb;
use buildkit_proto::gateway as gw;
use buildkit_proto::google::rpc::Status;
use prost::Message;

/// The fuzz input the next records come from.
pub const INPUT: u8 = b'I';
/// A `pb.Definition` (LLB), as solved.
pub const DEFINITION: u8 = b'D';
/// A `google.rpc.Status`: an error as the frontend returns it.
pub const STATUS: u8 = b'S';
/// An image config (`containerimage.config`) as JSON.
pub const IMAGE_CONFIG: u8 = b'C';
/// A gateway `pb.Result`: what `Return` sends.
pub const RESULT: u8 = b'R';
/// A gateway `pb.WarnRequest`: a build check's warning.
pub const WARNING: u8 = b'W';
/// Subrequest results (result metadata): `frontend.outline`, `frontend.targets`, `frontend.lint`,
/// `frontend.subrequests.describe`.
pub const OUTLINE: u8 = b'O';
pub const TARGETS: u8 = b'T';
pub const LINT: u8 = b'L';
pub const DESCRIBE: u8 = b'E';
/// A `.dockerignore` and the patterns we read from it (JSON `{"text", "patterns"}`).
pub const IGNORE_FILE: u8 = b'P';
/// Patterns, a path and whether our matcher ignores it (JSON `{"patterns", "path", "matches",
/// "error"}`).
pub const IGNORE_MATCH: u8 = b'M';

fn sink() -> Option<&'static Mutex<File>> {
    static SINK: OnceLock<Option<Mutex<File>>> = OnceLock::new();
    SINK.get_or_init(|| {
        let path = std::env::var_os("DFRS_FUZZ_DUMP")?;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .ok()?;
        Some(Mutex::new(file))
    })
    .as_ref()
}

/// Whether records are written (encoding can be skipped otherwise).
pub fn enabled() -> bool {
    sink().is_some()
}

/// Writes one record.
pub fn record(tag: u8, payload: &[u8]) {
    let Some(sink) = sink() else { return };
    let Ok(len) = u32::try_from(payload.len()) else {
        return;
    };
    let mut buf = Vec::with_capacity(payload.len() + 5);
    buf.push(tag);
    buf.extend_from_slice(&len.to_le_bytes());
    buf.extend_from_slice(payload);
    if let Ok(mut f) = sink.lock() {
        // The Go checker reports a short file; a failed write is not the target's to judge.
        let _ = f.write_all(&buf);
    }
}

pub fn input(data: &[u8]) {
    record(INPUT, data);
}

/// The definition, always encoded (so encoding is fuzzed too), dumped when enabled.
pub fn definition(def: &pb::Definition) {
    record(DEFINITION, &def.encode_to_vec());
}

pub fn status(s: &Status) {
    record(STATUS, &s.encode_to_vec());
}

pub fn image_config(json: &[u8]) {
    record(IMAGE_CONFIG, json);
}

pub fn result(r: &gw::Result) {
    record(RESULT, &r.encode_to_vec());
}

pub fn warning(w: &gw::WarnRequest) {
    record(WARNING, &w.encode_to_vec());
}

/// Result metadata: each key and value, each as its length (u32 LE) and bytes.
pub fn metadata(tag: u8, md: &[(String, Vec<u8>)]) {
    let mut buf = Vec::new();
    for (k, v) in md {
        for part in [k.as_bytes(), v.as_slice()] {
            let Ok(len) = u32::try_from(part.len()) else {
                return;
            };
            buf.extend_from_slice(&len.to_le_bytes());
            buf.extend_from_slice(part);
        }
    }
    record(tag, &buf);
}

pub fn json(tag: u8, value: &serde_json::Value) {
    if enabled() {
        record(tag, value.to_string().as_bytes());
    }
}
