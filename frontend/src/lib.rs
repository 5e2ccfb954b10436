//! A BuildKit Dockerfile frontend: the Dockerfile language, its lowering to LLB and the gateway program.

pub mod build_info;
pub mod convert;
pub mod dockerignore;
pub mod error;
pub mod gateway;
pub mod gocompat;
pub mod image;
pub mod instructions;
pub mod limits;
pub mod lint;
pub mod options;
pub mod shell;
pub mod subrequests;
pub mod syntax;
