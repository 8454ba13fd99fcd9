using System.Net;
using System.Text;
using PoolDetector.Cli;
using PoolDetector.Reporting;
using PoolDetector.Tests.Cli;

namespace PoolDetector.Tests.Reporting;

public sealed class ReportBadInputTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static string[] CampusLines => File.ReadAllLines(ReportTestFiles.CampusEvents);

    [Fact]
    public void Broken_lines_are_skipped_counted_and_named_and_the_rest_is_reported()
    {
        var good = CampusLines.Where(l => l.Contains("\"mining\":", StringComparison.Ordinal)).ToArray();
        var lines = new[]
        {
            good[0],                                                    // 1
            "{\"timestamp\":\"2025-03-03T08:00:04.500000+0000\",\"event", // 2: cut short
            "[1,2,3]",                                                  // 3
            good[2].Replace("\"src_ip\":\"10.20.5.7\"", "\"src_ip\":\"not-an-address\"", StringComparison.Ordinal), // 4
            good[5].Replace("\"confidence\":\"medium\"", "\"confidence\":\"certain\"", StringComparison.Ordinal),    // 5
            good[6].Replace("\"timestamp\":\"2025", "\"timestamp\":\"yesterday 2025", StringComparison.Ordinal), // 6
            good[^2],                                                   // 7 (the last alert; the evidence event after it repeats line 1)
            "garbage \u0001\u0002 not json",                             // 8
            new string('x', EventReader.MaxLineBytes + 10),             // 9: over the line limit
        };
        var events = _dir.File("eve.json", Encoding.UTF8.GetBytes(string.Join('\n', lines) + "\n" + good[2][..40]));

        var result = Cli.Cli.Run("report", "--events", events, "--format", "md");

        Assert.Equal(ExitCodes.InputError, result.ExitCode);
        var stderr = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(
        [
            $"{events}:2: not valid JSON (at byte 54)",
            $"{events}:3: not a JSON object",
            $"{events}:4: src_ip missing or not an IP address",
            $"{events}:5: mining.confidence missing or not low, medium or high",
            $"{events}:6: timestamp missing or not an EVE time (2024-05-06T10:10:00.001440+0000)",
            $"{events}:8: not valid JSON (at byte 1)",
            $"{events}:9: line longer than 1 MiB, skipped",
            $"{events}:10: not valid JSON (at byte 41)",
            "pooldetector: warning: 8 broken line(s) skipped; the report covers the rest",
        ], stderr);
        // What could be read is reported: lines 1 and 7, two hosts.
        Assert.Equal("2", ReportGoldenTests.Total(result.Stdout, "flows"));
        Assert.Contains("| 10.10.1.15 |", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("| 172.16.0.8 |", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("| eve.json | 10 | 2 | 0 | 8 |  |", result.Stdout.Replace(_dir.Path + "/", "", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public void Inventory_assigns_departments_only_to_events_that_carry_none()
    {
        // The campus inventory puts 10.10.0.0/16 in Physics; the sensor's own attribution says Astronomy.
        var line = CampusLines[0].Replace("\"department\":\"Physics\"", "\"department\":\"Astronomy\"", StringComparison.Ordinal);
        var events = _dir.File("eve.json", Encoding.UTF8.GetBytes(string.Join('\n', line, CampusLines[3], CampusLines[4], CampusLines[6]) + "\n"));

        var csv = Cli.Cli.Run("report", "--events", events, "--inventory", ReportTestFiles.CampusInventory, "--format", "csv");

        Assert.Equal(ExitCodes.Clean, csv.ExitCode);
        var departments = csv.Stdout.Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(ReportGoldenTests.SplitCsv).Select(r => $"{r[1]} {r[0]}").ToArray();
        // 10.20.9.9 lies in Chemistry's /16 and in the Teaching Lab's /24: the /24 wins.
        Assert.Equal(["10.10.1.15 Astronomy", "10.20.5.7 Chemistry", "10.20.9.9 Chemistry, Teaching Lab", "2001:db8:10::20 Physics"], departments);
    }

    [Fact]
    public void Bad_inventory_lines_are_each_named_and_exit_2()
    {
        var inventory = _dir.File("inventory.csv", Encoding.UTF8.GetBytes("""
            cidr,department,owner,contact
            10.1.2.0/16,Physics,,
            10.300.0.0/16,Chemistry,,
            10.2.0.0/16,,,
            10.3.0.0/33,Library,,
            10.4.0.0/16,"Unclosed,,
            10.5.0.0/16,Library,Owner,contact,extra
            10.6.0.0/16,Library,,
            10.6.0.0/16,Archive,,
            """));

        var result = Cli.Cli.Run("report", "--events", ReportTestFiles.CampusEvents, "--inventory", inventory);

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Equal("", result.Stdout);
        Assert.Equal(
        [
            $"{inventory}:2: '10.1.2.0/16' has host bits set beyond /16 (the range is 10.1.0.0/16)",
            $"{inventory}:3: '10.300.0.0/16' is not an address or CIDR range",
            $"{inventory}:4: no department for 10.2.0.0/16",
            $"{inventory}:5: '10.3.0.0/33': the prefix length must be 0..32",
            $"{inventory}:6: a quoted cell is not closed on its line",
            $"{inventory}:7: 5 column(s); want 4 (cidr,department,owner,contact)",
            $"{inventory}:9: 10.6.0.0/16 is already listed on line 8",
        ], result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void Unknown_time_zone_is_a_usage_error()
    {
        var result = Cli.Cli.Run("report", "--events", ReportTestFiles.CampusEvents, "--timezone", "Mars/Olympus_Mons");

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Equal("", result.Stdout);
        Assert.Contains("--timezone: unknown time zone 'Mars/Olympus_Mons': give an IANA name such as UTC, Europe/Berlin or Asia/Shanghai", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_events_file_is_exit_3_and_no_report_when_nothing_could_be_read()
    {
        var missing = Path.Combine(_dir.Path, "eve.json.2.gz");

        var alone = Cli.Cli.Run("report", "--events", missing);
        var beside = Cli.Cli.Run("report", "--events", ReportTestFiles.CampusEvents, missing, "--format", "csv");

        Assert.Equal(ExitCodes.InputError, alone.ExitCode);
        Assert.Equal("", alone.Stdout);
        Assert.Equal([$"pooldetector: {missing}: no such file", "pooldetector: no events file could be read: no report written"],
            alone.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        // Beside a readable file, the report of what was read is still written.
        Assert.Equal(ExitCodes.InputError, beside.ExitCode);
        Assert.Equal($"pooldetector: {missing}: no such file\n", beside.Stderr);
        Assert.Equal(8, beside.Stdout.Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Length); // header + 7 host/pool rows
    }

    [Fact]
    public void Gzip_cut_short_or_damaged_is_exit_3_with_what_was_read_before()
    {
        using var compressed = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(compressed, System.IO.Compression.CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(File.ReadAllBytes(ReportTestFiles.CampusEvents));
        }
        var bytes = compressed.ToArray();
        // Only the trailer lost: every line comes out whole, so only the trailer check can tell.
        var cut = _dir.File("eve.json.1.gz", bytes[..^8]);
        var damaged = bytes.ToArray();
        for (var i = 100; i < 140; i++)
        {
            damaged[i] ^= 0x5a;
        }
        var garbled = _dir.File("eve.json.2.gz", damaged);

        var cutResult = Cli.Cli.Run("report", "--events", cut, "--format", "csv");
        var garbledResult = Cli.Cli.Run("report", "--events", garbled, "--format", "csv");

        Assert.Equal(ExitCodes.InputError, cutResult.ExitCode);
        Assert.Equal($"pooldetector: {cut}: the gzip data ends early (its trailer does not match what was read): the file looks cut short, or is several gzip files joined; the lines before were read\n", cutResult.Stderr);
        Assert.Equal(8, cutResult.Stdout.Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Length); // what was read is reported
        Assert.Equal(ExitCodes.InputError, garbledResult.ExitCode);
        Assert.Contains($"pooldetector: {garbled}: damaged gzip data after ", garbledResult.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("2025-13-01", "2025-03-05", "--from: '2025-13-01' is not an ISO 8601 date or date-time")]
    [InlineData("2025-03-04", "last tuesday", "--to: 'last tuesday' is not an ISO 8601 date or date-time")]
    [InlineData("2025-03-04", "2025-03-01", "--from 2025-03-04 is not before --to 2025-03-01: the period is empty")]
    [InlineData("2025-03-04T10:00+15:00", "2025-03-05", "--from: '2025-03-04T10:00+15:00': the offset is out of range")]
    public void Bad_period_is_a_usage_error(string from, string to, string message)
    {
        var result = Cli.Cli.Run("report", "--events", ReportTestFiles.CampusEvents, "--from", from, "--to", to);

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Equal("", result.Stdout);
        Assert.Contains(message, result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_option_after_the_events_files_is_a_usage_error_not_a_missing_file()
    {
        var result = Cli.Cli.Run("report", "--events", ReportTestFiles.CampusEvents, "--frobnicate");

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Equal("", result.Stdout);
        Assert.Contains("Unrecognized option '--frobnicate'", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Output_in_a_missing_directory_is_a_usage_error_before_anything_is_read()
    {
        var result = Cli.Cli.Run("report", "--events", Path.Combine(_dir.Path, "missing.json"), "--output", Path.Combine(_dir.Path, "no", "report.html"), "--format", "html");

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("the directory does not exist", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("missing.json", result.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("2025-03-30", false, "UTC", "2025-03-30T00:00:00+00:00")]
    [InlineData("2025-03-30", true, "Europe/Berlin", "2025-03-31T00:00:00+02:00")]
    [InlineData("2025-03-30T01:30", false, "Europe/Berlin", "2025-03-30T01:30:00+01:00")]
    [InlineData("2025-10-26 02:30", false, "Europe/Berlin", "2025-10-26T02:30:00+02:00")]
    [InlineData("2025-03-30T08:00:00+08:00", false, "Europe/Berlin", "2025-03-30T08:00:00+08:00")]
    [InlineData("2025-03-30T08:00:00Z", false, "Asia/Shanghai", "2025-03-30T08:00:00+00:00")]
    [InlineData("2025-03-30T08:00:00.250-0500", false, "UTC", "2025-03-30T08:00:00.250-05:00")]
    public void Period_bounds_are_read_in_the_time_zone(string text, bool isEnd, string zone, string expected)
    {
        var tz = ReportPeriod.FindZone(zone, out _)!;

        var bound = ReportPeriod.ParseBound(text, tz, isEnd, out var problem);

        Assert.Null(problem);
        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), bound);
        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture).Offset, bound!.Value.Offset);
    }

    [Fact]
    public void A_wall_clock_time_the_clocks_skip_is_refused()
    {
        var berlin = ReportPeriod.FindZone("Europe/Berlin", out _)!;

        Assert.Null(ReportPeriod.ParseBound("2025-03-30T02:30", berlin, isEnd: false, out var problem));
        Assert.Equal("'2025-03-30T02:30' does not exist in Europe/Berlin: the clocks skip it when daylight saving time starts", problem);
    }

    [Theory]
    [InlineData("2024-05-06T10:10:00.001440+0000", "2024-05-06T10:10:00.001440+00:00")]
    [InlineData("2024-05-06T10:10:00+0000", "2024-05-06T10:10:00+00:00")]
    [InlineData("2024-05-06T18:10:00.5+08:00", "2024-05-06T18:10:00.5+08:00")]
    [InlineData("2024-05-06T10:10:00.001440Z", "2024-05-06T10:10:00.001440+00:00")]
    public void Eve_times_are_read_with_or_without_the_colon_in_the_offset(string text, string expected)
    {
        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), EventReader.ParseEveTime(text));
    }
}
