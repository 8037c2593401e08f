//! HTTP: the site from memory, the live-reload script and its event
//! stream, the error overlay.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Router;
use futures_util::stream::{self, Stream, StreamExt};
use tokio::sync::broadcast;

use super::guard::{plain, secure_headers};
use super::live::{Notice, Shared};
use super::update::Update;

/// Percent-decode a request path once. None for a malformed escape.
fn percent_decode(path: &str) -> Option<Vec<u8>> {
    let b = path.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Some(out)
}

/// The site file a request path names, or the status refusing it.
pub fn site_key(raw: &str) -> Result<String, StatusCode> {
    let bytes = percent_decode(raw).ok_or(StatusCode::BAD_REQUEST)?;
    let path = String::from_utf8(bytes).map_err(|_| StatusCode::NOT_FOUND)?;
    if path.contains(['\0', '\\']) {
        return Err(StatusCode::FORBIDDEN);
    }
    let rel = path.strip_prefix('/').ok_or(StatusCode::FORBIDDEN)?;
    // No `..` or `.`, and no empty segment but a last one (`dir/`): every
    // key is a plain relative path of the site.
    let segments: Vec<&str> = rel.split('/').collect();
    let inner = segments.split_last().map_or(&[][..], |(_, inner)| inner);
    if segments.iter().any(|seg| *seg == ".." || *seg == ".")
        || inner.iter().any(|seg| seg.is_empty())
    {
        return Err(StatusCode::FORBIDDEN);
    }
    if rel.is_empty() || rel.ends_with('/') {
        Ok(format!("{rel}index.html"))
    } else {
        Ok(rel.to_string())
    }
}

fn content_type(key: &str) -> &'static str {
    let ext = key.rsplit_once('.').map_or("", |(_, e)| e);
    match ext.to_ascii_lowercase().as_str() {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "csv" => "text/csv; charset=utf-8",
        "bib" | "txt" => "text/plain; charset=utf-8",
        "xml" => "application/xml",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "pdf" => "application/pdf",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "woff2" => "font/woff2",
        "ico" => "image/x-icon",
        _ => "application/octet-stream",
    }
}

/// The page as served: the live script, and the error overlay while the
/// last rebuild failed.
pub fn inject(page: &[u8], generation: &str, error: Option<&str>) -> Vec<u8> {
    let html = String::from_utf8_lossy(page);
    let mut extra = String::new();
    if let Some(e) = error {
        extra.push_str(&overlay_html(e));
    }
    extra.push_str(&format!(
        "<script src=\"{SCRIPT_PATH}\" data-generation=\"{generation}\"></script>\n"
    ));
    let at = html.rfind("</body>").unwrap_or(html.len());
    let mut out = String::with_capacity(html.len() + extra.len());
    out.push_str(&html[..at]);
    out.push_str(&extra);
    out.push_str(&html[at..]);
    out.into_bytes()
}

fn overlay_html(error: &str) -> String {
    format!(
        "<div id=\"galley-error\" role=\"alert\"><p>The last build failed; this is the last good build.</p><pre>{}</pre></div>\n",
        crate::model::escape::html(error)
    )
}

/// Shown when even the first build failed.
fn no_site_page(generation: &str, error: Option<&str>) -> Vec<u8> {
    let page = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>galley serve</title></head>\n<body><main><h1>No build yet</h1><p>The project has not built yet; fix the error and save.</p></main>\n</body></html>\n";
    inject(page.as_bytes(), generation, error)
}

async fn handle(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    if let Err(r) = shared.guard.check(req.uri(), req.headers()) {
        return r;
    }
    if req.method() != Method::GET && req.method() != Method::HEAD {
        let mut r = plain(
            StatusCode::METHOD_NOT_ALLOWED,
            "galley serve answers GET and HEAD only\n",
        );
        r.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return r;
    }
    let path = req.uri().path();
    if path == EVENTS_PATH {
        return events(&shared).into_response();
    }
    if path == SCRIPT_PATH {
        return file_response(StatusCode::OK, "live.js", LIVE_JS.as_bytes().to_vec());
    }
    let key = match site_key(path) {
        Ok(k) => k,
        Err(status) => return plain(status, "refused\n"),
    };
    let (files, generation, error) = shared.snapshot();
    let generation = &shared.tag(generation);
    if files.is_empty() {
        return file_response(
            StatusCode::OK,
            "index.html",
            no_site_page(generation, error.as_deref()),
        );
    }
    match files.get(&key) {
        Some(bytes) if key.ends_with(".html") => file_response(
            StatusCode::OK,
            &key,
            inject(bytes, generation, error.as_deref()),
        ),
        Some(bytes) => file_response(StatusCode::OK, &key, bytes.to_vec()),
        None => match files.get("404.html") {
            Some(page) => file_response(
                StatusCode::NOT_FOUND,
                "404.html",
                inject(page, generation, error.as_deref()),
            ),
            None => plain(StatusCode::NOT_FOUND, "not found\n"),
        },
    }
}

fn file_response(status: StatusCode, key: &str, bytes: Vec<u8>) -> Response {
    let mut r = Response::new(Body::from(bytes));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(content_type(key)),
    );
    secure_headers(r.headers_mut());
    if key.ends_with(".html") || key.ends_with(".svg") {
        r.headers_mut().insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        );
    }
    r
}

