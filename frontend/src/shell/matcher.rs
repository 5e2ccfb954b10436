//! Matching the compiled form of a shell pattern exactly as Go's `regexp` matches the regular
//! expression BuildKit builds from it (`?` is `.`, `*` is `.*` or `.*?`), without the regex crate.
//!
//! The language is tiny (literals, any-char-but-newline, and a star that is greedy or lazy), so a
//! Pike VM over pattern positions gives Go's leftmost-first answers in O(text × pattern) time and
//! constant stack, like RE2 itself.

use std::mem;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Atom {
    /// One literal character.
    Lit(char),
    /// `?`: any character except `\n` (Go's `.` without the `s` flag).
    Any,
    /// `*`: any run of characters without `\n`.
    Star,
}

/// A compiled pattern.
#[derive(Debug)]
pub(super) struct Pattern {
    atoms: Vec<Atom>,
    /// Stars prefer the longest (`.*`) rather than the shortest (`.*?`) run.
    greedy: bool,
    /// Matches only at the start position (`^`).
    anchored: bool,
    /// The pattern as a plain string when it has no wildcard, to search it in linear time.
    literal: Option<String>,
}

#[derive(Clone, Copy)]
struct Thread {
    pc: usize,
    start: usize,
}

enum Step {
    Enter(usize),
    Emit(usize),
}

impl Pattern {
    pub(super) fn new(mut atoms: Vec<Atom>, greedy: bool, anchored: bool) -> Self {
        // `**` matches exactly what `*` matches (no groups are reported), and fewer states are faster.
        atoms.dedup_by(|a, b| *a == Atom::Star && *b == Atom::Star);
        let literal = atoms
            .iter()
            .map(|a| match a {
                Atom::Lit(c) => Some(*c),
                _ => None,
            })
            .collect();
        Pattern {
            atoms,
            greedy,
            anchored,
            literal,
        }
    }

    #[cfg(test)]
    pub(super) fn atoms(&self) -> &[Atom] {
        &self.atoms
    }

    #[cfg(test)]
    pub(super) fn greedy(&self) -> bool {
        self.greedy
    }

    /// The leftmost-first match at or after byte `start` (only at `start` when anchored), as
    /// Go's `FindStringIndex` on the remaining text would report it.
    pub(super) fn find_at(&self, text: &str, start: usize) -> Option<(usize, usize)> {
        self.searcher().find_at(text, start)
    }

    /// A matcher whose buffers are reused across searches (for replace-all).
    pub(super) fn searcher(&self) -> Searcher<'_> {
        Searcher {
            pat: self,
            vm: None,
        }
    }
}

pub(super) struct Searcher<'p> {
    pat: &'p Pattern,
    vm: Option<Vm<'p>>,
}

impl Searcher<'_> {
    pub(super) fn find_at(&mut self, text: &str, start: usize) -> Option<(usize, usize)> {
        let pat = self.pat;
        let hay = text.get(start..)?;
        if let Some(lit) = &pat.literal {
            let at = if pat.anchored {
                hay.starts_with(lit.as_str()).then_some(0)
            } else {
                hay.find(lit.as_str())
            };
            return at.map(|i| (start + i, start + i + lit.len()));
        }
        self.vm.get_or_insert_with(|| Vm::new(pat)).run(text, start)
    }
}

/// The state of one search: thread lists ordered by priority (highest first).
struct Vm<'p> {
    pat: &'p Pattern,
    /// `marks[pc] == mark` when `pc` is already in the list being built with that mark.
    marks: Vec<u64>,
    generation: u64,
    stack: Vec<Step>,
    clist: Vec<Thread>,
    nlist: Vec<Thread>,
}

impl<'p> Vm<'p> {
    fn new(pat: &'p Pattern) -> Self {
        Vm {
            pat,
            marks: vec![0; pat.atoms.len() + 1],
            generation: 0,
            stack: Vec::new(),
            clist: Vec::new(),
            nlist: Vec::new(),
        }
    }

    /// Adds the thread at `pc` and everything reachable from it without reading a character, in
    /// priority order. Stars are the only branch: greedy ones try one more character first.
    fn add(&mut self, list: &mut Vec<Thread>, mark: u64, pc: usize, start: usize) {
        self.stack.push(Step::Enter(pc));
        while let Some(step) = self.stack.pop() {
            match step {
                Step::Emit(pc) => list.push(Thread { pc, start }),
                Step::Enter(pc) => {
                    if self.marks[pc] == mark {
                        continue;
                    }
                    self.marks[pc] = mark;
                    if self.pat.atoms.get(pc) == Some(&Atom::Star) {
                        if self.pat.greedy {
                            list.push(Thread { pc, start });
                            self.stack.push(Step::Enter(pc + 1));
                        } else {
                            self.stack.push(Step::Emit(pc));
                            self.stack.push(Step::Enter(pc + 1));
                        }
                    } else {
                        list.push(Thread { pc, start });
                    }
                }
            }
        }
    }

    fn run(&mut self, text: &str, start: usize) -> Option<(usize, usize)> {
        let mut clist = mem::take(&mut self.clist);
        let mut nlist = mem::take(&mut self.nlist);
        let found = self.search(text, start, &mut clist, &mut nlist);
        self.clist = clist;
        self.nlist = nlist;
        found
    }

    fn search(
        &mut self,
        text: &str,
        start: usize,
        clist: &mut Vec<Thread>,
        nlist: &mut Vec<Thread>,
    ) -> Option<(usize, usize)> {
        let pat = self.pat;
        let atoms = &pat.atoms;
        let first_lit = match atoms.first() {
            Some(Atom::Lit(c)) => Some(*c),
            _ => None,
        };
        clist.clear();
        nlist.clear();
        self.generation += 1;
        let mut cmark = self.generation;
        let mut found = None;
        let mut pos = start;
        loop {
            if found.is_none() && (!pat.anchored || pos == start) {
                if clist.is_empty() && !pat.anchored {
                    // Nothing is alive: skip straight to where a match could begin.
                    if let Some(c) = first_lit {
                        pos += text[pos..].find(c)?;
                    }
                }
                // A new match attempt has the lowest priority (leftmost wins).
                self.add(clist, cmark, 0, pos);
            }
            if clist.is_empty() {
                break;
            }
            let ch = text[pos..].chars().next();
            self.generation += 1;
            let nmark = self.generation;
            for t in clist.iter() {
                let advance = match atoms.get(t.pc) {
                    None => {
                        // Lower-priority threads can no longer win.
                        found = Some((t.start, pos));
                        break;
                    }
                    Some(Atom::Lit(l)) => (ch == Some(*l)).then_some(t.pc + 1),
                    Some(Atom::Any) => ch.is_some_and(|c| c != '\n').then_some(t.pc + 1),
                    Some(Atom::Star) => ch.is_some_and(|c| c != '\n').then_some(t.pc),
                };
                if let Some(pc) = advance {
                    self.add(nlist, nmark, pc, t.start);
                }
            }
            let Some(ch) = ch else { break };
            pos += ch.len_utf8();
            mem::swap(clist, nlist);
            nlist.clear();
            cmark = nmark;
        }
        found
    }
}
