#!/usr/bin/env python3
"""Hostile and careless inputs (issue 13), run against one or two galley
binaries: exit status, wall time, peak memory and the first line galley
printed, as a Markdown table (case -> before -> after).

    python3 bench/hostile.py NEW [OLD]

Each case builds a fresh small project (`galley new`) in a temp folder,
changes it, and runs one command, killed after 60 s and limited to 9 GB of
address space. tests/hostile.rs and
tests/hostile_host.rs assert the same cases; this script measures them.
"""

import os
import pathlib
import resource
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import zlib

LIMIT = 60
# Each run may map at most this much memory: a binary that would take the
# machine's memory aborts instead (and says so in its row).
MEMORY_CAP = 9 << 30


def cap_memory():
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def png(w, h, idat):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def bomb_png():
    # 30000 x 30000 grey pixels of 0: a few MB of PNG, 900 MB of pixels.
    row = b"\0" * 30001
    z = zlib.compressobj(9)
    data = b"".join(z.compress(row) for _ in range(30000)) + z.flush()
    return png(30000, 30000, data)


def run(galley, args, cwd, env=None):
    """(status or 'killed', seconds, peak MB, first line of output)."""
    start = time.monotonic()
    p = subprocess.Popen([galley] + args, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         env={**os.environ, "NO_COLOR": "1", **(env or {})}, start_new_session=True,
                         preexec_fn=cap_memory)
    killed = False
    while True:
        pid, status, usage = os.wait4(p.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() - start > LIMIT:
            os.killpg(p.pid, signal.SIGKILL)
            pid, status, usage = os.wait4(p.pid, 0)
            killed = True
            break
        time.sleep(0.02)
    secs = time.monotonic() - start
    out = p.stdout.read().decode("utf-8", "replace")
    if killed:
        code = f"killed after {LIMIT} s"
    elif os.WIFSIGNALED(status):
        code = f"signal {os.WTERMSIG(status)}"
    else:
        code = f"exit {os.WEXITSTATUS(status)}"
    first = next((l for l in out.splitlines() if l.strip() and not l.startswith(" ")), "")
    first = first.replace("\0", "\\0")
    if len(first) > 110:
        first = first[:110] + "…"
    return code, secs, usage.ru_maxrss / 1024, first


def new_project(galley, tmp):
    root = pathlib.Path(tmp) / "paper"
    subprocess.run([galley, "new", str(root)], check=True, capture_output=True)
    return root


def section(root):
    return root / "manuscript/sections/02-results.md"


def with_section(text):
    """Add `text` to the end of a section (which keeps its heading id and
    table, so the rest of the project still builds)."""
    def edit(root):
        body = text.removeprefix("# R\n\n")
        section(root).write_text(section(root).read_text() + "\n" + body)
    return edit


def add_section(name, make):
    def edit(root):
        y = root / "manuscript/manuscript.yaml"
        y.write_text(y.read_text().replace("  - sections/02-results.md\n", f"  - sections/02-results.md\n  - sections/{name}\n"))
        make(root / "manuscript/sections" / name)
    return edit


def figure(name, data):
    def edit(root):
        (root / "manuscript/figures").mkdir(parents=True, exist_ok=True)
        path = root / "manuscript/figures" / name
        if data is None:
            os.mkfifo(path)
        else:
            path.write_bytes(data)
        text = section(root).read_text()
        section(root).write_text(text + f'\n{{{{ figure(id="fig-x", src="figures/{name}", alt="X", caption="X.") }}}}\n')
    return edit


def in_yaml(extra):
    def edit(root):
        y = root / "manuscript/manuscript.yaml"
        y.write_text(y.read_text() + extra)
    return edit


def write(rel, data):
    def edit(root):
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data if isinstance(data, bytes) else data.encode())
    return edit


