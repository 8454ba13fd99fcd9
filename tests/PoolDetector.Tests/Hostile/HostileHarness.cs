using System.Buffers.Binary;
using System.Diagnostics;
using PoolDetector.Core;
using PoolDetector.Core.Decoding;
using PoolDetector.Core.Detection;
using PoolDetector.Core.Rules;
using PoolDetector.Tests.CaptureGeneration;
using PoolDetector.Tests.Corpus;
using PoolDetector.Testing;

namespace PoolDetector.Tests.Hostile;

/// <summary>One captured frame, as the engine receives it.</summary>
internal sealed record Frame(LinkType Link, byte[] Bytes, long Micros);

/// <summary>What one run of the engine over a list of frames produced, and what it cost.</summary>
internal sealed record EngineRun(Engine Engine, IReadOnlyList<MiningDetection> Detections, long AllocatedBytes, TimeSpan Elapsed)
{
    public MiningDetection? For(ushort clientPort) =>
        Detections.SingleOrDefault(d => d.MinerPort == clientPort || d.PoolPort == clientPort);
}

/// <summary>
/// Builds captures with the deterministic generator and runs them through the real engine
/// (decode → flow table → inspectors → detector), measuring allocations on the packet thread.
/// </summary>
internal static class HostileHarness
{
    public static readonly DateTimeOffset Start = new(2026, 11, 2, 9, 0, 0, TimeSpan.Zero);

    public static CaptureBuilder NewCapture() => new(LinkFraming.Ethernet(), Start);

    public const string Subscribe = "{\"id\":1,\"method\":\"mining.subscribe\",\"params\":[\"cgminer/4.10.0\"]}\n";
    public const string SubscribeReply = "{\"id\":1,\"result\":[[[\"mining.set_difficulty\",\"1\"],[\"mining.notify\",\"1\"]],\"08000002\",4],\"error\":null}\n";
    public const string Authorize = "{\"id\":2,\"method\":\"mining.authorize\",\"params\":[\"wallet.rig1\",\"x\"]}\n";
    public const string AuthorizeReply = "{\"id\":2,\"result\":true,\"error\":null}\n";
    public const string SetDifficulty = "{\"id\":null,\"method\":\"mining.set_difficulty\",\"params\":[16]}\n";

    public static string Notify(int job) =>
        $"{{\"id\":null,\"method\":\"mining.notify\",\"params\":[\"{job:x8}\",\"4d16b6f85af6e2198f44ae2a6de67f78487ae5611b77c6c0440b921e00000000\",\"01000000010000\",\"072f736c7573682f\",[],\"00000002\",\"1c2ac4af\",\"504e86b9\",false]}}\n";

    public static string Submit(int id, int job) =>
        $"{{\"params\":[\"wallet.rig1\",\"{job:x8}\",\"00000001\",\"504e86ed\",\"b2957c02\"],\"id\":{id},\"method\":\"mining.submit\"}}\n";

    public static string ShareReply(int id) => $"{{\"id\":{id},\"result\":true,\"error\":null}}\n";

    /// <summary>A complete, ordinary Stratum V1 session: subscribe, authorize, jobs and accepted shares, close.</summary>
    public static TcpSession NormalMiner(CaptureBuilder capture, ushort clientPort, int shares = 3)
    {
        var session = capture.Tcp("192.0.2.50", clientPort, "203.0.113.50", 3333, 70_000, 80_000).Handshake()
            .Client(Subscribe).Server(SubscribeReply).Client(Authorize).Server(AuthorizeReply, SetDifficulty);
        for (var i = 0; i < shares; i++)
        {
            session.Server(Notify(i)).Client(Submit(10 + i, i)).Server(ShareReply(10 + i));
        }
        return session.Close();
    }

    /// <summary>The frames of a generated capture, read back from its pcap bytes (little-endian, microseconds, as PcapWriter writes).</summary>
    public static List<Frame> Frames(CaptureBuilder capture)
    {
        var pcap = capture.ToPcap();
        Assert.True(LinkTypes.TryFromPcap((int)BinaryPrimitives.ReadUInt32LittleEndian(pcap.AsSpan(20)), out var link));
        var frames = new List<Frame>(capture.PacketCount);
        for (var offset = 24; offset < pcap.Length;)
        {
            var seconds = BinaryPrimitives.ReadUInt32LittleEndian(pcap.AsSpan(offset));
            var micros = BinaryPrimitives.ReadUInt32LittleEndian(pcap.AsSpan(offset + 4));
            var length = (int)BinaryPrimitives.ReadUInt32LittleEndian(pcap.AsSpan(offset + 8));
            frames.Add(new Frame(link, pcap.AsSpan(offset + 16, length).ToArray(), (seconds * 1_000_000L) + micros));
            offset += 16 + length;
        }
        return frames;
    }

    /// <summary>
    /// Runs a fresh engine over <paramref name="frames"/> and ends it. Allocations are those of
    /// this thread between the first frame and the end (detections included), the frames
    /// themselves being built beforehand.
    /// </summary>
    /// <remarks>
    /// One measurement of the whole run, not the least of several slices: the tests bound what a
    /// run costs in all (hundreds of KB, one-off costs such as flow starts and detections
    /// included), and a buffer growing with one hostile line would sit in a single slice and
    /// hide. The runtime's own few KB of tier-up work fit well inside those bounds.
    /// </remarks>
    public static EngineRun Run(IReadOnlyList<Frame> frames)
    {
        var sink = new CaptureRunner.CollectingSink();
        var engine = new Engine(CaptureRunner.Rules, new EngineOptions(), sink);
        var clock = Stopwatch.StartNew();
        var allocated = Allocations.During(() =>
        {
            foreach (var frame in frames)
            {
                engine.ProcessFrame(frame.Link, frame.Bytes, frame.Micros);
            }
            engine.Finish();
        });
        clock.Stop();
        Assert.Equal(engine.Counters.Frames, engine.Counters.Decoded + engine.Counters.NotDecoded.Sum());
        return new EngineRun(engine, sink.Detections, allocated, clock.Elapsed);
    }

    public static EngineRun Run(CaptureBuilder capture) => Run(Frames(capture));

    /// <summary>The part of a detection that must not depend on how the bytes were cut into segments or packets.</summary>
    public static string Essence(MiningDetection d) =>
        $"{d.MinerAddress}:{d.MinerPort} -> {d.PoolAddress}:{d.PoolPort} {d.Category.ToWireName()} {d.Dialect} {d.Confidence.ToWireName()} "
        + $"app={d.AppProtocol} evidence=[{string.Join(",", d.Evidence)}] agent={d.Agent} worker={d.Worker} algo={d.Algorithm} "
        + $"shares={d.SharesAccepted}/{d.SharesSubmitted}";

    /// <summary>Source port and TCP payload length of a frame, or null when it is not TCP.</summary>
    public static (ushort SourcePort, int PayloadLength)? Tcp(Frame frame)
    {
        if (PacketDecoder.Decode(frame.Link, frame.Bytes, out var packet) != DecodeStatus.Ok || packet.Transport != TransportProtocol.Tcp)
        {
            return null;
        }
        return (packet.SourcePort, packet.PayloadLength);
    }
}
