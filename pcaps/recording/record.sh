#!/usr/bin/env bash
# Records PoolDetector's loopback captures from real third-party implementations:
#   stratum-v1-npm.pcap        Stratum V1, IPv4 127.0.0.1, tcpdump -i lo   (Ethernet, zero MACs)
#   stratum-v1-npm-ipv6.pcap   Stratum V1, IPv6 ::1,       tcpdump -i lo   (Ethernet, zero MACs)
#   stratum-v1-npm-sll.pcap    Stratum V1, IPv4, tcpdump -i any -y LINUX_SLL  (Linux cooked v1)
#   stratum-v1-npm-sll2.pcap   Stratum V1, IPv4, tcpdump -i any -y LINUX_SLL2 (Linux cooked v2)
#   jsonrpc-clean.pcap         jayson JSON-RPC 2.0 over TCP (port 3333) and HTTP (port 8545)
#   stratum-v2-shape.pcap      Stratum V2 handshake and record sizes from our own script
#                              (sv2-shape.js, random handshake bytes), plus a 64-byte look-alike
# Traffic stays on loopback. Needs root (tcpdump), node and npm.
# Usage: sudo pcaps/recording/record.sh [OUTDIR [CAPTURE...]]   (OUTDIR defaults to pcaps/)
#   CAPTURE names which to record: stratum-v1-npm, stratum-v1-npm-ipv6, stratum-v1-npm-sll,
#   stratum-v1-npm-sll2, jsonrpc-clean, stratum-v2-shape (default: all of them). Recording
#   one file again leaves the others, their rows and their golden files untouched.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
OUT=$(cd "${1:-$HERE/..}" && pwd)
shift || true
ALL_CAPTURES=(stratum-v1-npm stratum-v1-npm-ipv6 stratum-v1-npm-sll stratum-v1-npm-sll2 jsonrpc-clean stratum-v2-shape)
SELECTED=("$@")
[ ${#SELECTED[@]} -gt 0 ] || SELECTED=("${ALL_CAPTURES[@]}")
for c in "${SELECTED[@]}"; do
    if [[ " ${ALL_CAPTURES[*]} " != *" $c "* ]]; then
        echo "record.sh: unknown capture '$c' (one of: ${ALL_CAPTURES[*]})" >&2
        exit 2
    fi
done
STRATUM_PORT=47333          # deliberately not a well-known pool port
JSONRPC_TCP_PORT=3333       # deliberately the classic pool port: ports are priors, not proof
JSONRPC_HTTP_PORT=8545      # the usual Ethereum node RPC port
SV2_PORT=47334              # Stratum V2 shape: in no pool list either
SV2_NEGATIVE_PORT=47335     # the 64-byte look-alike that must stay clean
WORK=$(mktemp -d)
PIDS=()
RECORDED=()                 # file names recorded by this run

cleanup() {
    # Only the processes this script started, by pid.
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

cd "$HERE"
if [ -f package-lock.json ]; then
    npm ci --no-audit --no-fund
else
    npm install --no-audit --no-fund
fi

require_free_port() {
    if ss -Hltn "sport = :$1" | grep -q .; then
        echo "record.sh: port $1 is in use; stop whatever listens there first" >&2
        exit 1
    fi
}

wait_for_line() { # FILE PATTERN SECONDS
    local i
    for ((i = 0; i < $3 * 10; i++)); do
        grep -q "$2" "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "record.sh: timed out waiting for '$2' in $1" >&2
    cat "$1" >&2 || true
    exit 1
}

TCPDUMP_PID=
capture_start() { # FILE IFACE FILTER [tcpdump args...]
    local file=$1 iface=$2 filter=$3
    shift 3
    rm -f "$file"
    # -U: write each packet as it arrives; -Z root: keep writing into a root-owned folder.
    tcpdump -i "$iface" -U -n -Z root "$@" -w "$file" "$filter" 2>"$WORK/tcpdump.log" &
    TCPDUMP_PID=$!
    PIDS+=("$TCPDUMP_PID")
    wait_for_line "$WORK/tcpdump.log" "listening on" 10
}

capture_stop() {
    sleep 0.5                      # let the last FIN/ACK reach the capture buffer
    kill -INT "$TCPDUMP_PID"       # SIGINT: tcpdump flushes and closes the file
    wait "$TCPDUMP_PID" || true
    grep -E "packets (captured|received|dropped)" "$WORK/tcpdump.log" >&2 || true
}

record_stratum() { # OUTFILE IFACE HOST [tcpdump args...]
    local file=$1 iface=$2 host=$3
    shift 3
    require_free_port "$STRATUM_PORT"
    capture_start "$file" "$iface" "tcp port $STRATUM_PORT" "$@"
    timeout 30 node stratum-server.js "$host" "$STRATUM_PORT" >"$WORK/server.log" 2>&1 &
    local server=$!
    PIDS+=("$server")
    wait_for_line "$WORK/server.log" "listening" 10
    timeout 20 node stratum-miner.js "$host" "$STRATUM_PORT"
    wait "$server"                 # the server exits by itself once the miner has gone
    cat "$WORK/server.log"
    capture_stop
    RECORDED+=("$(basename "$file")")
    echo "record.sh: wrote $file"
}

record_jsonrpc() { # OUTFILE
    local file=$1
    require_free_port "$JSONRPC_TCP_PORT"
    require_free_port "$JSONRPC_HTTP_PORT"
    capture_start "$file" lo "tcp port $JSONRPC_TCP_PORT or tcp port $JSONRPC_HTTP_PORT"
    timeout 30 node jsonrpc-server.js 127.0.0.1 "$JSONRPC_TCP_PORT" "$JSONRPC_HTTP_PORT" >"$WORK/jsonrpc.log" 2>&1 &
    local server=$!
    PIDS+=("$server")
    wait_for_line "$WORK/jsonrpc.log" "listening" 10
    timeout 20 node jsonrpc-client.js 127.0.0.1 "$JSONRPC_TCP_PORT" "$JSONRPC_HTTP_PORT"
    sleep 0.5                      # let the HTTP keep-alive / TCP closes finish
    kill -TERM "$server"
    wait "$server" || true
    capture_stop
    RECORDED+=("$(basename "$file")")
    echo "record.sh: wrote $file"
}

record_sv2_shape() { # OUTFILE
    # Not a real Stratum V2 implementation (none can be installed here): sv2-shape.js plays
    # both sides with the real byte counts, see the comment at its top.
    local file=$1
    require_free_port "$SV2_PORT"
    require_free_port "$SV2_NEGATIVE_PORT"
    # --immediate-mode: the whole exchange takes under a second, and libpcap otherwise hands
    # packets over a ring block at a time; the last block (the negative flow) was lost on stop.
    capture_start "$file" lo "tcp port $SV2_PORT or tcp port $SV2_NEGATIVE_PORT" --immediate-mode
    timeout 30 node sv2-shape.js server 127.0.0.1 "$SV2_PORT" "$SV2_NEGATIVE_PORT" >"$WORK/sv2.log" 2>&1 &
    local server=$!
    PIDS+=("$server")
    wait_for_line "$WORK/sv2.log" "listening" 10
    timeout 20 node sv2-shape.js client 127.0.0.1 "$SV2_PORT" "$SV2_NEGATIVE_PORT"
    wait "$server"                 # the server exits by itself once both connections are closed
    cat "$WORK/sv2.log"
    capture_stop
    RECORDED+=("$(basename "$file")")
    echo "record.sh: wrote $file"
}

selected() { [[ " ${SELECTED[*]} " == *" $1 "* ]]; }
selected stratum-v1-npm && record_stratum "$OUT/stratum-v1-npm.pcap" lo 127.0.0.1
selected stratum-v1-npm-ipv6 && record_stratum "$OUT/stratum-v1-npm-ipv6.pcap" lo ::1
selected stratum-v1-npm-sll && record_stratum "$OUT/stratum-v1-npm-sll.pcap" any 127.0.0.1 -y LINUX_SLL
selected stratum-v1-npm-sll2 && record_stratum "$OUT/stratum-v1-npm-sll2.pcap" any 127.0.0.1 -y LINUX_SLL2
selected jsonrpc-clean && record_jsonrpc "$OUT/jsonrpc-clean.pcap"
selected stratum-v2-shape && record_sv2_shape "$OUT/stratum-v2-shape.pcap"

# Recorded flows carry fresh ephemeral client ports: rewrite the rows of expected-flows.csv
# for the files recorded by this run (other files' rows are left as they are).
update_expected_flows() {
    local csv="$OUT/expected-flows.csv" rows="$WORK/rows.csv" f pattern
    [ -f "$csv" ] || return 0
    : >"$rows"
    for f in "${RECORDED[@]}"; do
        tshark -r "$OUT/$f" -Y 'tcp.flags.syn == 1 && tcp.flags.ack == 0' \
            -T fields -E separator=, -e ip.src -e ipv6.src -e tcp.srcport -e ip.dst -e ipv6.dst -e tcp.dstport 2>/dev/null |
            awk -F, -v file="$f" -v sp="$STRATUM_PORT" -v hp="$JSONRPC_HTTP_PORT" \
                -v v2="$SV2_PORT" -v v2neg="$SV2_NEGATIVE_PORT" '{
                client = $1 $2; server = $4 $5
                if ($6 == sp) { category = "mining"; dialect = "stratum-v1" }
                else if ($6 == hp) { category = "none"; dialect = "jsonrpc-http" }
                else if ($6 == v2) { category = "mining"; dialect = "stratum-v2" }
                else if ($6 == v2neg) { category = "none"; dialect = "tcp-64-byte-opening" }
                else { category = "none"; dialect = "jsonrpc-tcp" }
                print file "," client "," $3 "," server "," $6 "," category "," dialect ","
            }' >>"$rows"
    done
    pattern="^($(printf '%s|' "${RECORDED[@]}" | sed 's/\./\\./g; s/|$//')),"
    {
        head -n 1 "$csv"
        { tail -n +2 "$csv" | grep -vE "$pattern"; cat "$rows"; } | LC_ALL=C sort -t, -k1,1 -s
    } >"$WORK/expected-flows.csv"
    cp "$WORK/expected-flows.csv" "$csv"
    echo "record.sh: updated $csv"
}
update_expected_flows

for f in "${RECORDED[@]}"; do
    echo "== $f"
    tshark -r "$OUT/$f" -q -z conv,tcp 2>/dev/null | sed -n '/<->/p' || true
done
