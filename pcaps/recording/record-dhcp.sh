#!/usr/bin/env bash
# Records dhcp-then-stratum.pcap: a real DHCP exchange, then Stratum from the address it gave.
#   server namespace pdrec-srv: dnsmasq (Debian dnsmasq-base) serving DHCPv4 10.99.0.100-150 and
#                               DHCPv6 fd99::100-1ff, lease 1 h, and the npm `stratum` pool
#                               (stratum-server.js) on 10.99.0.1:47333, then on [fd99::1]:47333
#   client namespace pdrec-cli: ISC dhclient (Debian isc-dhcp-client) asking for DHCPv4 with host
#                               name (option 12) lab-pc-17 and for DHCPv6 with client FQDN
#                               (option 39) lab-pc-17.campus.example; the npm `stratum-client`
#                               miner (stratum-miner.js) from each leased address; then both
#                               leases released (DHCPRELEASE, DHCPv6 Release)
# The two namespaces are joined by a veth pair with fixed MACs (02:00:00:00:99:01 server,
# 02:00:00:00:99:17 client) and captured on the server's end with tcpdump (Ethernet). Nothing
# outside the two namespaces is touched; both are deleted at the end.
# Needs root, iproute2, tcpdump, dnsmasq, dhclient, node and npm (the first five are installed
# with apt-get when missing).
# Usage: sudo pcaps/recording/record-dhcp.sh [OUTDIR]   (OUTDIR defaults to pcaps/)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
OUT=$(cd "${1:-$HERE/..}" && pwd)
FILE=$OUT/dhcp-then-stratum.pcap
SRV=pdrec-srv
CLI=pdrec-cli
SRV_IF=pdrec-s
CLI_IF=pdrec-c
SRV_MAC=02:00:00:00:99:01
CLI_MAC=02:00:00:00:99:17
SRV_ADDR=10.99.0.1
SRV_ADDR6=fd99::1
STRATUM_PORT=47333
HOST_NAME=lab-pc-17
HOST_FQDN=lab-pc-17.campus.example
WORK=$(mktemp -d)
PIDS=()

cleanup() {
    # Only the processes this script started, by pid; then the namespaces it made.
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for ns in "$CLI" "$SRV"; do
        if ip netns pids "$ns" >/dev/null 2>&1; then
            for pid in $(ip netns pids "$ns"); do kill "$pid" 2>/dev/null || true; done
            ip netns delete "$ns" 2>/dev/null || true
        fi
    done
    rm -rf "$WORK"
}
trap cleanup EXIT

need=()
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v tcpdump >/dev/null 2>&1 || need+=(tcpdump)
command -v dnsmasq >/dev/null 2>&1 || need+=(dnsmasq-base)
command -v dhclient >/dev/null 2>&1 || need+=(isc-dhcp-client)
if [ ${#need[@]} -gt 0 ]; then
    echo "record-dhcp.sh: installing ${need[*]}" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
cd "$HERE"
[ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error

# shellcheck source=wait-for-line.sh
. "$HERE/wait-for-line.sh"

for ns in "$SRV" "$CLI"; do
    if ip netns list | grep -qw "$ns"; then
        echo "record-dhcp.sh: namespace $ns exists; delete it first (ip netns delete $ns)" >&2
        exit 1
    fi
done
ip netns add "$SRV"
ip netns add "$CLI"
ip link add "$SRV_IF" type veth peer name "$CLI_IF"
ip link set "$SRV_IF" netns "$SRV"
ip link set "$CLI_IF" netns "$CLI"
for side in "$SRV $SRV_IF $SRV_MAC" "$CLI $CLI_IF $CLI_MAC"; do
    read -r ns dev mac <<<"$side"
    # No duplicate address detection: addresses are usable at once, and no DAD probes clutter the capture.
    ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$dev.accept_dad=0" "net.ipv6.conf.$dev.accept_ra=0"
    ip -n "$ns" link set lo up
    ip -n "$ns" link set "$dev" address "$mac" up
done
ip -n "$SRV" addr add "$SRV_ADDR/24" dev "$SRV_IF"
ip -n "$SRV" addr add "$SRV_ADDR6/64" dev "$SRV_IF" nodad
# The client reaches fd99::/64 on its link; its DHCPv6 address comes as a /128.
ip -n "$CLI" -6 route add fd99::/64 dev "$CLI_IF"
sleep 1

rm -f "$FILE"
ip netns exec "$SRV" tcpdump -i "$SRV_IF" -U --immediate-mode -n -Z root -w "$FILE" \
    "udp port 67 or udp port 68 or udp port 546 or udp port 547 or tcp port $STRATUM_PORT" 2>"$WORK/tcpdump.log" &
PIDS+=($!)
TCPDUMP_PID=$!
wait_for_line "$WORK/tcpdump.log" "listening on" 10

# DHCP only (port 0: no DNS), on this link only, leases in the work folder.
ip netns exec "$SRV" dnsmasq --keep-in-foreground --no-resolv --no-hosts --port=0 --interface="$SRV_IF" --bind-interfaces \
    --dhcp-range=10.99.0.100,10.99.0.150,255.255.255.0,1h --dhcp-range=fd99::100,fd99::1ff,64,1h \
    --dhcp-authoritative --domain=campus.example --dhcp-leasefile="$WORK/dnsmasq.leases" \
    --pid-file="$WORK/dnsmasq.pid" --log-dhcp --log-facility="$WORK/dnsmasq.log" &
PIDS+=($!)
wait_for_line "$WORK/dnsmasq.log" "DHCP, IP range" 10

# dhclient's own script would rewrite /etc/resolv.conf: this one only puts the address on the link.
cat >"$WORK/dhclient-script" <<'SCRIPT'
#!/bin/sh
case "$reason" in
    BOUND|RENEW|REBIND|REBOOT) ip addr add "$new_ip_address/24" dev "$interface" ;;
    BOUND6|RENEW6|REBIND6) ip -6 addr add "$new_ip6_address/128" dev "$interface" nodad ;;
    RELEASE) ip addr del "$old_ip_address/24" dev "$interface" 2>/dev/null ;;
    RELEASE6) ip -6 addr del "$old_ip6_address/128" dev "$interface" 2>/dev/null ;;
