#!/usr/bin/env bash
# Installs what PoolDetector needs beside the .NET SDK: libpcap, the native capture
# library SharpPcap loads at run time. Debian and derivatives; does nothing when present.
set -euo pipefail

need=()
if ! ldconfig -p 2>/dev/null | grep -q 'libpcap\.so'; then
  need+=(libpcap0.8)
fi
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-dependencies: please install ${need[*]} (libpcap) with your package manager" >&2
  exit 2
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
echo "install-dependencies: installing ${need[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
