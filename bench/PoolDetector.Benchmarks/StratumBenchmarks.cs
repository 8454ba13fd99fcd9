using BenchmarkDotNet.Attributes;
using PoolDetector.Core.Decoding;
using PoolDetector.Core.Detection;
using PoolDetector.Core.Flows;
using PoolDetector.Core.Protocols;
using PoolDetector.Core.Protocols.JsonRpc;
using PoolDetector.Core.Protocols.Stratum;

namespace PoolDetector.Benchmarks;

/// <summary>A mining session recorded in <c>pcaps/</c>.</summary>
public enum MiningSession
{
    /// <summary><c>stratum-v1-npm.pcap</c>: mining.notify, mining.submit and its replies.</summary>
    StratumV1,
    /// <summary><c>xmrig-login-job-submit.pcap</c>: XMRig's submit, job and keepalived, and their replies.</summary>
    XMRig,
}

/// <summary>
/// The mining-protocol inspection of JSON lines: <see cref="JsonRpcScanner"/> alone, and
/// <see cref="StratumInspector"/> (line framing, scanning, judging against the rules'
/// vocabularies, share counting) fed as the engine feeds it. The lines are the steady part of a
/// real session, reassembled from its capture: from the first job or share on, after the
/// login or subscribe and authorize (which are played once in setup, so the flow's evidence,
/// agent and worker are already known, as in a long session). One operation is one line.
/// </summary>
[MemoryDiagnoser]
public class StratumBenchmarks
{
    /// <summary>
    /// Lines per invocation: the session's steady part repeated in order to this many. A
    /// multiple of both sessions' steady parts (6 and 7 lines), so an invocation ends on a whole round.
    /// </summary>
    private const int LinesPerInvoke = 420;

    /// <summary>Where a session's steady part starts: its first job or share (Stratum V1's and XMRig's names).</summary>
    private static readonly byte[][] SteadyMethods = ["mining.notify"u8.ToArray(), "mining.submit"u8.ToArray(), "job"u8.ToArray(), "submit"u8.ToArray()];

    private readonly byte[][] _lines = new byte[LinesPerInvoke][];
    private readonly FlowDirection[] _directions = new FlowDirection[LinesPerInvoke];
    private readonly LineState[] _lineStates = [new(), new()];
    private readonly FlowEvidence _evidence = new();
    private PendingRequests _pending;
    private InspectionCounters _counters = null!;
    private StratumInspector _inspector = null!;

    [Params(MiningSession.StratumV1, MiningSession.XMRig)]
    public MiningSession Session { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var capture = Session == MiningSession.StratumV1 ? "stratum-v1-npm.pcap" : "xmrig-login-job-submit.pcap";
        var lines = SessionLines(Captures.Read(Captures.PathOf(capture)));
        var steadyFrom = lines.FindIndex(l => IsSteady(l.Line));
        if (steadyFrom < 0)
        {
            throw new InvalidOperationException($"{capture}: no job or share line");
        }
        var steady = lines[steadyFrom..];
        if (LinesPerInvoke % steady.Count != 0)
        {
            throw new InvalidOperationException($"{capture}: its steady part has {steady.Count} lines, which {LinesPerInvoke} lines per invocation do not repeat whole");
        }
        for (var i = 0; i < LinesPerInvoke; i++)
        {
            (_directions[i], _lines[i]) = steady[i % steady.Count];
        }

        _counters = new InspectionCounters(Captures.Rules.Dialects.Count);
        _inspector = new InspectionContext(Captures.Rules, _counters).Stratum;
        foreach (var (direction, line) in lines)
        {
            _inspector.OnPayload(_lineStates[(int)direction], line, direction, _evidence, ref _pending);
        }
        InspectEachLine();
        if (_counters.JsonMessages != lines.Count + LinesPerInvoke || _evidence.SharesAccepted == 0 || _evidence.Worker is null)
        {
            throw new InvalidOperationException($"{capture}: the session was not inspected as a mining session");
        }
    }