esac
exit 0
SCRIPT
chmod 755 "$WORK/dhclient-script"
printf 'send host-name "%s";\n' "$HOST_NAME" >"$WORK/dhclient4.conf"
printf 'send fqdn.fqdn "%s.";\nsend fqdn.server-update on;\n' "$HOST_FQDN" >"$WORK/dhclient6.conf"

ip netns exec "$CLI" dhclient -4 -1 -v -cf "$WORK/dhclient4.conf" -sf "$WORK/dhclient-script" \
    -lf "$WORK/dhclient4.leases" -pf "$WORK/dhclient4.pid" "$CLI_IF" 2>"$WORK/dhclient4.log" || { cat "$WORK/dhclient4.log" >&2; exit 1; }
ip netns exec "$CLI" dhclient -6 -1 -v -D LL -cf "$WORK/dhclient6.conf" -sf "$WORK/dhclient-script" \
    -lf "$WORK/dhclient6.leases" -pf "$WORK/dhclient6.pid" "$CLI_IF" 2>"$WORK/dhclient6.log" || { cat "$WORK/dhclient6.log" >&2; exit 1; }
ip -n "$CLI" addr show dev "$CLI_IF" >&2

for addr in "$SRV_ADDR" "$SRV_ADDR6"; do
    ip netns exec "$SRV" timeout 30 node stratum-server.js "$addr" "$STRATUM_PORT" >"$WORK/server.log" 2>&1 &
    server=$!
    PIDS+=("$server")
    wait_for_line "$WORK/server.log" "listening" 10
    ip netns exec "$CLI" timeout 20 node stratum-miner.js "$addr" "$STRATUM_PORT"
    wait "$server"
done

# Give both leases back: DHCPRELEASE and a DHCPv6 Release (dhclient -r also stops each daemon).
ip netns exec "$CLI" dhclient -4 -r -v -cf "$WORK/dhclient4.conf" -sf "$WORK/dhclient-script" \
    -lf "$WORK/dhclient4.leases" -pf "$WORK/dhclient4.pid" "$CLI_IF" 2>>"$WORK/dhclient4.log" || true
ip netns exec "$CLI" dhclient -6 -r -v -D LL -cf "$WORK/dhclient6.conf" -sf "$WORK/dhclient-script" \
    -lf "$WORK/dhclient6.leases" -pf "$WORK/dhclient6.pid" "$CLI_IF" 2>>"$WORK/dhclient6.log" || true
sleep 1

kill -INT "$TCPDUMP_PID"
wait "$TCPDUMP_PID" || true
grep -E "packets (captured|received|dropped)" "$WORK/tcpdump.log" >&2 || true
grep -E "DHCP(ACK|REPLY|RELEASE)" "$WORK/dnsmasq.log" >&2 || true
echo "record-dhcp.sh: wrote $FILE"
tcpdump -nr "$FILE" 2>/dev/null | grep -v "Flags \[\.\]" | head -40
