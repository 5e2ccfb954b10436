//! The parsed form of a Dockerfile, before instructions are typed.
//!
//! Mirrors BuildKit's `parser.Node`: one `Node` per instruction, its arguments as words
//! in the shape each instruction's parse function gives them (see `args`).

/// A 1-based, inclusive range of lines in the Dockerfile, or in a file it includes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Location {
    pub start_line: usize,
    pub end_line: usize,
    /// Which file: 0 the Dockerfile, `n` the `n`-th file its `INCLUDE`s read (our extension,
    /// `syntax::include`; the error's or op's source is that file).
    pub file: u32,
}

impl Location {
    /// The lines as BuildKit's parser gives an instruction's place (`Node.Location`, its
    /// `toRanges`): one range per line from the first to the last, each starting and ending on
    /// that line (column 0), comment and empty lines inside a continuation and heredoc bodies
    /// included. The source map in the LLB, errors, warnings and subrequests all carry these.
    pub fn line_ranges(self) -> impl Iterator<Item = (usize, usize)> {
        (self.start_line..=self.end_line.max(self.start_line)).map(|l| (l, l))
    }
}

/// One parser directive (`# syntax=…`, `# escape=…`, `# check=…`) at the top of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    /// Lowercased name.
    pub name: String,
    pub value: String,
    pub location: Location,
}

/// A heredoc attached to an instruction (`RUN <<EOF`, `COPY <<EOF /dst`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heredoc {
    /// The delimiter word without quotes, e.g. `EOF`.
    pub name: String,
    /// The body exactly as BuildKit keeps it: the lines between the instruction and the
    /// delimiter, each with its own line ending. Leading tabs are NOT removed for `<<-`
    /// (see `chomp`; `syntax::chomp_heredoc_content` does that).
    pub content: String,
    /// False when the delimiter was quoted (`<<"EOF"`, `<<'EOF'`): no variable expansion.
    pub expand: bool,
    /// True for `<<-EOF`.
    pub chomp: bool,
}

/// One instruction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// Lowercased instruction name (`run`, `copy`, …).
    pub keyword: std::borrow::Cow<'static, str>,
    /// The arguments, as BuildKit's parser leaves them for this instruction:
    /// - exec (JSON) form: the array's strings, with `json == true`;
    /// - shell form of RUN/CMD/ENTRYPOINT/SHELL/HEALTHCHECK CMD: one string, the rest of the line;
    /// - ENV/LABEL: alternating key, value (`ENV a=1 b=2` gives `[a, 1, b, 2]`), quotes and
    ///   escapes kept as written; see `legacy_key_value`;
    /// - ARG: one word per `name[=default]` token;
    /// - HEALTHCHECK: the type word (`CMD`, `NONE`, …) then the command as for CMD;
    /// - ONBUILD: empty, the trigger is in `sub`;
    /// - an unknown instruction: one empty string (as BuildKit's parser keeps it);
    /// - other instructions: whitespace-separated words, quotes kept as written.
    pub args: Vec<String>,
    /// True when the arguments were written as a JSON array.
    pub json: bool,
    /// Flags as written, e.g. `--from=builder`, `--link`.
    pub flags: Vec<String>,
    pub heredocs: Vec<Heredoc>,
    /// For ONBUILD: the trigger instruction. Its `original` is the text after `ONBUILD`; chains
    /// of ONBUILD ONBUILD … (always rejected later) are kept to a bounded depth.
    pub sub: Option<Box<Node>>,
    /// The instruction as written (continuations joined), used for errors and the image history.
    pub original: String,
    pub location: Location,
    /// Comment lines directly above the instruction, without the leading `#`.
    pub prev_comment: Vec<String>,
    /// ENV/LABEL in the legacy `ENV name value` form (BuildKit's `NoDelim`).
    pub legacy_key_value: bool,
}

/// Something the parser accepts but a build check may report (e.g. an empty continuation line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// The build check rule name, e.g. `NoEmptyContinuation`.
    pub rule: String,
    pub message: String,
    pub location: Location,
}

/// One `INCLUDE` (our extension, `syntax::include`) met: what it named and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Include {
    /// As written.
    pub written: String,
    /// Relative to the source's root, cleaned (`a/../b` is `b`).
    pub path: String,
    /// The INCLUDE instruction (in the including file).
    pub location: Location,
    /// The included file's number ([`Location::file`]).
    pub file: u32,
}

/// A parsed Dockerfile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ast {
    pub directives: Vec<Directive>,
    /// `\\` or `` ` ``.
    pub escape: char,
    pub nodes: Vec<Node>,
    pub warnings: Vec<Warning>,
    /// The `INCLUDE`s spliced in (our extension, `syntax::include`), in the order met; empty
    /// until [`super::include::expand_includes`] has run.
    pub includes: Vec<Include>,
    /// The included files' paths (relative to the source's root) by number: `included_files[n - 1]`
    /// is [`Location::file`] `n`.
    pub included_files: Vec<String>,
}

impl Ast {
    /// About how many bytes of instructions the file holds (their text and heredoc bodies):
    /// what the limits on expansion scale with (`crate::limits`).
    pub fn source_len(&self) -> usize {
        self.nodes.iter().map(Node::source_len).sum()
    }
}

impl Node {
    fn source_len(&self) -> usize {
        let heredocs: usize = self.heredocs.iter().map(|h| h.content.len()).sum();
        self.original.len() + heredocs
    }
}

#[cfg(test)]
mod tests {
    use super::Location;

    #[test]
    fn a_range_per_line() {
        let ranges = |start_line, end_line| {
            Location {
                start_line,
                end_line,
                file: 0,
            }
            .line_ranges()
            .collect::<Vec<_>>()
        };
        assert_eq!(ranges(2, 4), vec![(2, 2), (3, 3), (4, 4)]);
        assert_eq!(ranges(3, 3), vec![(3, 3)]);
        // Go's toRanges: an end before the start is the start (`withLocation(err, line, 0)`).
        assert_eq!(ranges(5, 0), vec![(5, 5)]);
    }
}
