using PoolDetector.Core;
using PoolDetector.Testing;
using Xunit.Abstractions;

namespace PoolDetector.Tests.Corpus;

/// <summary>
/// The per-packet path allocates nothing once flows are established. Flows allocate when
/// they start (pooled objects the first time), when a miner's agent or worker is first
/// read, and when they end with a detection; packets in between must not.
/// </summary>
public class SteadyStateAllocationTests(ITestOutputHelper output)
{
    /// <summary>
    /// Long sessions of three dialects plus a binary flow, interleaved: after the first half
    /// (warm-up), thousands of jobs, shares and replies go through reassembly,
    /// framing, JSON scanning and share counting without one byte allocated.
    /// </summary>
    [Fact]
    public void Long_mining_sessions_allocate_nothing_per_packet()
    {
        // Half the session warms up: pools filled, code paths tiered up by the JIT.
        var (frames, warmUp) = SteadyStateCapture.Build(rounds: 2000, warmUpRound: 1000);

        var engine = new Engine(CaptureRunner.Rules, new EngineOptions(), new CaptureRunner.CollectingSink());
        var next = 0;
        void PlayUpTo(int end)
        {
            for (; next < end; next++)
            {
                engine.ProcessFrame(frames[next].Link, frames[next].Frame, frames[next].Micros);
            }
        }
        PlayUpTo(warmUp);
        var messagesBefore = engine.InspectionCounters.JsonMessages;
        // The capture plays once, so the batches are consecutive slices of the measured half, the
        // last ending at the last frame. Each slice carries hundreds of jobs, shares and replies
        // of every dialect: an allocation per packet shows in all of them.
        const int slices = 4;
        var packets = frames.Count - warmUp;
        var allocated = Allocations.LeastOverSlices(slices, packets, end => PlayUpTo(warmUp + end));
        var messages = engine.InspectionCounters.JsonMessages - messagesBefore;

        output.WriteLine($"{packets} packets, {messages} JSON messages measured in {slices} slices: {allocated} bytes allocated in the least");
        Assert.Equal(frames.Count, next);
        Assert.True(messages >= 6 * 1000, $"expected the measured packets to carry mining messages, got {messages}");
        Assert.Equal(0, allocated);

        engine.Finish();
    }
}