    private static bool IsSteady(byte[] line)
    {
        var message = default(JsonRpcMessage);
        if (JsonRpcScanner.Scan(line, ref message) != JsonScanResult.Ok)
        {
            return false;
        }
        foreach (var method in SteadyMethods)
        {
            if (message.MethodName.SequenceEqual(method))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The JSON scanner alone, over each line (without its newline, as the framer hands it over).</summary>
    [Benchmark(OperationsPerInvoke = LinesPerInvoke)]
    public int ScanOnly()
    {
        var fields = 0;
        foreach (var line in _lines)
        {
            var message = default(JsonRpcMessage);
            if (JsonRpcScanner.Scan(line.AsSpan(0, line.Length - 1), ref message) == JsonScanResult.Ok)
            {
                fields += message.Params.Count;
            }
        }
        return fields;
    }

    /// <summary>The inspector, each line arriving in a segment of its own: the common case.</summary>
    [Benchmark(OperationsPerInvoke = LinesPerInvoke)]
    public long InspectEachLine()
    {
        for (var i = 0; i < _lines.Length; i++)
        {
            var direction = _directions[i];
            _inspector.OnPayload(_lineStates[(int)direction], _lines[i], direction, _evidence, ref _pending);
        }
        return _counters.JsonMessages;
    }

    /// <summary>The inspector, each line cut in two segments: the first half waits in a pooled partial-line buffer.</summary>
    [Benchmark(OperationsPerInvoke = LinesPerInvoke)]
    public long InspectSplitLines()
    {
        for (var i = 0; i < _lines.Length; i++)
        {
            var direction = _directions[i];
            var state = _lineStates[(int)direction];
            var line = _lines[i].AsSpan();
            var half = line.Length / 2;
            _inspector.OnPayload(state, line[..half], direction, _evidence, ref _pending);
            _inspector.OnPayload(state, line[half..], direction, _evidence, ref _pending);
        }
        return _counters.JsonMessages;
    }

    /// <summary>
    /// The session's complete lines (newline included) in the order they completed, both
    /// directions: the capture decoded and reassembled by the engine's own decoder and flow table.
    /// </summary>
    private static List<(FlowDirection Direction, byte[] Line)> SessionLines(List<Frame> frames)
    {
        var collector = new LineCollector();
        var table = new FlowTable(new FlowTableOptions(), collector);
        foreach (var frame in frames)
        {
            if (PacketDecoder.Decode(frame.Link, frame.Data, out var packet) == DecodeStatus.Ok)
            {
                table.Process(packet, frame.Data, frame.Micros);
            }
        }
        table.EndAll(frames[^1].Micros);
        return collector.Lines;
    }

    /// <summary>Cuts each direction of the capture's one flow into lines.</summary>
    private sealed class LineCollector : IFlowConsumer
    {
        private readonly List<byte>[] _partial = [[], []];
        private bool _started;

        public List<(FlowDirection Direction, byte[] Line)> Lines { get; } = [];

        public void OnFlowStarted(Flow flow, long timestampMicros)
        {
            // One session per capture: a second flow's lines would interleave with the first's.
            if (_started)
            {
                throw new InvalidOperationException("the capture holds more than one flow");
            }
            _started = true;
        }

        public void OnPayload(Flow flow, FlowDirection direction, ReadOnlySpan<byte> payload, long timestampMicros)
        {
            var partial = _partial[(int)direction];
            foreach (var b in payload)
            {
                partial.Add(b);
                if (b == (byte)'\n')
                {
                    Lines.Add((direction, [.. partial]));
                    partial.Clear();
                }
            }
        }

        public void OnGap(Flow flow, FlowDirection direction, long missingBytes, long timestampMicros) =>
            throw new InvalidOperationException("the capture lost bytes: its lines cannot be trusted");

        public void OnFlowEnded(Flow flow, FlowEndReason reason, long timestampMicros) { }
    }
}
