using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using PoolDetector.Cli;
using PoolDetector.Testing;
using PoolDetector.Tests.Cli;
using Xunit.Abstractions;

namespace PoolDetector.Tests.Reporting;

/// <summary>Real events: <c>analyze --format jsonl</c> over the project's captures in pcaps/, run once for the class.</summary>
public sealed class ProjectCaptureEvents : IDisposable
{
    private readonly TempDirectory _dir = new();

    public ProjectCaptureEvents()
    {
        var result = Cli.Cli.Run("analyze", "--format", "jsonl", "--rules", RepositoryPaths.Rules, RepositoryPaths.Pcaps);
        AnalyzeExit = result.ExitCode;
        AnalyzeStderr = result.Stderr;
        // pcap_filename carries the path as given: the repository-relative one, as in pcaps/expected/.
        Text = result.Stdout.Replace(RepositoryPaths.Pcaps + Path.DirectorySeparatorChar, "pcaps/", StringComparison.Ordinal);
        EventsPath = _dir.File("pcaps-events.jsonl", Encoding.UTF8.GetBytes(Text));
    }

    public int AnalyzeExit { get; }
    public string AnalyzeStderr { get; }
    public string Text { get; }
    public string EventsPath { get; }
    public string Scratch => _dir.Path;

    public void Dispose() => _dir.Dispose();
}

