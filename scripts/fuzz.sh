#!/usr/bin/env bash
# Runs every cargo-fuzz target in fuzz/ for a short, bounded time.
#
#   bash scripts/fuzz.sh                 # every target, 10 s each
#   FUZZ_SECONDS=60 bash scripts/fuzz.sh # 60 s each
#   FUZZ_TARGETS="jwt_decode pem_import" bash scripts/fuzz.sh
#
# Env: FUZZ_SECONDS (per target, default 10), FUZZ_TARGETS (space-separated subset),
#      FUZZ_BUDGET (hard cap in seconds for the whole script incl. build, default 1800),
#      FUZZ_JOBS (cargo build jobs, default 2).
# Needs the nightly toolchain and cargo-fuzz. If either is missing and cannot be installed,
# prints "SKIPPED fuzzing: <reason>" and exits 0. Any crash, leak, OOM or timeout found by
# libFuzzer makes the script exit non-zero after showing the input (path + base64).
# Seed corpora are generated from ../shared/vectors (when present) into fuzz/corpus/ (gitignored).
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FUZZ_DIR="$ROOT/fuzz"
VECTORS="$ROOT/../shared/vectors"
SECONDS_PER_TARGET="${FUZZ_SECONDS:-10}"
BUDGET="${FUZZ_BUDGET:-1800}"
JOBS="${FUZZ_JOBS:-2}"
START=$(date +%s)

ALL_TARGETS=(jws_verify_hs256 jwt_verify_hs256 jwt_verify_es256_jwks jwt_decode jwk_parse jwks_parse pem_import x509_import pkcs12_parse oauth_responses)
read -r -a TARGETS <<<"${FUZZ_TARGETS:-${ALL_TARGETS[*]}}"

# -max_len per target: tokens and keys are small; JWK Sets and PEM/DER certificates are larger.
max_len() {
  case "$1" in
    jws_* | jwt_*) echo 4096 ;;
    jwk_parse) echo 8192 ;;
    jwks_parse) echo 16384 ;;
    pem_import | x509_import | pkcs12_parse) echo 8192 ;;
    oauth_responses) echo 8192 ;;
    *) echo 4096 ;;
  esac
}

skip() {
  echo "SKIPPED fuzzing: $*"
  exit 0
}

remaining() { echo $((BUDGET - ($(date +%s) - START))); }

case "$SECONDS_PER_TARGET" in
  '' | *[!0-9]*) echo "fuzz.sh: FUZZ_SECONDS must be a whole number of seconds" >&2; exit 2 ;;
esac

command -v cargo >/dev/null 2>&1 || skip "cargo not found"
command -v rustup >/dev/null 2>&1 || skip "rustup not found (cargo-fuzz needs the nightly toolchain)"

if ! cargo +nightly --version >/dev/null 2>&1; then
  echo "fuzz.sh: nightly toolchain missing; trying 'rustup toolchain install nightly --profile minimal'"
  timeout 600 rustup toolchain install nightly --profile minimal >/dev/null 2>&1 ||
    skip "the nightly toolchain is not installed and could not be installed"
fi

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz.sh: cargo-fuzz missing; trying 'cargo install cargo-fuzz --locked'"
  timeout 900 cargo install cargo-fuzz --locked >/dev/null 2>&1 ||
    skip "cargo-fuzz is not installed and could not be installed"
fi
echo "fuzz.sh: $(cargo +nightly --version), $(cargo fuzz --version)"

cd "$FUZZ_DIR" || exit 2

# Build every target (one cargo invocation shares the dependency build).
echo "fuzz.sh: building the fuzz targets (sanitizer: address, release + debug assertions)"
build_secs=$(remaining)
[ "$build_secs" -gt 0 ] || { echo "fuzz.sh: time budget exhausted before build" >&2; exit 1; }
mkdir -p "$FUZZ_DIR/target"
build_log="$FUZZ_DIR/target/fuzz-build.log"
if ! CARGO_BUILD_JOBS="$JOBS" timeout "$build_secs" cargo +nightly fuzz build >"$build_log" 2>&1; then
  tail -n 60 "$build_log" >&2
  echo "fuzz.sh: build FAILED (full log: fuzz/target/fuzz-build.log)" >&2
  exit 1
