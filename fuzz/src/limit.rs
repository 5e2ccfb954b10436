//! libFuzzer's `-malloc_limit_mb` needs a sanitizer's allocator hooks, and the targets are
//! built without one (`-s none`): this allocator enforces the limit itself. An allocation
//! above it (a memory bomb that asks for it at once, which the RSS limit would not see until
//! the memory is touched) aborts the process, which libFuzzer reports as a crash with its input.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Write;

/// As `-malloc_limit_mb=256` (tests/fuzz-common.sh).
pub const MALLOC_LIMIT: usize = 256 << 20;

pub struct Limited;

fn check(size: usize) {
    if size > MALLOC_LIMIT {
        // No formatting: that would allocate.
        let _ = std::io::stderr()
            .write_all(b"==dfrs-fuzz== ERROR: an allocation above the malloc limit (256 MiB)\n");
        std::process::abort();
    }
}

// SAFETY: every call is passed to the system allocator unchanged, after the size check.
unsafe impl GlobalAlloc for Limited {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        check(layout.size());
        // SAFETY: the caller's contract, passed on.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        check(layout.size());
        // SAFETY: the caller's contract, passed on.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract, passed on.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        check(new_size);
        // SAFETY: the caller's contract, passed on.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}
