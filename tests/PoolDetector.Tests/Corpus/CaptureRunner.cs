using PoolDetector.Core;
using PoolDetector.Core.Decoding;
using PoolDetector.Core.Detection;
using PoolDetector.Core.Rules;
using PoolDetector.Testing;
using SharpPcap;
using SharpPcap.LibPcap;

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

    /// <summary>Every frame of a capture, read into memory: (link type, frame, timestamp in microseconds).</summary>
    public static List<(LinkType Link, byte[] Frame, long Micros)> ReadFrames(string path)
    {
        var frames = new List<(LinkType, byte[], long)>();
        using var device = new CaptureFileReaderDevice(path);
        device.Open();
        if (!LinkTypes.TryFromPcap((int)device.LinkType, out var link))
        {
            // Link types the engine does not decode (PPP, HDLC, ...) hold nothing it could report.
            return frames;
        }
        while (device.GetNextPacket(out var capture) == GetPacketStatus.PacketReady)
        {
            var header = capture.Header;
            var micros = ((long)header.Timeval.Seconds * 1_000_000) + (long)header.Timeval.MicroSeconds;
            frames.Add((link, capture.Data.ToArray(), micros));
        }
        return frames;
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
