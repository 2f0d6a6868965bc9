#!/usr/bin/env bash
# Installs etcd (Debian etcd-server + etcd-client) for the etcd MetadataStore tests when it is missing.
# Installing never starts it: tests spawn their own etcd on loopback ports with a temp data dir.
set -euo pipefail
if command -v etcd >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" -ne 0 ]; then echo "etcd is missing (run as root to install etcd-server)" >&2; exit 1; fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
# Without systemd the package cannot start its own service, so installing leaves no etcd running.
apt-get install -y -qq etcd-server etcd-client >/dev/null
