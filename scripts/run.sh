#!/usr/bin/env bash
# The main job: build the npm package, then run a short example that uses it as a user would
# (sign and verify with several algorithms). The dev server (a later issue) will start here.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
node examples/sign-verify.mjs
