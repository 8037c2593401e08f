#!/usr/bin/env bash
# galley against pandoc (HTML) and the bare Typst compiler (PDF) on the paper.
#
#   bash bench/peers.sh [--runs N] [--galley BIN] [--emit-galley BIN] [--json FILE]
#
# Makes a venv in target/bench-venv with the pinned peers and runs
# bench/peers.py with it; every option is passed on. Needs python3 (with
# venv) and a galley binary (default target/release/galley: `cargo build
# --release` first). pdfinfo (poppler-utils) is used, when present, to check
# that both PDFs have the same page count.
#
# Pins:
#   pypandoc-binary 1.17  ships pandoc 3.9
#   typst 0.15.2          the Python binding; bundles the Typst 0.15.1 compiler,
#                         the version galley links as a library
set -euo pipefail

PYPANDOC_BINARY_VERSION=1.17
TYPST_PY_VERSION=0.15.2

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$repo/target/bench-venv"
py="$venv/bin/python"

if [ ! -x "$py" ]; then
    echo "peers.sh: creating $venv" >&2
    python3 -m venv "$venv"
fi
want="pypandoc-binary==$PYPANDOC_BINARY_VERSION typst==$TYPST_PY_VERSION"
have="$("$py" -c '
import importlib.metadata as m
def v(name):
    try:
        return m.version(name)
    except m.PackageNotFoundError:
        return "none"
print("pypandoc-binary==" + v("pypandoc-binary") + " typst==" + v("typst"))' 2>/dev/null || true)"
if [ "$have" != "$want" ]; then
    echo "peers.sh: installing $want" >&2
    "$py" -m pip install --quiet --disable-pip-version-check $want
fi

echo "peers.sh: pypandoc-binary $PYPANDOC_BINARY_VERSION ($("$py" -c 'import pypandoc; print("pandoc", pypandoc.get_pandoc_version())')), typst (Python) $TYPST_PY_VERSION (bundles Typst 0.15.1)"
cd "$repo"
exec "$py" bench/peers.py "$@"
