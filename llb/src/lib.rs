//! LLB builder (to be written)
