#!/usr/bin/env bash
# Installs node-rdkafka 3.6.1 (bundled librdkafka 2.12, which speaks KIP-848 group.protocol=consumer) for
# test/e2e/kip848. It is built from the package's own source with node-gyp (about 3 minutes, no downloads)
# into node_modules/.cache/kip848-client, apart from the project's own node_modules so that neither npm
# tree prunes the other. Idempotent: does nothing when a working build is already there.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${KIP848_CLIENT_DIR:-$PWD/node_modules/.cache/kip848-client}"
version=3.6.1
check() {
  (cd "$dir" && node -e "
    const k = require('node-rdkafka');
    if (require('node-rdkafka/package.json').version.replace(/^v/, '') !== '$version') process.exit(1);
    const [maj, min] = k.librdkafkaVersion.split('.').map(Number);
    if (maj < 2 || (maj === 2 && min < 10)) process.exit(1);
  ") >/dev/null 2>&1
}
if check; then exit 0; fi
mkdir -p "$dir"
# node-gyp takes Node's headers from the running installation instead of downloading them.
nodedir="$(dirname "$(dirname "$(command -v node)")")"
if [ -f "$nodedir/include/node/node.h" ]; then export npm_config_nodedir="$nodedir"; fi
(cd "$dir" && [ -f package.json ] || echo '{"name":"kip848-client","private":true}' > "$dir/package.json")
(cd "$dir" && npm install --no-save --no-audit --no-fund --loglevel=error "node-rdkafka@$version") >&2
check || { echo "node-rdkafka $version did not load after install" >&2; exit 1; }
