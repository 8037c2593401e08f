#!/usr/bin/env bash
# Install what the tests read galley's outputs with: Debian packages (as
# root, or through sudo) and the browser tests' npm packages. Run by
# tests/run.sh (the README's test command) and .ci/run; a tool already
# there is not installed again.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
if [ "$(id -u)" != 0 ]; then
    SUDO="sudo"
fi
apt_install() {
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}

# pdftotext, pdfinfo, pdffonts, pdftohtml (poppler-utils) and qpdf read the
# PDF in the parity and validity tests.
if ! command -v pdftotext >/dev/null || ! command -v qpdf >/dev/null; then
    apt_install poppler-utils qpdf
fi

# A CJK font of the system, for the font fallback tests (tests/fonts.rs).
if [ ! -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ]; then
    apt_install fonts-wqy-microhei
fi

# xmllint validates the JATS XML against the DTD (tests/jats.rs).
if ! command -v xmllint >/dev/null; then
    apt_install libxml2-utils
fi

# LibreOffice opens the Word file and lays it out as PDF, python-docx reads
# its structure (tests/docx.rs; Debian's python3-docx for /usr/bin/python3).
if ! command -v soffice >/dev/null || ! /usr/bin/python3 -c 'import docx' >/dev/null 2>&1; then
    apt_install --no-install-recommends libreoffice-writer-nogui libreoffice-math-nogui python3-docx
fi

# metafor and its datasets, the reference of the meta-analysis tests
# (tests/metafor.rs).
if ! Rscript -e 'library(metafor); library(metadat)' >/dev/null 2>&1; then
    apt_install --no-install-recommends r-cran-metafor r-cran-metadat
fi

# The publish tests serve the site with Python's http.server and commit
# it to a branch with git.
if ! command -v python3 >/dev/null || ! command -v git >/dev/null; then
    apt_install python3 git
fi

# The browser tests: Debian's Chromium, Java for the Nu HTML checker, and
# the npm packages pinned in tests/browser/package-lock.json (install
# scripts off: vnu-jar ships its jar; nothing may be downloaded).
if ! command -v chromium >/dev/null || ! command -v java >/dev/null; then
    apt_install chromium default-jre-headless
fi
if [ ! -f tests/browser/node_modules/.package-lock.json ] \
    || [ tests/browser/package-lock.json -nt tests/browser/node_modules/.package-lock.json ]; then
    npm ci --ignore-scripts --no-audit --no-fund --prefix tests/browser
fi
