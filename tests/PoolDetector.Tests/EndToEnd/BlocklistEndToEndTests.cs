using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using PoolDetector.Core.Decoding;
using PoolDetector.Testing;
using PoolDetector.Tests.Support;
using Xunit.Abstractions;

namespace PoolDetector.Tests.EndToEnd;

/// <summary>
/// Issue 5's enforcement hand-off on real parts: captures replayed with tcpreplay onto the
/// interface a daemon watches in a test network namespace; its /blocklist.txt and
/// /blocklist.json then list exactly the miners <c>analyze</c> finds in the same files
/// (mining, or pool contact of medium confidence), and the block list file says the same.
/// </summary>
public sealed class BlocklistEndToEndTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    /// <summary>Mining of four dialects (IPv4, IPv6, VLANs), pool contact by TLS SNI, and clean JSON-RPC that must stay off the list.</summary>
    private static readonly string[] Captures =
    [
        "xmrig-login-job-submit.pcap",
        "stratum-v1-vlan-qinq.pcap",
        "ethproxy.pcap",
        "getwork-http.pcap",
        "stratum-tls-sni.pcap",
        "jsonrpc-clean.pcap",
    ];

    [EndToEndFact("ip", "tcpreplay")]
    public void Replayed_mining_captures_put_exactly_their_miners_on_the_block_list()
    {
        var clock = Stopwatch.StartNew();
        var files = Captures.Select(f => Path.Combine(RepositoryPaths.Pcaps, f)).ToArray();
        var analyze = Cli.Cli.RunProcess(["analyze", "--format", "jsonl", .. files]);
        Assert.True(analyze.ExitCode == 1, $"analyze exit {analyze.ExitCode}: {analyze.Stderr}");
        var events = analyze.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement).ToList();
        // The offenders, as the README defines them, with the category each must be listed under.
        var expected = new Dictionary<string, (string Category, HashSet<string> Pools)>();
        foreach (var alert in events)
        {
            var mining = alert.GetProperty("mining");
            var category = mining.GetProperty("category").GetString()!;
            if (category != "mining" && !(category == "pool-contact" && mining.GetProperty("confidence").GetString() is "medium" or "high"))
            {
                continue;
            }
            var ip = alert.GetProperty("src_ip").GetString()!;
            var pool = Endpoint(alert.GetProperty("dest_ip").GetString()!, alert.GetProperty("dest_port").GetInt32());
            if (expected.TryGetValue(ip, out var known))
            {
                known.Pools.Add(pool);
                expected[ip] = (known.Category == "mining" ? "mining" : category, known.Pools);
            }
            else
            {
                expected[ip] = (category, [pool]);
            }
        }
        Assert.Contains(expected, e => e.Value.Category == "pool-contact");
        Assert.Contains(expected.Keys, ip => ip.Contains(':', StringComparison.Ordinal));
        var sorted = expected.Keys.OrderBy(IpAddress.Parse).ToList();

        using var scratch = new Cli.TempDirectory();
        var replayable = files.Select(f => EthernetRewrite.Replayable(f, scratch.Path)).ToArray();
        var blocklistFile = Path.Combine(scratch.Path, "blocklist.txt");
        using var netns = NetworkNamespace.Create();
        using var daemon = DaemonProcess.Start(netns.CaptureInterface, netns: netns,
            extraSettings: new Dictionary<string, object> { ["BlocklistFile"] = blocklistFile, ["BlocklistTtlMinutes"] = 30 });
        Assert.Equal("", daemon.Get("/blocklist.txt"));

        using var replay = ChildProcess.Run(NetworkNamespace.IpBinary,
            netns.Wrap("tcpreplay", ["--intf1=" + netns.ReplayInterface, "--pps=2000", .. replayable]), Timeout);
        Assert.True(replay.ExitCode == 0, replay.Describe());
        Assert.True(daemon.WaitForAlerts(events.Count, Timeout).Count == events.Count, "alerts missing:\n" + daemon.Describe());
        var started = DateTimeOffset.UtcNow;

        // Rebuilt once a second: wait for it, then it must be exactly the offenders, sorted.
        var text = "";
        Assert.True(Wait.Until(() => (text = daemon.Get("/blocklist.txt")) == string.Concat(sorted.Select(ip => ip + "\n")), Timeout),
            $"/blocklist.txt:\n{text}\nexpected:\n{string.Join('\n', sorted)}\n{daemon.Describe()}");
        output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: /blocklist.txt =\n{text}");

        var json = daemon.Get("/blocklist.json");
        using (var document = JsonDocument.Parse(json))
        {
            var entries = document.RootElement.EnumerateArray().ToList();
            Assert.Equal(sorted, entries.Select(e => e.GetProperty("ip").GetString()));
            foreach (var entry in entries)
            {
                var ip = entry.GetProperty("ip").GetString()!;
                Assert.Equal(expected[ip].Category, entry.GetProperty("category").GetString());
                Assert.Equal(expected[ip].Pools.Order(StringComparer.Ordinal), entry.GetProperty("pools").EnumerateArray().Select(p => p.GetString()!));
                Assert.False(string.IsNullOrEmpty(entry.GetProperty("dialect").GetString()));
                var lastSeen = DateTimeOffset.Parse(entry.GetProperty("last_seen").GetString()!, CultureInfo.InvariantCulture);
                Assert.True(DateTimeOffset.Parse(entry.GetProperty("first_seen").GetString()!, CultureInfo.InvariantCulture) <= lastSeen);
                // Replayed now: seen now, so a flow that ended expires 30 minutes (the TTL) from about now; an open one not at all.
                var expires = entry.GetProperty("expires");
                if (expires.ValueKind != JsonValueKind.Null)
                {
                    Assert.Equal(lastSeen.AddMinutes(30), DateTimeOffset.Parse(expires.GetString()!, CultureInfo.InvariantCulture));
                    Assert.InRange(lastSeen, started.AddMinutes(-2), started.AddMinutes(1));
                }
            }
        }
        Assert.True(Wait.Until(() => File.Exists(blocklistFile) && File.ReadAllText(blocklistFile) == text, Timeout), "block list file not written");
        Assert.Equal(json, File.ReadAllText(Path.ChangeExtension(blocklistFile, ".json")));
        var metrics = daemon.Metrics();
        Assert.Equal(sorted.Count, DaemonProcess.Samples(metrics, "pooldetector_blocklist_entries").Single().Value);
        Assert.Equal(0, daemon.Stop(TimeSpan.FromSeconds(20)));
        // At stop the engine ended every flow: the last file has every host with an expiry.
        using var last = JsonDocument.Parse(File.ReadAllText(Path.ChangeExtension(blocklistFile, ".json")));
        Assert.Equal(sorted, last.RootElement.EnumerateArray().Select(e => e.GetProperty("ip").GetString()));
        Assert.All(last.RootElement.EnumerateArray(), e => Assert.Equal(JsonValueKind.String, e.GetProperty("expires").ValueKind));
    }

    private static string Endpoint(string ip, int port) =>
        ip.Contains(':', StringComparison.Ordinal) ? $"[{ip}]:{port.ToString(CultureInfo.InvariantCulture)}" : $"{ip}:{port.ToString(CultureInfo.InvariantCulture)}";
}
