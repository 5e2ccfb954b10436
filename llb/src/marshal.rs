//! Turning the graph behind a state into a `Definition`: ops in dependency order
//! (each once), their metadata, and the source files ops point into.

use std::collections::{BTreeMap, BTreeSet};

use foldhash::{HashMap, HashSet, HashSetExt};
use std::sync::Arc;

use buildkit_proto::pb;
use prost::encoding::WireType;
use prost::Message;

use crate::digest::digest_of;
use crate::metadata::{OpMetadata, SourceFile};
use crate::state::{encode_op, OpNode, State};

#[derive(Debug, thiserror::Error)]
pub enum MarshalError {
    #[error("too many source files in one definition")]
    TooManySources,
    #[error("writing the definition: {0}")]
    Io(#[from] std::io::Error),
}

impl State {
    /// The definition of everything this state depends on; byte-identical for identical graphs.
    /// Scratch gives an empty definition.
    pub fn marshal(&self) -> Result<pb::Definition, MarshalError> {
        let mut def = pb::Definition::default();
        let Some(plan) = Plan::new(self)? else {
            return Ok(def);
        };
        def.def = plan.ops.iter().map(|n| n.bytes.clone()).collect();
        def.def.push(plan.terminal.clone());
        for (digest, nodes) in plan.by_digest() {
            def.metadata
                .insert(digest.to_string(), merged_metadata(nodes));
        }
        def.metadata
            .insert(plan.terminal_digest.clone(), plan.terminal_metadata());
        // Like Go's `sourceMapCollector`: every op has an entry, empty for an op without a
        // location, and there is a source map whenever there is an op (without infos when no
        // op has a location).
        let locations = plan
            .by_digest()
            .map(|(digest, nodes)| (digest.to_string(), plan.locations(nodes)))
            .collect();
        def.source = Some(pb::Source {
            locations,
            infos: plan.infos(),
        });
        Ok(def)
    }

    /// [`State::marshal`] encoded and written to `w` as it is produced: the same bytes as
    /// `marshal()?.encode_to_vec()` without holding the definition in memory twice (decoded
    /// and encoded), for the command line, which writes it to stdout.
    pub fn write_definition(&self, w: &mut impl std::io::Write) -> Result<(), MarshalError> {
        let Some(plan) = Plan::new(self)? else {
            return Ok(());
        };
        let mut buf = Vec::new();
        for bytes in plan.ops.iter().map(|n| &n.bytes).chain([&plan.terminal]) {
            buf.clear();
            prost::encoding::bytes::encode(1, bytes, &mut buf);
            w.write_all(&buf)?;
        }
        // Map entries in key order, each encoded as a one-entry map is (key and value always).
        let mut entries: Vec<(&str, Option<&[&OpNode]>)> =
            plan.by_digest().map(|(d, n)| (d, Some(n))).collect();
        // (by_digest is sorted: the terminal op goes where its digest sorts.)
        let at = entries.partition_point(|(d, _)| *d < plan.terminal_digest.as_str());
        entries.insert(at, (&plan.terminal_digest, None));
        // Scratch buffers, reused for every entry.
        let (mut body, mut inner, mut innermost) = (Vec::new(), Vec::new(), Vec::new());
        for (digest, nodes) in entries {
            buf.clear();
            body.clear();
            match nodes {
                // One op object: its metadata encoded straight from the compact copy.
                Some([node]) => encode_op_metadata(&node.metadata, &mut inner, &mut body),
                Some(nodes) => encode_merged_metadata(nodes, &mut inner, &mut body),
                None => plan.terminal_metadata().encode_raw(&mut body),
            }
            put_map_entry(2, digest, &body, &mut buf);
            w.write_all(&buf)?;
        }
        let mut source = Vec::new();
        for (digest, nodes) in plan.by_digest() {
            body.clear();
            plan.encode_locations(nodes, (&mut inner, &mut innermost), &mut body);
            put_map_entry(1, digest, &body, &mut source);
        }
        pb::Source {
            locations: BTreeMap::new(),
            infos: plan.infos(),
        }
        .encode(&mut source)
        .map_err(|e| MarshalError::Io(std::io::Error::other(e)))?;
        buf.clear();
        prost::encoding::bytes::encode(3, &source, &mut buf);
        w.write_all(&buf)?;
        Ok(())
    }
}

/// What both ways of marshalling need, worked out once from the graph.
struct Plan<'a> {
    /// Each distinct op once, inputs first, as the definition lists them.
    ops: Vec<&'a OpNode>,
    /// Every op object, sorted by digest (the order of the definition's maps), in visiting
    /// order within a digest (equal ops built twice share one).
    grouped: Vec<&'a OpNode>,
    /// The runs of `grouped` with one digest.
    groups: Vec<std::ops::Range<usize>>,
    sources: SourceTable,
    terminal: Vec<u8>,
    terminal_digest: String,
}

