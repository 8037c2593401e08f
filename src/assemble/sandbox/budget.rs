//! The budget of one rendering, whichever engine runs it (Tera, or
//! Jinja2 for `templates: manubot`): loop steps, macro depth, wall time,
//! memory growth and output size, and whether `serve` has cancelled it.

use std::cell::{Cell, RefCell};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use super::{memory, CANCELLED, MAX_DEPTH, MAX_MEMORY, MAX_STEPS, MAX_TIME};

#[derive(Default)]
struct Budget {
    steps: u64,
    depth: usize,
    started: Option<Instant>,
    memory_at_start: i64,
}

thread_local! {
    static BUDGET: RefCell<Budget> = RefCell::default();
    static CANCEL: RefCell<Option<Arc<AtomicBool>>> = const { RefCell::new(None) };
    static RENDERING: Cell<bool> = const { Cell::new(false) };
}

/// Renderings on this thread stop (with [`CANCELLED`]) once `flag` is set.
pub fn set_cancel(flag: Option<Arc<AtomicBool>>) {
    CANCEL.with(|c| *c.borrow_mut() = flag);
}

/// Why the running rendering must stop now, if it must: [`CANCELLED`],
/// or the budget's time or memory spent. Cheap enough to ask often.
pub fn exceeded() -> Option<String> {
    if CANCEL.with(|c| {
        c.borrow()
            .as_ref()
            .is_some_and(|f| f.load(Ordering::Relaxed))
    }) {
        return Some(CANCELLED.to_string());
    }
    BUDGET.with(|b| {
        let b = b.borrow();
        if b.started.is_some_and(|s| s.elapsed() > MAX_TIME) {
            return Some(format!(
                "the template ran for more than {} seconds; does this loop end?",
                MAX_TIME.as_secs()
            ));
        }
        if memory::allocated_here().saturating_sub(b.memory_at_start) > MAX_MEMORY as i64 {
            return Some(format!(
                "the template used more than {} GB of memory",
                MAX_MEMORY >> 30
            ));
        }
        None
    })
}

/// One more loop iteration or macro call: why to stop, if the budget is
/// spent.
pub(super) fn step() -> Option<String> {
    let steps = BUDGET.with(|b| {
        let mut b = b.borrow_mut();
        b.steps += 1;
        b.steps
    });
    if steps > MAX_STEPS {
        return Some(format!(
            "this loop or macro ran more than {MAX_STEPS} times in one rendering; does it end?"
        ));
    }
    exceeded()
}

/// A macro or include entered: why to stop, if they nest too deep.
pub(super) fn enter() -> Option<String> {
    BUDGET.with(|b| {
        let mut b = b.borrow_mut();
        b.depth += 1;
        (b.depth > MAX_DEPTH).then(|| {
            format!(
                "macros and includes call one another more than {MAX_DEPTH} deep; does this recursion end?"
            )
        })
    })
}

/// A macro or include left.
pub(super) fn leave() {
    BUDGET.with(|b| {
        let mut b = b.borrow_mut();
        b.depth = b.depth.saturating_sub(1);
    });
}

/// Run `f` as one rendering with a budget of its own; a rendering inside
/// a rendering (a filter that renders) shares the outer one's.
pub fn rendering<T>(f: impl FnOnce() -> T) -> T {
    let outer = RENDERING.with(|r| r.replace(true));
    let _watch = memory::watch();
    if !outer {
        BUDGET.with(|b| {
            *b.borrow_mut() = Budget {
                started: Some(Instant::now()),
                memory_at_start: memory::allocated_here(),
                ..Budget::default()
            }
        });
    }
    // Cleared however the rendering ends (a panic in the engine included),
    // so the next rendering on this thread starts a budget of its own.
    struct Done(bool);
    impl Drop for Done {
        fn drop(&mut self) {
            if !self.0 {
                RENDERING.with(|r| r.set(false));
            }
        }
    }
    let _done = Done(outer);
    f()
}

/// A writer that refuses to grow past a limit.
pub struct Bounded {
    pub buf: Vec<u8>,
    pub limit: usize,
    pub over: bool,
}

impl Bounded {
    pub fn new(limit: usize) -> Bounded {
        Bounded {
            buf: Vec::new(),
            limit,
            over: false,
        }
    }
}

impl std::io::Write for Bounded {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        if self.buf.len() + data.len() > self.limit {
            self.over = true;
            return Err(std::io::Error::other("output limit"));
        }
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
