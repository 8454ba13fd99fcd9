using PoolDetector.Core;
using PoolDetector.Core.Decoding;
using PoolDetector.Core.Detection;
using PoolDetector.Core.Rules;
using PoolDetector.Testing;
using PoolDetector.Capture;
using PoolDetector.Tests.CaptureGeneration;

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

    /// <summary>Every frame of a capture built in memory, through a pcap file as the program reads one.</summary>
    public static List<(LinkType Link, byte[] Frame, long Micros)> ReadFrames(CaptureBuilder capture)
    {
        using var directory = new Cli.TempDirectory();
        return ReadFrames(directory.File("built.pcap", capture.ToPcap()));
    }

    public static List<MiningDetection> Run(string path, RuleSet? rules = null) => Run(ReadFrames(path), rules);

    public static List<MiningDetection> Run(CaptureBuilder capture, RuleSet? rules = null) => Run(ReadFrames(capture), rules);

    private static List<MiningDetection> Run(List<(LinkType Link, byte[] Frame, long Micros)> frames, RuleSet? rules)
    {
        var sink = new CollectingSink();
        RunEngine(frames, rules ?? Rules, sink);
        return sink.Detections;
    }

    /// <summary>The engine over <paramref name="frames"/> to the end, returned for its counters and memories.</summary>
    public static Engine RunEngine(List<(LinkType Link, byte[] Frame, long Micros)> frames, RuleSet rules, IDetectionSink sink)
    {
        var engine = new Engine(rules, new EngineOptions(), sink);
        foreach (var (link, frame, micros) in frames)
        {
            engine.ProcessFrame(link, frame, micros);
        }
        engine.Finish();
        return engine;
    }

    /// <summary>XMRig's login as XMRig 6 writes it, with <paramref name="worker"/> as the login (the wallet).</summary>
    public static string XmrigLogin(string worker) =>
        "{\"id\":1,\"jsonrpc\":\"2.0\",\"method\":\"login\",\"params\":{\"login\":\"" + worker + "\",\"pass\":\"x\",\"agent\":\"XMRig/6.21.0\",\"algo\":[\"rx/0\"],\"rigid\":\"\"}}\n";

    /// <summary>A pool's reply to <see cref="XmrigLogin"/>: a session id and the first job.</summary>
    public const string XmrigLoginReply =
        "{\"id\":1,\"jsonrpc\":\"2.0\",\"error\":null,\"result\":{\"id\":\"0ea1\",\"job\":{\"blob\":\"0707c5e0dfdc057c60c5dbdb26b716a880df1188dc87aac5d21a6a8230adcf679c2058fd7b807e0000000099330aefd29c503d834876f4d322f20473210298ff97414fec94dc5ec919da8507\",\"job_id\":\"x9pN\",\"target\":\"711b0d00\",\"algo\":\"rx/0\"},\"status\":\"OK\"}}\n";

    /// <summary>The unordered endpoint pair, as ../shared/tools/score.py matches flows.</summary>
    public static string Pair(string a, int aPort, string b, int bPort)
    {
        var x = $"{a}|{aPort}";
        var y = $"{b}|{bPort}";
        return string.CompareOrdinal(x, y) < 0 ? x + " " + y : y + " " + x;
    }

    public static string Pair(MiningDetection d) => Pair(d.MinerAddress.ToString(), d.MinerPort, d.PoolAddress.ToString(), d.PoolPort);
}