impl<'a> Plan<'a> {
    fn new(state: &'a State) -> Result<Option<Self>, MarshalError> {
        let Some(root) = &state.output else {
            return Ok(None);
        };
        let mut sources = SourceTable::default();
        // Like Go's `llb.State.Marshal`: every op object is visited once, inputs first; ops
        // built separately but equal (one digest) are written once, with their metadata
        // merged in visit order (later descriptions win) and all their source locations.
        let visited = post_order(&root.node);
        for node in &visited {
            for loc in node.metadata.locations.iter() {
                sources.index_of(&loc.file)?;
            }
        }
        // Sorted on the digests' first bytes, kept beside the index (no pointer to follow
        // for most comparisons), then on the whole digest.
        let mut keyed: Vec<(u64, usize)> = visited
            .iter()
            .enumerate()
            .map(|(i, n)| (n.digest.prefix(), i))
            .collect();
        keyed.sort_unstable_by(|&(pa, a), &(pb, b)| {
            pa.cmp(&pb)
                .then_with(|| visited[a].digest.cmp(&visited[b].digest))
                .then(a.cmp(&b))
        });
        let order: Vec<usize> = keyed.into_iter().map(|(_, i)| i).collect();
        let grouped: Vec<&OpNode> = order.iter().map(|&i| visited[i]).collect();
        let mut groups = Vec::new();
        let mut first_of_digest = vec![false; visited.len()];
        let mut start = 0;
        for end in 1..=grouped.len() {
            if end == grouped.len() || grouped[end].digest != grouped[start].digest {
                first_of_digest[order[start]] = true;
                groups.push(start..end);
                start = end;
            }
        }
        let ops = visited
            .iter()
            .zip(&first_of_digest)
            .filter(|(_, &first)| first)
            .map(|(n, _)| *n)
            .collect();
        // The terminal op: no op of its own, just the selected output.
        let terminal = encode_op(pb::Op::default(), std::slice::from_ref(root));
        let terminal_digest = digest_of(&terminal);
        Ok(Some(Plan {
            ops,
            grouped,
            groups,
            sources,
            terminal,
            terminal_digest,
        }))
    }

