using PoolDetector.Attribution;
using PoolDetector.Capture;
using PoolDetector.Core.Detection;
using PoolDetector.Core.Detection.Memory;
using PoolDetector.Core.Rules;
using PoolDetector.Evidence;
using PoolDetector.Hosting;
using PoolDetector.Outputs;

namespace PoolDetector.Cli;

/// <summary>
/// <c>pooldetector analyze</c>: inputs are checked and each file is opened before any
/// engine exists, and rules are loaded only once there is a readable file to analyse, so
/// a bad invocation fails fast and an unreadable file is reported without further setup.
/// </summary>
internal static class AnalyzeRunner
{
    public static int Run(AnalyzeOptions options, CliConsole console)
    {
        var totals = new AnalysisTotals();
        var exit = Analyze(options, console, totals);
        // A usage error analysed nothing: its messages are the whole story.
        if (options.Stats && exit != ExitCodes.Usage)
        {
            console.Error.WriteLine(AnalyzeStats.Describe(totals));
        }
        return exit;
    }

    private static int Analyze(AnalyzeOptions options, CliConsole console, AnalysisTotals totals)
    {
        var rulesDirectory = ResolveRulesDirectory(options.RulesDirectory, console);
        var files = InputFiles.Resolve(options.Inputs, console, options.Quiet);
        var learnedOutOk = options.LearnedOut is null || CheckLearnedOut(options.LearnedOut, console);
        var evidenceOk = options.Evidence is null || CheckEvidence(options, console);
        var attribution = CreateAttribution(options, console);
        var workersOk = options.Workers is >= 1 and <= AnalyzeOptions.MaxWorkers;
        if (!workersOk)
        {
            console.WriteError($"--workers {options.Workers}: must be 1-{AnalyzeOptions.MaxWorkers}");
        }
        if (rulesDirectory is null || files is null || !learnedOutOk || !evidenceOk || attribution is null || !workersOk)
        {
            return ExitCodes.Usage;
        }
        if (files.Count == 0)
        {
            console.WriteError("no capture files to analyse");
            return ExitCodes.Usage;
        }

        var output = CreateOutput(options.Format, console);
        var progress = new ProgressLine(console.Error, console.ErrorIsTerminal && !options.Quiet, TotalSize(files));
        RuleSet? rules = null;
        long bytesBefore = 0;
        // Each file's engine learns on its own; what they learned is gathered here.
        var learned = options.LearnedOut is null ? null : new LearnedPools();
        var evidence = options.Evidence is null
            ? null
            : new FileEvidenceWriter(options.Evidence, options.EvidenceMaxPackets, options.EvidenceMaxMiB * 1024L * 1024, CaptureFileWriter.Factory);
        var evidenceFailed = false;

        for (var i = 0; i < files.Count; i++)
        {
            var file = files[i];
            if (!CaptureFileReader.TryOpen(file, out var reader, out var problem))
            {
                progress.Clear();
                console.WriteError($"{file}: {problem}");
                totals.FilesUnreadable++;
                continue;
            }
            using (reader)
            {
                if (rules is null)
                {
                    rules = LoadRules(rulesDirectory, console);
                    if (rules is null)
                    {
                        progress.Clear();
                        return ExitCodes.Usage;
                    }
                }

                var analysis = new FileAnalysis(rules, file, output, totals, attribution, evidence, options.Workers);
                var fileNumber = i + 1;
                var result = analysis.Read(reader, read => progress.Update(fileNumber, files.Count, file, bytesBefore + read.Bytes));
                // Flows still open at a truncation point are reported like any others.
                analysis.Finish();
                if (analysis.EvidenceProblems.Count + analysis.EvidenceWarnings.Count > 0)
                {
                    progress.Clear();
                }
                foreach (var failure in analysis.EvidenceProblems)
                {
                    console.WriteError("--evidence " + failure);
                    evidenceFailed = true;
                }
                if (!options.Quiet)
                {
                    foreach (var warning in analysis.EvidenceWarnings)
                    {
                        console.WriteWarning("--evidence " + warning);
                    }
                }
                if (learned is not null)
                {
                    foreach (var endpoint in analysis.Learned.SelectMany(pools => pools.Endpoints))
                    {
                        learned.Merge(endpoint);
                    }
                }
                bytesBefore += reader.FileSize;
                if (result.Complete)
                {
                    totals.FilesAnalysed++;
                }
                else
                {
                    progress.Clear();
                    console.WriteError(DescribeReadFailure(file, result));
                    totals.FilesUnreadable++;
                }
            }
        }
        progress.Clear();

        output.Complete(totals);
        if (learned is not null && !WriteLearned(options.LearnedOut!, learned, console, options.Quiet))
        {
            return ExitCodes.Usage;
        }
        if (evidenceFailed)
        {
            // Like an unwritable --learned-out: asked-for output is missing (each named above).
            return ExitCodes.Usage;
        }
        if (totals.FilesUnreadable > 0)
        {
            return ExitCodes.InputError;
        }
        // Contact with a pool is mining activity hidden by encryption; node traffic is not mining.
        return totals.Detections(DetectionCategory.Mining) + totals.Detections(DetectionCategory.PoolContact) > 0
            ? ExitCodes.MiningFound
            : ExitCodes.Clean;
    }

