using BenchmarkDotNet.Attributes;
using PoolDetector.Core;
using PoolDetector.Core.Detection;

namespace PoolDetector.Benchmarks;

/// <summary>
/// The whole per-packet path, <see cref="Engine.ProcessFrame"/> (decode, flow table, inspectors,
/// detector), over a capture replayed without end, for context beside the stages alone. Each
/// replay is moved an hour past the one before, so its flows are new ones and the last
/// replay's flows end by the idle timeout and are reported: flow starts, detections and ends
/// are part of what is measured, as they are in a capture. One operation is one frame.
/// </summary>
[MemoryDiagnoser]
public class EngineBenchmarks
{
    private const int FramesPerInvoke = 1024;
    private const long ReplayGapMicros = 3_600_000_000;

    private Frame[] _frames = [];
    private long _replaySpan;
    private long _replayOffset;
    private int _next;
    private Engine _engine = null!;
    private readonly CountingSink _sink = new();

    /// <summary>A capture of <c>pcaps/</c>, or <c>all</c>: every capture one after the other (each link type, dialect and protocol).</summary>
    [Params("stratum-v1-npm.pcap", "xmrig-login-job-submit.pcap", "all")]
    public string Capture { get; set; } = "";

    private sealed class CountingSink : IDetectionSink
    {
        public long Detections;

        public void OnDetection(MiningDetection detection) => Detections++;
    }

    [GlobalSetup]
    public void Setup()
    {
        var files = Capture == "all" ? Captures.Files() : [Captures.PathOf(Capture)];
        // Each file keeps its own timing and starts an hour after the one before ends.
        var frames = new List<Frame>();
        long start = 0;
        foreach (var file in files)
        {
            var captured = Captures.Read(file);
            var first = captured.Min(f => f.Micros);
            frames.AddRange(captured.Select(f => f with { Micros = start + f.Micros - first }));
            start += captured.Max(f => f.Micros) - first + ReplayGapMicros;
        }
        _frames = [.. frames];
        _replaySpan = start;
        _engine = new Engine(Captures.Rules, new EngineOptions(), _sink);
        // Two replays before measuring: the second one meets the first one's flows ending.
        while (_replayOffset < 2 * _replaySpan)
        {
            ProcessFrames();
        }
        if (_sink.Detections == 0)
        {
            throw new InvalidOperationException($"{Capture}: nothing detected in two replays");
        }
    }

    [Benchmark(OperationsPerInvoke = FramesPerInvoke)]
    public long ProcessFrames()
    {
        for (var n = 0; n < FramesPerInvoke; n++)
        {
            var frame = _frames[_next];
            _engine.ProcessFrame(frame.Link, frame.Data, _replayOffset + frame.Micros);
            if (++_next == _frames.Length)
            {
                _next = 0;
                _replayOffset += _replaySpan;
            }
        }
        return _engine.Counters.Decoded;
    }
}
