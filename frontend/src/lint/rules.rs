//! The build check rules: names, descriptions and documentation URLs exactly as BuildKit's
//! `frontend/dockerfile/linter/ruleset.go` (v0.34.2) has them, and the message of each.

use crate::gocompat::go_quote;

/// What a warning carries of its rule: name, description and documentation URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleInfo {
    pub name: &'static str,
    pub description: &'static str,
    /// Empty for a rule without a documentation page.
    pub url: &'static str,
    /// Experimental rules only run when named in `experimental=` (or `experimental=all`).
    pub experimental: bool,
    /// One of this frontend's own rules (not the reference's): it only runs when named in
    /// `experimental=` (never through `experimental=all`); see `docs/checks.md`.
    pub ours: bool,
}

/// One rule, as BuildKit's `linter.LinterRule[F]`: its [`RuleInfo`] and `format`, the function
/// that words its message (a fn pointer whose arguments are the occurrence's details).
/// `RULE.message(…)` words one occurrence; `&RULE` derefs to its [`RuleInfo`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule<F> {
    pub info: RuleInfo,
    pub format: F,
}

impl<F> std::ops::Deref for Rule<F> {
    type Target = RuleInfo;
    fn deref(&self) -> &RuleInfo {
        &self.info
    }
}

/// Message formats by arity (Go's `Format func(…) string` of each rule).
pub type Format0 = fn() -> String;
pub type Format1 = fn(&str) -> String;
pub type Format2 = fn(&str, &str) -> String;
pub type Format3 = fn(&str, &str, &str) -> String;
/// A name and the closest known one, if any (`did you mean …?`).
pub type FormatSuggest = fn(&str, Option<&str>) -> String;

impl Rule<Format0> {
    pub fn message(&self) -> String {
        (self.format)()
    }
}

impl Rule<Format1> {
    pub fn message(&self, a: &str) -> String {
        (self.format)(a)
    }
}

impl Rule<Format2> {
    pub fn message(&self, a: &str, b: &str) -> String {
        (self.format)(a, b)
    }
}

impl Rule<Format3> {
    pub fn message(&self, a: &str, b: &str, c: &str) -> String {
        (self.format)(a, b, c)
    }
}

impl Rule<FormatSuggest> {
    pub fn message(&self, name: &str, suggestion: Option<&str>) -> String {
        (self.format)(name, suggestion)
    }
}

const fn rule<F>(
    name: &'static str,
    description: &'static str,
    url: &'static str,
    format: F,
) -> Rule<F> {
    Rule {
        info: RuleInfo {
            name,
            description,
            url,
            experimental: false,
            ours: false,
        },
        format,
    }
}

