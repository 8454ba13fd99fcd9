using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using PoolDetector.Core.Decoding;
using PoolDetector.Evidence;
using PoolDetector.Testing;
using PoolDetector.Tests.Corpus;
using PoolDetector.Tests.Support;
using Xunit.Abstractions;
using PoolDetector.Core.Flows;

namespace PoolDetector.Tests.EndToEnd;

/// <summary>
/// Evidence captures from the built daemon: two Stratum captures replayed with tcpreplay onto
/// the veth it watches, in a network namespace of the test's own. Each alert names its pcap
/// (no hash yet: the flow goes on after the verdict); the evidence event that follows carries
/// the same path and the file's SHA-256; the file opens with libpcap and holds exactly the
/// frames of that flow that were replayed, byte for byte.
/// </summary>
public sealed class EvidenceEndToEndTests(ITestOutputHelper output)
{
    private static readonly TimeSpan EventTimeout = TimeSpan.FromSeconds(15);

    [EndToEndFact("ip", "tcpreplay")]
    public void The_daemon_writes_each_alerted_flow_as_a_pcap_whose_hash_the_evidence_event_carries()
    {
        var clock = Stopwatch.StartNew();
        string[] captures = ["stratum-v1-npm.pcap", "xmrig-login-job-submit.pcap"];
        var files = captures.Select(f => Path.Combine(RepositoryPaths.Pcaps, f)).ToArray();
        var replayed = files.SelectMany(CaptureRunner.ReadFrames).ToList();

        using var scratch = new Cli.TempDirectory();
        var evidence = Path.Combine(scratch.Path, "evidence");
        using var netns = NetworkNamespace.Create();
        using var daemon = DaemonProcess.Start(netns.CaptureInterface, netns: netns, extraSettings: new Dictionary<string, object>
        {
            ["EvidenceDirectory"] = evidence,
            // The replay takes milliseconds; the flows are whole long before this.
            ["EvidenceFollowSeconds"] = 2,
        });
        output.WriteLine($"namespace {netns.Name} and daemon ready after {clock.ElapsedMilliseconds} ms");

        using (var replay = ChildProcess.Run(NetworkNamespace.IpBinary,
            netns.Wrap("tcpreplay", ["--intf1=" + netns.ReplayInterface, "--pps=2000", .. files]), EventTimeout))
        {
            Assert.True(replay.ExitCode == 0, replay.Describe());
        }
        var replayedAt = clock.Elapsed;

        Assert.True(Wait.Until(() => daemon.Events().Count(e => Type(e) == "evidence") >= 2, EventTimeout),
            $"no two evidence events within {EventTimeout.TotalSeconds} s of the replay:\n{string.Join('\n', daemon.Events())}\n{daemon.Describe()}");
        output.WriteLine($"evidence events {(clock.Elapsed - replayedAt).TotalMilliseconds:F0} ms after the replay");
        var events = daemon.Events();
        var alerts = events.Where(e => Type(e) == "alert").ToList();
        var completed = events.Where(e => Type(e) == "evidence").ToList();
        Assert.Equal(2, alerts.Count);
        Assert.Equal(2, completed.Count);

        foreach (var alert in alerts)
        {
            var mining = alert.GetProperty("mining");
            var pcap = mining.GetProperty("pcap").GetString()!;
            output.WriteLine($"{alert.GetProperty("src_port")} -> {alert.GetProperty("dest_port")}: {pcap}");
            Assert.StartsWith(evidence + "/", pcap, StringComparison.Ordinal);
            Assert.Equal(JsonValueKind.Null, mining.GetProperty("pcap_sha256").ValueKind);

            // The evidence event: the same flow, the same file, now with its hash; after the alert.
            var follow = Assert.Single(completed, e => e.GetProperty("flow_id").GetInt64() == alert.GetProperty("flow_id").GetInt64());
            Assert.True(events.IndexOf(follow) > events.IndexOf(alert));
            Assert.Equal(alert.GetProperty("community_id").GetString(), follow.GetProperty("community_id").GetString());
            Assert.Equal(alert.GetProperty("timestamp").GetString(), follow.GetProperty("timestamp").GetString());
            Assert.Equal(pcap, follow.GetProperty("mining").GetProperty("pcap").GetString());
            var sha = follow.GetProperty("mining").GetProperty("pcap_sha256").GetString();
            Assert.True(File.Exists(pcap), pcap);
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(pcap))), sha);

            // Exactly the flow's replayed frames, in order, both directions, as they went over the wire.
            var key = FlowKey.Create(IpAddress.Parse(alert.GetProperty("src_ip").GetString()!), (ushort)alert.GetProperty("src_port").GetInt32(),
                IpAddress.Parse(alert.GetProperty("dest_ip").GetString()!), (ushort)alert.GetProperty("dest_port").GetInt32(), TransportProtocol.Tcp, 0, 0);
            var expected = replayed.Where(f => EvidenceFlowKey.TryOf(f.Link, f.Frame, out var k) && k == key).Select(f => f.Frame).ToList();
            var written = CaptureRunner.ReadFrames(pcap);
            Assert.NotEmpty(expected);
            Assert.Equal(expected, written.Select(f => f.Frame));
            Assert.All(written, f => Assert.Equal(LinkType.Ethernet, f.Link));
        }

        var metrics = daemon.Metrics();
        double Sum(string name, params (string, string)[] labels) => DaemonProcess.Samples(metrics, name, labels).Sum(s => s.Value);
        Assert.Equal(2, Sum("pooldetector_evidence_files_total", ("result", "written")));
        Assert.Equal(0, Sum("pooldetector_evidence_files_total", ("result", "error")));
        var onDisk = Directory.GetFiles(evidence, "*.pcap", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
        Assert.Equal(onDisk, Sum("pooldetector_evidence_bytes_total"));
        Assert.Equal(onDisk, Sum("pooldetector_evidence_disk_bytes"));
        Assert.Equal(0, Sum("pooldetector_evidence_dropped_total"));
        Assert.True(Sum("pooldetector_evidence_buffer_frames_total", ("outcome", "stored")) >= replayed.Count,
            "every replayed frame went through the recent-packet store:\n" + metrics);
        Assert.Equal(0, daemon.Stop(TimeSpan.FromSeconds(20)));
        output.WriteLine($"total {clock.ElapsedMilliseconds.ToString(CultureInfo.InvariantCulture)} ms");
    }

    private static string? Type(JsonElement e) => e.GetProperty("event_type").GetString();
}
