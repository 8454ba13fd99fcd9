#!/usr/bin/env bash
# Records PoolDetector's loopback captures from real third-party implementations:
#   stratum-v1-npm.pcap        Stratum V1, IPv4 127.0.0.1, tcpdump -i lo   (Ethernet, zero MACs)
#   stratum-v1-npm-ipv6.pcap   Stratum V1, IPv6 ::1,       tcpdump -i lo   (Ethernet, zero MACs)
#   stratum-v1-npm-sll.pcap    Stratum V1, IPv4, tcpdump -i any -y LINUX_SLL  (Linux cooked v1)
#   stratum-v1-npm-sll2.pcap   Stratum V1, IPv4, tcpdump -i any -y LINUX_SLL2 (Linux cooked v2)
#   jsonrpc-clean.pcap         jayson JSON-RPC 2.0 over TCP (port 3333) and HTTP (port 8545)
#   ethereum-devp2p.pcap       @ethereumjs/devp2p: discv4 over UDP and RLPx over TCP, ports 30311/30312
# Traffic stays on loopback. Needs root (tcpdump), node and npm.
# Usage: sudo pcaps/recording/record.sh [OUTDIR]     (OUTDIR defaults to pcaps/)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
OUT=$(cd "${1:-$HERE/..}" && pwd)
STRATUM_PORT=47333          # deliberately not a well-known pool port
JSONRPC_TCP_PORT=3333       # deliberately the classic pool port: ports are priors, not proof
JSONRPC_HTTP_PORT=8545      # the usual Ethereum node RPC port
ETH_PORT_A=30311            # Ethereum nodes: deliberately not the default 30303 (ports are priors)
ETH_PORT_B=30312
WORK=$(mktemp -d)
PIDS=()

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

require_free_udp_port() {
    if ss -Hlun "sport = :$1" | grep -q .; then
        echo "record.sh: UDP port $1 is in use; stop whatever listens there first" >&2
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
    echo "record.sh: wrote $file"
}

record_ethereum() { # OUTFILE
    local file=$1 port
    for port in "$ETH_PORT_A" "$ETH_PORT_B"; do
        require_free_port "$port"
        require_free_udp_port "$port"
    done
    capture_start "$file" lo "port $ETH_PORT_A or port $ETH_PORT_B"
    # Both nodes live in one process, which exits by itself once A has disconnected from B.
    timeout 20 node ethereum-peers.js 127.0.0.1 "$ETH_PORT_A" "$ETH_PORT_B"
    capture_stop
    echo "record.sh: wrote $file"
}

record_stratum "$OUT/stratum-v1-npm.pcap" lo 127.0.0.1
record_stratum "$OUT/stratum-v1-npm-ipv6.pcap" lo ::1
record_stratum "$OUT/stratum-v1-npm-sll.pcap" any 127.0.0.1 -y LINUX_SLL
record_stratum "$OUT/stratum-v1-npm-sll2.pcap" any 127.0.0.1 -y LINUX_SLL2
record_jsonrpc "$OUT/jsonrpc-clean.pcap"
record_ethereum "$OUT/ethereum-devp2p.pcap"

# Recorded flows carry fresh ephemeral client ports: rewrite their rows of expected-flows.csv
# (generated files' rows are left as they are).
update_expected_flows() {
    local csv="$OUT/expected-flows.csv" rows="$WORK/rows.csv" f
    [ -f "$csv" ] || return 0
    : >"$rows"
    for f in stratum-v1-npm.pcap stratum-v1-npm-ipv6.pcap stratum-v1-npm-sll.pcap stratum-v1-npm-sll2.pcap jsonrpc-clean.pcap; do
        tshark -r "$OUT/$f" -Y 'tcp.flags.syn == 1 && tcp.flags.ack == 0' \
            -T fields -E separator=, -e ip.src -e ipv6.src -e tcp.srcport -e ip.dst -e ipv6.dst -e tcp.dstport 2>/dev/null |
            awk -F, -v file="$f" -v sp="$STRATUM_PORT" -v hp="$JSONRPC_HTTP_PORT" '{
                client = $1 $2; server = $4 $5
                if ($6 == sp) { category = "mining"; dialect = "stratum-v1" }
                else if ($6 == hp) { category = "none"; dialect = "jsonrpc-http" }
                else { category = "none"; dialect = "jsonrpc-tcp" }
                print file "," client "," $3 "," server "," $6 "," category "," dialect ","
            }' >>"$rows"
    done
    # Ethereum: the discv4 UDP flow has fixed ports (client = A, which sent the first ping);
    # the RLPx connection's client port is ephemeral, taken from its SYN.
    echo "ethereum-devp2p.pcap,127.0.0.1,$ETH_PORT_A,127.0.0.1,$ETH_PORT_B,crypto-node,ethereum-discv4," >>"$rows"
    tshark -r "$OUT/ethereum-devp2p.pcap" -Y 'tcp.flags.syn == 1 && tcp.flags.ack == 0' \
        -T fields -E separator=, -e ip.src -e tcp.srcport -e ip.dst -e tcp.dstport 2>/dev/null |
        awk -F, '{ print "ethereum-devp2p.pcap," $1 "," $2 "," $3 "," $4 ",crypto-node,ethereum-devp2p," }' >>"$rows"
    {
        head -n 1 "$csv"
        { tail -n +2 "$csv" | grep -vE '^(stratum-v1-npm(-ipv6|-sll|-sll2)?|jsonrpc-clean|ethereum-devp2p)\.pcap,'; cat "$rows"; } | LC_ALL=C sort -t, -k1,1 -s
    } >"$WORK/expected-flows.csv"
    cp "$WORK/expected-flows.csv" "$csv"
    echo "record.sh: updated $csv"
}
update_expected_flows

for f in stratum-v1-npm.pcap stratum-v1-npm-ipv6.pcap stratum-v1-npm-sll.pcap stratum-v1-npm-sll2.pcap jsonrpc-clean.pcap ethereum-devp2p.pcap; do
    echo "== $f"
    tshark -r "$OUT/$f" -q -z conv,tcp -z conv,udp 2>/dev/null | sed -n '/<->/p' || true
done