def git_repo(root):
    for args in (["init", "-q", "-b", "main"], ["config", "user.name", "A"], ["config", "user.email", "a@b.c"],
                 ["config", "commit.gpgsign", "false"], ["add", "-A"], ["commit", "-q", "-m", "x"],
                 ["remote", "add", "origin", "https://example.org/x.git"]):
        subprocess.run(["git"] + args, cwd=root, check=True, capture_output=True)


def deep_list():
    # `- - - a` is a list in a list in a list.
    return "# R\n\n" + "- " * 5000 + "a\n"


def prose(mb):
    words = "the of and to in a is that for it as was with 12 345 7.5 $x$ [@knuth1984] *em* `code`".split()
    out, size, i = [], 0, 0
    while size < mb * 1_000_000:
        p = " ".join(words[(i * 7 + j * 3) % len(words)] for j in range(120)) + "."
        out.append(p)
        size += len(p) + 2
        i += 1
    return "# Big {#sec-big}\n\n" + "\n\n".join(out) + "\n"


def cases():
    laughs = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    prev = "a"
    for n in "bcdefghi":
        laughs += f"{n}: &{n} [" + ",".join(["*" + prev] * 9) + "]\n"
        prev = n
    return [
        ("1 build --out a folder of someone else's", lambda r: (r.parent / "elsewhere/.ssh").mkdir(parents=True) or (r.parent / "elsewhere/Documents").mkdir(),
         ["build", "--out", "../elsewhere"], lambda r: "kept" if (r.parent / "elsewhere/.ssh").is_dir() else "**.ssh deleted**"),
        ("2 publish --dir beside a forged manifest.json", lambda r: (write("../d/x.txt", "keep")(r), write("../d/manifest.json", '{"generator": "galley"}')(r)),
         ["publish", "--base-url", "https://example.org/", "--dir", "../d"], lambda r: "kept" if (r.parent / "d/x.txt").exists() else "**x.txt deleted**"),
        ("3 `get_env` in a section", with_section('# R\n\n{{ get_env(name="TOKEN") }}\n'), ["build"],
         lambda r: "**secret in index.html**" if "s3cr3t" in (r / "public/index.html").read_text(errors="replace") else "no secret"),
        ("4 --base-url javascript:alert(1)//", None, ["build", "--base-url", "javascript:alert(1)//"],
         lambda r: "**javascript: in 404.html**" if (r / "public/404.html").exists() and "javascript:" in (r / "public/404.html").read_text() else "clean"),
        ("5 5,000 nested blockquotes", with_section("# R\n\n" + "> " * 5000 + "x\n"), ["build"], None),
        ("5 5,000 nested lists", with_section(deep_list()), ["build"], None),
        ("5 macro recursing 5,000+ deep", with_section("# R\n\n{% macro f(n) %}{{ self::f(n=n+1) }}{% endmacro f %}{{ self::f(n=0) }}\n"), ["build"], None),
        ("5 math braces 5,000 deep", with_section("# R\n\n$" + "x^{" * 5000 + "y" + "}" * 5000 + "$\n"), ["build"], None),
        ("6 a FIFO as a section", add_section("pipe.md", os.mkfifo), ["build"], None),
        ("6 a FIFO in theme/static", lambda r: (r / "theme/static").mkdir(parents=True) or os.mkfifo(r / "theme/static/x.css"), ["build"], None),
        ("6 range(end=100000000)", with_section("# R\n\n{% for i in range(end=100000000) %}x{% endfor %}\n"), ["build"], None),
        ("6 nested loops, 10^10 iterations", with_section("# R\n\n{% for i in range(end=100000) %}{% for j in range(end=100000) %}x{% endfor %}{% endfor %}\n"), ["build"], None),
        ("6 brackets left open in call arguments", with_section("# R\n\n{{ " + "m(n=((((((((" * 5 + "x\n"), ["build"], None),
        ("6 a string doubled 40 times", with_section('# R\n\n{% set s = "xxxxxxxx" %}{% for i in range(end=40) %}{% set_global s = s ~ s %}{% endfor %}{{ s | length }}\n'), ["build"], None),
        ("7 PNG decoding to 30000×30000", figure("bomb.png", bomb_png()), ["build"], None),
        ("7 8 MB section, site only", add_section("big.md", lambda p: p.write_text(prose(8))), ["build", "--html"], None),
        ("8 YAML 100,000 deep", write("manuscript/data/deep.yaml", "d: " + "[" * 100_000 + "]" * 100_000 + "\n"), ["build"], None),
        ("8 BibTeX braces 100,000 deep", write("bibliography/deep.bib", "@article{deep, title = " + "{" * 100_000 + "x" + "}" * 100_000 + "}\n"), ["build"], None),
        ("9 SVG figure with <script>", figure("x.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'), ["build"], None),
        ("10 NUL byte in a section, --html", with_section("# R\n\nab\0cd\n"), ["build", "--html"],
         lambda r: "**NUL in index.html**" if b"\0" in (r / "public/index.html").read_bytes() else "no NUL"),
        ("10 PNG Typst cannot decode", figure("broken.png", png(10, 10, b"garbage")), ["build"], None),
        ("10 YAML repetition limit", write("manuscript/data/laughs.yaml", laughs), ["build"], None),
        ("10 a FIFO as a figure", figure("pipe.png", None), ["build"], None),
        ("11 stray of a killed build, then a failed build", lambda r: (write(".public.galley-new-4194000/index.html", "x")(r), with_section("# R\n\n{{ nope }}\n")(r)), ["build"],
         lambda r: "stray removed" if not (r / ".public.galley-new-4194000").exists() else "**stray left**"),
        ("12 publish --branch refs/heads/main", git_repo, ["publish", "--base-url", "https://example.org/", "--branch", "refs/heads/main"],
         lambda r: "**refs/heads/refs/heads/main created**" if "refs/heads/refs/heads/main" in subprocess.run(["git", "for-each-ref"], cwd=r, capture_output=True, text=True).stdout else "no ref"),
        ("12 publish --branch origin/main", git_repo, ["publish", "--base-url", "https://example.org/", "--branch", "origin/main"],
         lambda r: "**local origin/main created**" if "refs/heads/origin/main" in subprocess.run(["git", "for-each-ref"], cwd=r, capture_output=True, text=True).stdout else "no branch"),
        ("13 typed number after {#sec-x}", lambda r: (write("manuscript/data/n.csv", "n\n158\n165\n")(r), with_section("In all 323 people took part.\n")(r)), ["check"], None),
        ("14 pdf: {standard: ua-1x}", in_yaml("pdf:\n  standard: ua-1x\n"), ["build"], None),
    ]


def measure(galley):
    rows = []
    for name, edit, args, after in cases():
        with tempfile.TemporaryDirectory() as tmp:
            root = new_project(galley, tmp)
            subprocess.run([galley, "build"], cwd=root, capture_output=True)
            if edit:
                edit(root)
            code, secs, mb, first = run(galley, args, root, {"TOKEN": "s3cr3t"})
            note = after(root) if after else ""
            rows.append((name, f"{code}, {secs:.1f} s, {mb:.0f} MB" + (f", {note}" if note else ""), first))
        print(f"{name}: {rows[-1][1]}", file=sys.stderr)
    return rows


def main():
    def binary(name):
        return os.path.abspath(name) if os.path.exists(name) else shutil.which(name)

    new = binary(sys.argv[1])
    old = binary(sys.argv[2]) if len(sys.argv) > 2 else None
    after = measure(new)
    before = measure(old) if old else None
    print("| case | before | after | galley says (after) |")
    print("|---|---|---|---|")
    for i, (name, result, first) in enumerate(after):
        b = before[i][1] if before else ""
        print(f"| {name} | {b} | {result} | `{first.replace('|', '/')}` |")


if __name__ == "__main__":
    main()
