#!/usr/bin/env bash
# Installs what `npm run bench` needs from Debian when missing: a C compiler and pkg-config, the client
# libraries its C load drivers link (librdkafka, hiredis, NATS C client) and the peer servers (Redis, NATS).
set -euo pipefail
need=()
command -v cc >/dev/null 2>&1 || need+=(gcc)
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
pkg-config --exists rdkafka 2>/dev/null || need+=(librdkafka-dev)
pkg-config --exists hiredis 2>/dev/null || need+=(libhiredis-dev)
pkg-config --exists libnats 2>/dev/null || need+=(libnats-dev)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v nats-server >/dev/null 2>&1 || need+=(nats-server)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then echo "missing bench peers: ${need[*]} (run as root to install)" >&2; exit 1; fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
