#!/usr/bin/env bash
# The README's Rust examples, compiled and run in a new crate whose only dependency is
# mqtt-wire (by path): they must not need `bytes` or anything else of their own.
#
# Every ```rust block of README.md becomes one test; lines starting with `# ` (hidden in
# rustdoc) are kept without the marker. A block that ends in `Ok::<(), E>(())` must return Ok.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mkdir -p "$tmp/tests"
cat > "$tmp/Cargo.toml" <<EOF
[package]
name = "mqtt-wire-readme"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
mqtt-wire = { path = "$repo" }

[workspace]
EOF
touch "$tmp/src.rs"
printf '[lib]\npath = "src.rs"\n' >> "$tmp/Cargo.toml"
# The same versions as the repository's build, so its compiled dependencies are reused.
cp "$repo/Cargo.lock" "$tmp/Cargo.lock"

awk '
BEGIN {
    print "//! Generated from README.md by .ci/readme-crate.sh."
    print "trait Finish { fn finish(self); }"
    print "impl Finish for () { fn finish(self) {} }"
    print "impl<E: std::fmt::Debug> Finish for Result<(), E> {"
    print "    fn finish(self) { self.unwrap() }"
    print "}"
}
/^```/ {
    if (inside) {
        print "    })());"
        print "}"
        inside = 0
    } else if ($0 ~ /^```rust *$/) {
        n++
        print ""
        printf "#[test]\nfn readme_block_%d() {\n    Finish::finish((|| {\n", n
        inside = 1
    }
    next
}
inside {
    line = $0
    if (line == "#") line = ""
    else sub(/^# /, "", line)
    print "        " line
}
END {
    if (n == 0) { print "no rust block in README.md" > "/dev/stderr"; exit 1 }
}
' "$repo/README.md" > "$tmp/tests/readme.rs"

echo "$(grep -c '^fn readme_block_' "$tmp/tests/readme.rs") Rust blocks from README.md"
CARGO_TARGET_DIR="$repo/target/readme-crate" cargo test --quiet --manifest-path "$tmp/Cargo.toml" --test readme