    /// Each digest with the op objects that have it, in digest order.
    fn by_digest(&self) -> impl Iterator<Item = (&'a str, &[&'a OpNode])> + '_ {
        self.groups.iter().map(|r| {
            (
                self.grouped[r.start].digest.as_str(),
                &self.grouped[r.clone()],
            )
        })
    }

    /// The terminal op declares the metadata features the other ops use, as Go's `State.Marshal` does.
    fn terminal_metadata(&self) -> pb::OpMetadata {
        let mut caps = BTreeMap::from([
            ("constraints".to_string(), true),
            ("platform".to_string(), true),
        ]);
        let nodes = || self.grouped.iter();
        if nodes().any(|n| n.metadata.ignore_cache) {
            caps.insert("meta.ignorecache".into(), true);
        }
        if nodes().any(|n| !n.metadata.description.is_empty()) {
            caps.insert("meta.description".into(), true);
        }
        pb::OpMetadata {
            caps,
            ..Default::default()
        }
    }

    /// The source locations of every op object with one digest, in visiting order (none for
    /// an op without a location: an empty entry, as Go's).
    fn locations(&self, nodes: &[&OpNode]) -> pb::Locations {
        let locations: Vec<pb::Location> = nodes
            .iter()
            .flat_map(|n| n.metadata.locations.iter())
            .map(|loc| pb::Location {
                source_index: self.sources.known_index(&loc.file),
                ranges: loc
                    .ranges
                    .iter()
                    .map(|&(s, e)| pb::Range {
                        start: Some(pb::Position {
                            line: s as i32,
                            character: 0,
                        }),
                        end: Some(pb::Position {
                            line: e as i32,
                            character: 0,
                        }),
                    })
                    .collect(),
            })
            .collect();
        pb::Locations { locations }
    }

    /// [`Plan::locations`] encoded as a `pb::Locations` message body, without building it.
    fn encode_locations(
        &self,
        nodes: &[&OpNode],
        (location, range): (&mut Vec<u8>, &mut Vec<u8>),
        buf: &mut Vec<u8>,
    ) {
        for loc in nodes.iter().flat_map(|n| n.metadata.locations.iter()) {
            location.clear();
            let index = self.sources.known_index(&loc.file);
            if index != 0 {
                prost::encoding::int32::encode(1, &index, location);
            }
            for &(start, end) in &loc.ranges {
                range.clear();
                for (tag, line) in [(1, start), (2, end)] {
                    // A `Position` with its line (`character` is always 0, so left out).
                    let line = line as i32;
                    let len = if line == 0 {
                        0
                    } else {
                        prost::encoding::int32::encoded_len(1, &line)
                    };
                    prost::encoding::encode_key(tag, WireType::LengthDelimited, range);
                    prost::encoding::encode_varint(len as u64, range);
                    if line != 0 {
                        prost::encoding::int32::encode(1, &line, range);
                    }
                }
                put_bytes(2, range, location);
            }
            put_bytes(1, location, buf);
        }
    }

    fn infos(&self) -> Vec<pb::SourceInfo> {
        self.sources
            .files
            .iter()
            .map(|f| pb::SourceInfo {
                filename: f.filename.clone(),
                data: f.data.clone(),
                definition: f.definition.clone(),
                language: f.language.clone(),
            })
            .collect()
    }
}

/// One entry of a `map<string, Message>` field whose value is `value` encoded, as Go writes
/// it: key and value always, also an empty one (see `buildkit_proto::pb::Definition`).
fn put_map_entry(tag: u32, key: &str, value: &[u8], buf: &mut Vec<u8>) {
    use prost::encoding::encoded_len_varint;
    let key_len = 1 + encoded_len_varint(key.len() as u64) + key.len();
    let value_len = 1 + encoded_len_varint(value.len() as u64) + value.len();
    prost::encoding::encode_key(tag, WireType::LengthDelimited, buf);
    prost::encoding::encode_varint((key_len + value_len) as u64, buf);
    put_bytes(1, key.as_bytes(), buf);
    put_bytes(2, value, buf);
}

/// A length-delimited field (string, bytes or message body).
fn put_bytes(tag: u32, bytes: &[u8], buf: &mut Vec<u8>) {
    prost::encoding::encode_key(tag, WireType::LengthDelimited, buf);
    prost::encoding::encode_varint(bytes.len() as u64, buf);
    buf.extend_from_slice(bytes);
}

/// `pb::OpMetadata` of one op, encoded as [`merged_metadata`]`(&[node])` is: fields by number,
/// map entries sorted by key (both lists are kept sorted), each with its key and value.
fn encode_op_metadata(md: &OpMetadata, entry: &mut Vec<u8>, buf: &mut Vec<u8>) {
    let description = md.description.iter().map(|(k, v)| (k.as_ref(), v.as_str()));
    encode_metadata_fields(
        md.ignore_cache,
        description,
        md.caps.iter().map(|c| c.as_ref()),
        md.progress_group.as_deref(),
        md.linux_resources.as_deref(),
        entry,
        buf,
    );
}

/// The metadata of equal op objects merged (as [`merged_metadata`]), encoded without building it.
fn encode_merged_metadata(nodes: &[&OpNode], entry: &mut Vec<u8>, buf: &mut Vec<u8>) {
    let m = Merged::of(nodes);
    encode_metadata_fields(
        m.ignore_cache,
        m.description.into_iter(),
        m.caps.into_iter(),
        m.progress_group,
        m.linux_resources,
        entry,
        buf,
    );
}

