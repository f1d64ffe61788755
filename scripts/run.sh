#!/usr/bin/env bash
# The main job: build the npm package (pkg/dist/), build the dev OpenID Provider in release, and
# start it in the foreground on http://127.0.0.1:8080 with the embedded default configuration
# (demo clients and users), serving the demo relying party at /www/ and the package at /pkg/.
# Ctrl-C stops it. State persists in ./oidckit-data (delete it to start afresh).
#
#   bash scripts/run.sh                    # extra arguments go to oidckit-server:
#   bash scripts/run.sh --port 9000 --https
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

bash scripts/build.sh

# The workspace's release profile (fat LTO, one codegen unit) is tuned for the .wasm; the dev
# server does not need it, and builds in a fraction of the time without.
printf '\n== cargo build --release -p oidckit-server\n'
CARGO_PROFILE_RELEASE_LTO=off CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
  cargo build --release -p oidckit-server

printf '\n== starting the dev server (Ctrl-C stops it)\n'
printf 'Open http://127.0.0.1:8080/www/ for the demo app, http://127.0.0.1:8080/admin for the admin page\n'
printf '(another --port changes both URLs; the banner below prints the exact ones).\n\n'
exec "$root/target/release/oidckit-server" \
  --www-dir "$root/www" --pkg-dir "$root/pkg" --data-dir "$root/oidckit-data" "$@"
