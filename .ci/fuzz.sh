#!/usr/bin/env bash
# Bounded fuzzing of every target in fuzz/ (cargo-fuzz, libFuzzer, address sanitizer, nightly).
#
#   FUZZ_SECONDS   seconds per target (default 60)
#   FUZZ_TARGETS   space-separated targets to run (default: all)
#
# Each target starts from its committed seeds (fuzz/seeds/<target>/) and regressions
# (testdata/fuzz/<target>/), copied into fuzz/corpus/<target>/ (not committed). A panic, a
# sanitizer report, a hang (10 s on one input), a leak or too much memory (2 GiB resident, or any
# single allocation of 64 MiB: inputs are at most 4 KiB, so that would be an allocation sized by
# a length field) fails the script, after every target has run, with the reproducing command and
# the failing input in base64.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${FUZZ_SECONDS:-60}
targets=(${FUZZ_TARGETS:-decode roundtrip encode stream varint client_session server_session broker session_pair})

max_len() {
    case $1 in
        varint) echo 16 ;;
        *) echo 4096 ;;
    esac
}

if ! cargo +nightly --version >/dev/null 2>&1; then
    echo "fuzz: the nightly toolchain is required (rustup toolchain install nightly)" >&2
    exit 1
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz: installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi
cargo fuzz --version

# One build of every target: debug assertions and overflow checks on (-a), ASan (the default).
(cd fuzz && cargo +nightly fuzz build -a)

failed=()
for target in "${targets[@]}"; do
    corpus=fuzz/corpus/$target
    artifacts=fuzz/artifacts/$target
    mkdir -p "$corpus" "$artifacts"
    for src in "fuzz/seeds/$target" "testdata/fuzz/$target"; do
        if [ -d "$src" ]; then
            find "$src" -maxdepth 1 -type f -exec cp -n {} "$corpus/" \;
        fi
    done
    log=$(mktemp)
    echo "== fuzz $target: ${seconds}s, $(find "$corpus" -type f | wc -l) inputs in the corpus"
    status=0
    (cd fuzz && cargo +nightly fuzz run -a "$target" "corpus/$target" -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -malloc_limit_mb=64 \
        -max_len="$(max_len "$target")" \
        -timeout=10 -print_final_stats=1) \
        >"$log" 2>&1 || status=$?
    # The summary: the last status line and the final stats.
    grep -E '^#[0-9]+[[:space:]]+(DONE|pulse)' "$log" | tail -1 || true
    grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' "$log" || true
    if [ "$status" -ne 0 ]; then
        # The panic message or sanitizer report, then cargo-fuzz's own summary.
        grep -E -A4 'panicked at' "$log" | head -20 || true
        grep -E '^(==[0-9]+==ERROR|SUMMARY|ERROR: libFuzzer)' "$log" || true
        tail -25 "$log"
        artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
        artifact=${artifact#"$PWD/fuzz/"}
        echo "fuzz: target $target FAILED (exit $status)"
        if [ -n "$artifact" ] && [ -f "fuzz/$artifact" ]; then
            echo "fuzz: failing input fuzz/$artifact, base64:"
            base64 -w0 "fuzz/$artifact"
            echo
            echo "fuzz: reproduce with"
            echo "    cd fuzz && cargo +nightly fuzz run -a $target $artifact"
            echo "fuzz: or, on stable, save it as testdata/fuzz/$target/<name> and run"
            echo "    cargo test --features arbitrary --test fuzz_regressions"
            echo "fuzz: minimize with"
            echo "    cd fuzz && cargo +nightly fuzz tmin -a $target $artifact"
            echo "fuzz: then add the minimized input as testdata/fuzz/$target/<name> (see fuzz/README.md)"
        fi
        failed+=("$target")
    fi
    rm -f "$log"
done

if [ "${#failed[@]}" -ne 0 ]; then
    echo "fuzz: failing targets: ${failed[*]}"
    exit 1
fi
echo "fuzz: all targets passed"
