//! Our CopyFromUnwrittenPath rule (opt-in, see `docs/checks/CopyFromUnwrittenPath.md`):
//! `COPY --from=STAGE /path` where STAGE's chain of stages starts FROM scratch, so it holds
//! only what its COPY/ADD destinations and WORKDIRs create, and none of them is the path, above
//! it or under it. Worked out once for the whole graph (each stage's writes against its base
//! stage's), so a long chain of stages costs linear time.

use std::collections::{BTreeMap, HashMap};

use super::multistage::{clean_abs, commands, Finding};
use super::rules;
use super::walk::{Checker, StageNode};
use crate::convert::plan::{Base, Graph};
use crate::instructions::{CommandKind, Dockerfile};

/// What the stages built FROM scratch write, indexed for `COPY --from` queries.
struct ScratchWrites {
    /// Per node: its chain starts FROM scratch and every path it writes is known (no RUN,
    /// ONBUILD or variable in a destination or WORKDIR anywhere in the chain).
    known: Vec<bool>,
    /// Each path written, and the nodes whose own instructions write it.
    writers: BTreeMap<String, Vec<usize>>,
    /// When a walk of the tree of base stages enters and leaves each node: `k` is `j` or a
    /// stage `j` is built on when `k`'s interval holds `j`'s.
    enter: Vec<usize>,
    leave: Vec<usize>,
}

impl ScratchWrites {
    fn new<X>(g: &Graph<X>, df: &Dockerfile) -> ScratchWrites {
        let n = g.nodes.len();
        let mut known = vec![false; n];
        let mut workdir = vec![String::from("/"); n];
        let mut writers: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        let mut children: Vec<Vec<usize>> = vec![Vec::new(); n];
        for i in 0..n {
            let (mut ok, mut wd) = match g.nodes[i].base {
                Base::Scratch => (true, "/".to_string()),
                Base::Stage(b) if b < i => {
                    children[b].push(i);
                    (known[b], workdir[b].clone())
                }
                _ => (false, "/".to_string()),
            };
            for cmd in commands(g, df, i) {
                if !ok {
                    break;
                }
                let (dest, is_workdir) = match &cmd.kind {
                    CommandKind::Copy(c) => (&c.sources_and_dest.dest_path, false),
                    CommandKind::Add(a) => (&a.sources_and_dest.dest_path, false),
                    CommandKind::Workdir(w) => (&w.path, true),
                    CommandKind::Run(_) | CommandKind::Onbuild(_) => {
                        ok = false;
                        continue;
                    }
                    _ => continue,
                };
                if dest.contains('$') || dest.contains('\\') {
                    ok = false;
                    continue;
                }
                let abs = if dest.starts_with('/') {
                    clean_abs(dest)
                } else {
                    clean_abs(&format!("{wd}/{dest}"))
                };
                if is_workdir {
                    wd = abs.clone();
                }
                writers.entry(abs).or_default().push(i);
            }
            known[i] = ok;
            workdir[i] = wd;
        }
        let (mut enter, mut leave) = (vec![0; n], vec![0; n]);
        let mut clock = 0;
        for root in (0..n).filter(|&i| g.nodes[i].base_stage().is_none_or(|b| b >= i)) {
            let mut stack = vec![(root, false)];
            while let Some((i, done)) = stack.pop() {
                clock += 1;
                if done {
                    leave[i] = clock;
                    continue;
                }
                enter[i] = clock;
                stack.push((i, true));
                stack.extend(children[i].iter().map(|&c| (c, false)));
            }
        }
        ScratchWrites {
            known,
            writers,
            enter,
            leave,
        }
    }

    /// Whether node `k` is `j` or one of the stages `j` is built on.
    fn in_chain(&self, k: usize, j: usize) -> bool {
        self.enter[k] <= self.enter[j] && self.leave[j] <= self.leave[k]
    }

    /// Whether something in `j`'s chain writes `path` (clean, absolute, not `/`), a directory
    /// above it, or something under it.
    fn written(&self, j: usize, path: &str) -> bool {
        let by_chain = |ks: &Vec<usize>| ks.iter().any(|&k| self.in_chain(k, j));
        let mut p = path;
        loop {
            if self.writers.get(p).is_some_and(by_chain) {
                return true;
            }
            match p.rfind('/') {
                Some(0) if p.len() > 1 => p = "/",
                Some(k) if k > 0 => p = &p[..k],
                _ => break,
            }
        }
        let below = format!("{path}/");
        self.writers
            .range(below.clone()..)
            .take_while(|(w, _)| w.starts_with(&below))
            .any(|(_, ks)| by_chain(ks))
    }
}

impl Checker<'_> {
    /// Phase one, once the graph is complete: CopyFromUnwrittenPath, when turned on.
    pub(super) fn scratch_path_checks(&mut self, df: &Dockerfile) {
        if !self.may_run(&rules::COPY_FROM_UNWRITTEN_PATH) {
            return;
        }
        let wanted = self.graph.wanted(self.opts.all_stages);
        let found = copy_from_unwritten(&self.graph, df, &wanted);
        self.report(found);
    }
}

/// CopyFromUnwrittenPath in the wanted stages. Sources with a variable or a wildcard, relative
/// ones and `/` are not judged.
fn copy_from_unwritten<'d>(
    g: &Graph<StageNode>,
    df: &'d Dockerfile,
    wanted: &[bool],
) -> Vec<Finding<'d>> {
    let mut out = Vec::new();
    let mut index: Option<ScratchWrites> = None;
    let mut seen: HashMap<(usize, String), bool> = HashMap::new();
    for (i, n) in g.nodes.iter().enumerate() {
        if !wanted.get(i).copied().unwrap_or(false) {
            continue;
        }
        for (cmd, sources) in commands(g, df, i).iter().zip(&n.sources) {
            let CommandKind::Copy(cp) = &cmd.kind else {
                continue;
            };
            let (Some(from), Some(&j)) = (&cp.from, sources.first()) else {
                continue;
            };
            if g.nodes.get(j).is_none_or(|s| s.stage.is_none()) {
                continue;
            }
            let index = index.get_or_insert_with(|| ScratchWrites::new(g, df));
            if !index.known.get(j).copied().unwrap_or(false) {
                continue;
            }
            for src in &cp.sources_and_dest.source_paths {
                if !src.starts_with('/') || src.contains(['$', '*', '?', '[', '\\']) {
                    continue;
                }
                let path = clean_abs(src);
                if path == "/" {
                    continue;
                }
                let written = *seen
                    .entry((j, path))
                    .or_insert_with_key(|(j, p)| index.written(*j, p));
                if !written {
                    out.push(Finding {
                        rule: rules::COPY_FROM_UNWRITTEN_PATH.info,
                        location: cmd.location,
                        comments: &cmd.comments,
                        message: rules::COPY_FROM_UNWRITTEN_PATH.message(from, src),
                    });
                }
            }
        }
    }
    out
}