/// `pb::OpMetadata` as it encodes (the description and caps sorted by key, as given; every
/// entry with its key and value, also empty ones, as Go writes them).
fn encode_metadata_fields<'a>(
    ignore_cache: bool,
    description: impl Iterator<Item = (&'a str, &'a str)>,
    caps: impl Iterator<Item = &'a str>,
    progress_group: Option<&pb::ProgressGroup>,
    linux_resources: Option<&pb::LinuxResources>,
    entry: &mut Vec<u8>,
    buf: &mut Vec<u8>,
) {
    if ignore_cache {
        prost::encoding::bool::encode(1, &true, buf);
    }
    for (k, v) in description {
        entry.clear();
        put_bytes(1, k.as_bytes(), entry);
        put_bytes(2, v.as_bytes(), entry);
        put_bytes(2, entry, buf);
    }
    for c in caps {
        entry.clear();
        put_bytes(1, c.as_bytes(), entry);
        prost::encoding::bool::encode(2, &true, entry);
        put_bytes(5, entry, buf);
    }
    if let Some(g) = progress_group {
        prost::encoding::message::encode(6, g, buf);
    }
    if let Some(r) = linux_resources {
        prost::encoding::message::encode(7, r, buf);
    }
}

fn merged_metadata(nodes: &[&OpNode]) -> pb::OpMetadata {
    let m = Merged::of(nodes);
    pb::OpMetadata {
        ignore_cache: m.ignore_cache,
        description: m
            .description
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        caps: m.caps.into_iter().map(|c| (c.to_string(), true)).collect(),
        progress_group: m.progress_group.cloned(),
        linux_resources: m.linux_resources.cloned(),
        ..Default::default()
    }
}

/// Go's `mergeMetadata` over equal op objects, in visiting order: a later op's description
/// keys overwrite, caps and ignore-cache add up, the last progress group (and resource
/// limits) wins.
struct Merged<'a> {
    ignore_cache: bool,
    description: BTreeMap<&'a str, &'a str>,
    caps: BTreeSet<&'a str>,
    progress_group: Option<&'a pb::ProgressGroup>,
    linux_resources: Option<&'a pb::LinuxResources>,
}

impl<'a> Merged<'a> {
    fn of(nodes: &[&'a OpNode]) -> Self {
        let mut m = Merged {
            ignore_cache: false,
            description: BTreeMap::new(),
            caps: BTreeSet::new(),
            progress_group: None,
            linux_resources: None,
        };
        for n in nodes {
            m.ignore_cache |= n.metadata.ignore_cache;
            m.description.extend(
                n.metadata
                    .description
                    .iter()
                    .map(|(k, v)| (k.as_ref(), v.as_str())),
            );
            m.caps.extend(n.metadata.caps.iter().map(|c| c.as_ref()));
            m.progress_group = n.metadata.progress_group.as_deref().or(m.progress_group);
            m.linux_resources = n.metadata.linux_resources.as_deref().or(m.linux_resources);
        }
        m
    }
}

/// Every op object reachable from `root` (by identity: equal ops built twice are both
/// listed), each once, inputs before the ops that use them, in Go's recursive visiting order.
/// Iterative, so a chain of tens of thousands of ops cannot overflow the stack.
fn post_order(root: &Arc<OpNode>) -> Vec<&OpNode> {
    let mut seen: HashSet<*const OpNode> = HashSet::new();
    let mut order = Vec::new();
    // (node, next input to visit)
    let mut stack: Vec<(&OpNode, usize)> = vec![(root, 0)];
    seen.insert(Arc::as_ptr(root));
    while let Some((node, next)) = stack.pop() {
        if let Some(input) = node.visit_inputs().get(next) {
            stack.push((node, next + 1));
            if seen.insert(Arc::as_ptr(&input.node)) {
                stack.push((&input.node, 0));
            }
        } else {
            order.push(node);
        }
    }
    order
}

#[derive(Default)]
struct SourceTable {
    files: Vec<Arc<SourceFile>>,
    index: HashMap<*const SourceFile, i32>,
    last: Option<(*const SourceFile, i32)>,
}

impl SourceTable {
    fn index_of(&mut self, file: &Arc<SourceFile>) -> Result<i32, MarshalError> {
        // Usually every location is in one file: the last one asked for.
        if let Some((last, i)) = self.last {
            if std::ptr::eq(last, Arc::as_ptr(file)) {
                return Ok(i);
            }
        }
        let i = self.lookup(file)?;
        self.last = Some((Arc::as_ptr(file), i));
        Ok(i)
    }

