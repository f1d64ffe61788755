#!/usr/bin/env bash
# The whole test suite: Rust for the whole workspace (the core and the dev server: fmt, clippy,
# units, vectors, endpoint and real-socket tests, doctests), the npm package built and tested as
# installed (Node ESM/CJS, jose interop, TypeScript, the package against the dev server), a
# headless Chromium smoke test, and a short fuzzing run. Works on a fresh machine of this kind; installs what it needs.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
step() { printf '\n=== %s (+%ss)\n' "$*" "$(( $(date +%s) - start ))"; }

step "toolchain"
rustup component add rustfmt clippy >/dev/null 2>&1 || true
rustup target add wasm32-unknown-unknown >/dev/null 2>&1 || true

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (native, whole workspace, all targets)"
cargo clippy --workspace --all-targets -- -D warnings

step "cargo clippy (wasm32 binding)"
cargo clippy --lib --target wasm32-unknown-unknown -- -D warnings

step "cargo test (whole workspace: units, vectors, attacks, dev server, doctests)"
cargo test --workspace

step "build the npm package"
bash scripts/build.sh

step "JavaScript tests over the packed package (Node, TypeScript, Chromium)"
bash scripts/test-js.sh

step "fuzzing (short run)"
bash scripts/fuzz.sh

step "all tests passed in $(( $(date +%s) - start ))s"
