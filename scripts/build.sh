#!/usr/bin/env bash
# Builds the npm package in pkg/ from the Rust crate. Idempotent; on a fresh machine it first
# installs what it needs (the wasm32 target, wasm-bindgen-cli at the crate's pinned version,
# the root dev tools with npm).
#
#   bash scripts/build.sh          # then: npm pack ./pkg
#
# Output (gitignored): pkg/gen/ (wasm-bindgen glue, bundled away), pkg/dist/{browser.js,
# node.mjs, node.cjs, oidckit_bg.wasm}, pkg/index.d.cts.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

step() { printf '\n== %s\n' "$*"; }

# One build at a time per checkout (two concurrent runs would trample pkg/gen and pkg/dist).
if command -v flock >/dev/null 2>&1 && [ -z "${OIDCKIT_BUILD_LOCKED:-}" ]; then
  mkdir -p target
  export OIDCKIT_BUILD_LOCKED=1
  exec flock target/.oidckit-build.lock bash "${BASH_SOURCE[0]}" "$@"
fi

# 1. Rust target.
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  step "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

# 2. wasm-bindgen-cli at exactly the version Cargo.lock resolved for the wasm-bindgen crate
#    (the CLI and the crate must match, or the glue is refused).
want=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if [ -z "$want" ]; then
  echo "build.sh: cannot find the wasm-bindgen version in Cargo.lock" >&2
  exit 1
fi
have=$(wasm-bindgen --version 2>/dev/null | awk '{ print $2 }' || true)
if [ "$have" != "$want" ]; then
  step "cargo install wasm-bindgen-cli --version $want (found: ${have:-none})"
  cargo install wasm-bindgen-cli --version "$want"
fi

# 3. Dev tools (esbuild, binaryen's wasm-opt, typescript, ...) from the root package-lock.json.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  step "npm ci"
  npm ci --no-audit --no-fund
fi
bin="$root/node_modules/.bin"

# 4. The crate, for wasm32, with the `wasm` profile of Cargo.toml (release with opt-level "z",
#    LTO, 1 CGU, panic=abort; the EdDSA crates at opt-level 3). simd128 is supported by every
#    target runtime (Node >= 16.4, Chromium >= 91, Firefox >= 89, Safari >= 16.4, Deno, workerd)
#    and makes the .wasm smaller. `strip = true` would also drop the target_features section that
#    wasm-bindgen reads, so symbols are kept here and stripped after wasm-bindgen (wasm-opt).
#    OIDCKIT_BUILD_STD=1 rebuilds std with nightly (-Zbuild-std, optimize_for_size, panic
#    immediate-abort: no panic formatting code): about 10% smaller gzipped. Needs the nightly
#    toolchain with rust-src (rustup component add rust-src --toolchain nightly).
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="-C target-feature=+simd128"
cargo_args=(build --profile wasm --target wasm32-unknown-unknown --lib)
wasm_in=target/wasm32-unknown-unknown/wasm/oidckit.wasm
if [ "${OIDCKIT_BUILD_STD:-0}" = 1 ]; then
  cargo_args=(+nightly "${cargo_args[@]}" -Zpanic-immediate-abort -Zbuild-std=std
    -Zbuild-std-features=optimize_for_size --config 'profile.wasm.panic="immediate-abort"')
  export CARGO_TARGET_DIR="$root/target/build-std"
  wasm_in=$CARGO_TARGET_DIR/wasm32-unknown-unknown/wasm/oidckit.wasm
fi
step "cargo ${cargo_args[*]}"
t0=$(date +%s)
CARGO_PROFILE_WASM_STRIP=none cargo "${cargo_args[@]}"
echo "cargo build: $(($(date +%s) - t0)) s"

# 5. JS glue: --target web gives init()/initSync() usable from every entry point; --weak-refs
#    frees wasm objects with a FinalizationRegistry.
# 6. wasm-opt -Oz (smaller than -O3 on the opt-level "z" cargo output);
#    --strip-debug and --strip-producers drop the name and producers sections.
# Both are skipped when the cargo output and the tools are unchanged (wasm-opt alone takes ~30 s).
gen="$root/pkg/gen"
opt_flags=(-Oz --enable-simd --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext
  --enable-mutable-globals --enable-reference-types --enable-multivalue
  --strip-debug --strip-producers)
stamp="$(sha256sum "$wasm_in" | cut -d' ' -f1) wasm-bindgen=$want $("$bin/wasm-opt" --version) ${opt_flags[*]}"
if [ -f "$gen/oidckit_bg.wasm" ] && [ -f "$gen/.stamp" ] && [ "$(cat "$gen/.stamp")" = "$stamp" ]; then
  step "wasm-bindgen + wasm-opt: up to date"
else
  step "wasm-bindgen"
  rm -rf "$gen"
  wasm-bindgen --target web --weak-refs --out-dir "$gen" --out-name oidckit "$wasm_in"
  step "wasm-opt -Oz"
  "$bin/wasm-opt" "${opt_flags[@]}" "$gen/oidckit_bg.wasm" -o "$gen/oidckit_bg.opt.wasm"
  mv "$gen/oidckit_bg.opt.wasm" "$gen/oidckit_bg.wasm"
  printf '%s' "$stamp" >"$gen/.stamp"
fi

# 7. Bundles. Names are kept: error classes set `name` from the constructor.
step "esbuild"
dist="$root/pkg/dist"
rm -rf "$dist"
mkdir -p "$dist"
common=(--bundle --target=es2022 --keep-names --log-level=warning --legal-comments=none)
"$bin/esbuild" pkg/src/browser.js "${common[@]}" --format=esm --platform=browser --minify \
  --outfile="$dist/browser.js"
"$bin/esbuild" pkg/src/node.js "${common[@]}" --format=esm --platform=node \
  --outfile="$dist/node.mjs"
# The glue's unused async init() mentions import.meta.url; the CJS entry never calls it.
"$bin/esbuild" pkg/src/node-cjs.js "${common[@]}" --format=cjs --platform=node \
  --log-override:empty-import-meta=silent --outfile="$dist/node.cjs"
cp "$gen/oidckit_bg.wasm" "$dist/oidckit_bg.wasm"

# 8. Types for `require` users (same declarations, read as CommonJS).
cp pkg/index.d.ts pkg/index.d.cts

raw=$(wc -c <"$dist/oidckit_bg.wasm")
gz=$(gzip -9 -c "$dist/oidckit_bg.wasm" | wc -c)
step "done"
printf 'pkg/dist/oidckit_bg.wasm: %d bytes raw, %d bytes gzip -9\n' "$raw" "$gz"
ls -l "$dist"
