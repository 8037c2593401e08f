"""Shared helpers of bench/peers.py and bench/scale_run.py.

run() starts one cold process and returns its wall time, peak RSS and
galley's --timings stages. Peak RSS comes from GNU time (`/usr/bin/time -v`,
"Maximum resident set size") when it is installed, else from the rusage that
wait4 returns for the child (the same kernel counter GNU time reads). The
wrapper is used for every variant alike, so its ~1 ms of fork+exec is in
every wall time.
"""
import math
import os
import re
import signal
import statistics
import subprocess
import tempfile
import threading
import time

GNU_TIME = "/usr/bin/time"


def has_gnu_time():
    if not os.access(GNU_TIME, os.X_OK):
        return False
    try:
        p = subprocess.run([GNU_TIME, "-v", "true"], capture_output=True, text=True)
    except OSError:
        return False
    return p.returncode == 0 and "Maximum resident set size" in p.stderr


USE_GNU_TIME = has_gnu_time()
RSS_SOURCE = "/usr/bin/time -v (Maximum resident set size)" if USE_GNU_TIME else "wait4 rusage ru_maxrss of each child"

STAGE_RE = re.compile(r"^(.+?)\s+([\d.]+) ms$", re.M)


def parse_stages(stderr):
    """galley --timings lines: `name   123.4 ms` (sub-stages indented)."""
    return {m.group(1).strip(): float(m.group(2)) for m in STAGE_RE.finditer(stderr)}


class Result:
    def __init__(self, cmd, wall, rss_mb, status, stdout, stderr, timed_out):
        self.cmd = cmd
        self.wall = wall
        self.rss_mb = rss_mb
        self.status = status
        self.stdout = stdout
        self.stderr = stderr
        self.timed_out = timed_out
        self.stages = parse_stages(stderr)

    @property
    def ok(self):
        return self.status == 0 and not self.timed_out


def run(cmd, cwd=None, timeout=None, env=None):
    """Run cmd as a fresh process; never raises on failure (check .ok)."""
    with tempfile.TemporaryDirectory(prefix="galley-bench-run-") as tmp:
        out_path, err_path, time_path = (os.path.join(tmp, n) for n in ("out", "err", "time"))
        full = [GNU_TIME, "-v", "-o", time_path, *cmd] if USE_GNU_TIME else list(cmd)
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            start = time.perf_counter()
            proc = subprocess.Popen(full, stdout=out, stderr=err, cwd=cwd, env=env, start_new_session=True)
            timed_out = threading.Event()

            def kill():
                timed_out.set()
                try:  # the process group we started (GNU time and its child)
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass

            timer = threading.Timer(timeout, kill) if timeout else None
            if timer:
                timer.start()
            try:
                _, status, rusage = os.wait4(proc.pid, 0)
            finally:
                if timer:
                    timer.cancel()
            wall = time.perf_counter() - start
            proc.returncode = os.waitstatus_to_exitcode(status)
        stdout = open(out_path, encoding="utf-8", errors="replace").read()
        stderr = open(err_path, encoding="utf-8", errors="replace").read()
        rss_mb = rusage.ru_maxrss / 1024.0
        if USE_GNU_TIME and os.path.exists(time_path):
            text = open(time_path, encoding="utf-8", errors="replace").read()
            m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
            if m:
                rss_mb = int(m.group(1)) / 1024.0
            # GNU time reports the command's own exit status
            m = re.search(r"Exit status: (\d+)", text)
            if m and proc.returncode == 0:
                proc.returncode = int(m.group(1))
    return Result(cmd, wall, rss_mb, proc.returncode, stdout, stderr, timed_out.is_set())


def median(xs):
    return statistics.median(xs) if xs else float("nan")


def fmt_s(seconds):
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return "—"
    if seconds < 1:
        return f"{seconds * 1000:.1f} ms"
    return f"{seconds:.2f} s"


def pdf_pages(path):
    """Page count via pdfinfo (poppler-utils), or None when pdfinfo is missing."""
    try:
        p = subprocess.run(["pdfinfo", path], capture_output=True, text=True)
    except OSError:
        return None
    m = re.search(r"^Pages:\s+(\d+)", p.stdout, re.M)
    return int(m.group(1)) if m else None
