//! Resolving what the stage graph needs (dockerfile2llb's `resolveStages`): base images and
//! named contexts, each distinct one asked for once per round, and the ONBUILD triggers they
//! bring, which can make more stages needed.

use std::collections::HashMap;
use std::sync::Arc;

use buildkit_llb::reference::Reference;
use buildkit_llb::{ImageOptions, Metadata, State};

use super::contexts::{self, ContextSource, LoadedContext, NamedContext};
use super::plan::{self, Base};
use super::platform::auto_detect_platform;
use super::stages::{CommandRef, Conversion, ImageKey, PlannedCommand, Resolved};
use super::{LocatedError, Need, Resolutions};
use crate::gocompat::go_quote;
use crate::image::Image;
use crate::instructions::suggest;

/// Resolve rounds after which ONBUILD triggers adding stages are taken for a loop.
const MAX_ONBUILD_ROUNDS: usize = 100;

impl Resolved {
    /// The ONBUILD triggers of the base's image config.
    fn on_build(&self) -> Option<&Vec<String>> {
        match self {
            Resolved::Image { image, .. } => image.config.on_build.as_ref(),
            Resolved::Context { image, .. } => {
                image.as_ref().and_then(|i| i.config.on_build.as_ref())
            }
        }
    }
}

impl Conversion<'_> {
    /// What the gateway must look up before the graph is complete: base images and named
    /// contexts of the stages the target needs. Empty when done. ONBUILD triggers run between
    /// rounds, as the reference's `resolveStages` loop does, and may add stages to the graph.
    pub fn needs(&mut self) -> Result<Vec<Need>, LocatedError> {
        loop {
            let reachable = self.reachable_plans();
            // Asked afresh each time: a plan's pending need points into this round's list.
            self.asked.clear();
            for plan in &mut self.graph.nodes {
                plan.pending = None;
            }
            let mut index: HashMap<Need, usize> = HashMap::new();
            let mut names = HashMap::new();
            for (i, &is_reachable) in reachable.iter().enumerate() {
                if let Some(n) = self.plan_need(i, is_reachable, &mut names)? {
                    // Consecutive stages usually need the same: compare before hashing.
                    let at = match self.asked.last() {
                        Some(last) if *last == n => self.asked.len() - 1,
                        _ => *index.entry(n).or_insert_with_key(|n| {
                            self.asked.push(n.clone());
                            self.asked.len() - 1
                        }),
                    };
                    self.graph.nodes[i].pending = Some(at);
                }
            }
            if !self.asked.is_empty() {
                return Ok(self.asked.clone());
            }
            if !self.init_onbuild_triggers(&reachable)? {
                return Ok(Vec::new());
            }
            self.round += 1;
            // Images whose triggers copy from each other would add stages forever.
            if self.round > MAX_ONBUILD_ROUNDS {
                return Err(LocatedError::new(format!("ONBUILD triggers kept adding stages to the graph after {MAX_ONBUILD_ROUNDS} rounds")));
            }
        }
    }

    /// The lookup plan `i` waits for; contexts that need no I/O are resolved on the spot.
    /// `names` keeps each base name's normalized reference: stages often share a base.
    fn plan_need(
        &mut self,
        i: usize,
        reachable: bool,
        names: &mut HashMap<String, String>,
    ) -> Result<Option<Need>, LocatedError> {
        let plan = &self.graph.nodes[i];
        if plan.resolved.is_some() || plan.pending.is_some() {
            return Ok(None);
        }
        let location = plan.location;
        let at = |e: LocatedError| match location {
            Some(l) => e.or_at(l),
            None => e,
        };
        let nc = match (&plan.replaced_by, &plan.base) {
            (Some(nc), _) => {
                if !reachable {
                    return Ok(None);
                }
                NamedContext::clone(nc)
            }
            (None, Base::Image) => {
                // Parsed even when unreachable, as the reference does.
                let name = match names.get(&plan.base_name) {
                    Some(name) => name.clone(),
                    None => {
                        let reference = parse_reference(&plan.base_name).map_err(|e| {
                            at(LocatedError::new(format!(
                                "failed to parse stage name {}: {e}",
                                go_quote(&plan.base_name)
                            )))
                        })?;
                        let name = reference.to_string();
                        names.insert(plan.base_name.clone(), name.clone());
                        name
                    }
                };
                if !reachable {
                    let round = Some(self.round);
                    let plan = &mut self.graph.nodes[i];
                    if plan.stage.is_some() && plan.counted_round != round {
                        plan.counted_round = round;
                        plan.from_rounds += 1;
                    }
                    return Ok(None);
                }
                let platform = self.requested_platform(i);
                match contexts::lookup(self.opts, &name, Some(&platform)).map_err(at)? {
                    Some(nc) => nc,
                    None => return Ok(Some(Need::Image((name, platform)))),
                }
            }
            (None, _) => return Ok(None),
        };
        let source = nc.source().map_err(at)?;
        if contexts::needs_loading(&source) {
            return Ok(Some(Need::Context(nc)));
        }
        let resolved = self.resolved_context(i, nc, source, None).map_err(at)?;
        self.graph.nodes[i].resolved = Some(Arc::new(resolved));
        Ok(None)
    }

    /// Takes the gateway's answers for what `needs` asked.
    pub fn provide(&mut self, res: &Resolutions) -> Result<(), LocatedError> {
        // Stages on one base image share its parsed config: by need (each asked once) and
        // whether the stage named its platform.
        let mut images: HashMap<(usize, bool), Arc<Resolved>> = HashMap::new();
        let asked = std::mem::take(&mut self.asked);
        for i in 0..self.graph.nodes.len() {
            let Some(need_index) = self.graph.nodes[i].pending.take() else {
                continue;
            };
            let location = self.graph.nodes[i].location;
            let at = |e: LocatedError| match location {
                Some(l) => e.or_at(l),
                None => e,
            };
            let Some(need) = asked.get(need_index) else {
                continue;
            };
            let resolved = match need {
                Need::Image(key) => {
                    let shared = (need_index, self.graph.nodes[i].platform.is_none());
                    match images.get(&shared) {
                        Some(r) => Arc::clone(r),
                        None => {
                            let found = res.images.get(key).ok_or_else(|| {
                                at(LocatedError::new(format!(
                                    "image {} was not resolved",
                                    key.0
                                )))
                            })?;
                            let img = match found {
                                Ok(img) => img,
                                Err(e) => {
                                    let orig = &self.graph.nodes[i].base_name;
                                    let mut names = self.graph.names();
                                    let common = common_image_names();
                                    names.extend(common.iter().map(String::as_str));
                                    return Err(at(LocatedError::new(suggest::wrap(
                                        format!("{orig}: {e}"),
                                        orig,
                                        &names,
                                        true,
                                    ))));
                                }
                            };
                            let r = Arc::new(self.resolved_image(i, key, img).map_err(at)?);
                            images.insert(shared, Arc::clone(&r));
                            r
                        }
                    }
                }
                Need::Context(nc) => match res.contexts.get(nc) {
                    Some(Ok(loaded)) => {
                        let source = nc.source().map_err(at)?;
                        Arc::new(
                            self.resolved_context(i, nc.clone(), source, Some(loaded.clone()))
                                .map_err(at)?,
                        )
                    }
                    Some(Err(e)) => return Err(at(LocatedError::new(e.clone()))),
                    None => {
                        return Err(at(LocatedError::new(format!(
                            "named context {} was not loaded",
                            nc.name_with_platform
                        ))))
                    }
                },
            };
            self.graph.nodes[i].resolved = Some(resolved);
        }
        Ok(())
    }

    /// dockerfile2llb's `resolveBaseImage` after `ResolveImageConfig`.
    fn resolved_image(
        &self,
        i: usize,
        key: &ImageKey,
        img: &super::ResolvedImage,
    ) -> Result<Resolved, LocatedError> {
        let base_image = Arc::new(
            Image::from_json(&img.config)
                .map_err(|e| LocatedError::new(format!("failed to parse image config: {e}")))?,
        );
        let mut image = Image::clone(&base_image);
        image.created = None;
        let mut platform = key.1.clone();
        if self.graph.nodes[i].platform.is_none() && self.implicit_target {
            platform = auto_detect_platform(&image, &platform, &self.build_platforms);
        }
        let pinned = match &img.digest {
            Some(d) if !key.0.contains('@') => format!("{}@{d}", key.0),
            _ => key.0.clone(),
        };
        let is_scratch = image
            .rootfs
            .diff_ids
            .as_deref()
            .unwrap_or_default()
            .is_empty()
            && image.history.iter().all(|h| h.empty_layer);
        let source = if is_scratch {
            State::scratch()
        } else {
            State::image(
                &pinned,
                ImageOptions {
                    platform: Some(platform.clone()),
                    resolve_mode: self.opts.image_source_resolve_mode(),
                    metadata: Metadata::default(),
                },
            )
        };
        Ok(Resolved::Image {
            pinned,
            image: Arc::new(image),
            base_image,
            platform,
            is_scratch,
            source,
        })
    }

    fn resolved_context(
        &self,
        i: usize,
        context: NamedContext,
        source: ContextSource,
        loaded: Option<LoadedContext>,
    ) -> Result<Resolved, LocatedError> {
        let (context, source, loaded) = match loaded {
            Some(LoadedContext::Redirected { input, loaded }) => {
                let context = NamedContext { input, ..context };
                let source = context.source()?;
                (context, source, Some(*loaded))
            }
            other => (context, source, other),
        };
        let (_, image) = contexts::context_state(
            &context,
            &source,
            loaded.as_ref(),
            Vec::new(),
            &self.target_platform,
            self.opts.git_advice,
        )?;
        let platform = match (
            &self.graph.nodes[i].replaced_by,
            image.as_ref().and_then(contexts::image_platform),
        ) {
            // A stage replaced by a context takes the platform its image states.
            (Some(_), Some(p)) => p,
            _ => self.requested_platform(i),
        };
        Ok(Resolved::Context {
            context,
            source,
            loaded,
            image,
            platform,
        })
    }

    /// dockerfile2llb's `initOnBuildTriggers` for every reachable plan not yet done: the
    /// triggers of its base image's config, or the ONBUILD commands of its base stage, run
    /// first in the stage. True when they read from plans not read before.
    fn init_onbuild_triggers(&mut self, reachable: &[bool]) -> Result<bool, LocatedError> {
        let mut new_deps = false;
        for (i, &is_reachable) in reachable.iter().enumerate() {
            if !is_reachable || self.graph.nodes[i].triggers_added {
                continue;
            }
            self.graph.nodes[i].triggers_added = true;
            // (Copied first when other plans share the base.)
            let mut triggers: Vec<String> = match self.graph.nodes[i].resolved.as_mut() {
                Some(r) if r.on_build().is_some() => match Arc::make_mut(r) {
                    Resolved::Image { image, .. } => Arc::make_mut(image)
                        .config
                        .on_build
                        .take()
                        .unwrap_or_default(),
                    Resolved::Context { image, .. } => image
                        .as_mut()
                        .and_then(|i| i.config.on_build.take())
                        .unwrap_or_default(),
                },
                _ => Vec::new(),
            };
            if let Some(j) = self.graph.nodes[i].base_stage() {
                let base = &self.graph.nodes[j].commands;
                triggers.extend(plan::onbuild_expressions(base.iter().map(|c| &*c.cmd)));
            }
            if triggers.is_empty() {
                continue;
            }
            let mut planned: Vec<PlannedCommand> = self
                .graph
                .add_triggers(i, &self.lex, &triggers)?
                .into_iter()
                .map(|(cmd, sources)| PlannedCommand {
                    cmd: CommandRef::Owned(Box::new(cmd)),
                    sources,
                    on_build: true,
                })
                .collect();
            new_deps |= planned.iter().any(|pc| !pc.sources.is_empty());
            let plan = &mut self.graph.nodes[i];
            plan.cmd_total += planned.len();
            plan.triggers += planned.len();
            planned.append(&mut plan.commands);
            plan.commands = planned;
        }
        Ok(new_deps)
    }
}

/// distribution's `ParseNormalizedNamed`, with its error messages.
pub(super) fn parse_reference(name: &str) -> Result<Reference, String> {
    Reference::parse_normalized(name).map_err(|e| e.message)
}

/// The names the reference suggests from when an image cannot be resolved (with its
/// missing `/` after `docker.io/library`, kept so the hints match).
fn common_image_names() -> Vec<String> {
    [
        "alpine", "busybox", "centos", "debian", "golang", "ubuntu", "fedora",
    ]
    .iter()
    .flat_map(|n| {
        [
            n.to_string(),
            format!("docker.io/library{n}"),
            format!("{n}:latest"),
            format!("docker.io/library{n}:latest"),
        ]
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_errors_read_like_go() {
        assert_eq!(
            parse_reference("Foo").unwrap_err(),
            "invalid reference format: repository name (library/Foo) must be lowercase"
        );
        assert_eq!(
            parse_reference("foo:bad tag").unwrap_err(),
            "invalid reference format"
        );
        assert!(parse_reference(&"a".repeat(64))
            .unwrap_err()
            .contains("64-byte hexadecimal"));
        assert_eq!(
            parse_reference("busybox").unwrap().to_string(),
            "docker.io/library/busybox:latest"
        );
    }
}
