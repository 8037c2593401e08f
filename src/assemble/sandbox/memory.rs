//! How much memory a thread holds: the binary's allocator counts what each
//! thread allocates and frees while a rendering is watched, so a template
//! rendering's memory can be bounded without counting the PDF typesetting
//! beside it.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};

thread_local! {
    // Const-initialised and without a destructor: safe to touch from inside
    // the allocator, at any point of a thread's life.
    static HELD: Cell<i64> = const { Cell::new(0) };
}

/// Renderings running now, on any thread: while none runs, nothing is
/// counted (a rendering bounds only what it allocates itself, so what was
/// held before it started does not matter), and the allocator costs one
/// load.
static WATCHING: AtomicUsize = AtomicUsize::new(0);

/// Count this thread's allocations from now until the guard is dropped.
pub fn watch() -> Watch {
    WATCHING.fetch_add(1, Ordering::SeqCst);
    Watch
}

/// See [`watch`].
pub struct Watch;

impl Drop for Watch {
    fn drop(&mut self) {
        WATCHING.fetch_sub(1, Ordering::SeqCst);
    }
}

#[inline(always)]
fn count(delta: i64) {
    if WATCHING.load(Ordering::Relaxed) > 0 {
        let _ = HELD.try_with(|h| h.set(h.get().wrapping_add(delta)));
    }
}

/// Bytes allocated minus bytes freed on this thread while [`watch`]ed
/// (0 where the program does not use [`Counting`]).
pub fn allocated_here() -> i64 {
    HELD.try_with(Cell::get).unwrap_or(0)
}

/// The system allocator, counting per thread. galley's binary installs it:
/// `#[global_allocator] static A: Counting = Counting;`
pub struct Counting;

// SAFETY: every call is passed to the system allocator unchanged; the
// counting touches only a thread-local integer and never allocates.
unsafe impl GlobalAlloc for Counting {
    #[inline(always)]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            count(layout.size() as i64);
        }
        p
    }

    #[inline(always)]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            count(layout.size() as i64);
        }
        p
    }

    #[inline(always)]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        count(-(layout.size() as i64));
    }

    #[inline(always)]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            count(new_size as i64 - layout.size() as i64);
        }
        p
    }
}