fi

BIN_DIR="$FUZZ_DIR/target/$(rustc +nightly -vV | sed -n 's/^host: //p')/release"

# Seed corpora from the shared vectors (needs node; otherwise libFuzzer starts from nothing).
if command -v node >/dev/null 2>&1 && [ -d "$VECTORS" ]; then
  node "$FUZZ_DIR/gen-seeds.mjs" "$VECTORS" "$FUZZ_DIR/corpus" | tail -n 1
else
  echo "fuzz.sh: no seeds generated (node or ../shared/vectors missing)"
fi

failed=()
summary=()
for t in "${TARGETS[@]}"; do
  left=$(remaining)
  if [ "$left" -le 5 ]; then
    summary+=("$t: not run (FUZZ_BUDGET of ${BUDGET}s exhausted)")
    continue
  fi
  secs=$SECONDS_PER_TARGET
  [ "$secs" -lt "$((left - 5))" ] || secs=$((left - 5))
  mkdir -p "$FUZZ_DIR/corpus/$t" "$FUZZ_DIR/artifacts/$t"
  log="$FUZZ_DIR/artifacts/$t.log"
  echo "fuzz.sh: running $t for ${secs}s (-max_len=$(max_len "$t"))"
  # The binary built above is run directly (`cargo fuzz run` would rebuild when src/ changed,
  # eating into the time budget). -timeout: one input running > 10 s is a finding (hang);
  # -rss_limit_mb: OOM is a finding. Same ASAN_OPTIONS as `cargo fuzz run`.
  if [ ! -x "$BIN_DIR/$t" ]; then
    failed+=("$t")
    summary+=("$t: FAILED (no binary at $BIN_DIR/$t)")
    continue
  fi
  ASAN_OPTIONS="${ASAN_OPTIONS:-detect_odr_violation=0}" timeout $((secs + 60)) "$BIN_DIR/$t" \
    -artifact_prefix="$FUZZ_DIR/artifacts/$t/" -max_total_time="$secs" -max_len="$(max_len "$t")" \
    -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 "$FUZZ_DIR/corpus/$t" >"$log" 2>&1
  rc=$?
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -n 1)
  cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -n 1)
  if [ "$rc" -ne 0 ]; then
    failed+=("$t")
    summary+=("$t: FAILED (exit $rc) after ${execs:-?} execs")
    echo "---- $t: what failed ----" >&2
    grep -m 8 -E "panicked at|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|SUMMARY: |^==[0-9]+== ?ERROR|timeout after|out-of-memory" "$log" >&2
    echo "---- $t: libFuzzer output (tail; full log: fuzz/artifacts/$t.log) ----" >&2
    grep -v -E '^#[0-9]|^ +[0-9]+: |^ +at ' "$log" | tail -n 30 >&2
    # libFuzzer names the input it saved ("Test unit written to ..."); show each one in base64.
    grep -o 'Test unit written to [^ ]*' "$log" | sed 's/^Test unit written to //' | sort -u |
      while read -r a; do
        [ -f "$a" ] || continue
        echo "---- artifact $a ($(wc -c <"$a") bytes), base64: ----" >&2
        base64 -w 0 "$a" >&2
        echo >&2
        echo "reproduce: (cd fuzz && cargo +nightly fuzz run $t $a)" >&2
      done
  else
    summary+=("$t: ok, ${secs}s, ${execs:-?} execs, ${cov:-cov: ?}")
  fi
done

echo "fuzz.sh: summary"
printf '  %s\n' "${summary[@]}"
if [ "${#failed[@]}" -gt 0 ]; then
  echo "fuzz.sh: ${#failed[@]} target(s) found a crash: ${failed[*]} (inputs in fuzz/artifacts/)" >&2
  exit 1
fi
echo "fuzz.sh: no crash in ${#TARGETS[@]} target(s), $(($(date +%s) - START))s total"
