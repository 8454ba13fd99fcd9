using System.Runtime.InteropServices;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace PoolDetector.Bench.Running;

/// <summary>Where the figures were measured: cores, CPU model, memory, kernel, runtime and tool versions, load.</summary>
internal sealed partial record MachineInfo(
    int Cores, string CpuModel, [property: JsonPropertyName("memory_gib")] double MemoryGiB, string Kernel, string DotnetRuntime, string? TcpdumpVersion, string? LibpcapVersion, string? NdpiVersion,
    string? TcpreplayVersion)
{
    public static MachineInfo Describe()
    {
        var cpuinfo = ReadOr("/proc/cpuinfo", "");
        var model = CpuModelPattern().Match(cpuinfo) is { Success: true } found ? found.Groups[1].Value.Trim() : "unknown";
        var meminfo = ReadOr("/proc/meminfo", "");
        var memory = MemTotalPattern().Match(meminfo) is { Success: true } total ? double.Parse(total.Groups[1].Value) / (1024 * 1024) : 0;
        var tcpdump = MeasuredProcess.Output("tcpdump", "--version") ?? "";
        var ndpi = MeasuredProcess.Output("ndpiReader", "-h") ?? "";
        var tcpreplay = MeasuredProcess.Output("tcpreplay", "--version") ?? "";
        return new MachineInfo(
            Environment.ProcessorCount,
            model,
            Math.Round(memory, 1),
            ReadOr("/proc/sys/kernel/osrelease", "unknown").Trim(),
            RuntimeInformation.FrameworkDescription,
            TcpdumpVersionPattern().Match(tcpdump) is { Success: true } t ? t.Groups[1].Value : null,
            LibpcapVersionPattern().Match(tcpdump) is { Success: true } l ? l.Groups[1].Value : null,
            NdpiVersionPattern().Match(ndpi) is { Success: true } n ? n.Groups[1].Value : null,
            TcpreplayVersionPattern().Match(tcpreplay) is { Success: true } r ? r.Groups[1].Value : null);
    }

    /// <summary>The 1-minute load average now: other work on the machine shows here.</summary>
    public static double LoadAverage() =>
        double.TryParse(ReadOr("/proc/loadavg", "0").Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture, out var load) ? load : 0;

    private static string ReadOr(string path, string fallback)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (IOException)
        {
            return fallback;
        }
    }

    [GeneratedRegex(@"^model name\s*:\s*(.+)$", RegexOptions.Multiline)]
    private static partial Regex CpuModelPattern();

    [GeneratedRegex(@"^MemTotal:\s*(\d+) kB", RegexOptions.Multiline)]
    private static partial Regex MemTotalPattern();

    [GeneratedRegex(@"tcpdump version (\S+)")]
    private static partial Regex TcpdumpVersionPattern();

    [GeneratedRegex(@"libpcap version (\S+)")]
    private static partial Regex LibpcapVersionPattern();

    [GeneratedRegex(@"nDPI (\d+\.\d+[^\s]*)")]
    private static partial Regex NdpiVersionPattern();

    [GeneratedRegex(@"tcpreplay version: (\S+)")]
    private static partial Regex TcpreplayVersionPattern();
}
