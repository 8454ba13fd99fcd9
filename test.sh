#!/usr/bin/env bash
# Runs the whole test suite: installs what is missing (libpcap; for the end-to-end tests
# prometheus, tcpreplay, iproute2 and the npm Stratum packages), builds, runs every test project.
set -euo pipefail
cd "$(dirname "$0")"
scripts/install-dependencies.sh --build
scripts/install-test-dependencies.sh
dotnet test PoolDetector.sln -c Release --nologo "$@"