    /// The index of a file `index_of` has seen.
    fn known_index(&self, file: &Arc<SourceFile>) -> i32 {
        match self.last {
            Some((last, i)) if std::ptr::eq(last, Arc::as_ptr(file)) => i,
            _ => self
                .index
                .get(&Arc::as_ptr(file))
                .copied()
                .unwrap_or_default(),
        }
    }

    fn lookup(&mut self, file: &Arc<SourceFile>) -> Result<i32, MarshalError> {
        if let Some(&i) = self.index.get(&Arc::as_ptr(file)) {
            return Ok(i);
        }
        if let Some(i) = self.files.iter().position(|f| **f == **file) {
            // An equal file behind another pointer: remember that pointer too.
            let i = i as i32;
            self.index.insert(Arc::as_ptr(file), i);
            return Ok(i);
        }
        let i = i32::try_from(self.files.len()).map_err(|_| MarshalError::TooManySources)?;
        self.files.push(Arc::clone(file));
        self.index.insert(Arc::as_ptr(file), i);
        Ok(i)
    }
}

#[cfg(test)]
mod tests {
    use crate::{ImageOptions, Metadata, State};

    #[test]
    fn equal_ops_merge_metadata_like_buildkit() {
        let a = State::image(
            "docker.io/library/busybox:latest",
            ImageOptions {
                metadata: Metadata::named("[a 1/2] FROM busybox"),
                ..Default::default()
            },
        );
        let b = State::image(
            "docker.io/library/busybox:latest",
            ImageOptions {
                metadata: Metadata::named("FROM busybox"),
                ..Default::default()
            },
        );
        let ra = crate::Exec::new(a, vec!["true".into()]).run().root();
        let rb = crate::Exec::new(ra.clone(), vec!["false".into()]);
        let rb = crate::Exec {
            mounts: vec![crate::Mount::bind("/b", b.clone())],
            ..rb
        }
        .run()
        .root();
        let def = rb.marshal().unwrap();
        // One image op, named by the later node.
        assert_eq!(def.def.len(), 4);
        let image_md = &def.metadata[b.digest().unwrap()];
        assert_eq!(image_md.description["llb.customname"], "FROM busybox");
        let terminal = def
            .metadata
            .values()
            .find(|m| m.caps.contains_key("constraints"))
            .unwrap();
        assert!(terminal.caps.contains_key("meta.description"));
    }

    /// An empty description value (`com.docker.dockerfile.v1.command` of an image op only
    /// `COPY --from` uses) keeps both fields of its map entry, as Go writes it, in both ways of
    /// marshalling.
    #[test]
    fn empty_map_values_are_written_as_go_writes_them() {
        use prost::Message;
        let mut md = Metadata::default();
        md.description
            .insert("com.docker.dockerfile.v1.command".into(), String::new());
        let image = State::image(
            "docker.io/library/busybox:latest",
            ImageOptions {
                metadata: md,
                ..Default::default()
            },
        );
        let plain = State::image("docker.io/library/alpine:latest", ImageOptions::default());
        let run = crate::Exec {
            mounts: vec![crate::Mount::bind("/i", image)],
            ..crate::Exec::new(plain, vec!["true".into()])
        }
        .run()
        .root();
        let mut written = Vec::new();
        run.write_definition(&mut written).unwrap();
        assert_eq!(written, run.marshal().unwrap().encode_to_vec());
        let key = b"com.docker.dockerfile.v1.command";
        let entry = [&[0x0a, key.len() as u8][..], key, &[0x12, 0x00]].concat();
        assert!(
            written.windows(entry.len()).any(|w| w == entry),
            "the description entry keeps its empty value"
        );
    }

