//! Harness for the end-to-end tests: builds Dockerfiles with a real `buildkitd` through
//! `buildctl`, with our frontend image or BuildKit's reference frontend, and inspects the
//! results (local output directories, images pushed to the local registry, the plain progress
//! log).
//!
//! The environment comes from `tests/env/up.sh RUN_DIR` (see `docs/testing.md`): either its
//! variables are in the process environment (`tests/run.sh` sources `RUN_DIR/env`), or
//! `DFRS_ENV=RUN_DIR` points at it. Without one, every test fails saying how to start it;
//! nothing is skipped.
//!
//! `DFRS_FRONTEND` picks the frontend under test:
//! - `ours` (default): `--frontend gateway.v0 --opt source=$DFRS_FRONTEND_IMAGE`
//! - `reference`: `--frontend dockerfile.v0`, the Dockerfile frontend built into buildkitd.
//! - `reference-image`: BuildKit's frontend at the same release as a gateway image, run
//!   exactly like ours (`tests/env/build-reference.sh RUN_DIR` pushes it).
//!
//! Tests run in parallel threads against one daemon: every helper makes unique temp dirs and
//! image names, and tests put a [`nonce`] in their Dockerfiles where cache hits from another
//! test would change what they measure.
//!
//! The harness by job, its API re-exported here: `env` reads the environment, `frontend` picks
//! the frontend under test, `context` makes build contexts, `build` runs `buildctl`/`buildx`,
//! `result` inspects and asserts on what a build did, `registry` reads pushed images, `daemons` starts daemons and buildx builders of a test's own, `serve`
//! serves sources over HTTP and `process` runs commands.

// A test harness reports failures by panicking, with a message saying what went wrong.
#![allow(clippy::panic)]

mod build;
mod context;
mod daemons;
mod env;
mod frontend;
mod process;
mod registry;
mod result;
mod serve;

pub use build::{Build, BuildxBuild, RunningBuild, BUILD_TIMEOUT};
pub use context::{image_name, nonce, read, repo_root, temp_dir, Context};
pub use daemons::{Builder, Daemon};
pub use env::{
    assert_daemon_answers, assert_daemon_idle, buildx, daemon_pid, daemon_root, env,
    require_multiarch, Buildx, Env, Leftovers,
};
pub use frontend::{gateway_image_under_test, mode, syntax_line, Frontend, Mode};
pub use process::{
    descendants, mounts_under, poll, processes, run_ok, run_with_timeout, CmdOutput, Proc, Running,
};
pub use registry::{fetch_image, manifest_digest, registry_document, Image};
pub use result::{parse_progress, BuildResult, Step};
pub use serde_json::Value;
pub use serve::{git_bare_repo, HttpServer};
