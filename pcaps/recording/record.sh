#!/usr/bin/env bash
# Records PoolDetector's loopback captures from real third-party implementations:
#   stratum-v1-npm.pcap        Stratum V1, IPv4 127.0.0.1, tcpdump -i lo   (Ethernet, zero MACs)
#   stratum-v1-npm-ipv6.pcap   Stratum V1, IPv6 ::1,       tcpdump -i lo   (Ethernet, zero MACs)
#   stratum-v1-npm-sll.pcap    Stratum V1, IPv4, tcpdump -i any -y LINUX_SLL  (Linux cooked v1)
#   stratum-v1-npm-sll2.pcap   Stratum V1, IPv4, tcpdump -i any -y LINUX_SLL2 (Linux cooked v2)
#   jsonrpc-clean.pcap         jayson JSON-RPC 2.0 over TCP (port 3333) and HTTP (port 8545)
# and, with Node's tls/https modules, dnsmasq and dig (group "tls"):
#   stratum-tls-sni.pcap       the Stratum V1 exchange over TLS 1.3, SNI = a listed pool name
#   stratum-tls-nosni.pcap     the same over TLS 1.2, no SNI, no ALPN (XMRig's default), and an
#                              xmrig-proxy-style certificate (CN=localhost, serial 1, 3650 days)
#   tls-benign.pcap            HTTPS/1.1 with SNI and ALPN h2,http/1.1, then without SNI
#   dns-pool-then-tls.pcap     dnsmasq answers a pool name (UDP, TCP, AAAA, CNAME) and a
#                              non-pool name; the client then connects by the answered addresses
# Traffic stays on loopback. Needs root (tcpdump), node, npm, tshark, openssl, and for the
# "tls" group dnsmasq (Debian dnsmasq-base) and dig (bind9-dnsutils), installed here with
# apt-get when missing.
# Usage: sudo pcaps/recording/record.sh [--only plain|tls|sv2|eth] [OUTDIR]   (OUTDIR defaults to pcaps/)
#   --only plain   only the five Stratum/JSON-RPC captures
#   --only tls     only the four TLS/DNS captures
#   --only eth     only ethereum-devp2p.pcap: @ethereumjs/devp2p, discv4 over UDP and RLPx over
#                  TCP between two nodes on ports 30311/30312
#   --only sv2     only stratum-v2-shape.pcap: Stratum V2 handshake and record sizes from our
#                  own script (sv2-shape.js, random handshake bytes), plus a 64-byte look-alike
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ONLY=all
if [ "${1:-}" = "--only" ]; then
    ONLY=${2:-}
    shift 2 || true
fi
case "$ONLY" in
    all | plain | tls | sv2 | eth) ;;
    *) echo "usage: record.sh [--only plain|tls|sv2|eth] [OUTDIR]" >&2; exit 2 ;;
esac
OUT=$(cd "${1:-$HERE/..}" && pwd)
STRATUM_PORT=47333          # deliberately not a well-known pool port
JSONRPC_TCP_PORT=3333       # deliberately the classic pool port: ports are priors, not proof
JSONRPC_HTTP_PORT=8545      # the usual Ethereum node RPC port
# TLS and DNS captures. The pool name comes from the shipped list rules/intel/pools-domains.tsv
# (a "strong" entry), so that detection is driven by the list.
TLS_POOL_PORT=47443         # the TLS leg (captured); not a web port, not a listed pool port
TLS_PLAIN_POOL_PORT=47334   # stratum-server.js behind the TLS relay (not captured)
TLS_PLAIN_MINER_PORT=47335  # the TLS relay in front of stratum-miner.js (not captured)
WEB_PORT=443                # the benign HTTPS server of tls-benign.pcap
INTRANET_PORT=8443          # the benign HTTPS server of dns-pool-then-tls.pcap
POOL_NAME=xmr-eu1.nanopool.org        # pools-domains.tsv: DOMAIN falco,hestat,maltrail pool strong
POOL_ALIAS=pool-alias.example.net     # CNAME to POOL_NAME; in no list
WEB_NAME=www.example.org              # in no list
INTRANET_NAME=intranet.example.edu    # in no list
DNS_ADDR=127.0.0.153        # dnsmasq, port 53
POOL_ADDR=127.0.0.77        # POOL_NAME's A record
POOL_ADDR6=2001:db8::77     # POOL_NAME's AAAA record (a documentation address: never contacted)
INTRANET_ADDR=127.0.0.88    # INTRANET_NAME's A record
CLIENT_ADDR=127.0.0.1       # the querying and connecting host of dns-pool-then-tls.pcap
PLAIN_FILES=(stratum-v1-npm.pcap stratum-v1-npm-ipv6.pcap stratum-v1-npm-sll.pcap stratum-v1-npm-sll2.pcap jsonrpc-clean.pcap)
TLS_FILES=(stratum-tls-sni.pcap stratum-tls-nosni.pcap tls-benign.pcap dns-pool-then-tls.pcap)
SV2_PORT=47334              # Stratum V2 shape: in no pool list either
SV2_NEGATIVE_PORT=47335     # the 64-byte look-alike that must stay clean
SV2_FILES=(stratum-v2-shape.pcap)
ETH_PORT_A=30311            # Ethereum nodes: deliberately not the default 30303 (ports are priors)
ETH_PORT_B=30312
ETH_FILES=(ethereum-devp2p.pcap)
WORK=$(mktemp -d)
PIDS=()

