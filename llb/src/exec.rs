//! Exec ops: run a process with a root filesystem and extra mounts.
//! Mount order, input sharing and output numbering follow BuildKit's Go client so the
//! same exec gives the same digest.

use buildkit_proto::pb;

use crate::metadata::Metadata;
use crate::platform::Platform;
use crate::state::{base_op, InputSet, OpNode, State, EMPTY_INPUT};

pub use pb::CacheSharingOpt as CacheSharing;
pub use pb::NetMode;
pub use pb::SecurityMode;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MountKind {
    Bind,
    Cache { id: String, sharing: CacheSharing },
    Tmpfs { size: i64 },
}

#[derive(Debug, Clone)]
pub struct Mount {
    pub target: String,
    pub source: State,
    pub selector: String,
    pub readonly: bool,
    pub kind: MountKind,
    /// A writable bind mount whose changes are thrown away.
    pub no_output: bool,
}

impl Mount {
    pub fn bind(target: impl Into<String>, source: State) -> Self {
        Mount {
            target: target.into(),
            source,
            selector: String::new(),
            readonly: false,
            kind: MountKind::Bind,
            no_output: false,
        }
    }
}

/// A secret or ssh socket mounted as a file (`SecretOpt`/`SSHOpt` in BuildKit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSecret {
    pub target: String,
    pub id: String,
    pub uid: u32,
    pub gid: u32,
    pub mode: u32,
    pub optional: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretEnv {
    pub id: String,
    pub name: String,
    pub optional: bool,
}

/// The process an exec runs and its environment (`pb.Meta`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExecMeta {
    pub args: Vec<String>,
    pub env: Vec<String>,
    pub cwd: String,
    pub user: String,
    pub proxy_env: Option<ProxyEnv>,
    pub extra_hosts: Vec<HostIp>,
    pub hostname: String,
    pub ulimit: Vec<Ulimit>,
    pub cgroup_parent: String,
    pub remove_mount_stubs_recursive: bool,
    pub valid_exit_codes: Vec<i32>,
}

/// Proxy settings of an exec (`pb.ProxyEnv`); empty fields are unset.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProxyEnv {
    pub http_proxy: String,
    pub https_proxy: String,
    pub ftp_proxy: String,
    pub no_proxy: String,
    pub all_proxy: String,
}

/// An `/etc/hosts` entry of an exec (`pb.HostIP`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostIp {
    pub host: String,
    pub ip: String,
}

/// A resource limit of an exec (`pb.Ulimit`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ulimit {
    pub name: String,
    pub soft: i64,
    pub hard: i64,
}

/// A CDI device an exec asks for (`pb.CDIDevice`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CdiDevice {
    pub name: String,
    pub optional: bool,
}

