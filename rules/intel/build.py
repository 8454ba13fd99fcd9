#!/usr/bin/env python3
"""Generates the shipped pool-intel lists in rules/intel/ from ../shared/pools/ship-candidate.

Usage (from the repository root or anywhere):
    python3 rules/intel/build.py [--source DIR] [--date YYYY-MM-DD]

ship-candidate/ already holds only entries seen in permissively licensed sources, but a
few rows also name a non-permissive source (et_open: ET licence). Source names are checked
against PERMISSIVE below: non-permissive names are removed from meta.source, and a row
left with no permissive source is not shipped at all.

browser-mining.tsv comes from anudeepND's CoinMiner hosts file (MIT) in
../shared/pools/raw/anudeepnd/, which ship-candidate leaves out: the in-browser mining
hosts of the Coinhive era and its clones, exact names (HOST) as a hosts file blocks them.
Names already in pools-domains.tsv are not repeated; a name under a parent that
ship-candidate flags (popular site, dynamic DNS) is weak.

Rows flagged as popular sites, dynamic-DNS names or shared cloud/CDN ranges are shipped
with confidence `weak`: they may name a detection but are never evidence on their own.
pool-suffixes.txt is not used: it records no per-entry source.
"""
import argparse
import datetime
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SOURCE = os.path.normpath(os.path.join(HERE, "..", "..", "..", "shared", "pools", "ship-candidate"))

# source name in ship-candidate -> (upstream, licence)
PERMISSIVE = {
    "mempool_pools": ("mempool/mining-pools", "MIT"),
    "maltrail": ("stamparm/maltrail trails/static/suspicious/crypto_mining.txt", "MIT"),
    "nocoin": ("hoshsadiq/adblock-nocoin-list", "MIT"),
    "anudeepnd": ("anudeepND/blacklist CoinMiner.txt", "MIT"),
    "azure_sentinel": ("Azure/Azure-Sentinel miners DNS list", "MIT"),
    "falco": ("falcosecurity/rules miner domains", "Apache-2.0"),
    "hestat": ("Hestat/minerchk", "Apache-2.0"),
}

# Ports of crypto-currency peer-to-peer networks, not pools: such entries are nodes.
NODE_PORTS = {"8333": "bitcoin p2p", "18333": "bitcoin testnet p2p", "18080": "monero p2p", "30303": "ethereum p2p"}

FIELDS = "#fields\tindicator\tindicator_type\tmeta.source\tmeta.desc\tconfidence"


