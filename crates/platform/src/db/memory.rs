//! SQLite allocates through Rust's global allocator (mimalloc in the binary) rather than the C
//! library's malloc.
//!
//! Statements run on whichever thread awaits them and commits on blocking threads, so a page
//! SQLite allocated on one thread is often freed on another. glibc's malloc gives each thread
//! an arena of its own and returns little of a fragmented arena to the system: over a
//! 10-minute checkout run resident memory kept rising, about 3 MB a minute, and stayed flat
//! with `MALLOC_ARENA_MAX=1` (see docs/benchmarks.md). mimalloc frees across threads without
//! that cost. This module is the workspace's one use of `unsafe`: the C interface takes raw
//! function pointers.
#![allow(unsafe_code)]

use std::alloc::Layout;
use std::ffi::{c_int, c_void};
use std::ptr::null_mut;
use std::sync::Once;

use rusqlite::ffi;

/// Each block starts with its size, which `xFree`, `xRealloc` and `xSize` need; 16 bytes keep
/// the block itself aligned as malloc's blocks are.
const HEADER: usize = 16;

/// Points SQLite at the allocator below; once per process, before the first connection opens
/// (SQLite refuses the setting after it has initialised, and then keeps malloc).
pub(super) fn use_rust_allocator() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let methods = ffi::sqlite3_mem_methods {
            xMalloc: Some(allocate),
            xFree: Some(free),
            xRealloc: Some(reallocate),
            xSize: Some(size_of),
            xRoundup: Some(round_up),
            xInit: Some(init),
            xShutdown: Some(shutdown),
            pAppData: null_mut(),
        };
        // SAFETY: SQLITE_CONFIG_MALLOC takes a pointer to an `sqlite3_mem_methods`, which SQLite
        // copies before returning; the functions it names are sound for any input SQLite gives.
        let code = unsafe {
            ffi::sqlite3_config(
                ffi::SQLITE_CONFIG_MALLOC,
                &methods as *const ffi::sqlite3_mem_methods,
            )
        };
        if code != ffi::SQLITE_OK {
            tracing::warn!(code, "SQLite keeps the C library's malloc");
        }
    });
}

fn layout(size: usize) -> Option<Layout> {
    Layout::from_size_align(size.checked_add(HEADER)?, HEADER).ok()
}

unsafe extern "C" fn allocate(size: c_int) -> *mut c_void {
    let Some(layout) = usize::try_from(size).ok().and_then(layout) else {
        return null_mut();
    };
    // SAFETY: the layout is at least HEADER bytes, so not zero-sized; the header is written
    // inside the block, and the pointer returned is HEADER bytes in, still inside it.
    unsafe {
        let base = std::alloc::alloc(layout);
        if base.is_null() {
            return null_mut();
        }
        base.cast::<usize>().write(layout.size() - HEADER);
        base.add(HEADER).cast()
    }
}

/// The block's start and layout, from a pointer `allocate` or `reallocate` returned.
///
/// # Safety
/// `pointer` must be such a pointer, not yet freed.
unsafe fn block(pointer: *mut c_void) -> (*mut u8, Layout) {
    // SAFETY: per the contract, HEADER bytes before `pointer` is the block's start, where its
    // size was written, and that size with the header made a valid layout.
    unsafe {
        let base = pointer.cast::<u8>().sub(HEADER);
        let size = base.cast::<usize>().read();
        (
            base,
            Layout::from_size_align_unchecked(size + HEADER, HEADER),
        )
    }
}

unsafe extern "C" fn free(pointer: *mut c_void) {
    if pointer.is_null() {
        return;
    }
    // SAFETY: SQLite frees only what its xMalloc or xRealloc returned, once.
    unsafe {
        let (base, layout) = block(pointer);
        std::alloc::dealloc(base, layout);
    }
}

unsafe extern "C" fn reallocate(pointer: *mut c_void, size: c_int) -> *mut c_void {
    if pointer.is_null() {
        // SAFETY: same as a fresh allocation.
        return unsafe { allocate(size) };
    }
    let Some(new_layout) = usize::try_from(size).ok().and_then(layout) else {
        return null_mut();
    };
    // SAFETY: SQLite reallocates only live blocks of ours; the new size is not zero (the
    // header) and fits the alignment, as `layout` checked.
    unsafe {
        let (base, old_layout) = block(pointer);
        let moved = std::alloc::realloc(base, old_layout, new_layout.size());
        if moved.is_null() {
            return null_mut();
        }
        moved.cast::<usize>().write(new_layout.size() - HEADER);
        moved.add(HEADER).cast()
    }
}

unsafe extern "C" fn size_of(pointer: *mut c_void) -> c_int {
    if pointer.is_null() {
        return 0;
    }
    // SAFETY: SQLite asks only about live blocks of ours.
    let (_, layout) = unsafe { block(pointer) };
    c_int::try_from(layout.size() - HEADER).unwrap_or(c_int::MAX)
}

unsafe extern "C" fn round_up(size: c_int) -> c_int {
    size.saturating_add(7) & !7
}

unsafe extern "C" fn init(_: *mut c_void) -> c_int {
    ffi::SQLITE_OK
}

unsafe extern "C" fn shutdown(_: *mut c_void) {}
