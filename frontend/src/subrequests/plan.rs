//! `frontend.plan` (and `dockerfile-frontend plan`): the stage plan rendered — text for a
//! terminal (80–100 columns), a Mermaid flowchart, Graphviz dot, or the model as JSON. The
//! model is [`crate::convert::plan_model`]; this module only renders it. `docs/plan.md`
//! documents the formats and the JSON schema.

use super::json::Json;
use super::{result, Metadata};
use crate::convert::plan_model::{
    EdgeKind, PlanBase, PlanEdge, PlanInclude, PlanModel, PlanSource, PlanStage,
};

/// The version of the JSON schema (`version` in `result.json`) and of the subrequest.
pub const PLAN_VERSION: &str = "1.0.0";

/// The frontend option that picks `result.txt`'s format, and the build arg doing the same.
pub const FORMAT_OPT: &str = "plan-format";
pub const FORMAT_BUILD_ARG: &str = "BUILDKIT_PLAN_FORMAT";

/// Widest line of the text form.
const WIDTH: usize = 100;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PlanFormat {
    #[default]
    Text,
    Json,
    Mermaid,
    Dot,
}

impl PlanFormat {
    pub fn parse(s: &str) -> Result<PlanFormat, String> {
        match s.to_ascii_lowercase().as_str() {
            "" | "text" => Ok(PlanFormat::Text),
            "json" => Ok(PlanFormat::Json),
            "mermaid" => Ok(PlanFormat::Mermaid),
            "dot" => Ok(PlanFormat::Dot),
            _ => Err(format!(
                "unknown plan format {s:?} (want text, json, mermaid or dot)"
            )),
        }
    }

    /// The format a subrequest renders `result.txt` in: the `plan-format` option, else the
    /// `BUILDKIT_PLAN_FORMAT` build arg, else text.
    pub fn from_options(opt: Option<&str>, build_arg: Option<&str>) -> Result<PlanFormat, String> {
        PlanFormat::parse(opt.or(build_arg).unwrap_or(""))
    }

    pub fn render(self, model: &PlanModel) -> String {
        match self {
            PlanFormat::Text => text(model),
            PlanFormat::Json => json(model),
            PlanFormat::Mermaid => mermaid(model),
            PlanFormat::Dot => dot(model),
        }
    }
}

/// The subrequest's metadata: `result.json` (the model), `result.txt` (in `format`), `version`.
pub fn plan(model: &PlanModel, format: PlanFormat) -> Metadata {
    result(json(model), format.render(model), &[])
}

fn steps(n: usize) -> String {
    if n == 1 {
        "1 step".into()
    } else {
        format!("{n} steps")
    }
}

fn stage_label(model: &PlanModel, i: usize) -> String {
    model
        .stages
        .get(i)
        .map_or_else(|| format!("stage-{i}"), PlanStage::label)
}

/// A pinned reference's digest, short (`@sha256:0123456789ab`), if it has one.
fn short_digest(resolved: &Option<String>) -> String {
    let Some((_, digest)) = resolved.as_deref().and_then(|r| r.rsplit_once('@')) else {
        return String::new();
    };
    let (algo, hex) = digest.split_once(':').unwrap_or(("", digest));
    format!("@{algo}:{}", hex.chars().take(12).collect::<String>())
}

fn base_text(model: &PlanModel, base: &PlanBase) -> String {
    match base {
        PlanBase::Scratch => "scratch".into(),
        PlanBase::Stage(j) => format!("stage {}", stage_label(model, *j)),
        PlanBase::Image {
            reference,
            resolved,
        } => format!("{reference}{}", short_digest(resolved)),
        PlanBase::Context { name, input } => format!("context {name} ({input})"),
    }
}

fn source_text(model: &PlanModel, from: &PlanSource) -> String {
    match from {
        PlanSource::Stage(j) => stage_label(model, *j),
        PlanSource::Image { reference, .. } => format!("image {reference}"),
        PlanSource::Context { name, .. } => format!("context {name}"),
    }
}

