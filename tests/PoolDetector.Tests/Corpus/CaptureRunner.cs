using PoolDetector.Core;
using PoolDetector.Core.Decoding;
using PoolDetector.Core.Detection;
using PoolDetector.Core.Rules;
using PoolDetector.Testing;
using PoolDetector.Capture;

namespace PoolDetector.Tests.Corpus;

/// <summary>Runs the engine over a capture file and collects what it reports.</summary>
internal static class CaptureRunner
{
    public static readonly RuleSet Rules = RuleLoader.LoadDirectory(RepositoryPaths.Rules);

    public sealed class CollectingSink : IDetectionSink
    {
        public List<MiningDetection> Detections { get; } = [];

        public void OnDetection(MiningDetection detection) => Detections.Add(detection);
    }

    /// <summary>Every frame of a capture, read into memory with the program's own reader: (link type, frame, timestamp in microseconds).</summary>
    public static List<(LinkType Link, byte[] Frame, long Micros)> ReadFrames(string path)
    {
        var sink = new CopyingSink();
        if (CaptureFileReader.TryOpen(path, out var reader, out _))
        {
            using (reader)
            {
                reader.ReadAll(sink);
            }
        }
        // An unsupported link type (PPP, HDLC, ...) holds nothing the engine could report.
        return sink.Frames;
    }

    private sealed class CopyingSink : IFrameSink
    {
        public List<(LinkType, byte[], long)> Frames { get; } = [];

        public void OnFrame(LinkType linkType, ReadOnlySpan<byte> frame, long timestampMicros) => Frames.Add((linkType, frame.ToArray(), timestampMicros));
    }

    public static List<MiningDetection> Run(string path)
    {
        var sink = new CollectingSink();
        var engine = new Engine(Rules, new EngineOptions(), sink);
        foreach (var (link, frame, micros) in ReadFrames(path))
        {
            engine.ProcessFrame(link, frame, micros);
        }
        engine.Finish();
        return sink.Detections;
    }

    /// <summary>The unordered endpoint pair, as ../shared/tools/score.py matches flows.</summary>
    public static string Pair(string a, int aPort, string b, int bPort)
    {
        var x = $"{a}|{aPort}";
        var y = $"{b}|{bPort}";
        return string.CompareOrdinal(x, y) < 0 ? x + " " + y : y + " " + x;
    }

    public static string Pair(MiningDetection d) => Pair(d.MinerAddress.ToString(), d.MinerPort, d.PoolAddress.ToString(), d.PoolPort);
}
