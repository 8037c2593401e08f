//! A real `galley serve` on a free port, for the serve tests: raw
//! requests, the reload channel, the server's log.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub struct Server {
    pub child: Child,
    pub port: u16,
    pub log: Arc<Mutex<String>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    pub fn start(root: &Path) -> Server {
        let mut child = Command::new(super::galley_bin())
            .args(["serve", "--port", "0", "--root"])
            .arg(root)
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start galley serve");
        let log = Arc::new(Mutex::new(String::new()));
        let stderr = child.stderr.take().unwrap();
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let mut l = sink.lock().unwrap();
                l.push_str(&line);
                l.push('\n');
            }
        });
        // Killed on drop, whatever happens next.
        let mut server = Server {
            child,
            port: 0,
            log,
        };
        let started = Instant::now();
        loop {
            let text = server.log();
            if let Some(at) = text.find(" at http://127.0.0.1:") {
                let rest = &text[at + " at http://127.0.0.1:".len()..];
                server.port = rest[..rest.find('/').unwrap()].parse().unwrap();
                return server;
            }
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "server did not start:\n{text}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Send a raw request; (status, head, body).
    pub fn raw(&self, request: &str) -> (u16, String, Vec<u8>) {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        s.write_all(request.as_bytes()).unwrap();
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out);
        let split = out
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or(out.len());
        let head = String::from_utf8_lossy(&out[..split]).into_owned();
        let body = out.get(split + 4..).unwrap_or_default().to_vec();
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        (status, head, body)
    }

    pub fn get(&self, path: &str) -> (u16, String) {
        let (status, _, body) = self.raw(&format!(
            "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.host()
        ));
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    /// The reload channel, as (event, data) pairs.
    pub fn events(&self) -> Receiver<(String, String)> {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        // HTTP/1.0: the stream is sent as it is, without chunk framing.
        write!(
            s,
            "GET /__galley/events HTTP/1.0\r\nHost: {}\r\nAccept: text/event-stream\r\n\r\n",
            self.host()
        )
        .unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(s).lines().map_while(Result::ok);
            for l in lines.by_ref() {
                if l.is_empty() {
                    break; // end of the response head
                }
            }
            let (mut event, mut data) = (String::new(), Vec::new());
            for l in lines {
                if let Some(e) = l.strip_prefix("event:") {
                    event = e.trim().to_string();
                } else if let Some(d) = l.strip_prefix("data:") {
                    data.push(d.strip_prefix(' ').unwrap_or(d).to_string());
                } else if l.is_empty() && !event.is_empty() {
                    if tx
                        .send((std::mem::take(&mut event), data.join("\n")))
                        .is_err()
                    {
                        return;
                    }
                    data.clear();
                }
            }
        });
        rx
    }
}

/// The next event named `name` (others are skipped), within `secs`.
pub fn next_event(rx: &Receiver<(String, String)>, name: &str, secs: u64) -> String {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok((e, d)) if e == name => return d,
            Ok(_) => continue,
            Err(_) => panic!("no `{name}` event within {secs} s"),
        }
    }
}

/// The generation number in a reload or pdf event, or a page's
/// `data-generation`: `<server instance>-<n>` (a reload event's data is
/// JSON holding it as `generation`).
pub fn generation(data: &str) -> u64 {
    let tag = match serde_json::from_str::<serde_json::Value>(data) {
        Ok(v) if v.is_object() => v["generation"].as_str().unwrap().to_string(),
        _ => data.to_string(),
    };
    tag.rsplit('-').next().unwrap().parse().unwrap()
}

/// The site paths a reload event says changed (None: not said).
pub fn changed(data: &str) -> Option<Vec<String>> {
    let v: serde_json::Value = serde_json::from_str(data).unwrap();
    let list = v.get("changed")?.as_array()?;
    Some(
        list.iter()
            .map(|p| p.as_str().unwrap().to_string())
            .collect(),
    )
}

/// The generation a served page says it shows.
pub fn page_generation(page: &str) -> u64 {
    let tag = super::between(page, "data-generation=\"", "\"").expect("the live script");
    generation(tag)
}

/// Rebuilds the server logged so far (site ready, or nothing changed).
pub fn rebuilds(log: &str) -> usize {
    log.lines()
        .filter(|l| l.starts_with("[serve] site ") || l.starts_with("[serve] rebuilt in"))
        .count()
}

/// Every event within `ms` milliseconds.
pub fn events_for(rx: &Receiver<(String, String)>, ms: u64) -> Vec<(String, String)> {
    let deadline = Instant::now() + Duration::from_millis(ms);
    let mut out = Vec::new();
    while let Ok(ev) = rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        out.push(ev);
    }
    out
}

/// The "[serve] site N ready ..." line of generation `g`.
pub fn site_line(log: &str, g: u64) -> String {
    log.lines()
        .find(|l| l.starts_with(&format!("[serve] site {g} ready")))
        .unwrap_or_else(|| panic!("no log line for site {g}:\n{log}"))
        .to_string()
}

/// (reused, total) of one kind in a site log line.
pub fn reuse(line: &str, kind: &str) -> (usize, usize) {
    let at = line
        .find(&format!("{kind} "))
        .unwrap_or_else(|| panic!("{kind} in {line}"));
    let rest = &line[at + kind.len() + 1..];
    let end = rest.find([',', ')']).unwrap();
    let (a, b) = rest[..end].split_once('/').unwrap();
    (a.parse().unwrap(), b.parse().unwrap())
}
