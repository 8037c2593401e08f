//! `galley serve`'s checks of a request: the first line is the request
//! target, the others `Name: value` headers. Whatever they hold, the guard
//! answers without a panic, and a path it lets through names a file inside
//! the site.
#![no_main]

use axum::http::{HeaderMap, HeaderName, HeaderValue, Uri};
use galley::commands::serve::{site_key, RequestGuard};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut lines = data.split(|&b| b == b'\n');
    let Some(Ok(uri)) = lines.next().map(Uri::try_from) else {
        return;
    };
    let mut headers = HeaderMap::new();
    for line in lines {
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let (name, value) = (&line[..colon], line[colon + 1..].trim_ascii());
        if let (Ok(n), Ok(v)) = (HeaderName::from_bytes(name), HeaderValue::from_bytes(value)) {
            headers.append(n, v);
        }
    }
    for loopback_only in [true, false] {
        let guard = RequestGuard {
            port: 8000,
            loopback_only,
        };
        if guard.check(&uri, &headers).is_ok() {
            let host = headers.get("host").and_then(|h| h.to_str().ok()).unwrap_or("");
            assert!(
                host.ends_with(":8000"),
                "a request for {host:?} passed"
            );
        }
    }
    if let Ok(key) = site_key(uri.path()) {
        assert!(!key.starts_with('/') && !key.split('/').any(|s| s == ".." || s == "."), "{key}");
        assert!(!key.contains('\\') && !key.contains('\0'), "{key}");
    }
});