cleanup() {
    # Only the processes this script started, by pid.
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

cd "$HERE"
if [ "$ONLY" != plain ]; then
    # dnsmasq-base brings no service of its own: nothing is started by installing it.
    need=()
    command -v openssl >/dev/null 2>&1 || need+=(openssl)
    command -v dnsmasq >/dev/null 2>&1 || need+=(dnsmasq-base)
    command -v dig >/dev/null 2>&1 || need+=(bind9-dnsutils)
    if [ ${#need[@]} -gt 0 ]; then
        echo "record.sh: installing ${need[*]}" >&2
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
    fi
fi
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

require_free_addr_port() { # ADDR PORT: nothing listening on ADDR:PORT or the wildcard, TCP or UDP
    local proto
    for proto in t u; do
        if ss -Hln"$proto" "sport = :$2" | awk -v a="$1" '$4 ~ ("^(" a "|0\\.0\\.0\\.0|\\*|\\[::\\]):")' | grep -q .; then
            echo "record.sh: $1:$2 ($proto) is in use; stop whatever listens there first" >&2
            exit 1
        fi
    done
}

# shellcheck source=wait-for-line.sh
. "$HERE/wait-for-line.sh"

TCPDUMP_PID=
capture_start() { # FILE IFACE FILTER [tcpdump args...]
    local file=$1 iface=$2 filter=$3
    shift 3
    rm -f "$file"
    # -U: write each packet as it arrives; -Z root: keep writing into a root-owned folder;
    # --immediate-mode: hand each packet over at once. Without it libpcap's TPACKET_V3 ring
    # holds packets in a block for up to a second, and the SIGINT of capture_stop can come
    # before that block is read: the end of the session was then missing from the file.
    tcpdump -i "$iface" -U --immediate-mode -n -Z root "$@" -w "$file" "$filter" 2>"$WORK/tcpdump.log" &
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

make_certificates() { # into $WORK/certs, made fresh by this machine's openssl at each recording
    local c="$WORK/certs"
    mkdir -p "$c"
    {
        # The pool's own certificate: self-signed, CN and subjectAltName the pool name.
        openssl req -x509 -newkey rsa:2048 -nodes -keyout "$c/pool.key" -out "$c/pool.crt" -days 90 \
            -subj "/CN=$POOL_NAME" -addext "subjectAltName=DNS:$POOL_NAME"
        # What xmrig-proxy generates when TLS is on without a certificate (xmrig's
        # src/base/net/tls/TlsGen.cpp, shared by xmrig-proxy): RSA 2048 (e = 65537), X.509 v1
        # without extensions, subject = issuer = CN=localhost, serial 1, notBefore now,
        # notAfter now + 315360000 s (3650 days), signed with SHA-256.
        openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$c/proxy.key"
        openssl req -new -key "$c/proxy.key" -subj /CN=localhost -out "$c/proxy.csr"
        openssl x509 -req -in "$c/proxy.csr" -signkey "$c/proxy.key" -days 3650 -set_serial 1 -sha256 -out "$c/proxy.crt"
        # Ordinary web servers, reachable by name and by address.
        openssl req -x509 -newkey rsa:2048 -nodes -keyout "$c/web.key" -out "$c/web.crt" -days 90 \
            -subj "/CN=$WEB_NAME" -addext "subjectAltName=DNS:$WEB_NAME,IP:127.0.0.1"
        openssl req -x509 -newkey rsa:2048 -nodes -keyout "$c/intranet.key" -out "$c/intranet.crt" -days 90 \
            -subj "/CN=$INTRANET_NAME" -addext "subjectAltName=DNS:$INTRANET_NAME,IP:$INTRANET_ADDR"
    } >"$WORK/openssl.log" 2>&1 || { cat "$WORK/openssl.log" >&2; exit 1; }
}

# The Stratum pool behind a TLS terminator: stratum-server.js on 127.0.0.1:TLS_PLAIN_POOL_PORT,
# tls-server-relay.js on HOST:TLS_POOL_PORT. Both exit once the miner has gone.
POOL_SERVER_PID= POOL_TLS_PID=
tls_pool_start() { # HOST CERT [tls-server-relay.js options...]
    local host=$1 cert=$2
    shift 2
    timeout 30 node stratum-server.js 127.0.0.1 "$TLS_PLAIN_POOL_PORT" >"$WORK/server.log" 2>&1 &
    POOL_SERVER_PID=$!
    PIDS+=("$POOL_SERVER_PID")
    timeout 30 node tls-server-relay.js "$host" "$TLS_POOL_PORT" "$TLS_PLAIN_POOL_PORT" \
        "$WORK/certs/$cert.crt" "$WORK/certs/$cert.key" "$@" >"$WORK/tls-server.log" 2>&1 &
    POOL_TLS_PID=$!
    PIDS+=("$POOL_TLS_PID")
    wait_for_line "$WORK/server.log" "listening" 10
    wait_for_line "$WORK/tls-server.log" "listening" 10
}

# The miner behind a TLS originator: stratum-miner.js talks plain text to tls-client-relay.js
# on 127.0.0.1:TLS_PLAIN_MINER_PORT, which carries it over TLS to HOST:TLS_POOL_PORT.
tls_miner_run() { # HOST [tls-client-relay.js options...]
    local host=$1 relay
    shift
    timeout 30 node tls-client-relay.js "$TLS_PLAIN_MINER_PORT" "$host" "$TLS_POOL_PORT" "$@" >"$WORK/tls-client.log" 2>&1 &
    relay=$!
    PIDS+=("$relay")
    wait_for_line "$WORK/tls-client.log" "listening" 10
    timeout 20 node stratum-miner.js 127.0.0.1 "$TLS_PLAIN_MINER_PORT"
    wait "$relay"
    wait "$POOL_TLS_PID"
    wait "$POOL_SERVER_PID"        # exits 0 only after two accepted shares
    cat "$WORK/tls-client.log" "$WORK/tls-server.log" "$WORK/server.log"
}

record_stratum_tls() { # OUTFILE CERT "TLS-SERVER-OPTIONS" [tls-client-relay.js options...]
    local file=$1 cert=$2 server_options=$3
    shift 3
    require_free_port "$TLS_POOL_PORT"
    require_free_port "$TLS_PLAIN_POOL_PORT"
    require_free_port "$TLS_PLAIN_MINER_PORT"
    capture_start "$file" lo "tcp port $TLS_POOL_PORT"
    # shellcheck disable=SC2086 # the server options are words
    tls_pool_start 127.0.0.1 "$cert" $server_options
    tls_miner_run 127.0.0.1 "$@"
    capture_stop
    echo "record.sh: wrote $file"
}

record_tls_benign() { # OUTFILE
    local file=$1 server
    require_free_port "$WEB_PORT"
    capture_start "$file" lo "tcp port $WEB_PORT"
    timeout 30 node https-server.js 127.0.0.1 "$WEB_PORT" "$WORK/certs/web.crt" "$WORK/certs/web.key" >"$WORK/https.log" 2>&1 &
    server=$!
    PIDS+=("$server")
    wait_for_line "$WORK/https.log" "listening" 10
    # A browser-like visit by name (SNI, ALPN h2,http/1.1), then a script by address (no SNI).
    timeout 20 node https-client.js 127.0.0.1 "$WEB_PORT" "$WORK/certs/web.crt" "$WEB_NAME" / /style.css /api/status
    timeout 20 node https-client.js 127.0.0.1 "$WEB_PORT" "$WORK/certs/web.crt" - /api/status /
    sleep 0.3
    kill -TERM "$server"
    wait "$server" || true
    cat "$WORK/https.log"
    capture_stop
    echo "record.sh: wrote $file"
}

resolve() { # dig from CLIENT_ADDR to dnsmasq; prints the answer section
    dig @"$DNS_ADDR" -b "$CLIENT_ADDR" +tries=1 +time=2 +noall +answer "$@"
}

record_dns_then_tls() { # OUTFILE
    local file=$1 dns intranet pool_answer intranet_answer
    require_free_addr_port "$DNS_ADDR" 53
    require_free_port "$TLS_POOL_PORT"
    require_free_port "$TLS_PLAIN_POOL_PORT"
    require_free_port "$TLS_PLAIN_MINER_PORT"
    require_free_port "$INTRANET_PORT"
    capture_start "$file" lo "host $DNS_ADDR or host $POOL_ADDR or host $INTRANET_ADDR"
    # dnsmasq in the foreground, answering from its own records only (no upstream, no
    # /etc/hosts), TTL 300 s: A and AAAA for the pool, a CNAME to it, A for the intranet name.
    timeout 30 dnsmasq --no-daemon --conf-file=/dev/null --log-facility=- --log-queries \
        --listen-address="$DNS_ADDR" --bind-interfaces --port=53 --no-resolv --no-hosts --local-ttl=300 \
        --host-record="$POOL_NAME,$POOL_ADDR,$POOL_ADDR6" --cname="$POOL_ALIAS,$POOL_NAME" \
        --host-record="$INTRANET_NAME,$INTRANET_ADDR" >"$WORK/dnsmasq.log" 2>&1 &
    dns=$!
    PIDS+=("$dns")
    wait_for_line "$WORK/dnsmasq.log" "started" 10
    tls_pool_start "$POOL_ADDR" pool
    timeout 30 node https-server.js "$INTRANET_ADDR" "$INTRANET_PORT" "$WORK/certs/intranet.crt" "$WORK/certs/intranet.key" >"$WORK/https.log" 2>&1 &
    intranet=$!
    PIDS+=("$intranet")
    wait_for_line "$WORK/https.log" "listening" 10

    # The miner's host looks the pool up (UDP A and AAAA, TCP A, and through a CNAME), then
    # connects to the answered address with TLS and no SNI: only the DNS answer names it.
    resolve "$POOL_NAME" A | tee "$WORK/pool.answer"
    resolve "$POOL_NAME" AAAA
    resolve +tcp "$POOL_NAME" A
    resolve "$POOL_ALIAS" A
    pool_answer=$(awk '$4 == "A" { print $5; exit }' "$WORK/pool.answer")
    [ "$pool_answer" = "$POOL_ADDR" ] || { echo "record.sh: $POOL_NAME resolved to '$pool_answer'" >&2; exit 1; }
    tls_miner_run "$pool_answer" --local-address "$CLIENT_ADDR"

    # The same host looks up a name in no list and fetches a page from it by address (no SNI).
    resolve "$INTRANET_NAME" A | tee "$WORK/intranet.answer"
    intranet_answer=$(awk '$4 == "A" { print $5; exit }' "$WORK/intranet.answer")
    [ "$intranet_answer" = "$INTRANET_ADDR" ] || { echo "record.sh: $INTRANET_NAME resolved to '$intranet_answer'" >&2; exit 1; }
    timeout 20 node https-client.js "$intranet_answer" "$INTRANET_PORT" "$WORK/certs/intranet.crt" - /api/status --local-address "$CLIENT_ADDR"

    sleep 0.3
    kill -TERM "$intranet" "$dns"
    wait "$intranet" || true
    wait "$dns" || true
    cat "$WORK/https.log" "$WORK/dnsmasq.log"
    capture_stop
    echo "record.sh: wrote $file"
}

record_sv2_shape() { # OUTFILE
    # Not a real Stratum V2 implementation (none can be installed here): sv2-shape.js plays
    # both sides with the real byte counts, see the comment at its top.
    local file=$1
    require_free_port "$SV2_PORT"
    require_free_port "$SV2_NEGATIVE_PORT"
    capture_start "$file" lo "tcp port $SV2_PORT or tcp port $SV2_NEGATIVE_PORT"
    timeout 30 node sv2-shape.js server 127.0.0.1 "$SV2_PORT" "$SV2_NEGATIVE_PORT" >"$WORK/sv2.log" 2>&1 &
    local server=$!
    PIDS+=("$server")
    wait_for_line "$WORK/sv2.log" "listening" 10
    timeout 20 node sv2-shape.js client 127.0.0.1 "$SV2_PORT" "$SV2_NEGATIVE_PORT"
    wait "$server"                 # the server exits by itself once both connections are closed
    cat "$WORK/sv2.log"
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

RECORDED=()
if [ "$ONLY" = all ] || [ "$ONLY" = plain ]; then
    record_stratum "$OUT/stratum-v1-npm.pcap" lo 127.0.0.1
    record_stratum "$OUT/stratum-v1-npm-ipv6.pcap" lo ::1
    record_stratum "$OUT/stratum-v1-npm-sll.pcap" any 127.0.0.1 -y LINUX_SLL
    record_stratum "$OUT/stratum-v1-npm-sll2.pcap" any 127.0.0.1 -y LINUX_SLL2
    record_jsonrpc "$OUT/jsonrpc-clean.pcap"
    RECORDED+=("${PLAIN_FILES[@]}")
fi
if [ "$ONLY" = all ] || [ "$ONLY" = tls ]; then
    make_certificates
    # TLS 1.3 (Node's default), SNI = the pool name, no ALPN: XMRig with "sni": true.
    record_stratum_tls "$OUT/stratum-tls-sni.pcap" pool "" --sni "$POOL_NAME"
    # No SNI, no ALPN (XMRig's default); the pool's relay limited to TLS 1.2 as xmrig-proxy's
    # "protocols": "TLSv1.2" would, so its generated certificate crosses the wire in clear.
    record_stratum_tls "$OUT/stratum-tls-nosni.pcap" proxy "--max-version TLSv1.2"
    record_tls_benign "$OUT/tls-benign.pcap"
    record_dns_then_tls "$OUT/dns-pool-then-tls.pcap"
    RECORDED+=("${TLS_FILES[@]}")
fi
if [ "$ONLY" = all ] || [ "$ONLY" = sv2 ]; then
    record_sv2_shape "$OUT/stratum-v2-shape.pcap"
    RECORDED+=("${SV2_FILES[@]}")
fi
if [ "$ONLY" = all ] || [ "$ONLY" = eth ]; then
    record_ethereum "$OUT/ethereum-devp2p.pcap"
    RECORDED+=("${ETH_FILES[@]}")
fi

# Recorded flows carry fresh ephemeral client ports: rewrite the recorded files' rows of
# expected-flows.csv (other files' rows, generated ones included, are left as they are).
plain_rows() { # FILE: one row per SYN
    tshark -r "$OUT/$1" -Y 'tcp.flags.syn == 1 && tcp.flags.ack == 0' \
        -T fields -E separator=, -e ip.src -e ipv6.src -e tcp.srcport -e ip.dst -e ipv6.dst -e tcp.dstport 2>/dev/null |
        awk -F, -v file="$1" -v sp="$STRATUM_PORT" -v hp="$JSONRPC_HTTP_PORT" '{
            client = $1 $2; server = $4 $5
            if ($6 == sp) { category = "mining"; dialect = "stratum-v1" }
            else if ($6 == hp) { category = "none"; dialect = "jsonrpc-http" }
            else { category = "none"; dialect = "jsonrpc-tcp" }
            print file "," client "," $3 "," server "," $6 "," category "," dialect ","
        }'
}

eth_rows() { # FILE: the discv4 UDP flow has fixed ports (client = A, which sent the first ping);
    # the RLPx connection's client port is ephemeral, taken from its SYN.
    echo "$1,127.0.0.1,$ETH_PORT_A,127.0.0.1,$ETH_PORT_B,crypto-node,ethereum-discv4,"
    tshark -r "$OUT/$1" -Y 'tcp.flags.syn == 1 && tcp.flags.ack == 0' \
        -T fields -E separator=, -e ip.src -e tcp.srcport -e ip.dst -e tcp.dstport 2>/dev/null |
        awk -F, -v file="$1" '{ print file "," $1 "," $2 "," $3 "," $4 ",crypto-node,ethereum-devp2p," }'
}

sv2_rows() { # FILE: one row per SYN
    tshark -r "$OUT/$1" -Y 'tcp.flags.syn == 1 && tcp.flags.ack == 0' \
        -T fields -E separator=, -e ip.src -e tcp.srcport -e ip.dst -e tcp.dstport 2>/dev/null |
        awk -F, -v file="$1" -v sp="$SV2_PORT" '{
            if ($4 == sp) { category = "mining"; dialect = "stratum-v2" }
            else { category = "none"; dialect = "tcp-64-byte-opening" }
            print file "," $1 "," $2 "," $3 "," $4 "," category "," dialect ","
        }'
}

tls_rows() { # FILE: one row per TCP SYN and per UDP client/server pair of a DNS query, in order
    tshark -r "$OUT/$1" -Y '(tcp.flags.syn == 1 && tcp.flags.ack == 0) || (dns && dns.flags.response == 0)' \
        -T fields -E separator=/t -e ip.src -e ipv6.src -e tcp.srcport -e udp.srcport \
        -e ip.dst -e ipv6.dst -e tcp.dstport -e udp.dstport -e dns.qry.name 2>/dev/null |
        awk -F'\t' -v file="$1" -v pool="$POOL_NAME" -v alias="$POOL_ALIAS" -v pool_addr="$POOL_ADDR" '
            {
                key = $1 $2 "," $3 $4 "," $5 $6 "," $7 $8
                if (!(key in seen)) { seen[key] = 1; order[++n] = key; port[key] = $7 $8; server[key] = $5 $6 }
                if ($9 != "") name[key] = $9
            }
            END {
                for (i = 1; i <= n; i++) {
                    k = order[i]
                    if (port[k] == 53) {
                        if (name[k] == pool) { category = "pool-contact"; dialect = "dns-pool-name" }
                        else if (name[k] == alias) { category = "pool-contact"; dialect = "dns-pool-cname" }
                        else { category = "none"; dialect = "dns-benign" }
                    }
                    else if (file == "stratum-tls-sni.pcap") { category = "pool-contact"; dialect = "tls-pool-sni" }
                    else if (file == "stratum-tls-nosni.pcap") { category = "pool-contact"; dialect = "tls-xmrig-shape" }
                    else if (file == "dns-pool-then-tls.pcap" && server[k] == pool_addr) { category = "pool-contact"; dialect = "tls-dns-bound" }
                    else { category = "none"; dialect = "tls-benign" }
                    print file "," k "," category "," dialect ","
                }
            }'
}

update_expected_flows() {
    local csv="$OUT/expected-flows.csv" rows="$WORK/rows.csv" f
    [ -f "$csv" ] || return 0
    : >"$rows"
    for f in "${RECORDED[@]}"; do
        case " ${PLAIN_FILES[*]} " in
            *" $f "*) plain_rows "$f" >>"$rows" ;;
            *)
                case " ${SV2_FILES[*]} " in
                    *" $f "*) sv2_rows "$f" >>"$rows" ;;
                    *)
                        case " ${ETH_FILES[*]} " in
                            *" $f "*) eth_rows "$f" >>"$rows" ;;
                            *) tls_rows "$f" >>"$rows" ;;
                        esac ;;
                esac ;;
        esac
    done
    printf '%s\n' "${RECORDED[@]}" >"$WORK/recorded.txt"
    {
        head -n 1 "$csv"
        {
            tail -n +2 "$csv" | awk -F, 'NR == FNR { recorded[$1]; next } !($1 in recorded)' "$WORK/recorded.txt" -
            cat "$rows"
        } | LC_ALL=C sort -t, -k1,1 -s
    } >"$WORK/expected-flows.csv"
    cp "$WORK/expected-flows.csv" "$csv"
    echo "record.sh: updated $csv"
}
update_expected_flows

for f in "${RECORDED[@]}"; do
    echo "== $f"
    tshark -r "$OUT/$f" -q -z conv,tcp -z conv,udp 2>/dev/null | sed -n '/<->/p' || true
done
