//! Who may ask the preview server for what.

use std::net::IpAddr;

use axum::http::HeaderValue;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

/// Who may ask the server for what: requests for this machine, on this
/// port, from pages of this server.
pub struct RequestGuard {
    pub port: u16,
    /// Serving on a loopback address: only loopback addresses are this
    /// machine.
    pub loopback_only: bool,
}

impl RequestGuard {
    /// A Host (or Origin authority) naming this machine: `localhost` or an
    /// IP address (a loopback one unless serving beyond it), on our port.
    fn host_allowed(&self, authority: &str) -> bool {
        let Some((host, port)) = split_host(authority) else {
            return false;
        };
        if port.unwrap_or(80) != self.port {
            return false;
        }
        if host.eq_ignore_ascii_case("localhost") {
            return true;
        }
        match host.parse::<IpAddr>() {
            Ok(ip) => ip.is_loopback() || !self.loopback_only,
            Err(_) => false,
        }
    }

    /// Refuse requests for another host (DNS rebinding) and from pages of
    /// another origin: one Host naming this machine, at most one Origin of
    /// this server, and a request target that is a path (not
    /// `http://other/`, whose host would be another than the Host's).
    pub fn check(&self, uri: &axum::http::Uri, headers: &HeaderMap) -> Result<(), Response> {
        if uri.scheme().is_some() || uri.authority().is_some() {
            return Err(plain(
                StatusCode::BAD_REQUEST,
                "galley serve answers requests for a path (GET /index.html), not for a full address\n",
            ));
        }
        if headers.get_all(header::HOST).iter().count() > 1
            || headers.get_all(header::ORIGIN).iter().count() > 1
        {
            return Err(plain(
                StatusCode::BAD_REQUEST,
                "galley serve refuses requests with more than one Host or Origin header\n",
            ));
        }
        let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
        if !host.is_some_and(|h| self.host_allowed(h)) {
            return Err(plain(
                StatusCode::FORBIDDEN,
                "galley serve answers only requests for this machine (Host: localhost or 127.0.0.1)\n",
            ));
        }
        if let Some(origin) = headers.get(header::ORIGIN) {
            let ok = origin
                .to_str()
                .ok()
                .and_then(|o| o.strip_prefix("http://"))
                .is_some_and(|a| self.host_allowed(a));
            if !ok {
                return Err(plain(
                    StatusCode::FORBIDDEN,
                    "galley serve refuses requests from other origins\n",
                ));
            }
        }
        Ok(())
    }
}

/// A port as written in a Host header, in its one spelling: decimal
/// digits without a sign or leading zeros (Rust's parse would also take
/// `+8000` and `08000`).
fn port(text: &str) -> Option<u16> {
    text.parse::<u16>().ok().filter(|p| p.to_string() == text)
}

/// `host[:port]` → (host, port); IPv6 literals in brackets.
fn split_host(authority: &str) -> Option<(&str, Option<u16>)> {
    if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        let port = match after {
            "" => None,
            p => Some(port(p.strip_prefix(':')?)?),
        };
        return Some((host, port));
    }
    match authority.rsplit_once(':') {
        Some((host, p)) => Some((host, Some(port(p)?))),
        None => Some((authority, None)),
    }
}

pub fn plain(status: StatusCode, text: &str) -> Response {
    let mut r = (status, text.to_string()).into_response();
    secure_headers(r.headers_mut());
    r
}

pub fn secure_headers(h: &mut HeaderMap) {
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        let s = RequestGuard {
            port: 8000,
            loopback_only: true,
        };
        for ok in [
            "localhost:8000",
            "127.0.0.1:8000",
            "[::1]:8000",
            "LOCALHOST:8000",
        ] {
            assert!(s.host_allowed(ok), "{ok}");
        }
        for bad in [
            "evil.example:8000",
            "localhost:8001",
            "192.168.1.5:8000",
            "127.0.0.1.nip.io:8000",
            "",
            "[::1",
            "127.0.0.1:+8000",
            "127.0.0.1:08000",
            "localhost:08000x",
        ] {
            assert!(!s.host_allowed(bad), "{bad}");
        }
    }
}
