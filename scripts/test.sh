#!/usr/bin/env bash
# The whole test suite: install the Debian peers the tests need, lint, type-check and build, then run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-test-peers.sh
# librdkafka >= 2.10 for the KIP-848 tests, built from node-rdkafka's sources (minutes on a fresh machine).
bash scripts/install-kip848-client.sh || echo "KIP-848 client unavailable; test/e2e/kip848 will skip" >&2
# etcd for the cluster metadata tests (skipped with a message when it cannot be installed).
bash scripts/install-etcd.sh || echo "etcd unavailable; test/cluster/etcd will skip" >&2
# C toolchain, librdkafka-dev, Redis and NATS for the benchmark smoke test.
bash scripts/install-bench-peers.sh || echo "bench peers unavailable; test/bench will skip" >&2
npx biome check .
npx tsc -p tsconfig.json
node dist/scripts/import-rules/check-imports.js
node --test --test-concurrency=2 $(find dist/test -name '*.test.js' | sort)
