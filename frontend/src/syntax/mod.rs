//! syntax (to be written)
