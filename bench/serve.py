#!/usr/bin/env python3
"""Rebuild latency and memory of `galley serve` on the paper.

Starts `galley serve` on a copy of the paper, listens on its reload channel
(Server-Sent Events), then makes one-word edits to a section. For each edit
it measures the time from the file write to the `reload` event (the site is
served) and to the `pdf` event (the PDF is served). Reports medians over
`--edits` edits, then makes `--rebuilds` more edits and reports the server's
resident memory before and after.

    cargo build --release && python3 bench/serve.py
    python3 bench/serve.py --edits 20 --rebuilds 200 --bin target/release/galley
"""

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import queue

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SECTION = "manuscript/sections/05-conclusion.md"
WORD = "efficacious"


def rss_kib(pid):
    """(VmRSS, VmHWM) in KiB from /proc."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:")):
                k, v = line.split(":", 1)
                out[k] = int(v.split()[0])
    return out["VmRSS"], out["VmHWM"]


def listen(port, events):
    """Read the SSE stream (HTTP/1.0: no chunk framing) into a queue."""
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(
        f"GET /__galley/events HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
    )
    f = s.makefile("r", encoding="utf-8", newline="\n")
    for line in f:  # response head
        if line in ("\r\n", "\n"):
            break
    event, data = None, []
    for line in f:
        line = line.rstrip("\r\n")
        if line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].lstrip(" "))
        elif line == "" and event:
            events.put((time.perf_counter(), event, "\n".join(data)))
            event, data = None, []


def number(data):
    """The generation in an event's data: `<server instance>-<n>`, as it is
    or (a reload event) as the JSON object's `generation`."""
    if data.startswith("{"):
        data = json.loads(data)["generation"]
    return int(data.rsplit("-", 1)[-1])


def wait(events, name, timeout=120):
    deadline = time.perf_counter() + timeout
    while True:
        left = deadline - time.perf_counter()
        if left <= 0:
            sys.exit(f"no `{name}` event within {timeout} s")
        t, e, d = events.get(timeout=left)
        if e == "failed":
            sys.exit(f"the rebuild failed:\n{d}")
        if e == name:
            return t, d


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(REPO, "target/release/galley"))
    ap.add_argument("--edits", type=int, default=20)
    ap.add_argument("--rebuilds", type=int, default=200)
    args = ap.parse_args()
    if not os.path.exists(args.bin):
        sys.exit(f"{args.bin} not found: run `cargo build --release` first")

    work = tempfile.mkdtemp(prefix="galley-serve-bench-")
    for sub in ("manuscript", "bibliography", "theme"):
        shutil.copytree(os.path.join(REPO, sub), os.path.join(work, sub))
    section = os.path.join(work, SECTION)
    original = open(section, encoding="utf-8").read()
    assert WORD in original

    proc = subprocess.Popen(
        [args.bin, "serve", "--port", "0", "--root", work],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )
    log = []
    port_q = queue.Queue()

    def read_log():
        for line in proc.stderr:
            log.append(line)
            m = re.search(r" at http://127\.0\.0\.1:(\d+)/", line)
            if m:
                port_q.put(int(m.group(1)))

    threading.Thread(target=read_log, daemon=True).start()
    try:
        port = port_q.get(timeout=120)
        events = queue.Queue()
        threading.Thread(target=listen, args=(port, events), daemon=True).start()
        _, first = wait(events, "reload")
        generation = number(first)
        # Let the first PDF finish so every edit starts from a quiet server.
        time.sleep(2)
        while not events.empty():
            events.get()

        def edit(i):
            nonlocal generation
            text = original.replace(WORD, f"{WORD}{i}", 1)
            t0 = time.perf_counter()
            with open(section, "w", encoding="utf-8") as f:
                f.write(text)
            t_html, g = wait(events, "reload")
            generation = number(g)
            while True:
                t_pdf, g = wait(events, "pdf")
                if number(g) == generation:
                    break
            return t_html - t0, t_pdf - t0

        html, pdf = [], []
        for i in range(1, args.edits + 1):
            h, p = edit(i)
            html.append(h * 1000)
            pdf.append(p * 1000)
        rss_before, _ = rss_kib(proc.pid)
        for i in range(args.edits + 1, args.edits + 1 + args.rebuilds):
            edit(i)
        rss_after, hwm = rss_kib(proc.pid)

        def stats(xs):
            return f"median {statistics.median(xs):6.0f} ms   min {min(xs):5.0f}   max {max(xs):5.0f}"

        print(f"galley serve, one-word edit of {SECTION}, {args.edits} edits")
        print(f"  write → reload event (site served): {stats(html)}")
        print(f"  write → pdf event (PDF served):     {stats(pdf)}")
        print(
            f"memory over {args.rebuilds} more rebuilds: RSS {rss_before / 1024:.1f} MiB before, "
            f"{rss_after / 1024:.1f} MiB after (peak {hwm / 1024:.1f} MiB)"
        )
        site_lines = [l for l in log if l.startswith("[serve] site")]
        if site_lines:
            print("last rebuild:", site_lines[-1].strip())
    finally:
        proc.terminate()
        proc.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