def read_tsv(path):
    with open(path, encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split("\t")
        for line in f:
            line = line.rstrip("\n")
            if line:
                yield dict(zip(header, line.split("\t")))


def permissive(sources, dropped):
    names = [s for s in sources.split(",") if s]
    for s in names:
        if s not in PERMISSIVE:
            dropped[s] = dropped.get(s, 0) + 1
    return [s for s in names if s in PERMISSIVE]


def header(title, used, date, source_dir, notes):
    lines = [f"# {title}",
             f"# Generated {date} by rules/intel/build.py from {os.path.basename(os.path.dirname(source_dir))}/"
             f"{os.path.basename(source_dir)} (../shared/pools/ship-candidate). Do not edit: rerun the script.",
             "# Sources and licences (only permissively licensed sources are shipped):"]
    for s in sorted(used):
        lines.append(f"#   {s}: {PERMISSIVE[s][0]} ({PERMISSIVE[s][1]})")
    lines += [f"# {n}" for n in notes]
    lines.append("# confidence: strong = evidence on its own; weak = never evidence alone.")
    lines.append(FIELDS)
    return lines


def build_domains(src, date, dropped):
    rows, used = [], set()
    for r in read_tsv(os.path.join(src, "domains.tsv")):
        srcs = permissive(r["sources"], dropped)
        if not srcs:
            dropped["rows:domains"] = dropped.get("rows:domains", 0) + 1
            continue
        used.update(srcs)
        itype = "DOMAIN" if r["match_mode"] == "suffix" else "HOST"
        flags = r.get("flags", "")
        desc = r["kind"] + (f"; {flags}" if flags else "")
        rows.append((r["host"].lower(), itype, ",".join(srcs), desc, "weak" if flags else "strong"))
    rows.sort()
    out = header("Mining-pool, pool-website and in-browser-mining host names.", used, date, src,
                 ["DOMAIN matches the name and every name under it; HOST matches the name only.",
                  "meta.desc starts with the kind (pool, pool-website, browser), then ship-candidate's flags."])
    out += ["\t".join(r) for r in rows]
    return out, rows


def build_addresses(src, date, dropped):
    rows, used = [], set()
    for r in read_tsv(os.path.join(src, "ips.tsv")):
        srcs = permissive(r["sources"], dropped)
        if not srcs:
            dropped["rows:ips"] = dropped.get("rows:ips", 0) + 1
            continue
        used.update(srcs)
        ip, cloud = r["ip"], r.get("cloud_range", "")
        ports = [p for p in r.get("ports_seen_in_maltrail", "").split(",") if p]
        # maltrail lists address:port pairs, the other lists bare addresses: an address a
        # source lists bare is a pool on every port (pools listen on several, one per
        # difficulty), and only maltrail's own pairs are limited to their port.
        bare = [s for s in srcs if s != "maltrail"]
        listings = [(port, ["maltrail"] if bare else srcs) for port in ports] if "maltrail" in srcs else []
        if bare or not listings:
            listings.append(("", bare or srcs))
        for port, port_srcs in listings:
            kind = "node" if port in NODE_PORTS else "pool"
            notes = []
            if cloud:
                notes.append("cloud-range " + cloud)
            if port in NODE_PORTS:
                notes.append(NODE_PORTS[port] + " port: a node, not a pool")
            desc = kind + "".join("; " + n for n in notes)
            weak = bool(cloud) or kind == "node"
            host = f"[{ip}]" if ":" in ip else ip
            indicator = f"{host}:{port}" if port else ip
            rows.append((indicator, "ADDR", ",".join(port_srcs), desc, "weak" if weak else "strong"))
    rows.sort()
    out = header("Mining-pool IP addresses, with the port they were listed with where known.", used, date, src,
                 ["ADDR a.b.c.d:port matches that port only; ADDR without a port matches every port.",
                  "Pool IPs change: treat these as stale hints. Shared cloud ranges and node ports are weak."])
    out += ["\t".join(r) for r in rows]
    return out, rows


def build_browser(src, date, listed, weak_parents):
    hosts_file = os.path.normpath(os.path.join(src, "..", "raw", "anudeepnd", "CoinMiner.txt"))
    rows, seen = [], set()
    with open(hosts_file, encoding="utf-8") as f:
        for line in f:
            parts = line.split("#", 1)[0].split()
            if len(parts) < 2 or parts[0] not in ("0.0.0.0", "127.0.0.1"):
                continue
            for name in parts[1:]:
                name = name.lower().rstrip(".")
                if name in seen or name in ("localhost", "0.0.0.0") or covered(name, listed):
                    continue
                seen.add(name)
                parent = next((p for p in weak_parents if name == p or name.endswith("." + p)), None)
                desc = "browser" + (f"; under {parent}, {weak_parents[parent]}" if parent else "")
                rows.append((name, "HOST", "anudeepnd", desc, "weak" if parent else "strong"))
    rows.sort()
    out = header("In-browser mining host names (Coinhive and its clones), exact names.", {"anudeepnd"}, date, src,
                 [f"Taken from {os.path.relpath(hosts_file, os.path.dirname(src))} (a hosts file: each name exactly, HOST).",
                  "Names pools-domains.tsv already covers are left out."])
    out += ["\t".join(r) for r in rows]
    return out, rows


def covered(name, listed):
    """Whether a DOMAIN entry of pools-domains.tsv (or the same HOST) already matches name."""
    labels = name.split(".")
    for i in range(len(labels)):
        entry = listed.get(".".join(labels[i:]))
        if entry == "DOMAIN" or (i == 0 and entry == "HOST"):
            return True
    return False


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", default=DEFAULT_SOURCE)
    ap.add_argument("--date", default=datetime.date.today().isoformat())
    a = ap.parse_args()
    if not os.path.isdir(a.source):
        sys.exit(f"no ship-candidate folder at {a.source}")
    dropped = {}
    listed, weak_parents = {}, {}
    for name, fn in (("pools-domains.tsv", build_domains), ("pools-addresses.tsv", build_addresses)):
        lines, rows = fn(a.source, a.date, dropped)
        write(name, lines, rows)
        if name == "pools-domains.tsv":
            listed = {r[0]: r[1] for r in rows}
            weak_parents = {r[0]: r[3].split("; ", 1)[1] for r in rows if r[4] == "weak"}
    lines, rows = build_browser(a.source, a.date, listed, weak_parents)
    write("browser-mining.tsv", lines, rows)
    if dropped:
        print("non-permissive source names removed (rows dropped where nothing was left): "
              + ", ".join(f"{k}={v}" for k, v in sorted(dropped.items())), file=sys.stderr)


def write(name, lines, rows):
    with open(os.path.join(HERE, name), "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(lines) + "\n")
    print(f"{name}: {len(rows)} entries", file=sys.stderr)


if __name__ == "__main__":
    main()
