#!/usr/bin/env bash
# JavaScript tests over the PACKED npm package (we test what users install, as oauth4webapi's
# tools/test-dist.js does):
#   1. npm pack ./pkg, install the tarball BY NAME into a fresh temp folder with the test deps
#      (jose, playwright-core, typescript, oidc-provider, openid-client at the versions in the
#      root package.json);
#   2. node --test over tests/js (ESM + one CommonJS file), importing 'oidckit' from that install;
#      the dev server tests (devserver.test.mjs, openid-client-interop.test.mjs) start the Rust
#      binary oidckit-server: env OIDCKIT_SERVER_BIN, default target/debug/oidckit-server, built
#      with `cargo build -p oidckit-server` when missing or older than its sources;
#   3. tsc --strict over tests/types (ESM .mts and CommonJS .cts) against the installed types;
#   4. the Chromium smoke test in tests/browser (screenshot in test-artifacts/browser-smoke.png).
# Assumes scripts/build.sh has been run; runs it when pkg/dist is missing. Exits non-zero if any
# stage fails. Usage: bash scripts/test-js.sh [--no-browser] [--only-node] [node --test args…]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CALLER_PWD="$PWD"
cd "$ROOT"

RUN_BROWSER=1
RUN_TYPES=1
NODE_ARGS=()
for arg in "$@"; do
  case "$arg" in
    --no-browser) RUN_BROWSER=0 ;;
    --only-node) RUN_BROWSER=0; RUN_TYPES=0 ;;
    *) NODE_ARGS+=("$arg") ;;
  esac
done

say() { printf '\n=== %s\n' "$*"; }

if [ ! -f pkg/dist/browser.js ] || [ ! -f pkg/dist/node.mjs ] || [ ! -f pkg/dist/node.cjs ]; then
  say "pkg/dist is missing: running scripts/build.sh"
  bash scripts/build.sh
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/oidckit-test-js.XXXXXX")"
cleanup() { rm -rf "$WORK"; }
trap cleanup EXIT

# ---------------------------------------------------------------------------------------------
say "pack ./pkg"
TARBALL_NAME="$(npm pack "${OIDCKIT_PKG_SRC:-./pkg}" --pack-destination "$WORK" --silent 2>/dev/null | tail -n 1)"
TARBALL="$WORK/$TARBALL_NAME"
[ -f "$TARBALL" ] || { echo "npm pack did not produce a tarball ($TARBALL_NAME)" >&2; exit 1; }
echo "tarball: $TARBALL_NAME ($(du -h "$TARBALL" | cut -f1))"
tar -tzf "$TARBALL" | sed 's/^/  /'

dep_version() {
  node -e "const p=require(process.argv[1]);const d={...p.dependencies,...p.devDependencies};process.stdout.write(d[process.argv[2]]||'')" \
    "$ROOT/package.json" "$1"
}
JOSE_V="$(dep_version jose)"; JOSE_V="${JOSE_V:-^6}"
PW_V="$(dep_version playwright-core)"; PW_V="${PW_V:-^1}"
TS_V="$(dep_version typescript)"; TS_V="${TS_V:-latest}"
OP_V="$(dep_version oidc-provider)"; OP_V="${OP_V:-^9}"
OC_V="$(dep_version openid-client)"; OC_V="${OC_V:-^6}"

say "install oidckit (tarball) + jose@$JOSE_V playwright-core@$PW_V typescript@$TS_V oidc-provider@$OP_V openid-client@$OC_V into $WORK"
cat > "$WORK/package.json" <<'JSON'
{ "name": "oidckit-test-consumer", "version": "0.0.0", "private": true }
JSON
(
  cd "$WORK"
  npm install --no-audit --no-fund --prefer-offline --loglevel=error \
    "./$TARBALL_NAME" "jose@$JOSE_V" "playwright-core@$PW_V" "typescript@$TS_V" "oidc-provider@$OP_V" \
    "openid-client@$OC_V"
)
INSTALLED="$WORK/node_modules/oidckit"
[ -f "$INSTALLED/package.json" ] || { echo "oidckit was not installed by name" >&2; exit 1; }
echo "installed: $(node -p "require('$INSTALLED/package.json').name + '@' + require('$INSTALLED/package.json').version")"

# The tests are copied next to that install so that `import 'oidckit'` resolves to it (and
# nothing from the repository's own node_modules or pkg/ can leak in).
cp -R "$ROOT/tests/js" "$WORK/js"
cp -R "$ROOT/tests/types" "$WORK/types"
cp -R "$ROOT/tests/browser" "$WORK/browser"
export OIDCKIT_REPO_ROOT="$ROOT"

