using System.Diagnostics;
using PoolDetector.Core;
using PoolDetector.Core.Decoding;
using PoolDetector.Tests.CaptureGeneration;
using PoolDetector.Tests.Corpus;
using Xunit.Abstractions;
using static PoolDetector.Tests.Hostile.HostileHarness;

namespace PoolDetector.Tests.Hostile;

/// <summary>Noise on a mining port and noise as frames: never a detection, never an exception, given up early.</summary>
public class GarbageTests(ITestOutputHelper output)
{
    private const int Megabyte = 1024 * 1024;

    /// <summary>Seeded noise of <paramref name="length"/> bytes: any byte, or printable ASCII with newlines.</summary>
    private static string[] Noise(int seed, int length, bool printable)
    {
        var random = new Random(seed);
        var bytes = new byte[length];
        random.NextBytes(bytes);
        if (printable)
        {
            for (var i = 0; i < bytes.Length; i++)
            {
                bytes[i] = bytes[i] % 40 == 0 ? (byte)'\n' : (byte)(0x20 + (bytes[i] % 95));
            }
        }
        // TcpSession sends strings as UTF-8: 7-bit chars keep one byte per char, so the noise
        // is exactly `length` bytes (control bytes included) on the wire.
        var segments = new string[(length + 1447) / 1448];
        for (var i = 0; i < segments.Length; i++)
        {
            var chunk = bytes.AsSpan(i * 1448, Math.Min(1448, length - (i * 1448)));
            var chars = new char[chunk.Length];
            for (var j = 0; j < chunk.Length; j++)
            {
                chars[j] = (char)(chunk[j] & 0x7f);
            }
            segments[i] = new string(chars);
        }
        return segments;
    }

    /// <summary>
    /// 1 MB of seeded noise each way on port 3333 beside a real miner. Binary noise fails the
    /// first-bytes text check; printable noise fails as non-JSON lines. Bounds: the garbage flow
    /// gives no detection, both its directions are abandoned (and only those), at most a few
    /// lines are scanned, the run allocates under 512 KB and takes under 2 s.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Noise_on_a_mining_port_is_given_up_early_and_the_miner_beside_it_is_found(bool printable)
    {
        var capture = NewCapture();
        var garbage = capture.Tcp("192.0.2.40", 40301, "203.0.113.40", 3333, 1_000, 2_000).Handshake();
        var toServer = Noise(1, Megabyte, printable);
        var toClient = Noise(2, Megabyte, printable);
        for (var i = 0; i < toServer.Length; i += 8)
        {
            garbage.Client(toServer[i..Math.Min(i + 8, toServer.Length)]).Server(toClient[i..Math.Min(i + 8, toClient.Length)]);
            if (i == 64)
            {
                NormalMiner(capture, 40302);
            }
        }
        garbage.Close();
        var frames = Frames(capture);

        var run = Run(frames);

        output.WriteLine($"{frames.Count} frames in {run.Elapsed.TotalMilliseconds:F0} ms, {run.AllocatedBytes} bytes allocated; counters: "
            + $"json {run.Engine.InspectionCounters.JsonMessages}, malformed {run.Engine.InspectionCounters.MalformedJson}, too long {run.Engine.InspectionCounters.LinesTooLong}");
        var detection = Assert.Single(run.Detections);
        Assert.Equal(40302, detection.MinerPort);
        Assert.Equal(2, run.Engine.InspectionCounters.DirectionsAbandoned);
        Assert.True(run.Engine.InspectionCounters.MalformedJson <= 2 * Core.Protocols.Stratum.StratumInspector.MaxBadLinesBeforeGivingUp);
        Assert.Equal(0, run.Engine.InspectionCounters.LinesTooLong);
        Assert.True(run.AllocatedBytes < 512 * 1024, $"allocated {run.AllocatedBytes} bytes");
        Assert.True(run.Elapsed < TimeSpan.FromSeconds(2), $"took {run.Elapsed}");
    }

    private static readonly LinkType[] LinkTypesToFuzz = Enum.GetValues<LinkType>();

    /// <summary>
    /// 100k seeded random frames of 0..2000 bytes on every supported link type, straight into
    /// the engine: no exception, every frame accounted for (Frames = Decoded + sum(NotDecoded)),
    /// no detection out of noise. Bound: under 8 s for all link types.
    /// </summary>
    [Fact]
    public void Random_frames_on_every_link_type_never_throw_and_are_all_counted()
    {
        var clock = Stopwatch.StartNew();
        var buffer = new byte[2000];
        foreach (var link in LinkTypesToFuzz)
        {
            var random = new Random((int)link);
            var sink = new CaptureRunner.CollectingSink();
            var engine = new Engine(CaptureRunner.Rules, new EngineOptions(), sink);
            var micros = Start.ToUnixTimeMilliseconds() * 1000;
            for (var i = 0; i < 100_000; i++)
            {
                var frame = buffer.AsSpan(0, random.Next(0, 2001));
                random.NextBytes(frame);
                engine.ProcessFrame(link, frame, micros);
                micros += random.Next(0, 2000);
            }
            engine.Finish();

            var c = engine.Counters;
            output.WriteLine($"{link}: decoded {c.Decoded}, not decoded [{string.Join(", ", c.NotDecoded)}], flows {engine.FlowCounters.FlowsCreated}");
            Assert.Equal(100_000, c.Frames);
            Assert.Equal(c.Frames, c.Decoded + c.NotDecoded.Sum());
            Assert.Empty(sink.Detections);
        }
        output.WriteLine($"{clock.Elapsed.TotalMilliseconds:F0} ms");
    }

    /// <summary>
    /// Real mining frames with seeded bit flips and truncations: noise that gets past the
    /// decoder into flows, reassembly and the JSON framer. No exception, every frame counted.
    /// </summary>
    [Fact]
    public void Mutated_mining_frames_never_throw_and_are_all_counted()
    {
        var capture = NewCapture();
        for (var port = 0; port < 20; port++)
        {
            NormalMiner(capture, (ushort)(41000 + port), shares: 20);
        }
        var frames = Frames(capture);
        var random = new Random(9);
        var sink = new CaptureRunner.CollectingSink();
        var engine = new Engine(CaptureRunner.Rules, new EngineOptions(), sink);
        var mutated = 0;
        for (var round = 0; round < 20; round++)
        {
            foreach (var frame in frames)
            {
                var bytes = (byte[])frame.Bytes.Clone();
                var flips = random.Next(0, 4);
                for (var f = 0; f < flips; f++)
                {
                    bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
                }
                var length = random.Next(10) == 0 ? random.Next(bytes.Length + 1) : bytes.Length;
                engine.ProcessFrame(frame.Link, bytes.AsSpan(0, length), frame.Micros + (round * 600_000_000L));
                mutated++;
            }
        }
        engine.Finish();

        var c = engine.Counters;
        output.WriteLine($"{mutated} frames: decoded {c.Decoded}, not decoded [{string.Join(", ", c.NotDecoded)}], detections {sink.Detections.Count}, "
            + $"json {engine.InspectionCounters.JsonMessages}, malformed {engine.InspectionCounters.MalformedJson}, gaps {engine.FlowCounters.Gaps}");
        Assert.Equal(mutated, c.Frames);
        Assert.Equal(c.Frames, c.Decoded + c.NotDecoded.Sum());
        Assert.True(engine.InspectionCounters.JsonMessages > 1000, "the mutations should leave most messages readable");
        Assert.NotEmpty(sink.Detections);
    }
}
