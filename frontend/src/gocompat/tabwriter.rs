//! Go's `text/tabwriter` as the subrequests use it (`NewWriter(w, 0, 0, padding, ' ', 0)`):
//! tab-terminated cells are aligned in column blocks, each column as wide as its widest cell
//! (in characters) plus the padding; the last cell of a line is never padded.

/// Formats `text` (lines ending in `\n`, cells ending in `\t`) as the writer prints it. As in
/// Go, `\v` ends a cell too, and `\f` ends a line (written as `\n`) and the column blocks
/// (the writer flushes there).
pub fn format(text: &str, padding: usize) -> String {
    let mut out = String::new();
    for section in text.split_inclusive('\x0c') {
        let section = section.strip_suffix('\x0c').map_or_else(
            || std::borrow::Cow::Borrowed(section),
            |s| std::borrow::Cow::Owned(format!("{s}\n")),
        );
        let cells: Vec<Vec<&str>> = section
            .split('\n')
            .map(|l| l.split(['\t', '\x0b']).collect())
            .collect();
        format_block(&cells, padding, &mut Vec::new(), 0, cells.len(), &mut out);
    }
    out
}

const MAX_COLUMNS: usize = 256;

/// `Writer.format`: writes lines `line0..line1`, aligning column `widths.len()` in each block
/// of consecutive lines that have a cell there.
fn format_block(
    cells: &[Vec<&str>],
    padding: usize,
    widths: &mut Vec<usize>,
    mut line0: usize,
    line1: usize,
    out: &mut String,
) {
    let column = widths.len();
    // One level per column: text with absurdly many tabs is left unaligned past this depth
    // rather than risk the stack.
    if column >= MAX_COLUMNS {
        write_lines(cells, widths, line0, line1, out);
        return;
    }
    let mut this = line0;
    while this < line1 {
        if column + 1 >= cells[this].len() {
            this += 1;
            continue;
        }
        write_lines(cells, widths, line0, this, out);
        line0 = this;
        let mut width = 0;
        while this < line1 && column + 1 < cells[this].len() {
            width = width.max(cells[this][column].chars().count() + padding);
            this += 1;
        }
        widths.push(width);
        format_block(cells, padding, widths, line0, this, out);
        widths.pop();
        line0 = this;
    }
    write_lines(cells, widths, line0, line1, out);
}

/// `Writer.writeLines`: lines `from..to` with the current column widths.
fn write_lines(cells: &[Vec<&str>], widths: &[usize], from: usize, to: usize, out: &mut String) {
    for (i, line) in cells.iter().enumerate().take(to).skip(from) {
        for (j, cell) in line.iter().enumerate() {
            out.push_str(cell);
            if let Some(&w) = widths.get(j) {
                out.extend(std::iter::repeat_n(
                    ' ',
                    w.saturating_sub(cell.chars().count()),
                ));
            }
        }
        // The text after the last newline is written as it is.
        if i + 1 < cells.len() {
            out.push('\n');
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    fn lines(l: &[&str]) -> String {
        l.iter().map(|s| format!("{s}\n")).collect()
    }

    #[test]
    fn pads_columns_but_not_the_last_cell() {
        let t = format(
            &lines(&["TARGET\tDESCRIPTION", "build (default)\tbuilds it", "x\t"]),
            1,
        );
        assert_eq!(
            t,
            format!(
                "TARGET          DESCRIPTION\nbuild (default) builds it\nx{}\n",
                " ".repeat(15)
            )
        );
        let t = format(&lines(&["BUILD ARG\tVALUE\tDESCRIPTION", "a\t\t"]), 3);
        assert_eq!(
            t,
            format!("BUILD ARG   VALUE   DESCRIPTION\na{}\n", " ".repeat(19))
        );
    }

    /// Found by the fuzz target `checks` against BuildKit's `PrintOutline` (a build arg's
    /// value with a vertical tab); expected texts from Go 1.26's text/tabwriter.
    #[test]
    fn vertical_tabs_end_cells_and_form_feeds_end_blocks() {
        let f = |s: &str| format(s, 3);
        assert_eq!(
            f("a\x0bb\tc\nxxxx\tyy\tz\n"),
            "a      b    c\nxxxx   yy   z\n"
        );
        assert_eq!(
            f("a\tb\nccccc\td\x0ce\tf\ngg\th\n"),
            "a       b\nccccc   d\ne    f\ngg   h\n"
        );
        assert_eq!(f("a\tb\x0ccccc\td"), "a   b\ncccc   d");
        assert_eq!(f("x\x0b\x0by\n\x0bz\n"), "x      y\n    z\n");
    }

    #[test]
    fn many_tabs_do_not_recurse_without_bound() {
        let line = "x\t".repeat(100_000);
        assert!(format(&format!("{line}\n"), 1).starts_with("x x "));
    }

    #[test]
    fn column_blocks_follow_go() {
        // A line with fewer cells ends the block; the next block is aligned on its own.
        let t = format(&lines(&["a\tb", "ccc", "dddd\te"]), 1);
        assert_eq!(t, "a b\nccc\ndddd e\n");
        let t = format(&lines(&["a\tb\tc", "aa\tbbbb\tc"]), 1);
        assert_eq!(t, "a  b    c\naa bbbb c\n");
    }
}
