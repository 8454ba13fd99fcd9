#!/usr/bin/env bash
# Installs what PoolDetector needs beside the .NET SDK: libpcap, the native capture
# library SharpPcap loads at run time. With --build also clang and zlib1g-dev, which
# `dotnet publish` needs to link the native executable (Native AOT). Debian and
# derivatives; does nothing when present.
#
#   scripts/install-dependencies.sh [--build]
set -euo pipefail

build=0
case "${1:-}" in
  --build) build=1 ;;
  "") ;;
  *) echo "install-dependencies: unknown option $1 (only --build)" >&2; exit 2 ;;
esac

need=()
if ! ldconfig -p 2>/dev/null | grep -q 'libpcap\.so'; then
  need+=(libpcap0.8)
fi
if [ "$build" -eq 1 ]; then
  command -v clang >/dev/null 2>&1 || need+=(clang)
  # The linker's -lz: the static runtime compresses with zlib.
  [ -e /usr/include/zlib.h ] || need+=(zlib1g-dev)
fi
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-dependencies: please install ${need[*]} with your package manager" >&2
  exit 2
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
echo "install-dependencies: installing ${need[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
