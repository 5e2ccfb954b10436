//! shell (to be written)