/// What an edge carries, on one line: `COPY a, b -> /dest`, `mount / -> /src`, `FROM`.
fn carries(e: &PlanEdge) -> String {
    let via = match e.kind {
        EdgeKind::From => return "FROM (everything)".into(),
        EdgeKind::Copy => "COPY",
        EdgeKind::Mount => "mount",
    };
    let onbuild = if e.onbuild { "ONBUILD " } else { "" };
    let dest = e
        .dest
        .as_deref()
        .map(|d| format!(" -> {d}"))
        .unwrap_or_default();
    format!("{onbuild}{via} {}{dest}", e.paths.join(", "))
}

/// [`carries`] without the paths: `COPY 3 paths -> /dest`.
fn carries_short(e: &PlanEdge) -> String {
    let short = PlanEdge {
        paths: vec![format!("{} paths", e.paths.len())],
        ..e.clone()
    };
    carries(&short)
}

/// `s` cut to `max` characters, ending in `…` when cut.
fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Rows as columns padded to their widest cell (cells already cut), two spaces apart.
fn table(rows: &[Vec<String>], indent: &str) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for r in rows {
        let mut line = String::from(indent);
        for (c, cell) in r.iter().enumerate() {
            line.push_str(cell);
            if c + 1 < r.len() {
                let pad = widths[c].saturating_sub(cell.chars().count()) + 2;
                line.push_str(&" ".repeat(pad));
            }
        }
        out.push_str(cut(line.trim_end(), WIDTH).as_str());
        out.push('\n');
    }
    out
}

/// Shown when stages run on different platforms (a cross-platform build).
fn cross_platform(model: &PlanModel) -> bool {
    model
        .stages
        .iter()
        .any(|s| s.platform_flag || s.platform != model.platform)
}

/// The text form, for a terminal.
pub fn text(model: &PlanModel) -> String {
    let needed = model.stages.iter().filter(|s| s.needed).count();
    let mut out = format!(
        "Target {} ({}): {} of {} stages needed, {} on the critical path\n\n",
        cut(&stage_label(model, model.target), 40),
        model.platform,
        needed,
        model.stages.len(),
        steps(model.critical_path.steps),
    );
    let show_platform = cross_platform(model);
    let mut header: Vec<String> = ["#", "STAGE", "BASE"].map(String::from).to_vec();
    if show_platform {
        header.push("PLATFORM".into());
    }
    header.extend(["STEPS", "LEVEL"].map(String::from));
    let mut rows = vec![header];
    for s in &model.stages {
        let mut row = vec![
            s.index.to_string(),
            cut(&s.label(), 20),
            cut(&base_text(model, &s.base), 40),
        ];
        if show_platform {
            row.push(cut(&s.platform, 20));
        }
        row.push(s.steps.to_string());
        row.push(
            model
                .level_of(s.index)
                .map_or_else(|| "pruned".into(), |l| l.to_string()),
        );
        rows.push(row);
    }
    out.push_str(&table(&rows, ""));

    out.push_str("\nFiles between stages:\n");
    if model.edges.is_empty() {
        out.push_str("  none\n");
    } else {
        let rows: Vec<Vec<String>> = model
            .edges
            .iter()
            .map(|e| {
                vec![
                    cut(&source_text(model, &e.from), 30),
                    "->".into(),
                    cut(&stage_label(model, e.to), 20),
                    format!("line {}", e.line),
                ]
            })
            .collect();
        let table = table(&rows, "  ");
        let width = table.lines().map(|l| l.chars().count()).max().unwrap_or(0);
        for (row, e) in table.lines().zip(&model.edges) {
            let row = format!("{row:width$}");
            let pruned = if model.stages.get(e.to).is_some_and(|s| !s.needed) {
                " (pruned)"
            } else {
                ""
            };
            let line = format!("{row}  {}{pruned}", carries(e));
            if line.chars().count() <= WIDTH {
                out.push_str(&line);
                out.push('\n');
                continue;
            }
            // Too long for one line: the paths below, one a line.
            out.push_str(&cut(&format!("{row}  {}{pruned}", carries_short(e)), WIDTH));
            out.push('\n');
            for p in &e.paths {
                out.push_str(&cut(&format!("      {p}"), WIDTH));
                out.push('\n');
            }
        }
    }

    out.push_str("\nParallel levels (the stages of a level can run at once):\n");
    let rows: Vec<Vec<String>> = model
        .levels
        .iter()
        .enumerate()
        .map(|(l, stages)| {
            let names: Vec<String> = stages.iter().map(|&i| stage_label(model, i)).collect();
            vec![format!("{l}:"), names.join(", ")]
        })
        .collect();
    out.push_str(&table(&rows, "  "));

    let chain: Vec<String> = model
        .critical_path
        .stages
        .iter()
        .map(|&i| {
            let n = model.stages.get(i).map_or(0, |s| s.steps);
            format!("{} ({n})", stage_label(model, i))
        })
        .collect();
    out.push_str(&format!(
        "\nCritical path, {}:\n  {}\n",
        steps(model.critical_path.steps),
        cut(&chain.join(" -> "), WIDTH - 2)
    ));

    out.push_str(&format!(
        "\nThe final image ({}) receives:\n",
        cut(&stage_label(model, model.target), 40)
    ));
    let mut rows: Vec<Vec<String>> = Vec::new();
    if let Some(PlanBase::Stage(j)) = model.stages.get(model.target).map(|s| &s.base) {
        rows.push(vec![
            format!("from {}:", cut(&stage_label(model, *j), 30)),
            "everything (FROM)".into(),
        ]);
    }
    for e in model.final_copies() {
        rows.push(vec![
            format!("from {}:", cut(&source_text(model, &e.from), 30)),
            carries(e),
        ]);
    }
    if rows.is_empty() {
        out.push_str("  nothing from other stages\n");
    } else {
        out.push_str(&table(&rows, "  "));
    }
    if !model.includes.is_empty() {
        out.push_str("\nIncluded files (INCLUDE, this frontend's extension):\n");
        let rows: Vec<Vec<String>> = model
            .includes
            .iter()
            .map(|i| vec![include_place(i), format!("INCLUDE {}", cut(&i.path, 60))])
            .collect();
        out.push_str(&table(&rows, "  "));
    }
    out
}

