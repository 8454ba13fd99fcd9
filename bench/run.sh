#!/usr/bin/env bash
# The throughput benchmark (issue 7), end to end: installs what is missing, builds the Release
# executables, generates bench/out/campus.pcap when it is not there yet, runs tcpdump, nDPI and
# pooldetector on it one after another, prints the table and writes bench/out/results.json.
# With --live (root): replays the capture with tcpreplay into the daemon on a veth pair in a
# network namespace, rate after rate, and writes bench/out/results-live.json.
#
#   bench/run.sh [--packets N] [--seed S] [--repeat R] [--workers N]...
#   bench/run.sh --live [--packets N] [--seed S] [--repeat R] [--rates LIST] [--bisect N] [--setting KEY=VALUE]...
#
# Other sizes and seeds get a capture of their own, bench/out/campus-N-sS.pcap.
set -euo pipefail
cd "$(dirname "$0")/.."

packets=1000000
seed=1
repeat=""
live=0
live_args=()
offline_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --packets) packets="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --repeat) repeat="$2"; shift 2 ;;
    --live) live=1; shift ;;
    --rates|--bisect|--setting) live_args+=("$1" "$2"); shift 2 ;;
    --workers) offline_args+=("$1" "$2"); shift 2 ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench/run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
if [ ${#offline_args[@]} -gt 0 ] && [ "$live" -eq 1 ]; then
  echo "bench/run.sh: --workers is an option of the offline comparison" >&2
  exit 2
fi
if [ ${#live_args[@]} -gt 0 ] && [ "$live" -eq 0 ]; then
  echo "bench/run.sh: ${live_args[0]} is an option of --live" >&2
  exit 2
fi
# Before anything is installed or built: the live mode creates a network namespace and a veth
# pair, and the daemon captures live.
if [ "$live" -eq 1 ] && [ "$(id -u)" -ne 0 ]; then
  echo "bench/run.sh: --live needs root (a network namespace, a veth pair, live capture): sudo bench/run.sh --live" >&2
  exit 2
fi

# What the comparison runs besides .NET: GNU time (measures each tool), tcpdump, nDPI; the live
# mode tcpreplay and ip (iproute2) instead of tcpdump and nDPI.
need=()
[ -x /usr/bin/time ] || need+=(time)
if [ "$live" -eq 1 ]; then
  command -v tcpreplay >/dev/null 2>&1 || need+=(tcpreplay)
  command -v ip >/dev/null 2>&1 || need+=(iproute2)
else
  command -v tcpdump >/dev/null 2>&1 || need+=(tcpdump)
  command -v ndpiReader >/dev/null 2>&1 || need+=(libndpi-bin)
fi
if [ ${#need[@]} -gt 0 ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  echo "bench/run.sh: installing ${need[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi
scripts/install-dependencies.sh --build

# pooldetector as the README deploys it: published as one native executable (Native AOT, set in
# the project), so no run spends time starting a runtime or compiling the engine.
rm -rf bench/out/pooldetector
dotnet publish src/PoolDetector/PoolDetector.csproj -c Release -r linux-x64 --nologo -v quiet -o bench/out/pooldetector
dotnet build bench/PoolDetector.Bench/PoolDetector.Bench.csproj -c Release --nologo -v quiet
bench="dotnet bench/PoolDetector.Bench/bin/Release/net10.0/pooldetector-bench.dll"

mkdir -p bench/out
capture=bench/out/campus.pcap
if [ "$packets" != 1000000 ] || [ "$seed" != 1 ]; then
  capture="bench/out/campus-$packets-s$seed.pcap"
fi
if [ ! -f "$capture" ] || [ ! -f "${capture%.pcap}.truth.csv" ]; then
  $bench generate --packets "$packets" --seed "$seed" --output "$capture"
fi

repeat_args=()
[ -z "$repeat" ] || repeat_args=(--repeat "$repeat")
if [ "$live" -eq 1 ]; then
  $bench run --mode live --capture "$capture" "${repeat_args[@]}" "${live_args[@]}" \
    --pooldetector bench/out/pooldetector/pooldetector --results bench/out/results-live.json
else
  $bench run --capture "$capture" "${repeat_args[@]}" "${offline_args[@]}" \
    --pooldetector bench/out/pooldetector/pooldetector --results bench/out/results.json
fi