/// Pages and SVG files run no script but the site's own files (the theme's
/// and the live-reload script), load nothing from other hosts, and cannot
/// be framed: a script smuggled into a figure or the data stays inert.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; \
base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

fn notice_event(shared: &Shared, n: Notice) -> Event {
    match n {
        Notice::Reload(g, update) => {
            Event::default()
                .event("reload")
                .data(reload_data(shared, g, update.as_deref()))
        }
        Notice::Pdf(g) => Event::default().event("pdf").data(shared.tag(g)),
        Notice::Failed(text) => Event::default().event("failed").data(text),
    }
}

/// A reload event's data: `{"generation": tag}`, and with what changed
/// since the generation before (`previous`), the site paths (`changed`) and
/// each changed page's edit (`pages`, see [`Update`]). The page patches
/// itself with them (live.js); without them, it reloads unless it shows that
/// generation.
fn reload_data(shared: &Shared, g: u64, update: Option<&Update>) -> String {
    let mut data = match update {
        Some(u) => u.to_json(),
        None => serde_json::json!({}),
    };
    data["generation"] = shared.tag(g).into();
    if update.is_some() {
        data["previous"] = shared.tag(g.saturating_sub(1)).into();
    }
    data.to_string()
}

/// The reload channel: the current generation (and error) at once, then
/// every notice as it comes.
fn events(shared: &Arc<Shared>) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let rx = shared.notices.subscribe();
    let (_, generation, error) = shared.snapshot();
    let mut first = vec![Notice::Reload(generation, None)];
    if let Some(e) = error {
        first.push(Notice::Failed(e));
    }
    let now_shared = shared.clone();
    let now = stream::iter(
        first
            .into_iter()
            .map(move |n| Ok(notice_event(&now_shared, n))),
    );
    let later = stream::unfold((rx, shared.clone()), |(mut rx, shared)| async move {
        loop {
            match rx.recv().await {
                Ok(n) => return Some((Ok(notice_event(&shared, n)), (rx, shared))),
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    Sse::new(now.chain(later)).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

const EVENTS_PATH: &str = "/__galley/events";

const SCRIPT_PATH: &str = "/__galley/live.js";

const LIVE_JS: &str = include_str!("live.js");

pub fn open_browser(url: &str) {
    let cmd = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(windows) {
        "explorer"
    } else {
        "xdg-open"
    };
    if let Err(e) = std::process::Command::new(cmd)
        .arg(url)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
    {
        eprintln!("warning: cannot open a browser ({cmd}: {e}); open {url} yourself");
    }
}

/// Answer requests until the process is stopped.
pub fn serve_forever(listener: std::net::TcpListener, shared: Arc<Shared>) -> Result<(), String> {
    let app = Router::new().fallback(handle).with_state(shared);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the server: {e}"))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::from_std(listener)
            .map_err(|e| format!("cannot listen: {e}"))?;
        axum::serve(listener, app)
            .await
            .map_err(|e| format!("server stopped: {e}"))
    })
}

/// Say where the preview is (and warn when other machines can reach it);
/// open it in a browser if asked.
pub fn announce(root: &std::path::Path, bind: std::net::IpAddr, port: u16, open: bool) {
    let host = match bind {
        std::net::IpAddr::V6(a) => format!("[{a}]"),
        std::net::IpAddr::V4(a) => a.to_string(),
    };
    let url = format!("http://{host}:{port}/");
    if !bind.is_loopback() {
        eprintln!(
            "warning: serving on {} makes the preview reachable from other machines; \
             use the default 127.0.0.1 unless you mean it",
            bind
        );
    }
    eprintln!(
        "serving {} at {url} (watching {}; Ctrl-C to stop)",
        root.display(),
        super::watch::WATCHED.join("/, ") + "/"
    );
    if open {
        open_browser(&url);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_paths() {
        assert_eq!(site_key("/").unwrap(), "index.html");
        assert_eq!(site_key("/data/x.json").unwrap(), "data/x.json");
        assert_eq!(site_key("/a%20b.pdf").unwrap(), "a b.pdf");
        assert_eq!(site_key("/figures/").unwrap(), "figures/index.html");
        for bad in [
            "/../../etc/passwd",
            "/%2e%2e%2fetc%2fpasswd",
            "/%2E%2E/x",
            "/a/./b",
            "/..%5c..%5cetc",
            "/x%00.html",
            "/a\\b",
            "//etc/passwd",
            "/a//b",
        ] {
            assert_eq!(site_key(bad), Err(StatusCode::FORBIDDEN), "{bad}");
        }
        // Double encoding decodes once: a literal name that is not there.
        assert_eq!(site_key("/%252e%252e%252f").unwrap(), "%2e%2e%2f");
        assert_eq!(site_key("/%zz"), Err(StatusCode::BAD_REQUEST));
    }

    #[test]
    fn overlay_is_escaped() {
        let page = inject(
            b"<html><body><p>x</p></body></html>",
            "a1-3",
            Some("<script>"),
        );
        let page = String::from_utf8(page).unwrap();
        assert!(page.contains("&lt;script&gt;"));
        assert!(page.contains("data-generation=\"a1-3\""));
        assert!(page.ends_with("</body></html>"));
    }
}