/// Where an INCLUDE is: `line N`, or `FILE line N` in an included file.
fn include_place(i: &PlanInclude) -> String {
    match &i.in_file {
        Some(f) => format!("{} line {}", cut(f, 40), i.line),
        None => format!("line {}", i.line),
    }
}

fn source_json(from: &PlanSource) -> Json {
    match from {
        PlanSource::Stage(j) => Json::obj()
            .field("type", Json::str("stage"))
            .field("stage", Json::Uint(*j as u64))
            .build(),
        PlanSource::Image {
            reference,
            resolved,
        } => image_json(reference, resolved),
        PlanSource::Context { name, input } => context_json(name, input),
    }
}

fn image_json(reference: &str, resolved: &Option<String>) -> Json {
    Json::obj()
        .field("type", Json::str("image"))
        .field("reference", Json::str(reference))
        .field("resolved", resolved.clone().map_or(Json::Null, Json::Str))
        .build()
}

fn context_json(name: &str, input: &str) -> Json {
    Json::obj()
        .field("type", Json::str("context"))
        .field("name", Json::str(name))
        .field("input", Json::str(input))
        .build()
}

fn base_json(base: &PlanBase) -> Json {
    match base {
        PlanBase::Scratch => Json::obj().field("type", Json::str("scratch")).build(),
        PlanBase::Stage(j) => source_json(&PlanSource::Stage(*j)),
        PlanBase::Image {
            reference,
            resolved,
        } => image_json(reference, resolved),
        PlanBase::Context { name, input } => context_json(name, input),
    }
}

fn strs(v: &[String]) -> Json {
    Json::Arr(v.iter().map(|s| Json::str(s.as_str())).collect())
}

fn indices(v: &[usize]) -> Json {
    Json::Arr(v.iter().map(|&i| Json::Uint(i as u64)).collect())
}

fn edge_json(e: &PlanEdge) -> Json {
    Json::obj()
        .field("from", source_json(&e.from))
        .field("to", Json::Uint(e.to as u64))
        .field("kind", Json::str(e.kind.as_str()))
        .field("onbuild", Json::Bool(e.onbuild))
        .field("paths", strs(&e.paths))
        .field("dest", e.dest.clone().map_or(Json::Null, Json::Str))
        .field("line", Json::Uint(e.line as u64))
        .build()
}

