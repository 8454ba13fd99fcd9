using Microsoft.Extensions.Logging.Abstractions;
using PoolDetector.Capture;
using PoolDetector.Core;
using PoolDetector.Core.Decoding;
using PoolDetector.Core.Detection;
using PoolDetector.Evidence;
using PoolDetector.Hosting;
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
        var (frames, warmUp) = SteadyStateCapture.Build(rounds: 1000, warmUpRound: 500);
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
        var (frames, warmUp) = SteadyStateCapture.Build(rounds: 1000, warmUpRound: 500);
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
}
