//! A BuildKit Dockerfile frontend: the Dockerfile language, its lowering to LLB and the gateway program.

pub mod instructions;
pub mod shell;
pub mod syntax;