pub const STAGE_NAME_CASING: Rule<Format1> = rule(
    "StageNameCasing",
    "Stage names should be lowercase",
    "https://docs.docker.com/go/dockerfile/rule/stage-name-casing/",
    stage_name_casing,
);
pub const FROM_AS_CASING: Rule<Format2> = rule(
    "FromAsCasing",
    "The 'as' keyword should match the case of the 'from' keyword",
    "https://docs.docker.com/go/dockerfile/rule/from-as-casing/",
    from_as_casing,
);
pub const NO_EMPTY_CONTINUATION: Rule<Format0> = rule(
    "NoEmptyContinuation",
    "Empty continuation lines will become errors in a future release",
    "https://docs.docker.com/go/dockerfile/rule/no-empty-continuation/",
    no_empty_continuation,
);
pub const CONSISTENT_INSTRUCTION_CASING: Rule<Format2> = rule(
    "ConsistentInstructionCasing",
    "All commands within the Dockerfile should use the same casing (either upper or lower)",
    "https://docs.docker.com/go/dockerfile/rule/consistent-instruction-casing/",
    consistent_instruction_casing,
);
pub const DUPLICATE_STAGE_NAME: Rule<Format1> = rule(
    "DuplicateStageName",
    "Stage names should be unique",
    "https://docs.docker.com/go/dockerfile/rule/duplicate-stage-name/",
    duplicate_stage_name,
);
pub const RESERVED_STAGE_NAME: Rule<Format1> = rule(
    "ReservedStageName",
    "Reserved words should not be used as stage names",
    "https://docs.docker.com/go/dockerfile/rule/reserved-stage-name/",
    reserved_stage_name,
);
pub const JSON_ARGS_RECOMMENDED: Rule<Format1> = rule(
    "JSONArgsRecommended",
    "JSON arguments recommended for ENTRYPOINT/CMD to prevent unintended behavior related to OS signals",
    "https://docs.docker.com/go/dockerfile/rule/json-args-recommended/",
    json_args_recommended,
);
pub const MAINTAINER_DEPRECATED: Rule<Format0> = rule(
    "MaintainerDeprecated",
    "The MAINTAINER instruction is deprecated, use a label instead to define an image author",
    "https://docs.docker.com/go/dockerfile/rule/maintainer-deprecated/",
    maintainer_deprecated,
);
pub const UNDEFINED_ARG_IN_FROM: Rule<FormatSuggest> = rule(
    "UndefinedArgInFrom",
    "FROM command must use declared ARGs",
    "https://docs.docker.com/go/dockerfile/rule/undefined-arg-in-from/",
    undefined_arg_in_from,
);
pub const WORKDIR_RELATIVE_PATH: Rule<Format1> = rule(
    "WorkdirRelativePath",
    "Relative workdir without an absolute workdir declared within the build can have unexpected results if the base image changes",
    "https://docs.docker.com/go/dockerfile/rule/workdir-relative-path/",
    workdir_relative_path,
);
pub const UNDEFINED_VAR: Rule<FormatSuggest> = rule(
    "UndefinedVar",
    "Variables should be defined before their use",
    "https://docs.docker.com/go/dockerfile/rule/undefined-var/",
    undefined_var,
);
pub const MULTIPLE_INSTRUCTIONS_DISALLOWED: Rule<Format1> = rule(
    "MultipleInstructionsDisallowed",
    "Multiple instructions of the same type should not be used in the same stage",
    "https://docs.docker.com/go/dockerfile/rule/multiple-instructions-disallowed/",
    multiple_instructions_disallowed,
);
pub const LEGACY_KEY_VALUE_FORMAT: Rule<Format1> = rule(
    "LegacyKeyValueFormat",
    "Legacy key/value format with whitespace separator should not be used",
    "https://docs.docker.com/go/dockerfile/rule/legacy-key-value-format/",
    legacy_key_value_format,
);
/// The only rule without a documentation page.
pub const INVALID_BASE_IMAGE_PLATFORM: Rule<Format3> = rule(
    "InvalidBaseImagePlatform",
    "Base image platform does not match expected target platform",
    "",
    invalid_base_image_platform,
);
pub const REDUNDANT_TARGET_PLATFORM: Rule<Format1> = rule(
    "RedundantTargetPlatform",
    "Setting platform to predefined $TARGETPLATFORM in FROM is redundant as this is the default behavior",
    "https://docs.docker.com/go/dockerfile/rule/redundant-target-platform/",
    redundant_target_platform,
);
pub const SECRETS_USED_IN_ARG_OR_ENV: Rule<Format2> = rule(
    "SecretsUsedInArgOrEnv",
    "Sensitive data should not be used in the ARG or ENV commands",
    "https://docs.docker.com/go/dockerfile/rule/secrets-used-in-arg-or-env/",
    secrets_used_in_arg_or_env,
);
pub const INVALID_DEFAULT_ARG_IN_FROM: Rule<Format1> = rule(
    "InvalidDefaultArgInFrom",
    "Default value for global ARG results in an empty or invalid base image name",
    "https://docs.docker.com/go/dockerfile/rule/invalid-default-arg-in-from/",
    invalid_default_arg_in_from,
);
pub const FROM_PLATFORM_FLAG_CONST_DISALLOWED: Rule<Format1> = rule(
    "FromPlatformFlagConstDisallowed",
    "FROM --platform flag should not use a constant value",
    "https://docs.docker.com/go/dockerfile/rule/from-platform-flag-const-disallowed/",
    from_platform_flag_const_disallowed,
);
pub const COPY_IGNORED_FILE: Rule<Format2> = rule(
    "CopyIgnoredFile",
    "Attempting to Copy file that is excluded by .dockerignore",
    "https://docs.docker.com/go/dockerfile/rule/copy-ignored-file/",
    copy_ignored_file,
);
pub const INVALID_DEFINITION_DESCRIPTION: Rule<Format2> = Rule {
    info: RuleInfo {
    name: "InvalidDefinitionDescription",
    description: "Comment for build stage or argument should follow the format: `# <arg/stage name> <description>`. If this is not intended to be a description comment, add an empty line or comment between the instruction and the comment.",
    url: "https://docs.docker.com/go/dockerfile/rule/invalid-definition-description/",
    experimental: true,
    ours: false,
    },
    format: invalid_definition_description,
};
pub const EXPOSE_PROTO_CASING: Rule<Format1> = rule(
    "ExposeProtoCasing",
    "Protocol in EXPOSE instruction should be lowercase",
    "https://docs.docker.com/go/dockerfile/rule/expose-proto-casing/",
    expose_proto_casing,
);
pub const EXPOSE_INVALID_FORMAT: Rule<Format1> = rule(
    "ExposeInvalidFormat",
    "IP address and host-port mapping should not be used in EXPOSE instruction. This will become an error in a future release",
    "https://docs.docker.com/go/dockerfile/rule/expose-invalid-format/",
    expose_invalid_format,
);