/// The model as JSON (the schema is in docs/plan.md).
pub fn json(model: &PlanModel) -> String {
    let stages = model
        .stages
        .iter()
        .map(|s| {
            Json::obj()
                .field("index", Json::Uint(s.index as u64))
                .field("name", s.name.clone().map_or(Json::Null, Json::Str))
                .field("base", base_json(&s.base))
                .field("platform", Json::str(s.platform.as_str()))
                .field("platform_flag", Json::Bool(s.platform_flag))
                .field("needed", Json::Bool(s.needed))
                .field("steps", Json::Uint(s.steps as u64))
                .field(
                    "level",
                    model
                        .level_of(s.index)
                        .map_or(Json::Null, |l| Json::Uint(l as u64)),
                )
                .field("line", Json::Uint(s.line as u64))
                .build()
        })
        .collect();
    let edges = model.edges.iter().map(edge_json).collect();
    let levels = model.levels.iter().map(|l| indices(l)).collect();
    let finals = model.final_copies().map(edge_json).collect();
    let mut out = Json::obj()
        .field("version", Json::str(PLAN_VERSION))
        .field("target", Json::Uint(model.target as u64))
        .field("platform", Json::str(model.platform.as_str()))
        .field("stages", Json::Arr(stages))
        .field("edges", Json::Arr(edges))
        .field("levels", Json::Arr(levels))
        .field(
            "critical_path",
            Json::obj()
                .field("stages", indices(&model.critical_path.stages))
                .field("steps", Json::Uint(model.critical_path.steps as u64))
                .build(),
        )
        .field("final", Json::Arr(finals));
    // Only with INCLUDEs (our extension): a plan without them is as before.
    if !model.includes.is_empty() {
        let includes = model
            .includes
            .iter()
            .map(|i| {
                Json::obj()
                    .field("path", Json::str(i.path.as_str()))
                    .field("in", i.in_file.clone().map_or(Json::Null, Json::Str))
                    .field("line", Json::Uint(i.line as u64))
                    .build()
            })
            .collect();
        out = out.field("includes", Json::Arr(includes));
    }
    let mut out = out.build().marshal_indent();
    out.push('\n');
    out
}

/// The nodes of a diagram: one per stage (`s<index>`), one per image or context an edge reads
/// (`x<k>`, each distinct source once).
struct Diagram {
    externals: Vec<(String, String)>,
}

impl Diagram {
    fn new(model: &PlanModel) -> Diagram {
        let mut externals: Vec<(String, String)> = Vec::new();
        for e in &model.edges {
            if !matches!(e.from, PlanSource::Stage(_)) {
                let label = source_text(model, &e.from);
                if !externals.iter().any(|(_, l)| *l == label) {
                    externals.push((format!("x{}", externals.len()), label));
                }
            }
        }
        Diagram { externals }
    }

    fn id(&self, model: &PlanModel, from: &PlanSource) -> String {
        match from {
            PlanSource::Stage(j) => format!("s{j}"),
            other => {
                let label = source_text(model, other);
                self.externals
                    .iter()
                    .find(|(_, l)| *l == label)
                    .map_or_else(String::new, |(id, _)| id.clone())
            }
        }
    }
}

/// A stage's node: its name, its base and its steps, one per line.
fn node_lines(model: &PlanModel, s: &PlanStage) -> Vec<String> {
    let base = match &s.base {
        PlanBase::Stage(j) => stage_label(model, *j),
        other => base_text(model, other),
    };
    let mut lines = vec![s.label(), format!("FROM {base}")];
    if cross_platform(model) {
        lines.push(s.platform.clone());
    }
    lines.push(steps(s.steps));
    lines
}

/// An edge's label: the paths (at most four, then how many more) and the destination.
fn edge_lines(e: &PlanEdge) -> Vec<String> {
    let mut lines = Vec::new();
    if e.onbuild {
        lines.push("ONBUILD".into());
    }
    match e.kind {
        EdgeKind::From => lines.push("FROM".into()),
        EdgeKind::Copy | EdgeKind::Mount => {
            let prefix = if e.kind == EdgeKind::Mount {
                "mount "
            } else {
                ""
            };
            for (k, p) in e.paths.iter().enumerate() {
                if k == 4 {
                    lines.push(format!("+{} more", e.paths.len() - 4));
                    break;
                }
                lines.push(format!("{prefix}{}", cut(p, 60)));
            }
            if let Some(d) = &e.dest {
                lines.push(format!("→ {}", cut(d, 60)));
            }
        }
    }
    lines
}

