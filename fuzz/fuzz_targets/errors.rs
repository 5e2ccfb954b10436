//! How an error leaves the frontend, for any message and any lines of any file: the status
//! returned to BuildKit (`LocatedError::to_status`: the message cut to its limit, an
//! `errdefs.Source` with the file and the lines), the CLI's rendering, the `frontend.lint`
//! report of a build error, and the status of an unknown subrequest. Input: the first line
//! and the last (two bytes), then the message, a line `---`, and the file. The statuses and
//! the report are dumped for the Go checker (which also prints them as buildctl does).
#![no_main]

use dfrs_fuzz::{dump, source_info, SEPARATOR};
use dockerfile_frontend::error::{plain_status, LocatedError};
use dockerfile_frontend::gateway::pure::unsupported_status;
use dockerfile_frontend::subrequests::{self, LintReport};
use dockerfile_frontend::syntax::Location;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    dump::input(data);
    let [start, end, rest @ ..] = data else {
        return;
    };
    let rest = String::from_utf8_lossy(rest);
    let (message, file) = rest
        .split_once(&format!("\n{SEPARATOR}\n"))
        .unwrap_or((rest.as_ref(), "FROM scratch\nRUN true\n"));
    let location = (*start > 0).then_some(Location {
        start_line: usize::from(*start),
        end_line: usize::from(*end),
        file: 0,
    });
    let error = LocatedError {
        message: message.to_string(),
        location,
    };
    let info = source_info(file.as_bytes());
    dump::status(&error.to_status(&info));
    let _ = error.render("Dockerfile", file);
    dump::status(&plain_status(&error.shown_message()));
    dump::status(&unsupported_status(message));
    if let Some(loc) = location {
        let ranges: Vec<(usize, usize)> = loc.line_ranges().collect();
        let _ = subrequests::print_source("Dockerfile", file.as_bytes(), &ranges);
    }
    dump::metadata(
        dump::LINT,
        &subrequests::lint(&LintReport {
            warnings: &[],
            sources: vec![info],
            error: Some(error),
        }),
    );
});