public sealed class ReportGoldenTests(ProjectCaptureEvents captures, ITestOutputHelper output) : IClassFixture<ProjectCaptureEvents>, IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Report_of_the_project_captures_matches_the_golden_csv_and_markdown()
    {
        Assert.True(captures.AnalyzeExit == ExitCodes.MiningFound, captures.AnalyzeStderr);

        var csv = Cli.Cli.Run("report", "--events", captures.EventsPath, "--inventory", ReportTestFiles.PcapsInventory, "--format", "csv");
        var md = Cli.Cli.Run("report", "--events", captures.EventsPath, "--inventory", ReportTestFiles.PcapsInventory, "--format", "md");

        Assert.Equal((ExitCodes.Clean, ""), (csv.ExitCode, csv.Stderr));
        Assert.Equal((ExitCodes.Clean, ""), (md.ExitCode, md.Stderr));
        ReportTestFiles.AssertGolden("pcaps.csv", csv.Stdout, captures.Scratch, output);
        ReportTestFiles.AssertGolden("pcaps.md", md.Stdout, captures.Scratch, output);
    }

    [Fact]
    public void Totals_of_the_project_captures_are_what_the_events_add_up_to()
    {
        // Counted here straight from the events, independently of the report's code.
        var events = captures.Text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement).ToList();
        var mining = events.Select(e => e.GetProperty("mining")).ToList();
        var hosts = events.Select(e => e.GetProperty("src_ip").GetString()).Distinct().Count();
        var miningHosts = events.Where(e => e.GetProperty("mining").GetProperty("category").GetString() == "mining"
                || (e.GetProperty("mining").GetProperty("category").GetString() == "pool-contact" && e.GetProperty("mining").GetProperty("confidence").GetString() != "low"))
            .Select(e => e.GetProperty("src_ip").GetString()).Distinct().Count();
        var bytes = mining.Sum(m => m.GetProperty("flow").GetProperty("bytes_toserver").GetInt64() + m.GetProperty("flow").GetProperty("bytes_toclient").GetInt64());
        var submitted = mining.Sum(m => m.GetProperty("shares_submitted").GetInt64());
        var accepted = mining.Sum(m => m.GetProperty("shares_accepted").GetInt64());
        Assert.True(events.Count >= 20, $"analyze found only {events.Count} flows in pcaps/");

        var md = Cli.Cli.Run("report", "--events", captures.EventsPath, "--format", "md").Stdout;
        Assert.Equal(N(hosts), Total(md, "hosts"));
        Assert.Equal(N(miningHosts), Total(md, "mining hosts (mining, or pool contact of medium confidence or more)"));
        Assert.Equal(N(events.Count), Total(md, "flows"));
        Assert.Equal(N(mining.Count(m => m.GetProperty("category").GetString() == "mining")), Total(md, "flows: mining"));
        Assert.Equal(N(bytes), Total(md, "bytes"));
        Assert.Equal($"{N(accepted)}/{N(submitted)}", Total(md, "shares accepted/submitted"));

        // The CSV's rows (host and pool) add up to the same.
        var rows = Cli.Cli.Run("report", "--events", captures.EventsPath, "--format", "csv").Stdout
            .Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(SplitCsv).ToList();
        var header = CsvHeader();
        Assert.Equal(events.Count, rows.Sum(r => long.Parse(r[header["flows"]], CultureInfo.InvariantCulture)));
        Assert.Equal(bytes, rows.Sum(r => long.Parse(r[header["bytes"]], CultureInfo.InvariantCulture)));
        Assert.Equal(hosts, rows.Select(r => r[header["host"]]).Distinct().Count());
        Assert.Equal(submitted, rows.Sum(r => long.Parse(r[header["shares_submitted"]], CultureInfo.InvariantCulture)));
    }

    [Fact]
    public void Campus_report_matches_the_golden_csv_and_markdown()
    {
        var csv = Cli.Cli.Run("report", "--events", ReportTestFiles.CampusEvents, "--inventory", ReportTestFiles.CampusInventory, "--format", "csv");
        var md = Cli.Cli.Run("report", "--events", ReportTestFiles.CampusEvents, "--inventory", ReportTestFiles.CampusInventory);

        Assert.Equal((ExitCodes.Clean, ""), (csv.ExitCode, csv.Stderr));
        Assert.Equal((ExitCodes.Clean, ""), (md.ExitCode, md.Stderr));
        ReportTestFiles.AssertGolden("campus.csv", csv.Stdout, null, output);
        ReportTestFiles.AssertGolden("campus.md", md.Stdout, null, output);

        // What the hand-written events were written to show, checked beside the golden text:
        // 9 alerts, one followed by its evidence event (the hash) and its flow_end (39/40 shares), so 9 flows;
        // 7 hosts, of which the low-confidence pool contact and the node are not mining hosts.
        Assert.Equal("9", Total(md.Stdout, "flows"));
        Assert.Equal("7", Total(md.Stdout, "hosts"));
        Assert.Equal("5", Total(md.Stdout, "mining hosts (mining, or pool contact of medium confidence or more)"));
        Assert.Equal("5", Total(md.Stdout, "departments"));
        Assert.Contains("2 event(s) reporting a flow already reported were merged", md.Stdout, StringComparison.Ordinal);
        Assert.Equal(["2025-03-03 2", "2025-03-04 3", "2025-03-05 2", "2025-03-06 0", "2025-03-07 1"], Trend(md.Stdout));
        // The flow reported twice counts with its final numbers and the alert's evidence file: 87/90 = 39/40 (flow 101) + 48/50 (flow 5).
        Assert.Contains("| 463,000 | 87/90 |", md.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Campus_report_for_two_days_in_Shanghai_counts_days_at_Shanghai_midnight()
    {
        var md = Cli.Cli.Run("report", "--events", ReportTestFiles.CampusEvents, "--inventory", ReportTestFiles.CampusInventory,
            "--from", "2025-03-04", "--to", "2025-03-05", "--timezone", "Asia/Shanghai");

        Assert.Equal((ExitCodes.Clean, ""), (md.ExitCode, md.Stderr));
        ReportTestFiles.AssertGolden("campus-shanghai.md", md.Stdout, null, output);
        // In UTC+8 the flow open over midnight UTC (22:30-01:10) lies on 5 March alone, and the
        // window [4 March 00:00, 6 March 00:00) Shanghai time leaves out the flows of 3 March UTC.
        Assert.Equal(["2025-03-04 2", "2025-03-05 1"], Trend(md.Stdout));
        Assert.Equal("5", Total(md.Stdout, "flows"));
        Assert.Contains("4 flow(s) outside the period were left out", md.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Rotated_and_gzip_compressed_files_in_any_order_give_the_same_report()
    {
        var lines = File.ReadAllLines(ReportTestFiles.CampusEvents);
        // eve.json.1.gz (older half, compressed by logrotate) and eve.json, named in reverse
        // order, lines reversed too: the live alert now comes after its final event.
        var rotated = Path.Combine(_dir.Path, "eve.json.1.gz");
        using (var file = File.Create(rotated))
        using (var gzip = new GZipStream(file, CompressionLevel.Optimal))
        {
            gzip.Write(Encoding.UTF8.GetBytes(string.Join('\n', lines[..7].Reverse()) + "\n"));
        }
        var current = _dir.File("eve.json", Encoding.UTF8.GetBytes(string.Join('\n', lines[7..].Reverse()) + "\n"));

        var split = Cli.Cli.Run("report", "--events", current, rotated, "--inventory", ReportTestFiles.CampusInventory, "--format", "csv");
        var whole = Cli.Cli.Run("report", "--events", ReportTestFiles.CampusEvents, "--inventory", ReportTestFiles.CampusInventory, "--format", "csv");

        Assert.Equal((ExitCodes.Clean, ""), (split.ExitCode, split.Stderr));
        Assert.Equal(whole.Stdout, split.Stdout);
    }

    [Fact]
    public void Output_file_is_written_whole_and_stdout_stays_empty()
    {
        var target = Path.Combine(_dir.Path, "report.md");

        var result = Cli.Cli.Run("report", "--events", ReportTestFiles.CampusEvents, "--output", target);

        Assert.Equal((ExitCodes.Clean, "", ""), (result.ExitCode, result.Stdout, result.Stderr));
        Assert.StartsWith("# Cryptocurrency mining report\n", File.ReadAllText(target), StringComparison.Ordinal);
        Assert.Equal(["report.md"], Directory.GetFiles(_dir.Path).Select(Path.GetFileName));
    }

    /// <summary>The value of a row of the Markdown report's totals table.</summary>
    internal static string Total(string markdown, string name)
    {
        var prefix = $"| {name} | ";
        var line = markdown.Split('\n').SingleOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal));
        Assert.True(line is not null, $"no totals row '{name}' in:\n{markdown}");
        return line[prefix.Length..^2];
    }

    /// <summary>The Markdown report's trend table as "day count" strings.</summary>
    internal static string[] Trend(string markdown) =>
        markdown[markdown.IndexOf("## Mining hosts per day", StringComparison.Ordinal)..markdown.IndexOf("## Departments", StringComparison.Ordinal)]
            .Split('\n')
            .Where(l => l.StartsWith("| 20", StringComparison.Ordinal))
            .Select(l => string.Join(' ', l.Split('|', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)))
            .ToArray();

    /// <summary>One RFC 4180 row: quoted cells may hold commas (a department such as "Physics, Quantum Lab").</summary>
    internal static string[] SplitCsv(string row) => row.Length == 0 ? [""] : [.. Support.Csv.Records(row).Single()];

    private static Dictionary<string, int> CsvHeader() =>
        PoolDetector.Reporting.CsvReportWriter.Header.Split(',').Select((name, i) => (name, i)).ToDictionary(x => x.name, x => x.i);

    private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
