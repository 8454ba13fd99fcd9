#!/usr/bin/env bash
# Coverage-guided fuzzing of every parser (issue 8): afl-fuzz (Debian's afl++) drives the
# harness fuzz/PoolDetector.Fuzz through SharpFuzz, with PoolDetector.Core, the CLI and YamlDotNet
# instrumented by the sharpfuzz tool. Installs what is missing, builds, instruments, seeds each
# target from pcaps/, ../shared/pcaps (read in place, never copied into the repository) and rules/,
# fuzzes each target for a bounded time, two at a time on two cores, and fails on any crash.
#
#   fuzz/run.sh [--seconds N] [--target T]... [--jobs J] [--max-seeds M]
#
#   --seconds N   fuzzing time per target after its start-up (default 60: CI's budget)
#   --target T    only this target (repeatable); default all: decoder engine tcp stratum http
#                 tls dns dhcp rules intel pcap reader
#   --jobs J      targets fuzzed at once (default: the number of cores)
#
# Crashing and hanging inputs are copied to fuzz/findings/TARGET/,
# each replayed once with its exception printed. Keep a crash as a regression test by copying
# it into tests/PoolDetector.Tests/Fuzz/Regressions/TARGET/ once src/ is fixed.
# Last line: "fuzz: N passed, N failed" (targets without and with crashes).
set -euo pipefail
shopt -s nullglob
cd "$(dirname "$0")/.."

seconds=60
jobs=$(nproc)
max_seeds=48
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --target) targets+=("$2"); shift 2 ;;
    --jobs) jobs="$2"; shift 2 ;;
    --max-seeds) max_seeds="$2"; shift 2 ;;
    -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "fuzz/run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ ${#targets[@]} -gt 0 ] || targets=(decoder engine tcp stratum http tls dns dhcp rules intel pcap reader)

root=$(pwd)
out="$root/fuzz/out"
findings="$root/fuzz/findings"
tools="$root/fuzz/.tools"
bin="$out/bin"
harness=("$(command -v dotnet)" "$bin/PoolDetector.Fuzz.dll")
started=$(date +%s)

# --- What is missing: libpcap, afl-fuzz (Debian's afl++), the sharpfuzz tool (a local tool path) ---
scripts/install-dependencies.sh
if ! command -v afl-fuzz >/dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "fuzz: installing afl++" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq afl++ >/dev/null
fi
sharpfuzz_version=2.3.0
if [ ! -x "$tools/sharpfuzz" ] || ! dotnet tool list --tool-path "$tools" | grep -q "sharpfuzz.commandline *$sharpfuzz_version"; then
  rm -rf "$tools"
  dotnet tool install SharpFuzz.CommandLine --version "$sharpfuzz_version" --tool-path "$tools" >/dev/null
fi

# --- Build into a folder of its own and instrument there: the solution's own build stays clean ---
# Each run starts afresh: findings are this run's, not an earlier one's.
rm -rf "$out" "$findings"
mkdir -p "$out/work" "$findings"
dotnet publish fuzz/PoolDetector.Fuzz -c Release -o "$bin" --nologo -v quiet
# Core holds every parser; the CLI reads capture files; YamlDotNet parses the rule files, so
# its branches guide the rules target through YAML syntax. libpcap is native: the pcap target
# is guided only by the managed code around it, but a crash inside libpcap is still caught.
for assembly in PoolDetector.Core.dll pooldetector.dll YamlDotNet.dll; do
  "$tools/sharpfuzz" "$bin/$assembly" >/dev/null
done

# --- Seeds: real traffic and the real rule files, cut to what each target reads ---
capture_dirs=(pcaps)
[ -d ../shared/pcaps ] && capture_dirs+=("$(cd ../shared/pcaps && pwd)")
for target in "${targets[@]}"; do
  "${harness[@]}" seed "$target" "$out/seeds/$target" "$max_seeds" "${capture_dirs[@]}"
done

# afl-fuzz runs `dotnet`, which is not instrumented itself (SharpFuzz's fork server reports
# the coverage); no core dumps or CPU governor to ask for in a container; no screen in CI.
export AFL_SKIP_BIN_CHECK=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_SKIP_CPUFREQ=1
export AFL_NO_UI=1 AFL_NO_AFFINITY=1 AFL_FAST_CAL=1
dictionaries=/usr/share/afl/dictionaries

