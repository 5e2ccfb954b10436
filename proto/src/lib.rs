//! BuildKit wire protocol (to be written)
