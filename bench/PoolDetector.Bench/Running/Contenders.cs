using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace PoolDetector.Bench.Running;

/// <summary>A flow a tool reported, by its endpoints (either order) and what it called it.</summary>
internal sealed record ReportedFlow(FlowEndpoints Endpoints, string Category, string? Dialect);

/// <summary>
/// A tool in the comparison: the command that reads the capture (timed), how to tell it
/// succeeded, and which flows it reported. A later live mode (the daemon on a veth pair fed by
/// tcpreplay) adds contenders of its own and reuses the measuring, matching and reporting.
/// </summary>
internal abstract class Contender
{
    public abstract string Name { get; }

    /// <summary>What the table says the tool is doing.</summary>
    public abstract string Role { get; }

    public abstract (string Program, string[] Arguments) Command(string capture, string workDirectory);

    public virtual bool Succeeded(int exitCode) => exitCode == 0;

    /// <summary>Whether the tool reports flows at all (tcpdump only reads).</summary>
    public virtual bool Detects => true;

    /// <summary>The flows the tool reported, from a timed run's output (or from a run of its own, untimed).</summary>
    public virtual IReadOnlyList<ReportedFlow> Flows(Measurement run, string capture, string workDirectory) => [];
}

/// <summary>libpcap's own read loop: the floor for any tool that reads the file through libpcap.</summary>
internal sealed class Tcpdump : Contender
{
    public override string Name => "tcpdump";

    public override string Role => "libpcap read loop: tcpdump -r FILE -w /dev/null";

    public override bool Detects => false;

    public override (string Program, string[] Arguments) Command(string capture, string workDirectory) =>
        ("tcpdump", ["-r", capture, "-w", "/dev/null"]);
}

/// <summary>
/// nDPI's ndpiReader. Timed as <c>ndpiReader -i FILE</c>: at its default verbosity it analyses
/// every packet (DPI and guessing, as shipped) and prints only its summary; <c>-v 1..3</c> would
/// add a line per flow and <c>-C</c> a CSV row per flow, work pooldetector's jsonl (an event per
/// detected flow only) does not do. Which flows it called mining comes from one more, untimed run
/// with <c>-q -C FILE.csv</c>: the CSV's <c>ndpi_proto</c> names "Mining" for them.
/// </summary>
internal sealed partial class Ndpi : Contender
{
    public override string Name => "nDPI";

    public override string Role => "ndpiReader -i FILE (summary only)";

    public override (string Program, string[] Arguments) Command(string capture, string workDirectory) => ("ndpiReader", ["-i", capture]);

    /// <summary>The summary's count of flows of the Mining protocol ("Mining  packets: N  bytes: N  flows: N").</summary>
    public static int? SummaryMiningFlows(string stdout)
    {
        var match = DetectedMining().Match(stdout);
        return match.Success ? int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : null;
    }

    public static string? Version(string stdout) => VersionLine().Match(stdout) is { Success: true } match ? match.Groups[1].Value : null;

    public override IReadOnlyList<ReportedFlow> Flows(Measurement run, string capture, string workDirectory)
    {
        var csv = Path.Combine(workDirectory, "ndpi-flows.csv");
        var listed = MeasuredProcess.Run("ndpiReader", ["-q", "-i", capture, "-C", csv], workDirectory);
        if (listed.ExitCode != 0)
        {
            throw new InvalidOperationException($"ndpiReader -C exited {listed.ExitCode}: {listed.Stderr}");
        }
        var flows = new List<ReportedFlow>();
        using var reader = new StreamReader(csv);
        var header = (reader.ReadLine() ?? "").TrimStart('#').Split(',');
        int Column(string name) => Array.IndexOf(header, name) is >= 0 and var at ? at : throw new FormatException($"{csv}: no column {name}");
        var (sourceIp, sourcePort, destinationIp, destinationPort, protocol) =
            (Column("src_ip"), Column("src_port"), Column("dst_ip"), Column("dst_port"), Column("ndpi_proto"));
        while (reader.ReadLine() is { } line)
        {
            var cells = line.Split(',');
            if (cells.Length <= protocol)
            {
                continue;
            }
            var name = cells[protocol];
            // "Mining", or a master protocol carrying it ("TLS.Mining").
            var category = name.Split('.').Contains("Mining", StringComparer.Ordinal) ? "mining" : name;
            flows.Add(new ReportedFlow(
                FlowEndpoints.Of(cells[sourceIp], cells[sourcePort], cells[destinationIp], cells[destinationPort]), category, null));
        }
        return flows;
    }

