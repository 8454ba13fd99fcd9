#!/usr/bin/env bash
# Runs the whole test suite: installs what is missing, builds, runs every test project.
set -euo pipefail
cd "$(dirname "$0")"
scripts/install-dependencies.sh
dotnet test PoolDetector.sln -c Release --nologo "$@"