impl From<ExecMeta> for pb::Meta {
    fn from(m: ExecMeta) -> Self {
        pb::Meta {
            args: m.args,
            env: m.env,
            cwd: m.cwd,
            user: m.user,
            proxy_env: m.proxy_env.map(|p| pb::ProxyEnv {
                http_proxy: p.http_proxy,
                https_proxy: p.https_proxy,
                ftp_proxy: p.ftp_proxy,
                no_proxy: p.no_proxy,
                all_proxy: p.all_proxy,
            }),
            extra_hosts: m
                .extra_hosts
                .into_iter()
                .map(|h| pb::HostIp {
                    host: h.host,
                    ip: h.ip,
                })
                .collect(),
            hostname: m.hostname,
            ulimit: m
                .ulimit
                .into_iter()
                .map(|u| pb::Ulimit {
                    name: u.name,
                    soft: u.soft,
                    hard: u.hard,
                })
                .collect(),
            cgroup_parent: m.cgroup_parent,
            remove_mount_stubs_recursive: m.remove_mount_stubs_recursive,
            valid_exit_codes: m.valid_exit_codes,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Exec {
    pub root: State,
    pub meta: ExecMeta,
    pub mounts: Vec<Mount>,
    pub secrets: Vec<FileSecret>,
    pub ssh: Vec<FileSecret>,
    pub secret_env: Vec<SecretEnv>,
    pub network: NetMode,
    pub security: SecurityMode,
    /// CDI devices (`RUN --device`).
    pub cdi_devices: Vec<CdiDevice>,
    pub platform: Option<Platform>,
    pub metadata: Metadata,
}

/// The states an exec produces: its root filesystem and each writable mount.
pub struct ExecOutputs {
    root: State,
    mounts: Vec<(String, State)>,
}

impl ExecOutputs {
    pub fn root(&self) -> State {
        self.root.clone()
    }

    /// The state of the writable mount at `target` after the exec.
    pub fn mount(&self, target: &str) -> Option<State> {
        self.mounts
            .iter()
            .find(|(t, _)| t == target)
            .map(|(_, s)| s.clone())
    }
}

impl Exec {
    pub fn new(root: State, args: Vec<String>) -> Self {
        Exec {
            root,
            meta: ExecMeta {
                args,
                cwd: "/".into(),
                remove_mount_stubs_recursive: true,
                ..Default::default()
            },
            mounts: Vec::new(),
            secrets: Vec::new(),
            ssh: Vec::new(),
            secret_env: Vec::new(),
            network: NetMode::Unset,
            security: SecurityMode::Sandbox,
            cdi_devices: Vec::new(),
            platform: None,
            metadata: Metadata::default(),
        }
    }

    pub fn run(self) -> ExecOutputs {
        let Exec {
            root,
            mut meta,
            mut mounts,
            secrets,
            mut ssh,
            secret_env,
            network,
            security,
            cdi_devices,
            platform,
            mut metadata,
        } = self;
        mounts.push(Mount::bind("/", root));
        mounts.sort_by(|a, b| a.target.cmp(&b.target));

        for (i, s) in ssh.iter_mut().enumerate() {
            if s.target.is_empty() {
                s.target = format!("/run/buildkit/ssh_agent.{i}");
            }
        }
        if let Some(first) = ssh.first() {
            if !meta.env.iter().any(|e| e.starts_with("SSH_AUTH_SOCK=")) {
                meta.env.push(format!("SSH_AUTH_SOCK={}", first.target));
            }
        }

        metadata.add_cap("exec.meta.base");
        metadata.add_cap("exec.meta.setsdefaultpath");
        if network != NetMode::Unset {
            metadata.add_cap("exec.meta.network");
        }
        if security == SecurityMode::Insecure {
            metadata.add_cap("exec.meta.security");
        }
        // As in BuildKit's client, extra hosts and a cgroup parent need no cap of their own.
        if meta.proxy_env.is_some() {
            metadata.add_cap("exec.meta.proxyenv");
        }
        if !meta.ulimit.is_empty() {
            metadata.add_cap("exec.meta.ulimit");
        }
        if metadata.linux_resources.is_some() {
            metadata.add_cap("exec.meta.linux.resources");
        }
        if !cdi_devices.is_empty() {
            metadata.add_cap("exec.meta.cdi");
        }
        if !meta.valid_exit_codes.is_empty() {
            metadata.add_cap("exec.validexitcode");
        }

        let mut inputs = InputSet::default();
        let mut pb_mounts = Vec::new();
        let mut outputs: Vec<(String, i64)> = Vec::new();
        let mut next_output = 0;
        for m in &mounts {
            if !m.selector.is_empty() {
                metadata.add_cap("exec.mount.selector");
            }
            let mut pm = pb::Mount {
                dest: m.target.clone(),
                readonly: m.readonly,
                selector: m.selector.clone(),
                ..Default::default()
            };
            match &m.kind {
                MountKind::Bind => {
                    if !m.source.is_scratch() {
                        metadata.add_cap("exec.mount.bind");
                    }
                }
                MountKind::Cache { id, sharing } => {
                    metadata.add_cap("exec.mount.cache");
                    metadata.add_cap("exec.mount.cache.sharing");
                    pm.set_mount_type(pb::MountType::Cache);
                    pm.cache_opt = Some(pb::CacheOpt {
                        id: id.clone(),
                        sharing: *sharing as i32,
                    });
                }
                MountKind::Tmpfs { size } => {
                    metadata.add_cap("exec.mount.tmpfs");
                    if *size > 0 {
                        metadata.add_cap("exec.mount.tmpfs.size");
                    }
                    pm.set_mount_type(pb::MountType::Tmpfs);
                    pm.tmpfs_opt = Some(pb::TmpfsOpt { size: *size });
                }
            }
            pm.input = inputs.add(&m.source);
            let writable = !m.no_output && !m.readonly && m.kind == MountKind::Bind;
            pm.output = if writable {
                outputs.push((m.target.clone(), next_output));
                next_output += 1;
                next_output - 1
            } else {
                -1
            };
            pb_mounts.push(pm);
        }
        // Secret and ssh mounts take no input (-1) and give no output; BuildKit leaves the output at zero.
        if !secrets.is_empty() {
            metadata.add_cap("exec.mount.secret");
        }
        for s in &secrets {
            let mut pm = pb::Mount {
                input: EMPTY_INPUT,
                dest: s.target.clone(),
                ..Default::default()
            };
            pm.set_mount_type(pb::MountType::Secret);
            pm.secret_opt = Some(pb::SecretOpt {
                id: s.id.clone(),
                uid: s.uid,
                gid: s.gid,
                mode: s.mode,
                optional: s.optional,
            });
            pb_mounts.push(pm);
        }
        if !ssh.is_empty() {
            metadata.add_cap("exec.mount.ssh");
        }
        for s in &ssh {
            let mut pm = pb::Mount {
                input: EMPTY_INPUT,
                dest: s.target.clone(),
                ..Default::default()
            };
            pm.set_mount_type(pb::MountType::Ssh);
            pm.ssh_opt = Some(pb::SshOpt {
                id: s.id.clone(),
                uid: s.uid,
                gid: s.gid,
                mode: s.mode,
                optional: s.optional,
            });
            pb_mounts.push(pm);
        }
        if !secret_env.is_empty() {
            metadata.add_cap("exec.mount.secret");
            metadata.add_cap("exec.secretenv");
        }

        let mut op = base_op(Some(platform.as_ref().unwrap_or(Platform::host_ref())));
        op.op = Some(pb::op::Op::Exec(pb::ExecOp {
            meta: Some(meta.into()),
            mounts: pb_mounts,
            network: network as i32,
            security: security as i32,
            secretenv: secret_env
                .iter()
                .map(|s| pb::SecretEnv {
                    id: s.id.clone(),
                    name: s.name.clone(),
                    optional: s.optional,
                })
                .collect(),
            cdi_devices: cdi_devices
                .into_iter()
                .map(|d| pb::CdiDevice {
                    name: d.name,
                    optional: d.optional,
                })
                .collect(),
        }));
        let node = OpNode::with_visit(op, inputs.inputs, inputs.objects, metadata);
        let root = outputs
            .iter()
            .find(|(t, _)| t == "/")
            .map(|&(_, i)| State::from_node(node.clone(), i))
            .unwrap_or_default();
        let mounts = outputs
            .iter()
            .filter(|(t, _)| t != "/")
            .map(|(t, i)| (t.clone(), State::from_node(node.clone(), *i)))
            .collect();
        ExecOutputs { root, mounts }
    }
}