    [GeneratedRegex(@"^\s*Mining\s+packets:\s*\d+\s+bytes:\s*\d+\s+flows:\s*(\d+)", RegexOptions.Multiline)]
    private static partial Regex DetectedMining();

    [GeneratedRegex(@"Using nDPI \(([^)]+)\)")]
    private static partial Regex VersionLine();
}

/// <summary>
/// <c>pooldetector analyze --format jsonl --stats FILE</c> (with <c>--workers N</c> when N is
/// not 1): a published executable (what bench/run.sh measures: Native AOT, as the README's
/// publish command deploys it), or a build's <c>pooldetector.dll</c>, run through <c>dotnet</c>.
/// </summary>
internal sealed partial class PoolDetectorAnalyze(string assembly, int workers = 1) : Contender
{
    /// <summary>"pooldetector" for one engine: the ratios are computed for it.</summary>
    public override string Name => workers == 1 ? "pooldetector" : $"pooldetector --workers {workers}";

    public override string Role => workers == 1 ? "analyze --format jsonl --stats FILE" : $"analyze --format jsonl --stats --workers {workers} FILE";

    public string Assembly { get; } = assembly;

    public override (string Program, string[] Arguments) Command(string capture, string workDirectory)
    {
        string[] arguments = workers == 1
            ? ["analyze", "--format", "jsonl", "--stats", capture]
            : ["analyze", "--format", "jsonl", "--stats", "--workers", workers.ToString(CultureInfo.InvariantCulture), capture];
        return Assembly.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) ? ("dotnet", [Assembly, .. arguments]) : (Assembly, arguments);
    }

    /// <summary>0: nothing found; 1: mining found (what this capture should give).</summary>
    public override bool Succeeded(int exitCode) => exitCode is 0 or 1;

    public override IReadOnlyList<ReportedFlow> Flows(Measurement run, string capture, string workDirectory)
    {
        var flows = new List<ReportedFlow>();
        foreach (var line in run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            using var alert = JsonDocument.Parse(line);
            flows.Add(FromAlert(alert.RootElement));
        }
        return flows;
    }

    /// <summary>An EVE alert, as analyze prints it and the daemon writes it to its EVE log.</summary>
    public static ReportedFlow FromAlert(JsonElement alert)
    {
        var mining = alert.GetProperty("mining");
        return new ReportedFlow(
            FlowEndpoints.Of(
                alert.GetProperty("src_ip").GetString()!, alert.GetProperty("src_port").GetInt32().ToString(CultureInfo.InvariantCulture),
                alert.GetProperty("dest_ip").GetString()!, alert.GetProperty("dest_port").GetInt32().ToString(CultureInfo.InvariantCulture)),
            mining.GetProperty("category").GetString()!,
            mining.GetProperty("dialect").GetString());
    }

    /// <summary>The figures of analyze's --stats line (key=value pairs after "pooldetector: stats: ").</summary>
    public static IReadOnlyDictionary<string, double> Stats(string stderr)
    {
        var figures = new Dictionary<string, double>(StringComparer.Ordinal);
        var match = StatsLine().Match(stderr);
        if (match.Success)
        {
            foreach (var pair in match.Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                var (key, value) = (pair[..pair.IndexOf('=', StringComparison.Ordinal)], pair[(pair.IndexOf('=', StringComparison.Ordinal) + 1)..]);
                figures[key] = double.Parse(value, CultureInfo.InvariantCulture);
            }
        }
        return figures;
    }

    [GeneratedRegex(@"^pooldetector: stats: (.*)$", RegexOptions.Multiline)]
    private static partial Regex StatsLine();
}
