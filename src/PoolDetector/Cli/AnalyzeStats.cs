using System.Diagnostics;
using System.Globalization;
using PoolDetector.Outputs;

namespace PoolDetector.Cli;

/// <summary>
/// <c>analyze --stats</c>: one line on stderr at the end saying what the run cost, for the
/// benchmark (bench/) and for sizing a sensor. Every figure is the whole process's since it
/// started, start-up and rule loading included, so it agrees with what time(1) or getrusage
/// measure from outside; an allocation-free packet path shows as a per-packet figure that
/// falls towards zero as captures grow.
/// </summary>
internal static class AnalyzeStats
{
    public const string Prefix = "pooldetector: stats: ";

    public static string Describe(AnalysisTotals totals)
    {
        using var process = Process.GetCurrentProcess();
        var wall = DateTime.Now - process.StartTime;
        var cpu = process.TotalProcessorTime;
        // precise: true, so the count includes what the allocation contexts have not yet reported.
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        var perPacket = totals.Packets == 0 ? 0 : (double)allocated / totals.Packets;
        return string.Create(CultureInfo.InvariantCulture,
            $"{Prefix}packets={totals.Packets} flows={totals.Flows} wall_seconds={wall.TotalSeconds:F3} cpu_seconds={cpu.TotalSeconds:F3} " +
            $"allocated_bytes={allocated} allocated_bytes_per_packet={perPacket:F1} " +
            $"gc_gen0={GC.CollectionCount(0)} gc_gen1={GC.CollectionCount(1)} gc_gen2={GC.CollectionCount(2)}");
    }
}
