//! Third-party engines that panic on some inputs (Tera's `unreachable!`,
//! math-core on `&` outside a table, biblatex's date arithmetic) are run
//! contained: their panic becomes an error of the input, printed like any
//! other diagnostic, never a crash of the build or of `galley serve`.

use std::cell::Cell;

thread_local! {
    /// Inside [`contain`]: a panic here is reported as an error.
    static CONTAINED: Cell<bool> = const { Cell::new(false) };
}

/// Run `f`; a panic inside it is returned as its message (the first line,
/// without Rust's "internal error" prefix) and not printed.
pub fn contain<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !CONTAINED.with(Cell::get) {
                previous(info);
            }
        }));
    });
    let was = CONTAINED.with(|c| c.replace(true));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    CONTAINED.with(|c| c.set(was));
    result.map_err(|payload| {
        let what = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("a panic");
        let what = what
            .strip_prefix("internal error: entered unreachable code: ")
            .unwrap_or(what);
        crate::diag::shorten(what.lines().next().unwrap_or(""), 80)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_its_message() {
        assert_eq!(contain(|| 2 + 2), Ok(4));
        let err = contain(|| -> u8 { panic!("engine failed on {}", "x") }).unwrap_err();
        assert_eq!(err, "engine failed on x");
    }
}
