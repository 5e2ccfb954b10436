//! instructions (to be written)