# The dev OpenID Provider binary (issue 4) for tests/js/devserver*.
if [ -n "${OIDCKIT_SERVER_BIN:-}" ]; then
  case "$OIDCKIT_SERVER_BIN" in /*) ;; *) OIDCKIT_SERVER_BIN="$CALLER_PWD/$OIDCKIT_SERVER_BIN" ;; esac
else
  OIDCKIT_SERVER_BIN="$ROOT/target/debug/oidckit-server"
  if [ ! -x "$OIDCKIT_SERVER_BIN" ]; then
    say "target/debug/oidckit-server is missing: cargo build -p oidckit-server"
    cargo build -p oidckit-server
  elif [ -n "$(find "$ROOT/server" "$ROOT/src" "$ROOT/Cargo.toml" "$ROOT/Cargo.lock" -newer "$OIDCKIT_SERVER_BIN" -type f -print -quit 2>/dev/null)" ]; then
    say "target/debug/oidckit-server is older than its sources: cargo build -p oidckit-server"
    cargo build -p oidckit-server
  fi
fi
[ -x "$OIDCKIT_SERVER_BIN" ] || { echo "oidckit-server binary not found at $OIDCKIT_SERVER_BIN" >&2; exit 1; }
echo "oidckit-server: $OIDCKIT_SERVER_BIN"
export OIDCKIT_SERVER_BIN

STATUS=0
NODE_PASS=0; NODE_FAIL=0; NODE_SKIP=0

# ---------------------------------------------------------------------------------------------
say "node --test (tests/js against the installed package)"
(cd "$WORK" && node -e "
  const r = require.resolve('oidckit');
  if (!r.startsWith(process.cwd() + '/node_modules/oidckit/')) { console.error('oidckit resolves to ' + r); process.exit(1); }
  console.log('require.resolve(\"oidckit\") = ' + r);
") || STATUS=1

mapfile -t TEST_FILES < <(cd "$WORK" && ls js/*.test.mjs js/*.test.cjs 2>/dev/null | sort)
if [ "${#TEST_FILES[@]}" -eq 0 ]; then
  echo "no test files found in tests/js" >&2
  STATUS=1
else
  set +e
  (cd "$WORK" && node --test --test-reporter=spec "${NODE_ARGS[@]}" "${TEST_FILES[@]}") 2>&1 | tee "$WORK/node-test.log"
  NODE_RC=${PIPESTATUS[0]}
  set -e
  count() { sed -n "s/^ℹ $1 \([0-9]\+\)$/\1/p" "$WORK/node-test.log" | tail -n 1; }
  NODE_PASS="$(count pass)"; NODE_PASS="${NODE_PASS:-0}"
  NODE_FAIL="$(count fail)"; NODE_FAIL="${NODE_FAIL:-0}"
  NODE_SKIP="$(count skipped)"; NODE_SKIP="${NODE_SKIP:-0}"
  if [ "$NODE_RC" -ne 0 ] || [ "$NODE_PASS" -eq 0 ]; then STATUS=1; fi
fi

# ---------------------------------------------------------------------------------------------
TYPES_RESULT="skipped"
if [ "$RUN_TYPES" -eq 1 ]; then
  say "tsc --strict (tests/types against the installed package's types)"
  if (cd "$WORK" && ./node_modules/.bin/tsc --version && \
      ./node_modules/.bin/tsc -p types/tsconfig.json --strict --module nodenext --noEmit); then
    TYPES_RESULT="passed"; echo "tsc: ok"
  else
    TYPES_RESULT="failed"; STATUS=1
  fi
fi

# ---------------------------------------------------------------------------------------------
BROWSER_RESULT="skipped"
if [ "$RUN_BROWSER" -eq 1 ]; then
  say "browser smoke test (Chromium via playwright-core)"
  CHROMIUM_PATH="${CHROMIUM_PATH:-/usr/bin/chromium}"
  if [ ! -x "$CHROMIUM_PATH" ] && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Chromium missing: installing Debian's chromium package"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
      || echo "apt-get install chromium failed"
  fi
  set +e
  (cd "$WORK" && CHROMIUM_PATH="$CHROMIUM_PATH" OIDCKIT_PKG_DIR="$INSTALLED" node browser/smoke.mjs) 2>&1 | tee "$WORK/browser.log"
  BROWSER_RC=${PIPESTATUS[0]}
  set -e
  if [ "$BROWSER_RC" -ne 0 ]; then BROWSER_RESULT="failed"; STATUS=1
  elif grep -q 'SKIPPED' "$WORK/browser.log"; then BROWSER_RESULT="skipped (no Chromium)"
  else BROWSER_RESULT="passed"; fi
fi

# ---------------------------------------------------------------------------------------------
say "summary"
echo "node --test: ${NODE_PASS} passed, ${NODE_FAIL} failed, ${NODE_SKIP} skipped"
echo "tsc: ${TYPES_RESULT}"
echo "browser: ${BROWSER_RESULT}"
TOTAL_PASS=$NODE_PASS; TOTAL_FAIL=$NODE_FAIL; TOTAL_SKIP=$NODE_SKIP
case "$TYPES_RESULT" in passed) TOTAL_PASS=$((TOTAL_PASS + 1)) ;; failed) TOTAL_FAIL=$((TOTAL_FAIL + 1)) ;; *) TOTAL_SKIP=$((TOTAL_SKIP + 1)) ;; esac
case "$BROWSER_RESULT" in passed) TOTAL_PASS=$((TOTAL_PASS + 1)) ;; failed) TOTAL_FAIL=$((TOTAL_FAIL + 1)) ;; *) TOTAL_SKIP=$((TOTAL_SKIP + 1)) ;; esac
if [ "$STATUS" -ne 0 ] && [ "$TOTAL_FAIL" -eq 0 ]; then TOTAL_FAIL=1; fi
echo "js: ${TOTAL_PASS} passed, ${TOTAL_FAIL} failed, ${TOTAL_SKIP} skipped"
exit "$STATUS"
