using System.CommandLine;
using System.Text;
using PoolDetector.Attribution;
using PoolDetector.Hosting;
using PoolDetector.Reporting;

namespace PoolDetector.Cli;

/// <summary>
/// <c>pooldetector report</c>: who mined, where, when, with what evidence, per department, from
/// the EVE alert events the daemon and <c>analyze --format jsonl</c> write. The options are all
/// checked (time zone, window, inventory, output) before any events file is read, so a typo
/// fails at once; unreadable events files and broken lines are reported, and the report of what
/// could be read is still written (exit 3).
/// </summary>
internal static class ReportCommand
{
    public enum ReportFormat
    {
        Md,
        Csv,
        Html,
    }

    public static Command Create(CliConsole console)
    {
        var events = new Option<string[]>("--events", "-e")
        {
            Description = "EVE JSON lines files: the daemon's alert file and its rotated (also gzip-compressed) copies, analyze --format jsonl output. Events other than PoolDetector alerts are ignored; a flow reported twice (live, then at its end) counts once.",
            HelpName = "FILE",
            Required = true,
            AllowMultipleArgumentsPerToken = true,
            Arity = ArgumentArity.OneOrMore,
        };
        // A list that takes many files per --events swallows unknown options as file names; call them what they are.
        events.Validators.Add(result =>
        {
            foreach (var token in result.Tokens)
            {
                var value = token.Value;
                if (value.Length > 1 && value[0] == '-' && !File.Exists(value))
                {
                    result.AddError($"Unrecognized option '{value}'.");
                }
            }
        });
        var from = new Option<string?>("--from")
        {
            Description = "Report flows active from this time: an ISO 8601 date (the start of that day) or date-time (in --timezone unless it carries an offset).",
            HelpName = "DATE|DATETIME",
        };
        var to = new Option<string?>("--to")
        {
            Description = "Report flows active before this time: a date includes that whole day; a date-time is the end, not included.",
            HelpName = "DATE|DATETIME",
        };
        var timezone = new Option<string>("--timezone")
        {
            Description = "IANA time zone for day boundaries, --from/--to without an offset, and the times shown.",
            DefaultValueFactory = _ => ReportPeriod.DefaultTimeZone,
            HelpName = "ZONE",
        };
        var inventory = new Option<string?>("--inventory")
        {
            Description = "CSV of cidr,department,owner,contact: assigns a department to hosts whose events name none (the most specific network wins). Other hosts are \"(unassigned)\".",
            HelpName = "FILE",
        };
        var format = new Option<string>("--format", "-f")
        {
            Description = "md: Markdown; csv: one row per host and pool; html: one self-contained page with a chart of mining hosts per day, printable.",
            DefaultValueFactory = _ => "md",
            HelpName = "md|csv|html",
        };
        format.AcceptOnlyFromAmong("md", "csv", "html");
        var output = new Option<string>("--output", "-o")
        {
            Description = "Where to write the report; - is stdout. A file is replaced whole, never left half written.",
            DefaultValueFactory = _ => "-",
            HelpName = "FILE|-",
        };

        var command = new Command("report",
            """
            Report mining per department and host from EVE alert events: category, pools, miner software,
            workers, first and last seen, flows, bytes, shares, evidence files; totals; mining hosts per day.
            Broken event lines are skipped and listed on stderr as FILE:LINE: problem.

            Exit codes:
              0  report written
              2  bad usage: unknown option, bad --format, --from/--to not ISO 8601 or --from not before --to, unknown --timezone, a bad --inventory line (FILE:LINE), --output cannot be written
              3  an events file is missing, unreadable or damaged, or had broken lines: the report of what could be read is still written
            """)
        {
            events,
            from,
            to,
            timezone,
            inventory,
            format,
            output,
        };
        command.SetAction(parse => Run(
            parse.GetValue(events) ?? [],
            parse.GetValue(from),
            parse.GetValue(to),
            parse.GetValue(timezone) ?? ReportPeriod.DefaultTimeZone,
            parse.GetValue(inventory),
            Enum.Parse<ReportFormat>(parse.GetValue(format) ?? "md", ignoreCase: true),
            parse.GetValue(output) ?? "-",
            console));
        return command;
    }

