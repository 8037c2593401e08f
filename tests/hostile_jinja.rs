//! Hostile templates under `templates: manubot` (Jinja2): a runaway
//! loop, growing strings (in a loop, a namespace or a recursive macro)
//! and huge output stop with an error at their line, within seconds and
//! without exhausting memory, and the previous output stays.

mod common;
use common::*;

use std::time::{Duration, Instant};

#[test]
fn runaway_jinja_templates_stop_with_an_error() {
    for (text, expect) in [
        (
            "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
            "ran out of fuel",
        ),
        (
            "{% set ns = namespace(s=\"x\" * 10000000) %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s | length }}",
            "ran out of fuel",
        ),
        (
            "{% macro f(s, n) %}{% if n > 0 %}{{ f(s ~ s, n - 1) }}{% endif %}{% endmacro %}{{ f(\"x\" * 10000000, 40) | length }}",
            "ran out of fuel",
        ),
        (
            "{% for i in range(100000) %}{{ \"x\" * 100000 }}{% endfor %}",
            "a.md:3:",
        ),
        (
            "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}",
            "a.md:3:",
        ),
    ] {
        let dir = project(&[
            (
                "manuscript/manuscript.yaml",
                &manifest("templates: manubot\n", &["sections/a.md"]),
            ),
            ("manuscript/sections/a.md", "# A\n\nText.\n"),
        ]);
        let first = galley(&["build", "--html"], dir.path());
        assert_eq!(first.status, 0, "{}", first.stderr);
        let before = snapshot(&dir.path().join("public"));
        write_files(dir.path(), &[("manuscript/sections/a.md", &format!("# A\n\n{text}\n"))]);
        let t = Instant::now();
        let r = galley(&["build", "--html"], dir.path());
        assert!(t.elapsed() < Duration::from_secs(60), "{text}: took {:?}", t.elapsed());
        assert_eq!(r.status, 1, "{text}: {}", r.stderr);
        assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
        assert!(r.stderr.contains(expect), "{text}:\n{}", r.stderr);
        assert!(r.stderr.contains("manuscript/sections/a.md:3:"), "{}", r.stderr);
        assert_eq!(snapshot(&dir.path().join("public")), before, "the previous output changed");
    }
}