    /// <summary>--home-net, --inventory, --wallets and --wallet-key, checked like the daemon's options; null (after saying why) when bad.</summary>
    private static AttributionSettings? CreateAttribution(AnalyzeOptions options, CliConsole console)
    {
        if (options.HomeNetworks.Count == 0 && options.Inventory is null && options.Wallets == "none")
        {
            return AttributionSettings.Defaults;
        }
        var homeNetworks = options.HomeNetworks.Count == 0 ? Core.Detection.HomeNetworks.Defaults : options.HomeNetworks;
        var errors = new List<string>();
        var keys = new AttributionSettings.Keys(
            i => $"--home-net {homeNetworks[i]}",
            "--inventory",
            "--wallets",
            options.WalletKey is null ? "--wallet-key (or " + CliApp.WalletKeyVariable + ")" : "--wallet-key");
        var settings = AttributionSettings.Create(homeNetworks, options.Inventory, options.Wallets, options.WalletKey, keys, errors);
        foreach (var error in errors)
        {
            console.WriteError(error);
        }
        return settings;
    }

    internal static string DescribeReadFailure(string file, CaptureReadResult result)
    {
        if (result.Error!.StartsWith(ManagedPcapReader.ShrankWhileRead, StringComparison.Ordinal))
        {
            return $"{file}: changed while read: read {result.Packets} packet(s), which were analysed; {result.Error}";
        }
        var what = result.Error!.Contains("truncated", StringComparison.OrdinalIgnoreCase)
            ? "truncated capture (the file ends in the middle of a packet)"
            : "damaged capture";
        return $"{file}: {what}: read {result.Packets} packet(s) before the error, which were analysed; libpcap: {result.Error}";
    }

    /// <summary>Before any analysis: --learned-out must name a file in an existing directory, so a typo fails fast.</summary>
    private static bool CheckLearnedOut(string path, CliConsole console)
    {
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full))
        {
            console.WriteError($"--learned-out {path}: is a directory; name a file");
            return false;
        }
        var directory = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(directory))
        {
            console.WriteError($"--learned-out {path}: directory {directory} does not exist");
            return false;
        }
        return true;
    }

    /// <summary>Before any analysis: --evidence must be a directory that exists or can be made, and the bounds positive.</summary>
    private static bool CheckEvidence(AnalyzeOptions options, CliConsole console)
    {
        var ok = true;
        if (options.EvidenceMaxPackets < 1)
        {
            console.WriteError($"--evidence-max-packets {options.EvidenceMaxPackets}: must be at least 1");
            ok = false;
        }
        if (options.EvidenceMaxMiB is < 1 or > 2047)
        {
            console.WriteError($"--evidence-max-mib {options.EvidenceMaxMiB}: must be 1-2047");
            ok = false;
        }
        var directory = options.Evidence!;
        if (File.Exists(directory))
        {
            console.WriteError($"--evidence {directory}: is a file; name a directory");
            return false;
        }
        try
        {
            Directory.CreateDirectory(directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            console.WriteError($"--evidence {directory}: cannot be created: {e.Message}");
            return false;
        }
        return ok;
    }

    private static bool WriteLearned(string path, LearnedPools learned, CliConsole console, bool quiet)
    {
        if (learned.Evicted > 0 && !quiet)
        {
            console.WriteWarning($"--learned-out {path}: more than {learned.Capacity} pool endpoints learned; the {learned.Evicted} least recently seen are left out");
        }
        try
        {
            LearnedPoolsStore.WriteAtomically(path, LearnedPoolsStore.Snapshot(learned));
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            console.WriteError($"--learned-out {path}: cannot be written: {e.Message}");
            return false;
        }
    }

    private static IDetectionOutput CreateOutput(OutputFormat format, CliConsole console) => format switch
    {
        OutputFormat.Jsonl => new JsonlOutput(console.Out),
        OutputFormat.Csv => new CsvOutput(console.Out),
        _ => new TableOutput(console.Out, console.OutIsTerminal),
    };

    /// <summary>
    /// An explicit --rules must exist; by default the rules shipped next to the executable,
    /// then ./rules (running from a source checkout).
    /// </summary>
    private static string? ResolveRulesDirectory(string? requested, CliConsole console)
    {
        if (requested is not null)
        {
            if (Directory.Exists(requested))
            {
                return requested;
            }
            console.WriteError($"--rules {requested}: no such directory");
            return null;
        }
        var besideExecutable = Path.Combine(AppContext.BaseDirectory, "rules");
        if (Directory.Exists(besideExecutable))
        {
            return besideExecutable;
        }
        var local = Path.GetFullPath("rules");
        if (Directory.Exists(local))
        {
            return local;
        }
        console.WriteError($"no rules directory: looked in {besideExecutable} and {local}; pass --rules DIR");
        return null;
    }

    private static RuleSet? LoadRules(string directory, CliConsole console)
    {
        try
        {
            return RuleLoader.LoadDirectory(directory);
        }
        catch (RuleLoadException e)
        {
            console.WriteError($"rules in {directory} failed to load ({e.Errors.Count} problem(s)):");
            foreach (var error in e.Errors)
            {
                // file:line: problem, the shape editors and CI annotate.
                console.Error.WriteLine(error.ToString());
            }
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            console.WriteError($"rules in {directory} cannot be read: {e.Message}");
            return null;
        }
    }

    private static long TotalSize(IReadOnlyList<string> files)
    {
        long total = 0;
        foreach (var file in files)
        {
            try
            {
                total += new FileInfo(file).Length;
            }
            catch (IOException)
            {
                // Reported properly when the file is opened.
            }
        }
        return total;
    }
}
