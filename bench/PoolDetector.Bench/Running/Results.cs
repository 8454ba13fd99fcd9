using System.Text.Json.Serialization;

namespace PoolDetector.Bench.Running;

/// <summary>What one run of a tool cost, and the machine's load just before it.</summary>
internal sealed record RunFigures(double WallSeconds, double UserSeconds, double SystemSeconds, double CpuSeconds, [property: JsonPropertyName("max_rss_kib")] long MaxRssKiB, int ExitCode, double LoadAverageBefore);

/// <summary>How a tool's mining flows compare with the generator's: found of all, which were missed, what else it called mining, and its other categories.</summary>
internal sealed record MiningMatch(
    int Truth, int Found, int? DialectAgrees, int Extra, IReadOnlyList<string> Missed, IReadOnlyList<string> ExtraFlows, IReadOnlyDictionary<string, int> OtherCategories);

/// <summary>A tool's runs and their medians.</summary>
internal sealed record ContenderResult(
    string Name,
    string Role,
    string Command,
    IReadOnlyList<RunFigures> Runs,
    double MedianWallSeconds,
    double MinWallSeconds,
    double MaxWallSeconds,
    double MedianCpuSeconds,
    [property: JsonPropertyName("median_max_rss_mib")] double MedianMaxRssMiB,
    double PacketsPerSecond,
    MiningMatch? Mining,
    int? SummaryMiningFlows,
    IReadOnlyDictionary<string, double>? Stats)
{
    public double? AllocatedBytesPerPacket => Stats is not null && Stats.TryGetValue("allocated_bytes_per_packet", out var value) ? value : null;
}

internal sealed record CaptureDescription(string Path, long Bytes, long Packets, int MiningFlows);

/// <summary>
/// The two targets: pooldetector at least twice nDPI's packets per second, and within
/// twice tcpdump's wall time; beside them the same two by CPU time (packets per CPU second over
/// nDPI's, CPU time over tcpdump's), which other work on a small machine disturbs less than wall time.
/// </summary>
internal sealed record Ratios(
    double PoolDetectorOverNdpiPacketsPerSecond, double PoolDetectorOverTcpdumpWallTime,
    double PoolDetectorOverNdpiPacketsPerCpuSecond, double PoolDetectorOverTcpdumpCpuTime)
{
    public const double NdpiTarget = 2.0;
    public const double TcpdumpTarget = 2.0;

    public bool NdpiTargetMet => PoolDetectorOverNdpiPacketsPerSecond >= NdpiTarget;

    public bool TcpdumpTargetMet => PoolDetectorOverTcpdumpWallTime <= TcpdumpTarget;
}

internal sealed record BenchmarkResults(
    string Mode, DateTimeOffset Measured, MachineInfo Machine, CaptureDescription Capture, int Repeat, IReadOnlyList<ContenderResult> Contenders, Ratios? Ratios);