/// One of our own rules: experimental (opt-in by name), its page in this repository.
const fn ours<F>(
    name: &'static str,
    description: &'static str,
    url: &'static str,
    format: F,
) -> Rule<F> {
    Rule {
        info: RuleInfo {
            name,
            description,
            url,
            experimental: true,
            ours: true,
        },
        format,
    }
}

/// Where our rules' pages are: `docs/checks/<Rule>.md` of this repository.
pub const OURS_URL_PREFIX: &str = "docs/checks/";

pub const APT_INSTALL_RECOMMENDS: Rule<Format0> = ours(
    "AptInstallRecommends",
    "apt-get install should use --no-install-recommends to keep the image small",
    "docs/checks/AptInstallRecommends.md",
    apt_install_recommends,
);
pub const APT_LISTS_NOT_CLEANED: Rule<Format0> = ours(
    "AptListsNotCleaned",
    "apt-get install should remove /var/lib/apt/lists in the same RUN (or use a cache mount)",
    "docs/checks/AptListsNotCleaned.md",
    apt_lists_not_cleaned,
);
pub const APK_ADD_CACHE: Rule<Format0> = ours(
    "ApkAddCache",
    "apk add should use --no-cache (or a cache mount on /var/cache/apk) to keep the image small",
    "docs/checks/ApkAddCache.md",
    apk_add_cache,
);

pub const BASE_IMAGE_UNPINNED: Rule<Format2> = ours(
    "BaseImageUnpinned",
    "Base images should be pinned to a tag other than latest, or a digest",
    "docs/checks/BaseImageUnpinned.md",
    base_image_unpinned,
);

pub const FINAL_STAGE_COPIES_WHOLE_STAGE: Rule<Format1> = ours(
    "FinalStageCopiesWholeStage",
    "The final stage should copy only the artifacts it needs from a build stage, not its whole filesystem",
    "docs/checks/FinalStageCopiesWholeStage.md",
    final_stage_copies_whole_stage,
);
pub const FINAL_STAGE_COPIES_WHOLE_CONTEXT: Rule<Format2> = ours(
    "FinalStageCopiesWholeContext",
    "The final stage of a multi-stage build should not copy the whole build context",
    "docs/checks/FinalStageCopiesWholeContext.md",
    final_stage_copies_whole_context,
);
pub const TOOLCHAIN_IN_FINAL_STAGE: Rule<Format2> = ours(
    "ToolchainInFinalStage",
    "The final stage should not be based on a toolchain image when an earlier stage builds the artifact",
    "docs/checks/ToolchainInFinalStage.md",
    toolchain_in_final_stage,
);
pub const FINAL_STAGE_RUNS_AS_ROOT: Rule<Format1> = ours(
    "FinalStageRunsAsRoot",
    "The final stage should set a non-root USER",
    "docs/checks/FinalStageRunsAsRoot.md",
    final_stage_runs_as_root,
);
pub const UNUSED_ARG: Rule<Format1> = ours(
    "UnusedArg",
    "Build arguments should be used after they are declared",
    "docs/checks/UnusedArg.md",
    unused_arg,
);
pub const UNREACHABLE_STAGE: Rule<Format1> = ours(
    "UnreachableStage",
    "An unnamed stage that no other stage uses is never built",
    "docs/checks/UnreachableStage.md",
    unreachable_stage,
);
pub const COPY_FROM_UNWRITTEN_PATH: Rule<Format2> = ours(
    "CopyFromUnwrittenPath",
    "COPY --from should copy a path the source stage has",
    "docs/checks/CopyFromUnwrittenPath.md",
    copy_from_unwritten_path,
);