/// Text inside a Mermaid `"…"` string, as entity codes where Mermaid would read markup.
fn mermaid_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '#' => out.push_str("#35;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '&' => out.push_str("#amp;"),
            '|' => out.push_str("#124;"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn mermaid_label(lines: &[String]) -> String {
    let lines: Vec<String> = lines.iter().map(|l| mermaid_escape(l)).collect();
    format!("\"{}\"", lines.join("<br/>"))
}

/// A Mermaid `flowchart`: a node per stage, edges labelled with the paths they carry, pruned
/// stages (and the edges into them) dashed and grey, the target bold.
pub fn mermaid(model: &PlanModel) -> String {
    let d = Diagram::new(model);
    let mut out = String::from("flowchart TD\n");
    for i in &model.includes {
        out.push_str(&format!(
            "    %% INCLUDE {} ({})\n",
            i.path,
            include_place(i)
        ));
    }
    for s in &model.stages {
        out.push_str(&format!(
            "    s{}[{}]\n",
            s.index,
            mermaid_label(&node_lines(model, s))
        ));
    }
    for (id, label) in &d.externals {
        out.push_str(&format!(
            "    {id}([{}])\n",
            mermaid_label(std::slice::from_ref(label))
        ));
    }
    for e in &model.edges {
        let pruned = model.stages.get(e.to).is_some_and(|s| !s.needed);
        let arrow = if pruned { "-.->" } else { "-->" };
        out.push_str(&format!(
            "    {} {arrow}|{}| s{}\n",
            d.id(model, &e.from),
            mermaid_label(&edge_lines(e)),
            e.to
        ));
    }
    out.push_str("    classDef pruned stroke-dasharray: 5 5,stroke:#999,color:#999,fill:#f4f4f4\n");
    out.push_str("    classDef target stroke-width:3px\n");
    let pruned: Vec<String> = model
        .stages
        .iter()
        .filter(|s| !s.needed)
        .map(|s| format!("s{}", s.index))
        .collect();
    if !pruned.is_empty() {
        out.push_str(&format!("    class {} pruned\n", pruned.join(",")));
    }
    out.push_str(&format!("    class s{} target\n", model.target));
    out
}

/// Text inside a Graphviz `"…"` string.
fn dot_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn dot_label(lines: &[String]) -> String {
    let lines: Vec<String> = lines.iter().map(|l| dot_escape(l)).collect();
    format!("\"{}\"", lines.join("\\n"))
}

/// Graphviz `dot`: the same graph as [`mermaid`].
pub fn dot(model: &PlanModel) -> String {
    let d = Diagram::new(model);
    let mut out = String::from(
        "digraph plan {\n    rankdir=TB;\n    node [shape=box, style=rounded, fontname=\"Helvetica\"];\n    edge [fontname=\"Helvetica\", fontsize=10];\n",
    );
    for i in &model.includes {
        out.push_str(&format!(
            "    // INCLUDE {} ({})\n",
            i.path,
            include_place(i)
        ));
    }
    for s in &model.stages {
        let style = if !s.needed {
            ", style=\"rounded,dashed\", color=grey, fontcolor=grey"
        } else if s.index == model.target {
            ", penwidth=2"
        } else {
            ""
        };
        out.push_str(&format!(
            "    s{} [label={}{style}];\n",
            s.index,
            dot_label(&node_lines(model, s))
        ));
    }
    for (id, label) in &d.externals {
        out.push_str(&format!(
            "    {id} [label={}, shape=ellipse];\n",
            dot_label(std::slice::from_ref(label))
        ));
    }
    for e in &model.edges {
        let pruned = model.stages.get(e.to).is_some_and(|s| !s.needed);
        let style = if pruned {
            ", style=dashed, color=grey, fontcolor=grey"
        } else {
            ""
        };
        out.push_str(&format!(
            "    {} -> s{} [label={}{style}];\n",
            d.id(model, &e.from),
            e.to,
            dot_label(&edge_lines(e))
        ));
    }
    out.push_str("}\n");
    out
}