    /// Like Go's marshal (`sourceMapCollector.Add(dgst, nil)`): every op has a source-map
    /// entry, an empty one for an op without a location (the build context of `COPY . /`), and
    /// a definition with ops has a source map even without any source file; scratch has none.
    #[test]
    fn every_op_has_a_source_map_entry() {
        use prost::Message;
        let file = std::sync::Arc::new(crate::SourceFile {
            filename: "Dockerfile".into(),
            data: b"FROM busybox\nCOPY . /\n".to_vec(),
            language: "Dockerfile".into(),
            ..Default::default()
        });
        let context = State::local("context", crate::LocalOptions::default());
        let image = State::image(
            "docker.io/library/busybox:latest",
            ImageOptions {
                metadata: Metadata::named("FROM busybox")
                    .with_location(Some(crate::SourceLocation::new(file, 1, 1))),
                ..Default::default()
            },
        );
        let run = crate::Exec {
            mounts: vec![crate::Mount::bind("/c", context.clone())],
            ..crate::Exec::new(image.clone(), vec!["true".into()])
        }
        .run()
        .root();
        for (st, infos) in [(run, 1), (context.clone(), 0)] {
            let def = st.marshal().unwrap();
            let source = def.source.as_ref().expect("a source map");
            assert_eq!(source.infos.len(), infos);
            // Every op but the terminal one.
            assert_eq!(source.locations.len(), def.def.len() - 1);
            assert!(source.locations[context.digest().unwrap()]
                .locations
                .is_empty());
            let mut written = Vec::new();
            st.write_definition(&mut written).unwrap();
            assert_eq!(written, def.encode_to_vec());
        }
        assert!(State::scratch().marshal().unwrap().source.is_none());
    }

    /// The streamed definition (the command line's) is the encoded `marshal()`, also where
    /// equal ops with different metadata are merged.
    #[test]
    fn write_definition_writes_the_encoded_definition() {
        use prost::Message;
        let named = |name: &str, group: Option<&str>, ignore_cache: bool| {
            let mut md = Metadata::named(name).with_location(Some(crate::SourceLocation::new(
                std::sync::Arc::new(crate::SourceFile {
                    filename: "Dockerfile".into(),
                    data: b"FROM busybox\n".to_vec(),
                    language: "Dockerfile".into(),
                    ..Default::default()
                }),
                1,
                1,
            )));
            md.description.insert(
                "com.docker.dockerfile.v1.command".into(),
                format!("FROM busybox # {name}"),
            );
            md.progress_group = group.map(|g| crate::ProgressGroup {
                id: g.into(),
                name: g.into(),
                weak: true,
            });
            md.ignore_cache = ignore_cache;
            md
        };
        let image = |md| {
            State::image(
                "docker.io/library/busybox:latest",
                ImageOptions {
                    resolve_mode: Some("pull".into()),
                    metadata: md,
                    ..Default::default()
                },
            )
        };
        let a = image(named("a", Some("g1"), false));
        let b = a.rebuilt(named("b", None, true));
        let c = image(named("c", Some("g2"), false));
        let run = crate::Exec {
            mounts: vec![crate::Mount::bind("/b", b), crate::Mount::bind("/c", c)],
            ..crate::Exec::new(a, vec!["true".into()])
        }
        .run()
        .root();
        let mut written = Vec::new();
        run.write_definition(&mut written).unwrap();
        assert_eq!(written, run.marshal().unwrap().encode_to_vec());
        assert_eq!(run.marshal().unwrap().def.len(), 3);
    }

    /// Resource limits are op metadata (not in the digest): an exec with them declares the
    /// `exec.meta.linux.resources` cap, equal ops merge them as Go's `mergeMetadata` (the later
    /// wins), and the streamed definition encodes them as prost does (field 7).
    #[test]
    fn linux_resources_are_metadata_merged_like_buildkit() {
        use prost::Message;
        let base = State::image("docker.io/library/busybox:latest", ImageOptions::default());
        let limited = |memory| {
            let mut e = crate::Exec::new(base.clone(), vec!["true".into()]);
            e.metadata.linux_resources = Some(crate::LinuxResources {
                memory,
                cpuset_cpus: "0-1".into(),
                ..Default::default()
            });
            e.run().root()
        };
        let (r1, r2) = (limited(1), limited(2));
        assert_eq!(r1.digest(), r2.digest());
        let run = crate::Exec {
            mounts: vec![crate::Mount::bind("/b", r2)],
            ..crate::Exec::new(r1.clone(), vec!["false".into()])
        }
        .run()
        .root();
        let def = run.marshal().unwrap();
        let md = &def.metadata[r1.digest().unwrap()];
        assert_eq!(md.linux_resources.as_ref().map(|r| r.memory), Some(2));
        assert!(md.caps.contains_key("exec.meta.linux.resources"));
        let last = &def.metadata[run.digest().unwrap()];
        assert!(last.linux_resources.is_none());
        assert!(!last.caps.contains_key("exec.meta.linux.resources"));
        let mut written = Vec::new();
        run.write_definition(&mut written).unwrap();
        assert_eq!(written, def.encode_to_vec());
    }
}
