#!/usr/bin/env bash
# The whole test suite: install the Debian peers the tests need, lint, type-check and build, then run every test.
# Under CI=true every test peer is mandatory: a peer that cannot be installed stops the run here, naming it, and
# a test that finds a peer missing fails instead of skipping (test/helpers/test-peers.ts). Elsewhere a missing
# optional peer only skips the tests that need it, and each skip says why.
set -euo pipefail
cd "$(dirname "$0")/.."

ci=false
case "${CI:-}" in true | TRUE | True | 1) ci=true ;; esac

# install_peer <what> <script> <tests that need it>
install_peer() {
  if bash "$2"; then return 0; fi
  if [ "$ci" = true ]; then
    echo "test peer missing: $1 ($2 failed); CI=true requires it for $3" >&2
    exit 1
  fi
  echo "test peer missing: $1 ($2 failed); $3 will skip" >&2
}

# kcat, python3-confluent-kafka and prometheus (promtool): e2e and admin tests need them; their install is fatal everywhere.
bash scripts/install-test-peers.sh || { echo "test peers missing: kcat / python3-confluent-kafka / prometheus (scripts/install-test-peers.sh failed)" >&2; exit 1; }
# librdkafka >= 2.10 for the KIP-848 tests, built from node-rdkafka's sources (minutes on a fresh machine).
install_peer "KIP-848 client (node-rdkafka, librdkafka >= 2.10)" scripts/install-kip848-client.sh test/e2e/kip848
# etcd for the cluster metadata tests.
install_peer etcd scripts/install-etcd.sh "test/cluster/etcd and test/e2e/cluster"
# C toolchain, librdkafka-dev, Redis and NATS for the benchmark smoke test.
install_peer "bench peers (C toolchain, librdkafka-dev, hiredis, NATS C client, Redis, NATS)" \
  scripts/install-bench-peers.sh test/bench
# Node.js 22 and 24 from the npm registry's `node` package: the native-module test loads the native
# dependencies under each, and the suite runs a second time under Node 24 below.
# runtime_missing <major> <what skips>
runtime_missing() {
  if [ "$ci" = true ]; then
    echo "test peer missing: Node.js $1 (scripts/install-node-runtime.sh $1 failed); CI=true requires it for $2" >&2
    exit 1
  fi
  echo "test peer missing: Node.js $1 (scripts/install-node-runtime.sh $1 failed); $2 will skip" >&2
}
node24=$(bash scripts/install-node-runtime.sh 24) || { runtime_missing 24 "the Node 24 run"; node24=""; }
bash scripts/install-node-runtime.sh 22 >/dev/null || runtime_missing 22 test/packaging/native-modules
npx biome check .
npx tsc -p tsconfig.json
node dist/scripts/import-rules/check-imports.js
node --test --test-concurrency=2 $(find dist/test -name '*.test.js' | sort)
# The same build under Node 24, the current LTS: the whole suite again (the brokers the tests spawn run on
# Node 24 too), less the benchmark smoke test, whose C drivers and peers do not depend on Node, and the
# KIP-848 test, whose node-rdkafka addon is compiled against the system Node's ABI (not N-API).
if [ -n "$node24" ]; then
  echo "== under $("$node24" --version) =="
  "$node24" --test --test-concurrency=2 \
    $(find dist/test -name '*.test.js' -not -path 'dist/test/bench/*' -not -path 'dist/test/e2e/kip848/*' | sort)
fi