/// Our rule that is on by default: it fires only on what the reference frontend rejects (our
/// extensions, docs/extensions.md), so no Dockerfile the reference accepts warns more.
pub const NEEDS_THIS_FRONTEND: Rule<Format1> = Rule {
    info: RuleInfo {
        name: "NeedsThisFrontend",
        description: "The Dockerfile uses an extension of this frontend that the reference frontend (docker/dockerfile) rejects",
        url: "docs/checks/NeedsThisFrontend.md",
        experimental: false,
        ours: true,
    },
    format: needs_this_frontend,
};

/// Our own rules (not the reference's): opt-in only but for `NeedsThisFrontend`, see
/// `docs/checks.md`.
pub const OURS: [RuleInfo; 12] = [
    APT_INSTALL_RECOMMENDS.info,
    APT_LISTS_NOT_CLEANED.info,
    APK_ADD_CACHE.info,
    BASE_IMAGE_UNPINNED.info,
    FINAL_STAGE_COPIES_WHOLE_STAGE.info,
    FINAL_STAGE_COPIES_WHOLE_CONTEXT.info,
    TOOLCHAIN_IN_FINAL_STAGE.info,
    FINAL_STAGE_RUNS_AS_ROOT.info,
    UNUSED_ARG.info,
    UNREACHABLE_STAGE.info,
    COPY_FROM_UNWRITTEN_PATH.info,
    NEEDS_THIS_FRONTEND.info,
];

fn final_stage_copies_whole_stage(stage: &str) -> String {
    format!(
        "The final stage copies the whole filesystem of stage '{stage}' (COPY --from={stage} /)"
    )
}

fn final_stage_copies_whole_context(source: &str, builder: &str) -> String {
    format!("The final stage copies the whole build context (COPY {source}) while stage '{builder}' builds its artifacts")
}

fn toolchain_in_final_stage(image: &str, builder: &str) -> String {
    format!("The final stage is based on toolchain image '{image}' while stage '{builder}' builds its artifacts")
}

fn final_stage_runs_as_root(why: &str) -> String {
    format!("The final stage runs as root: {why}")
}

fn unused_arg(name: &str) -> String {
    format!("ARG '{name}' is declared but never used")
}

fn unreachable_stage(stage: &str) -> String {
    format!("Stage '{stage}' has no name, is not the last stage and no other stage uses it: it is never built")
}

fn copy_from_unwritten_path(stage: &str, path: &str) -> String {
    format!("COPY --from={stage} {path}: stage '{stage}' is built FROM scratch and nothing in it writes that path")
}

fn needs_this_frontend(what: &str) -> String {
    format!("{what} is an extension of this frontend: the Dockerfile now needs it (the reference frontend rejects it)")
}

fn base_image_unpinned(image: &str, why: &str) -> String {
    format!("Base image '{image}' {why}")
}

fn apt_install_recommends() -> String {
    "apt-get install without --no-install-recommends".to_string()
}

fn apt_lists_not_cleaned() -> String {
    "apt-get install without removing /var/lib/apt/lists in the same RUN".to_string()
}

fn apk_add_cache() -> String {
    "apk add without --no-cache".to_string()
}

/// Every rule, in the reference's order (for documentation and tests).
pub const ALL: [RuleInfo; 22] = [
    STAGE_NAME_CASING.info,
    FROM_AS_CASING.info,
    NO_EMPTY_CONTINUATION.info,
    CONSISTENT_INSTRUCTION_CASING.info,
    DUPLICATE_STAGE_NAME.info,
    RESERVED_STAGE_NAME.info,
    JSON_ARGS_RECOMMENDED.info,
    MAINTAINER_DEPRECATED.info,
    UNDEFINED_ARG_IN_FROM.info,
    WORKDIR_RELATIVE_PATH.info,
    UNDEFINED_VAR.info,
    MULTIPLE_INSTRUCTIONS_DISALLOWED.info,
    LEGACY_KEY_VALUE_FORMAT.info,
    INVALID_BASE_IMAGE_PLATFORM.info,
    REDUNDANT_TARGET_PLATFORM.info,
    SECRETS_USED_IN_ARG_OR_ENV.info,
    INVALID_DEFAULT_ARG_IN_FROM.info,
    FROM_PLATFORM_FLAG_CONST_DISALLOWED.info,
    COPY_IGNORED_FILE.info,
    INVALID_DEFINITION_DESCRIPTION.info,
    EXPOSE_PROTO_CASING.info,
    EXPOSE_INVALID_FORMAT.info,
];