fuzz_one() {
  local target=$1 work="$out/work/$target" log="$out/$target.log" dict=()
  case "$target" in
    stratum) [ -f "$dictionaries/json.dict" ] && dict=(-x "$dictionaries/json.dict") ;;
    http) [ -f "$dictionaries/http.dict" ] && dict=(-x "$dictionaries/http.dict") ;;
    rules) [ -f "$dictionaries/yaml.dict" ] && dict=(-x "$dictionaries/yaml.dict") ;;
    pcap|reader) [ -f "$dictionaries/pcap.dict" ] && dict=(-x "$dictionaries/pcap.dict") ;;
  esac
  # -t 5000: an input is a hang after 5 s (the JIT compiles new paths on first use). Not
  # "5000+": that makes afl-fuzz compute a timeout from the seeds' speed with 5 s only as its
  # ceiling (20 ms for the fast targets), and SharpFuzz's out-of-process server reports a child
  # killed on timeout as its crash status 2, which afl-fuzz saves as a crash "sig:02" that does
  # not happen again on replay. -V: stop after the budget; timeout: a last resort should
  # afl-fuzz hang in its start-up.
  POOLDETECTOR_FUZZ_CRASH_LOG="$out/$target-exceptions.log" timeout --signal=INT --kill-after=30 $((seconds + 180)) \
    afl-fuzz -i "$out/seeds/$target" -o "$work" -t 5000 -m none -V "$seconds" "${dict[@]}" \
      -- "${harness[@]}" "$target" >"$log" 2>&1 || echo "fuzz: afl-fuzz for $target exited with $? (see below)" >>"$log"
}

running=0
for target in "${targets[@]}"; do
  # A seed that already crashes is a finding, and would stop afl-fuzz in its dry run.
  if ! "${harness[@]}" replay "$target" "$out/seeds/$target"/* >"$out/$target-seeds.log" 2>&1; then
    mkdir -p "$findings/$target"
    sed -n 's/^CRASH  //p' "$out/$target-seeds.log" | while read -r seed; do
      mv "$seed" "$findings/$target/seed-$(basename "$seed")"
    done
    grep -v '^ok ' "$out/$target-seeds.log" | head -60 >&2
  fi
  echo "fuzz: $target for ${seconds}s ($(ls "$out/seeds/$target" | wc -l) seeds)"
  fuzz_one "$target" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then
    wait -n || true
    running=$((running - 1))
  fi
done
wait || true

# --- Results: what each target did, and every crash copied out and replayed ---
field() { grep -E "^$2 *:" "$1" 2>/dev/null | sed 's/.*: *//' | head -1; }
passed=0
failed=0
printf '%-8s %10s %9s %8s %6s %7s %6s\n' target execs execs/s corpus cover crashes hangs
for target in "${targets[@]}"; do
  stats="$out/work/$target/default/fuzzer_stats"
  crashes=()
  hangs=()
  if [ -d "$out/work/$target/default/crashes" ]; then
    mapfile -t crashes < <(find "$out/work/$target/default/crashes" -name 'id:*' -type f | sort)
  fi
  if [ -d "$out/work/$target/default/hangs" ]; then
    mapfile -t hangs < <(find "$out/work/$target/default/hangs" -name 'id:*' -type f | sort)
  fi
  seed_crashes=("$findings/$target"/seed-*)
  printf '%-8s %10s %9s %8s %6s %7s %6s\n' "$target" "$(field "$stats" execs_done)" "$(field "$stats" execs_per_sec)" \
    "$(field "$stats" corpus_count)" "$(field "$stats" bitmap_cvg)" $(( ${#crashes[@]} + ${#seed_crashes[@]} )) "${#hangs[@]}"
  if [ ! -f "$stats" ]; then
    echo "fuzz: $target did not start; its log:" >&2
    tail -30 "$out/$target.log" >&2
    failed=$((failed + 1))
    continue
  fi
  # A crash or hang counts when it happens again on replay, in a process of its own (a stack
  # overflow ends the process). One that does not (the fuzzing child died of something else, or
  # a JIT pause passed 5 s) is kept in unreproduced/ with the exceptions the harness logged, and
  # reported without failing. The replay is bounded: an input still running after 60 s hangs.
  reproduced=${#seed_crashes[@]}
  for input in "${crashes[@]}" "${hangs[@]}"; do
    mkdir -p "$findings/$target"
    name="$(basename "$(dirname "$input")")-$(basename "$input")"   # crashes-id:… or hangs-id:…
    status=0
    timeout --kill-after=10 60 "${harness[@]}" replay "$target" "$input" >"$out/replay.log" 2>&1 || status=$?
    if [ "$status" -eq 0 ]; then
      mkdir -p "$findings/$target/unreproduced"
      cp "$input" "$findings/$target/unreproduced/$name"
      echo "fuzz: $target: $name ran cleanly on replay (kept in unreproduced/)" >&2
    elif [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
      cp "$input" "$findings/$target/$name"
      reproduced=$((reproduced + 1))
      echo "fuzz: $target: $name still ran after 60 s on replay: a hang" >&2
    else
      cp "$input" "$findings/$target/$name"
      reproduced=$((reproduced + 1))
      head -40 "$out/replay.log" >&2
    fi
  done
  if [ -f "$out/$target-exceptions.log" ]; then
    cp "$out/$target-exceptions.log" "$findings/$target/exceptions.log"
  fi
  if [ "$reproduced" -eq 0 ]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "fuzz: $target crashed on $reproduced input(s), in $findings/$target/" >&2
  fi
done
echo "fuzz: $(( $(date +%s) - started ))s in all; findings (if any) in $findings"
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
