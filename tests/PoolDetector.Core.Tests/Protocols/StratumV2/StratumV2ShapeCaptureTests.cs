using PoolDetector.Core.Decoding;
using PoolDetector.Core.Flows;
using PoolDetector.Core.Protocols.StratumV2;
using PoolDetector.Core.Tests.Decoding;
using PoolDetector.Testing;
using Xunit.Abstractions;

namespace PoolDetector.Core.Tests.Protocols.StratumV2;

/// <summary>
/// The shape inspector behind the real flow table (reassembly, orientation from the SYN),
/// over pcaps/stratum-v2-shape.pcap and over every other capture the project has, as the
/// detector will run it once it is wired.
/// </summary>
public class StratumV2ShapeCaptureTests(ITestOutputHelper output)
{
    private const string Capture = "stratum-v2-shape.pcap";

    private sealed record FlowResult(string File, string Client, int ClientPort, string Server, int ServerPort,
        StratumV2ShapeStatus Status, StratumV2ShapeRejection Rejection, long HandshakeMicros, long ConfirmedMicros);

    /// <summary>Feeds every TCP flow's in-order payload to its own shape state; returns one result per flow.</summary>
    private sealed class ShapeConsumer(string file) : IFlowConsumer
    {
        public List<FlowResult> Results { get; } = [];

        public void OnFlowStarted(Flow flow, long timestampMicros) =>
            flow.Attachment = flow.Transport == TransportProtocol.Tcp ? new StratumV2ShapeState() : null;

        public void OnPayload(Flow flow, FlowDirection direction, ReadOnlySpan<byte> payload, long timestampMicros)
        {
            if (flow.Attachment is StratumV2ShapeState state)
            {
                StratumV2ShapeInspector.OnPayload(state, (int)direction, payload.Length, timestampMicros);
            }
        }

        public void OnGap(Flow flow, FlowDirection direction, long missingBytes, long timestampMicros)
        {
            if (flow.Attachment is StratumV2ShapeState state)
            {
                StratumV2ShapeInspector.OnGap(state, (int)direction, missingBytes, timestampMicros);
            }
        }

        public void OnFlowEnded(Flow flow, FlowEndReason reason, long timestampMicros)
        {
            if (flow.Attachment is StratumV2ShapeState state)
            {
                Results.Add(new FlowResult(file, flow.ClientAddress.ToString(), flow.ClientPort, flow.ServerAddress.ToString(), flow.ServerPort,
                    state.Status, state.Rejection, state.HandshakeMicros, state.ConfirmedMicros));
            }
        }
    }

    private static List<FlowResult> Run(string file)
    {
        var consumer = new ShapeConsumer(file);
        var table = new FlowTable(new FlowTableOptions(), consumer);
        var last = 0L;
        foreach (var frame in CaptureCorpus.Read(file))
        {
            if (!CaptureCorpus.TryLinkType(frame, out var linkType)
                || PacketDecoder.Decode(linkType, frame.Data, out var packet) != DecodeStatus.Ok)
            {
                continue;
            }
            last = frame.Micros;
            table.Process(packet, frame.Data, last);
        }
        table.EndAll(last);
        return consumer.Results;
    }

    private static string[][] ExpectedRows(string file) =>
    [
        .. File.ReadLines(Path.Combine(RepositoryPaths.Pcaps, "expected-flows.csv")).Skip(1)
            .Select(line => line.Split(','))
            .Where(f => f[0] == file),
    ];

    private static FlowResult Find(List<FlowResult> results, string[] row) =>
        Assert.Single(results, r => r.Client == row[1] && r.ClientPort == int.Parse(row[2]) && r.Server == row[3] && r.ServerPort == int.Parse(row[4]));

    [Fact]
    public void The_recorded_sv2_flow_is_confirmed_and_the_look_alike_rejected()
    {
        var results = Run(Path.Combine(RepositoryPaths.Pcaps, Capture));
        var rows = ExpectedRows(Capture);
        Assert.Equal(2, rows.Length);
        Assert.Equal(rows.Length, results.Count);

        var sv2 = Find(results, Assert.Single(rows, r => r[6] == "stratum-v2"));
        Assert.Equal(StratumV2ShapeStatus.Confirmed, sv2.Status);
        Assert.True(sv2.HandshakeMicros > 0 && sv2.ConfirmedMicros > sv2.HandshakeMicros);

        // 64 bytes answered with 100: ruled out as soon as the client speaks again.
        var negative = Find(results, Assert.Single(rows, r => r[5] == "none"));
        Assert.Equal(StratumV2ShapeStatus.Rejected, negative.Status);
        Assert.Equal(StratumV2ShapeRejection.ServerHandshakeTooShort, negative.Rejection);
    }

    [Fact]
    public void No_other_flow_in_any_capture_shows_the_handshake()
    {
        var sv2Rows = File.ReadLines(Path.Combine(RepositoryPaths.Pcaps, "expected-flows.csv")).Skip(1)
            .Select(line => line.Split(','))
            .Where(f => f[6] == "stratum-v2")
            .Select(f => (f[0], f[1], int.Parse(f[2]), f[3], int.Parse(f[4])))
            .ToHashSet();
        var flows = 0;
        var byStatus = new Dictionary<StratumV2ShapeStatus, int>();
        var byRejection = new Dictionary<StratumV2ShapeRejection, int>();
        var flagged = new List<FlowResult>();
        foreach (var file in CaptureCorpus.Files())
        {
            foreach (var result in Run(file))
            {
                flows++;
                byStatus[result.Status] = byStatus.GetValueOrDefault(result.Status) + 1;
                byRejection[result.Rejection] = byRejection.GetValueOrDefault(result.Rejection) + 1;
                var listed = sv2Rows.Contains((Path.GetFileName(file), result.Client, result.ClientPort, result.Server, result.ServerPort));
                if (result.Status is StratumV2ShapeStatus.HandshakeSeen or StratumV2ShapeStatus.Confirmed && !listed)
                {
                    flagged.Add(result);
                }
            }
        }
        output.WriteLine($"{flows} TCP flows in {CaptureCorpus.Files().Count} captures");
        foreach (var (status, count) in byStatus.OrderBy(p => p.Key))
        {
            output.WriteLine($"  {status}: {count}");
        }
        foreach (var (rejection, count) in byRejection.OrderBy(p => p.Key))
        {
            output.WriteLine($"  rejection {rejection}: {count}");
        }
        foreach (var f in flagged)
        {
            output.WriteLine($"  FLAGGED {f.File}: {f.Client}:{f.ClientPort} -> {f.Server}:{f.ServerPort} {f.Status}");
        }
        Assert.Empty(flagged);
        Assert.True(byStatus.GetValueOrDefault(StratumV2ShapeStatus.Confirmed) >= sv2Rows.Count);
    }
}