fn stage_name_casing(stage_name: &str) -> String {
    format!("Stage name '{stage_name}' should be lowercase")
}

fn from_as_casing(from: &str, as_word: &str) -> String {
    format!("'{as_word}' and '{from}' keywords' casing do not match")
}

fn no_empty_continuation() -> String {
    "Empty continuation line".to_string()
}

fn consistent_instruction_casing(command: &str, correct: &str) -> String {
    format!("Command '{command}' should match the case of the command majority ({correct})")
}

fn duplicate_stage_name(name: &str) -> String {
    format!(
        "Duplicate stage name {}, stage names should be unique",
        go_quote(name)
    )
}

fn reserved_stage_name(name: &str) -> String {
    format!(
        "Stage name should not use the same name as reserved stage {}",
        go_quote(name)
    )
}

fn json_args_recommended(instruction: &str) -> String {
    format!("JSON arguments recommended for {instruction} to prevent unintended behavior related to OS signals")
}

fn maintainer_deprecated() -> String {
    "Maintainer instruction is deprecated in favor of using label".to_string()
}

fn undefined_arg_in_from(arg: &str, suggestion: Option<&str>) -> String {
    let mut out = format!("FROM argument '{arg}' is not declared");
    if let Some(s) = suggestion {
        out.push_str(&format!(" (did you mean {s}?)"));
    }
    out
}

fn workdir_relative_path(workdir: &str) -> String {
    format!(
        "Relative workdir {} can have unexpected results if the base image changes",
        go_quote(workdir)
    )
}

fn undefined_var(var: &str, suggestion: Option<&str>) -> String {
    let mut out = format!("Usage of undefined variable '${var}'");
    if let Some(s) = suggestion {
        out.push_str(&format!(" (did you mean ${s}?)"));
    }
    out
}

fn multiple_instructions_disallowed(instruction: &str) -> String {
    format!("Multiple {instruction} instructions should not be used in the same stage because only the last one will be used")
}

fn legacy_key_value_format(command: &str) -> String {
    format!(
        "\"{command} key=value\" should be used instead of legacy \"{command} key value\" format"
    )
}

fn invalid_base_image_platform(image: &str, expected: &str, actual: &str) -> String {
    format!(
        "Base image {image} was pulled with platform {}, expected {} for current build",
        go_quote(actual),
        go_quote(expected)
    )
}

fn redundant_target_platform(platform_var: &str) -> String {
    format!("Setting platform to predefined {platform_var} in FROM is redundant as this is the default behavior")
}

fn secrets_used_in_arg_or_env(instruction: &str, key: &str) -> String {
    format!(
        "Do not use ARG or ENV instructions for sensitive data ({instruction} {})",
        go_quote(key)
    )
}

fn invalid_default_arg_in_from(base_name: &str) -> String {
    format!("Default value for ARG {base_name} results in empty or invalid base image name")
}

fn from_platform_flag_const_disallowed(platform: &str) -> String {
    format!(
        "FROM --platform flag should not use constant value {}",
        go_quote(platform)
    )
}

fn copy_ignored_file(command: &str, file: &str) -> String {
    format!(
        "Attempting to {command} file {} that is excluded by .dockerignore",
        go_quote(file)
    )
}

fn invalid_definition_description(instruction: &str, name: &str) -> String {
    format!("Comment for {instruction} should follow the format: `# {name} <description>`")
}

fn expose_proto_casing(port: &str) -> String {
    format!("Defined protocol '{port}' in EXPOSE instruction should be lowercase")
}

fn expose_invalid_format(port: &str) -> String {
    format!(
        "EXPOSE instruction should not define an IP address or host-port mapping, found '{port}'"
    )
}

/// `linter.LintFormatShort`: the one-line form progress output shows.
pub fn format_short(rule: &str, message: &str, line: usize) -> String {
    if line > 0 {
        format!("{rule}: {message} (line {line})")
    } else {
        format!("{rule}: {message}")
    }
}