    public static int Run(IReadOnlyList<string> eventFiles, string? fromText, string? toText, string zoneName, string? inventoryPath,
        ReportFormat format, string output, CliConsole console)
    {
        var zone = ReportPeriod.FindZone(zoneName, out var zoneProblem);
        if (zone is null)
        {
            console.WriteError($"--timezone: {zoneProblem}");
            return ExitCodes.Usage;
        }
        DateTimeOffset? from = null;
        DateTimeOffset? to = null;
        var usage = false;
        if (fromText is not null && (from = ReportPeriod.ParseBound(fromText, zone, isEnd: false, out var problem)) is null)
        {
            console.WriteError($"--from: {problem}");
            usage = true;
        }
        if (toText is not null && (to = ReportPeriod.ParseBound(toText, zone, isEnd: true, out var toProblem)) is null)
        {
            console.WriteError($"--to: {toProblem}");
            usage = true;
        }
        if (from is { } f && to is { } t && f >= t)
        {
            console.WriteError($"--from {fromText} is not before --to {toText}: the period is empty");
            usage = true;
        }
        var inventory = inventoryPath is null ? null : LoadInventory(inventoryPath, console);
        if ((inventoryPath is not null && inventory is null) || (output != "-" && !CheckOutput(output, console)) || usage)
        {
            return ExitCodes.Usage;
        }

        var builder = new MiningReportBuilder();
        var listed = 0;
        long unlisted = 0;
        foreach (var path in eventFiles)
        {
            var stats = EventReader.Read(path, builder.Add, (line, problem) =>
            {
                if (listed++ < LearnedPoolsStore.MaxProblemsListed)
                {
                    console.Error.WriteLine($"{path}:{line}: {problem}");
                }
                else
                {
                    unlisted++;
                }
            });
            builder.Inputs.Files.Add(stats);
            if (stats.Error is not null)
            {
                console.WriteError($"{path}: {stats.Error}");
            }
        }
        if (unlisted > 0)
        {
            console.Error.WriteLine($"pooldetector: {unlisted} more broken line(s) not listed");
        }
        if (builder.Inputs.Broken > 0)
        {
            console.WriteWarning($"{builder.Inputs.Broken} broken line(s) skipped; the report covers the rest");
        }

        if (builder.Inputs.Files.All(f => f.Error is not null && f.Lines == 0))
        {
            // Nothing read at all (a mistyped path): an empty report would read as "no mining"
            // and could replace a good one at --output.
            console.WriteError("no events file could be read: no report written");
            return ExitCodes.InputError;
        }

        var report = builder.Build(new ReportPeriod(zone, zoneName, from, to), inventory);
        var text = new StringWriter(System.Globalization.CultureInfo.InvariantCulture);
        switch (format)
        {
            case ReportFormat.Csv:
                CsvReportWriter.Write(report, text);
                break;
            case ReportFormat.Html:
                HtmlReportWriter.Write(report, text);
                break;
            default:
                MarkdownReportWriter.Write(report, text);
                break;
        }
        if (output == "-")
        {
            console.Out.Write(text.ToString());
            console.Out.Flush();
        }
        else
        {
            try
            {
                LearnedPoolsStore.WriteAtomically(output, text.ToString());
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                console.WriteError($"--output {output}: cannot be written: {e.Message}");
                return ExitCodes.Usage;
            }
        }
        return builder.Inputs.Unreadable > 0 || builder.Inputs.Broken > 0 ? ExitCodes.InputError : ExitCodes.Clean;
    }

    private static Inventory? LoadInventory(string path, CliConsole console)
    {
        if (Directory.Exists(path) || !File.Exists(path))
        {
            console.WriteError($"--inventory {path}: no such file");
            return null;
        }
        // The daemon's inventory file, read the same way: one format for InventoryFile, analyze and report.
        var problems = new List<string>();
        var inventory = Inventory.Load(path, problems);
        foreach (var problem in problems.Take(LearnedPoolsStore.MaxProblemsListed))
        {
            // Load's problems are "FILE:LINE: problem".
            console.Error.WriteLine(problem);
        }
        if (problems.Count > LearnedPoolsStore.MaxProblemsListed)
        {
            console.Error.WriteLine($"{path}: {problems.Count - LearnedPoolsStore.MaxProblemsListed} more bad lines not listed");
        }
        return inventory;
    }

    /// <summary>Before anything is read: the output must be a file in an existing directory, so a typo fails fast.</summary>
    private static bool CheckOutput(string path, CliConsole console)
    {
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full))
        {
            console.WriteError($"--output {path}: is a directory; name a file");
            return false;
        }
        if (!Directory.Exists(Path.GetDirectoryName(full)))
        {
            console.WriteError($"--output {path}: the directory does not exist");
            return false;
        }
        return true;
    }
}
