#!/usr/bin/env bash
# Coverage-guided fuzzing of galley's input stages with cargo fuzz
# (libFuzzer, AddressSanitizer). Each target starts from its seeds in
# seeds/<target>/ and keeps what it finds in corpus/<target>/ (not in git);
# a crash is saved in artifacts/<target>/ and ends that target's run.
#
#   bash fuzz/run.sh [SECONDS per target, default 1800] [targets...]
#
# Needs the nightly toolchain and cargo-fuzz (cargo install cargo-fuzz).
# Two targets run at a time; each stops a case after 10 s (a hang) or at
# 4 GB of memory (the template sandbox stops a rendering at 1 GB).
set -euo pipefail
cd "$(dirname "$0")"
secs="${1:-1800}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(front_end templates data_files math request_guard)
fi
cargo +nightly fuzz build
run() {
    local t="$1" status=0
    mkdir -p "corpus/$t" "artifacts/$t"
    cargo +nightly fuzz run "$t" "corpus/$t" "seeds/$t" -- \
        -max_total_time="$secs" -timeout=10 -rss_limit_mb=4096 -max_len=65536 \
        -artifact_prefix="artifacts/$t/" -print_final_stats=1 >"$t.log" 2>&1 || status=$?
    echo "$t: exit $status, $(ls "corpus/$t" | wc -l) inputs in the corpus, $(ls "artifacts/$t" | wc -l) artifacts"
    grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb" "$t.log" || true
}
i=0
for t in "${targets[@]}"; do
    run "$t" &
    i=$((i + 1))
    if [ $((i % 2)) -eq 0 ]; then wait; fi
done
wait
