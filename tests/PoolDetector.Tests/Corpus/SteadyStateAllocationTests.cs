using PoolDetector.Core;
using PoolDetector.Testing;
using Xunit.Abstractions;

namespace PoolDetector.Tests.Corpus;

/// <summary>
/// The per-packet path allocates nothing once flows are established: the second half of a
/// long real mining session (hundreds of Stratum lines, reassembly, share counting) must
/// not allocate a single byte.
/// </summary>
public class SteadyStateAllocationTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("real/peafowl/ethereum.pcap")]
    [InlineData("real/peafowl/stratum.pcap")]
    [InlineData("real/peafowl/monero.pcap")]
    public void Established_flows_allocate_nothing_per_packet(string capture)
    {
        var shared = RepositoryPaths.SharedPcaps;
        if (shared is null)
        {
            output.WriteLine("SKIPPED: ../shared/pcaps is absent.");
            return;
        }
        var frames = CaptureRunner.ReadFrames(Path.Combine(shared, capture));
        var sink = new CaptureRunner.CollectingSink();
        var engine = new Engine(CaptureRunner.Rules, new EngineOptions(), sink);
        var half = frames.Count / 2;
        for (var i = 0; i < half; i++)
        {
            engine.ProcessFrame(frames[i].Link, frames[i].Frame, frames[i].Micros);
        }

        var messagesBefore = engine.InspectionCounters.JsonMessages;
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = half; i < frames.Count; i++)
        {
            engine.ProcessFrame(frames[i].Link, frames[i].Frame, frames[i].Micros);
        }
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        var packets = frames.Count - half;
        output.WriteLine($"{capture}: {packets} packets measured, {allocated} bytes allocated ({(double)allocated / packets:F2} per packet)");
        Assert.True(engine.InspectionCounters.JsonMessages - messagesBefore > 10, "the measured half should carry mining messages");
        Assert.Equal(0, allocated);
    }
}
