//! BuildKit's wire protocol for Rust: the LLB ops (`pb`), the gateway `LLBBridge` client
//! (`gateway`), capability and worker records, fsutil stats, typed error details and
//! `google.rpc.Status`. Generated at build time from the `.proto` files in `proto/`.

#![allow(clippy::all, missing_docs)]

pub mod pb {
    include!(concat!(env!("OUT_DIR"), "/pb.rs"));

    pub use crate::go_maps::{Definition, OpMetadata, Source};
}

mod go_maps;

pub mod errdefs {
    include!(concat!(env!("OUT_DIR"), "/errdefs.rs"));
}

pub mod fsutil {
    pub mod types {
        include!(concat!(env!("OUT_DIR"), "/fsutil.types.rs"));
    }
}

pub mod google {
    pub mod rpc {
        include!(concat!(env!("OUT_DIR"), "/google.rpc.rs"));
    }
}

pub mod moby {
    pub mod buildkit {
        pub mod v1 {
            pub mod apicaps {
                include!(concat!(env!("OUT_DIR"), "/moby.buildkit.v1.apicaps.rs"));
            }
            pub mod types {
                include!(concat!(env!("OUT_DIR"), "/moby.buildkit.v1.types.rs"));
            }
            pub mod frontend {
                include!(concat!(env!("OUT_DIR"), "/moby.buildkit.v1.frontend.rs"));
            }
        }
    }
}

pub use moby::buildkit::v1::apicaps;
pub use moby::buildkit::v1::frontend as gateway;
