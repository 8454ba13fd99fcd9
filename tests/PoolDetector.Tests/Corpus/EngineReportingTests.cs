using PoolDetector.Core;
using PoolDetector.Core.Detection;
using PoolDetector.Core.Events;
using PoolDetector.Core.Flows;
using PoolDetector.Core.Rules;
using PoolDetector.Tests.CaptureGeneration;
using PoolDetector.Testing;

namespace PoolDetector.Tests.Corpus;

/// <summary>What the daemon needs from the engine: live reports, rules swapped while running, message counts.</summary>
public class EngineReportingTests
{
    private static Engine Run(string capture, EngineOptions options, CaptureRunner.CollectingSink sink)
    {
        var engine = new Engine(CaptureRunner.Rules, options, sink);
        foreach (var (link, frame, micros) in CaptureRunner.ReadFrames(Path.Combine(RepositoryPaths.Pcaps, capture)))
        {
            engine.ProcessFrame(link, frame, micros);
        }
        engine.Finish();
        return engine;
    }

    [Fact]
    public void Live_reporting_alerts_once_when_confirmed_with_the_worker_then_brings_final_counts_at_flow_end()
    {
        var sink = new CaptureRunner.CollectingSink();
        var engine = Run("stratum-v1-npm.pcap", new EngineOptions { Reporting = DetectionReporting.OnVerdict }, sink);

        Assert.Equal(2, sink.Detections.Count);
        var (alert, final) = (sink.Detections[0], sink.Detections[1]);
        Assert.False(alert.FlowEnded);
        Assert.False(alert.ReportedBefore);
        Assert.Equal(Confidence.High, alert.Confidence);
        Assert.Equal("pooldetector.rig1", alert.Worker); // the alert waits for the authorize
        Assert.True(alert.SharesSubmitted < final.SharesSubmitted, "the alert comes before the shares");
        Assert.True(final.FlowEnded);
        Assert.True(final.ReportedBefore);
        Assert.Equal(alert.FlowId, final.FlowId);
        Assert.Equal(1, engine.Detections);

        var offline = new CaptureRunner.CollectingSink();
        Run("stratum-v1-npm.pcap", new EngineOptions(), offline);
        // The final live report is the event analyze prints.
        var single = Assert.Single(offline.Detections);
        Assert.Equal(EveJson.ToJson(single), EveJson.ToJson(final));
    }

    [Fact]
    public void Replaced_rules_apply_to_new_flows_and_open_flows_keep_theirs()
    {
        // Rules without the CryptoNote vocabulary: new XMRig flows are no longer recognised.
        var files = Directory.GetFiles(RepositoryPaths.Rules, "*.yml").Order(StringComparer.Ordinal)
            .Select(f => (f, Path.GetFileName(f) == "methods.yml"
                ? string.Join('\n', File.ReadAllLines(f).Where(l => !l.Contains("dialect: cryptonote", StringComparison.Ordinal)))
                : File.ReadAllText(f)))
            .ToList();
        var withoutCryptoNote = RuleLoader.Load(files);

        var capture = new CaptureBuilder(LinkFraming.Ethernet(), new DateTimeOffset(2026, 11, 1, 8, 0, 0, TimeSpan.Zero));
        var login = CaptureRunner.XmrigLogin("44AFFq5k");
        var reply = CaptureRunner.XmrigLoginReply;
        var first = capture.Tcp("192.0.2.10", 40001, "203.0.113.5", 10128, 1000, 2000).Handshake();
        var swapAt = capture.PacketCount;
        first.Client(login).Server(reply).Close();
        capture.Tcp("192.0.2.10", 40002, "203.0.113.5", 10128, 3000, 4000).Handshake().Client(login).Server(reply).Close();
        using var directory = new Cli.TempDirectory();
        var frames = CaptureRunner.ReadFrames(directory.File("swap.pcap", capture.ToPcap()));

        var sink = new CaptureRunner.CollectingSink();
        var engine = new Engine(CaptureRunner.Rules, new EngineOptions(), sink);
        for (var i = 0; i < frames.Count; i++)
        {
            if (i == swapAt)
            {
                engine.ReplaceRules(withoutCryptoNote);
            }
            engine.ProcessFrame(frames[i].Link, frames[i].Frame, frames[i].Micros);
        }
        engine.Finish();

        var detection = Assert.Single(sink.Detections, d => d.Category == DetectionCategory.Mining);
        Assert.Equal(40001, detection.MinerPort);
        Assert.Equal("cryptonote", detection.Dialect);
        Assert.Same(withoutCryptoNote, engine.Rules);
        // The second session is no longer recognised as mining, but the host's history with the
        // pool outlives the rules swap and still names it, with the wallet used before.
        var reconnect = Assert.Single(sink.Detections, d => d.MinerPort == 40002);
        Assert.Equal(DetectionCategory.PoolContact, reconnect.Category);
        Assert.Equal("pool-host-history", reconnect.Dialect);
        Assert.Equal("44AFFq5k", reconnect.Worker);
    }

    /// <summary>Pools listen on 53, 80 and 443 to get past firewalls: the port never decides.</summary>
    [Theory]
    [InlineData(53)]
    [InlineData(80)]
    [InlineData(443)]
    public void Stratum_on_a_dns_web_or_tls_port_is_mining(int port)
    {
        var capture = new CaptureBuilder(LinkFraming.Ethernet(), new DateTimeOffset(2026, 11, 1, 8, 0, 0, TimeSpan.Zero));
        capture.Tcp("192.0.2.10", 40001, "203.0.113.5", (ushort)port, 1000, 2000).Handshake()
            .Client(CaptureRunner.XmrigLogin("44AFFq5k"))
            .Server(CaptureRunner.XmrigLoginReply)
            .Close();

        var detection = Assert.Single(CaptureRunner.Run(capture));
        Assert.Equal(DetectionCategory.Mining, detection.Category);
        Assert.Equal("cryptonote", detection.Dialect);
        Assert.Equal(Confidence.High, detection.Confidence);
    }

    [Fact]
    public void Mining_messages_are_counted_by_dialect_and_direction()
    {
        var engine = Run("stratum-v1-npm.pcap", new EngineOptions(), new CaptureRunner.CollectingSink());
        var stratum = CaptureRunner.Rules.IndexOfDialect("stratum-v1");
        var counts = engine.InspectionCounters.MiningMessages;
        // subscribe, authorize, 2 submits from the client; set_difficulty, 2 notifies and 4 replies from the pool.
        Assert.Equal(4, counts[(stratum * 2) + (int)FlowDirection.ClientToServer]);
        Assert.Equal(7, counts[(stratum * 2) + (int)FlowDirection.ServerToClient]);
        Assert.Equal(11, counts.Sum());
    }
}
