using Microsoft.Extensions.Logging.Abstractions;
using PoolDetector.Capture;
using PoolDetector.Core;
using PoolDetector.Core.Decoding;
using PoolDetector.Core.Detection;
using PoolDetector.Evidence;
using PoolDetector.Hosting;
using PoolDetector.Tests.CaptureGeneration;
using PoolDetector.Tests.Corpus;
using PoolDetector.Testing;
using Xunit.Abstractions;

namespace PoolDetector.Tests.Evidence;

/// <summary>
/// Evidence on the packet path allocates nothing per packet in steady state: every frame is
/// copied into the recent-packet store's preallocated ring, and once the detected flows' follows
/// are over, a frame costs a copy and a count. (While a flow is followed, its frames go into
/// pooled chunks; that is bounded per detection, not per packet of the network.)
/// </summary>
public sealed class EvidenceAllocationTests(ITestOutputHelper output)
{
    /// <summary>The frames play once: the measured half is cut in this many slices, each with hundreds of messages of every session.</summary>
    private const int Slices = 4;

    /// <summary>Files are never opened here: the writer is not started, and would write nowhere.</summary>
    private static IPcapFileWriter NoFile(string path, LinkType linkType) => throw new IOException("not in this test");

    [Fact]
    public void The_store_and_the_recorder_allocate_nothing_per_packet()
    {
        var frames = Frames(out var warmUp);
        using var directory = new Cli.TempDirectory();
        var options = new SensorOptions
        {
            EvidenceDirectory = directory.Path,
            // Small enough for the ring to wrap many times in the measured half.
            EvidenceBufferMiB = 1,
            // The detections of the warm-up are followed for a few frames only.
            EvidenceFollowPackets = 4,
        };
        var alerts = new CaptureRunner.CollectingSink();
        var recorder = new EvidenceRecorder(options, alerts, NoFile, TimeProvider.System, new NullSensorMetrics(), NullLogger<EvidenceRecorder>.Instance);
        var engine = new Engine(CaptureRunner.Rules, new EngineOptions { Reporting = DetectionReporting.OnVerdict }, recorder);
        for (var i = 0; i < warmUp; i++)
        {
            engine.ProcessFrame(frames[i].Link, frames[i].Frame, frames[i].Micros);
            recorder.Record(frames[i].Link, frames[i].Frame, frames[i].Micros);
        }
        Assert.True(alerts.Detections.Count >= 2, "the warm-up has the mining sessions detected");
        Assert.All(alerts.Detections, d => Assert.NotNull(d.EvidencePcap));

        var storedBefore = recorder.Store.Stored;
        var next = warmUp;
        void PlayUpTo(int end)
        {
            for (; next < end; next++)
            {
                engine.ProcessFrame(frames[next].Link, frames[next].Frame, frames[next].Micros);
                recorder.Record(frames[next].Link, frames[next].Frame, frames[next].Micros);
            }
        }
        var packets = frames.Count - warmUp;
        var allocated = Allocations.LeastOverSlices(Slices, packets, end => PlayUpTo(warmUp + end));
        output.WriteLine($"{packets} packets through engine and recorder: {allocated} bytes allocated in the least slice; store: {recorder.Store.Frames} frames held, {recorder.Store.Evicted} evicted");
        Assert.Equal(frames.Count, next);
        Assert.Equal(packets, recorder.Store.Stored - storedBefore);
        Assert.True(recorder.Store.Evicted > 0, "the ring wrapped and let frames go during the measurement");
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void The_store_alone_allocates_nothing_per_packet()
    {
        var frames = Frames(out var warmUp);
        var store = new RecentPacketStore(256 * 1024, TimeSpan.FromSeconds(30));
        for (var i = 0; i < warmUp; i++)
        {
            store.Record(frames[i].Link, frames[i].Frame, frames[i].Micros);
        }
        var next = warmUp;
        var allocated = Allocations.LeastOverSlices(Slices, frames.Count - warmUp, end =>
        {
            for (; next < warmUp + end; next++)
            {
                store.Record(frames[next].Link, frames[next].Frame, frames[next].Micros);
            }
        });
        Assert.Equal(frames.Count, next);
        Assert.Equal(0, allocated);
        Assert.True(store.Evicted + store.Expired > 0);
    }

    /// <summary>Long Stratum and CryptoNote sessions beside a binary flow, as the engine's own steady-state test has them.</summary>
    private static List<(LinkType Link, byte[] Frame, long Micros)> Frames(out int warmUp)
    {
        var capture = new CaptureBuilder(LinkFraming.Ethernet(), new DateTimeOffset(2026, 11, 1, 8, 0, 0, TimeSpan.Zero));
        var stratum = capture.Tcp("192.0.2.10", 40001, "203.0.113.5", 3333, 1000, 2000).Handshake()
            .Client("{\"id\":1,\"method\":\"mining.subscribe\",\"params\":[\"cgminer/4.10.0\"]}\n")
            .Server("{\"id\":1,\"result\":[[[\"mining.set_difficulty\",\"1\"],[\"mining.notify\",\"1\"]],\"08000002\",4],\"error\":null}\n")
            .Client("{\"id\":2,\"method\":\"mining.authorize\",\"params\":[\"wallet.rig1\",\"x\"]}\n")
            .Server("{\"id\":2,\"result\":true,\"error\":null}\n");
        var xmrig = capture.Tcp("192.0.2.11", 40002, "203.0.113.6", 10128, 3000, 4000).Handshake()
            .Client("{\"id\":1,\"jsonrpc\":\"2.0\",\"method\":\"login\",\"params\":{\"login\":\"44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A\",\"pass\":\"x\",\"agent\":\"XMRig/6.21.0 (Linux x86_64) libuv/1.44.2 gcc/12.2.0\",\"algo\":[\"rx/0\"],\"rigid\":\"\"}}\n");
        var binary = capture.Tcp("192.0.2.12", 40003, "203.0.113.7", 443, 5000, 6000).Handshake();
        warmUp = 0;
        for (var i = 0; i < 1000; i++)
        {
            if (i == 500)
            {
                warmUp = capture.PacketCount;
            }
            var job = $"{i:x8}";
            stratum.Server($"{{\"id\":null,\"method\":\"mining.notify\",\"params\":[\"{job}\",\"4d16b6f85af6e2198f44ae2a6de67f78487ae5611b77c6c0440b921e00000000\",\"01000000010000\",\"072f736c7573682f\",[],\"00000002\",\"1c2ac4af\",\"504e86b9\",false]}}\n");
            stratum.Client($"{{\"params\":[\"wallet.rig1\",\"{job}\",\"00000001\",\"504e86ed\",\"b2957c02\"],\"id\":{i + 10},\"method\":\"mining.submit\"}}\n");
            stratum.Server($"{{\"id\":{i + 10},\"result\":true,\"error\":null}}\n");
            xmrig.Server($"{{\"jsonrpc\":\"2.0\",\"method\":\"job\",\"params\":{{\"blob\":\"0707c5e0dfdc057c60c5dbdb26b716a880df1188dc87aac5d21a6a8230adcf679c2058fd7b807e0000000099330aefd29c503d834876f4d322f20473210298ff97414fec94dc5ec919da8507\",\"job_id\":\"{job}\",\"target\":\"711b0d00\",\"algo\":\"rx/0\"}}}}\n");
            xmrig.Client($"{{\"id\":{i + 2},\"jsonrpc\":\"2.0\",\"method\":\"submit\",\"params\":{{\"id\":\"0ea1\",\"job_id\":\"{job}\",\"nonce\":\"a4010000\",\"result\":\"3b0f7bd2c4a27cf1e2ea3dfa8a4e1ab8f1c0a7c7c3a7ad6e9f7e31d7f8f40000\"}}}}\n");
            xmrig.Server($"{{\"id\":{i + 2},\"jsonrpc\":\"2.0\",\"error\":null,\"result\":{{\"status\":\"OK\"}}}}\n");
            binary.Client("\u0017\u0003\u0003\u0000\u0020 application data record payload");
        }
        using var directory = new Cli.TempDirectory();
        return CaptureRunner.ReadFrames(directory.File("steady.pcap", capture.ToPcap()));
    }
}
