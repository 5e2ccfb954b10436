//! Subrequests (placeholder).
