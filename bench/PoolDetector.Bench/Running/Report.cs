using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace PoolDetector.Bench.Running;

/// <summary>The results as a Markdown table for people (README's "Performance" takes it as it is) and as JSON for tools.</summary>
internal static class Report
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static void WriteJson<T>(T results, string path) =>
        File.WriteAllText(path, JsonSerializer.Serialize(results, Json) + "\n");

    public static void WriteTable(BenchmarkResults results, TextWriter output)
    {
        var machine = results.Machine;
        WriteHeading(output, results.Capture, machine, $"median of {results.Repeat} run(s) each, tools interleaved",
            $"tcpdump {machine.TcpdumpVersion} (libpcap {machine.LibpcapVersion}), nDPI {machine.NdpiVersion}");
        output.WriteLine();
        output.WriteLine("| tool | command | packets/s | wall s (min-max) | CPU s (user+sys) | max RSS MiB | allocated B/packet | mining flows found |");
        output.WriteLine("| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |");
        foreach (var tool in results.Contenders)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {tool.Name} | `{tool.Role}` | {tool.PacketsPerSecond:N0} | {tool.MedianWallSeconds:F2} ({tool.MinWallSeconds:F2}-{tool.MaxWallSeconds:F2}) | " +
                $"{tool.MedianCpuSeconds:F2} | {tool.MedianMaxRssMiB:F0} | {(tool.AllocatedBytesPerPacket is { } perPacket ? perPacket.ToString("F0", CultureInfo.InvariantCulture) : "-")} | " +
                $"{DescribeMining(tool)} |"));
        }
        if (results.Ratios is { } ratios)
        {
            output.WriteLine();
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"pooldetector packets/s over nDPI's: {ratios.PoolDetectorOverNdpiPacketsPerSecond:F2} (target >= {Ratios.NdpiTarget:F0}: {(ratios.NdpiTargetMet ? "met" : "not met")}; " +
                $"by CPU time {ratios.PoolDetectorOverNdpiPacketsPerCpuSecond:F2})"));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"pooldetector wall time over tcpdump's: {ratios.PoolDetectorOverTcpdumpWallTime:F2} (target <= {Ratios.TcpdumpTarget:F0}: {(ratios.TcpdumpTargetMet ? "met" : "not met")}; " +
                $"by CPU time {ratios.PoolDetectorOverTcpdumpCpuTime:F2})"));
        }
        foreach (var tool in results.Contenders)
        {
            if (tool.Mining is { Missed.Count: > 0 } mining)
            {
                output.WriteLine($"{tool.Name} missed: {string.Join("; ", mining.Missed)}");
            }
            if (tool.Mining is { ExtraFlows.Count: > 0 } extra)
            {
                output.WriteLine($"{tool.Name} also called mining: {string.Join("; ", extra.ExtraFlows)}");
            }
        }
        // The tools running one after another keep the 1-minute load near 1 by themselves.
        WriteLoad(output, [.. results.Contenders.SelectMany(tool => tool.Runs).Select(run => run.LoadAverageBefore)], machine, ownLoad: 1, "the benchmark's own runs counting about 1");
    }

    /// <summary>The live mode: a row per run of each rate, then the highest rate without loss and the machine it was measured on.</summary>
    public static void WriteLiveTable(LiveResults results, TextWriter output)
    {
        var machine = results.Machine;
        WriteHeading(output, results.Capture, machine,
            "replayed whole onto a veth pair, pooldetector run capturing on the other end; a daemon of its own for every run", $"tcpreplay {machine.TcpreplayVersion}");
        output.WriteLine("daemon settings besides the defaults: " + string.Join(", ", results.DaemonSettings.Select(pair => $"{pair.Key}={(pair.Value.Length == 0 ? "\"\"" : pair.Value)}")));
        output.WriteLine();
        output.WriteLine("| rate asked | step | sent packets/s (Mbit/s) | daemon packets/s | lost before libpcap | kernel dropped | queue dropped | lost | mining flows alerted | CPU s daemon / tcpreplay | load |");
        output.WriteLine("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |");
        foreach (var rate in results.Rates)
        {
            foreach (var run in rate.Runs)
            {
                var step = rate.Step + (rate.Runs.Count > 1 ? $", run {run.Run}" : "");
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {rate.Rate} | {step} | {run.SentPacketsPerSecond:N0} ({run.SentMbps:N0}) | {run.DaemonPacketsPerSecond:N0} | " +
                    $"{run.LostBeforeCapture:N0} | {run.KernelDropped:N0} | {run.QueueDropped:N0} | {(run.Lost == 0 ? "0" : $"{run.Lost:N0} ({run.LostFraction:P1})")} | " +
                    $"{run.Mining.Found}/{run.Mining.Truth}{(run.Mining.Extra > 0 ? $", {run.Mining.Extra} other" : "")} | " +
                    $"{run.DaemonCpuSeconds:F1} / {run.TcpreplayCpuSeconds:F1} | {run.LoadAverageBefore:F2} |"));
            }
        }
        output.WriteLine();
        if (results.HighestLossless is { } best)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"highest rate with no loss at any stage: {best.MedianSentPacketsPerSecond:N0} packets/s, {best.MedianSentMbps:N0} Mbit/s ({best.Rate}, {best.Runs.Count} run(s)), " +
                $"on {machine.Cores} cores of {machine.CpuModel}, with tcpreplay on the same cores"));
        }
        foreach (var note in results.Notes)
        {
            output.WriteLine("note: " + note);
        }
        // The daemon and tcpreplay (which spins to pace its packets) keep the 1-minute load near 2 by themselves.
        WriteLoad(output, [.. results.Rates.SelectMany(rate => rate.Runs).Select(run => run.LoadAverageBefore)], machine, ownLoad: 2,
            "the benchmark's own daemon and tcpreplay counting up to 2");
    }

    private static void WriteHeading(TextWriter output, CaptureDescription capture, MachineInfo machine, string runs, string tools)
    {
        output.WriteLine();
        output.WriteLine($"{capture.Path}: {capture.Packets:N0} packets, {capture.Bytes / 1e6:N0} MB, {capture.MiningFlows} mining flows; {runs}");
        output.WriteLine($"machine: {machine.Cores} cores, {machine.CpuModel}, {machine.MemoryGiB:F1} GiB, Linux {machine.Kernel}, {machine.DotnetRuntime}; {tools}");
    }

    /// <summary>The load average before the runs, flagged when it shows more than the benchmark's own work (<paramref name="ownLoad"/>) beyond the cores' worth.</summary>
    private static void WriteLoad(TextWriter output, IReadOnlyList<double> loads, MachineInfo machine, int ownLoad, string own)
    {
        if (loads.Count == 0)
        {
            return;
        }
        var noisy = loads.Max() > machine.Cores + ownLoad - 1 ? ": other work was running, figures may be noisy" : "";
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"load average (1 min) before the runs: {loads.Min():F2}-{loads.Max():F2} on {machine.Cores} cores, {own}{noisy}"));
    }

    private static string DescribeMining(ContenderResult tool)
    {
        if (tool.Mining is not { } mining)
        {
            return "-";
        }
        var text = $"{mining.Found}/{mining.Truth}";
        if (mining.DialectAgrees is { } agrees)
        {
            text += $", dialect right {agrees}/{mining.Found}";
        }
        text += $", {mining.Extra} other flow(s) called mining";
        if (mining.OtherCategories.Count > 0 && tool.Name.StartsWith("pooldetector", StringComparison.Ordinal))
        {
            text += "; also " + string.Join(", ", mining.OtherCategories.Select(pair => $"{pair.Value} {pair.Key}"));
        }
        if (tool.SummaryMiningFlows is { } summary)
        {
            text += $" (summary: {summary} Mining flows)";
        }
        return text;
    }
}
