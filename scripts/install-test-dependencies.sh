#!/usr/bin/env bash
# Installs what the end-to-end tests need beside scripts/install-dependencies.sh:
#   prometheus   the real Prometheus server the daemon test starts (its own instance, on a
#                free port with a temporary data folder; the package's own service is
#                kept from starting and disabled, so nothing is left listening on :9090),
#                and promtool, which checks and unit-tests deploy/prometheus/
#   tcpreplay    replays the project's captures onto a veth in a test network namespace
#   iproute2     `ip netns` / `ip link` for that namespace
#   chromium     renders the HTML report headless (its DOM and a screenshot are checked);
#                fonts-dejavu-core so the screenshot has text where no font is installed
#   node, npm    run the third-party Stratum server and client of pcaps/recording
#   rsyslog      the real syslog receiver the output tests start (their own rsyslogd, own
#                configuration, loopback high ports); the package's service is not started here
#   python3      starts the published daemon with memory-deny-write-execute (prctl
#                PR_SET_MDWE), as the systemd unit's MemoryDenyWriteExecute=yes does
#   npm ci       in pcaps/recording, only when node_modules is missing or older than the lock
# Debian and derivatives; idempotent and quiet: does nothing when everything is present.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v prometheus >/dev/null 2>&1 || [ -x /usr/bin/prometheus ] || need+=(prometheus)
command -v promtool >/dev/null 2>&1 || [ -x /usr/bin/promtool ] || [[ " ${need[*]} " == *" prometheus "* ]] || need+=(prometheus)
command -v tcpreplay >/dev/null 2>&1 || need+=(tcpreplay)
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)
command -v node >/dev/null 2>&1 || need+=(nodejs)
command -v npm >/dev/null 2>&1 || need+=(npm)
command -v rsyslogd >/dev/null 2>&1 || [ -x /usr/sbin/rsyslogd ] || need+=(rsyslog)
command -v python3 >/dev/null 2>&1 || need+=(python3)

if [ ${#need[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-test-dependencies: please install ${need[*]} with your package manager" >&2
    exit 2
  fi
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    sudo="sudo"
  fi
  echo "install-test-dependencies: installing ${need[*]}" >&2

  # Keep the packages' services (prometheus, rsyslog) from starting while they are installed:
  # a policy-rc.d that says "no" (exit 101), only if the machine has none of its own.
  policy=/usr/sbin/policy-rc.d
  made_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# temporary, by PoolDetector install-test-dependencies.sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
    $sudo chmod 755 "$policy"
    made_policy=1
  fi
  remove_policy() { if [ "$made_policy" -eq 1 ]; then $sudo rm -f "$policy"; fi; }
  trap remove_policy EXIT

  log=$(mktemp)
  if ! { $sudo apt-get update -qq &&
         DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}"; } >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    exit 1
  fi
  rm -f "$log"

  if [[ " ${need[*]} " == *" prometheus "* ]]; then
    # The tests start their own Prometheus: the system one must not run now or at boot.
    if [ -d /run/systemd/system ]; then
      $sudo systemctl disable --now prometheus >/dev/null 2>&1 || true
    else
      $sudo service prometheus stop >/dev/null 2>&1 || true
      $sudo update-rc.d prometheus disable >/dev/null 2>&1 || true
    fi
  fi
fi

# The npm packages `stratum` (server) and `stratum-client` (miner), pinned by the lock file.
recording=pcaps/recording
stamp=$recording/node_modules/.pooldetector-lock.sha256
want=$(sha256sum "$recording/package-lock.json" "$recording/package.json" | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "install-test-dependencies: npm ci in $recording" >&2
  (cd "$recording" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  echo "$want" >"$stamp"
fi
