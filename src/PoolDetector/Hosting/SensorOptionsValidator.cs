using System.Net;
using PoolDetector.Attribution;
using PoolDetector.Capture;
using PoolDetector.Core.Rules;

namespace PoolDetector.Hosting;

/// <summary>What start-up validation found: the rules it loaded (reused, not loaded twice), or every error.</summary>
internal sealed record SensorValidation(SensorOptions Options, string RulesDirectory, RuleSet? Rules, IReadOnlyList<string> Errors)
{
    public bool IsValid => Errors.Count == 0 && Rules is not null;

    /// <summary>Home networks, inventory and wallet privacy as validated (the defaults when they were not).</summary>
    public AttributionSettings Attribution { get; init; } = AttributionSettings.Defaults;
}

/// <summary>
/// Checks the whole configuration before anything starts and collects every error, each
/// naming its key (<c>PoolDetector:MetricsPort: 70000 is not a port (1-65535)</c>), so an
/// operator fixes them all in one go. Used by <c>run</c> and <c>check-config</c> alike.
/// </summary>
internal static class SensorOptionsValidator
{
    private const string Prefix = SensorOptions.Section + ":";

    public static SensorValidation Validate(SensorOptions options, List<string> errors)
    {
        ArgumentNullException.ThrowIfNull(options);
        ValidateInterfaces(options, errors);
        Range(errors, nameof(SensorOptions.SnapLength), options.SnapLength, 64, 262_144, "bytes");
        Range(errors, nameof(SensorOptions.KernelBufferMiB), options.KernelBufferMiB, 1, 2048, "MiB");
        Range(errors, nameof(SensorOptions.QueueCapacity), options.QueueCapacity, 16, 16_777_216, "frames");
        Range(errors, nameof(SensorOptions.QueueBufferMiB), options.QueueBufferMiB, 1, 2047, "MiB");
        Range(errors, nameof(SensorOptions.ReadTimeoutMilliseconds), options.ReadTimeoutMilliseconds, 1, 10_000, "ms");
        Range(errors, nameof(SensorOptions.MaxFlows), options.MaxFlows, 1, 100_000_000, "flows");
        Range(errors, nameof(SensorOptions.MiningHostWindowSeconds), options.MiningHostWindowSeconds, 1, 30 * 86_400, "s");
        Range(errors, nameof(SensorOptions.MaxAggregates), options.MaxAggregates, 1, 100_000_000, "entries");
        Range(errors, nameof(SensorOptions.StdoutQueueCapacity), options.StdoutQueueCapacity, 1, 1_000_000, "alerts");
        Range(errors, nameof(SensorOptions.InterfaceRetrySeconds), options.InterfaceRetrySeconds, 1, 3600, "s");
        if (options.SnapLength >= 64 && options.QueueBufferMiB is >= 1 and <= 2047 && options.QueueBufferMiB * 1024L * 1024 < options.SnapLength * 4L)
        {
            errors.Add($"{Prefix}{nameof(SensorOptions.QueueBufferMiB)}: {options.QueueBufferMiB} MiB holds fewer than 4 frames of SnapLength {options.SnapLength}");
        }
        ValidateMetricsEndpoint(options, errors);
        ValidateEveLog(options, errors);
        ValidateLearnedPools(options, errors);
        ValidateEvidence(options, errors);
        var attribution = ValidateAttribution(options, errors);
        OutputOptions.Validate(options, errors);
        var rulesDirectory = ResolveRulesDirectory(options.RulesDirectory);
        var rules = LoadRules(rulesDirectory, errors);
        return new SensorValidation(options, rulesDirectory, rules, errors) { Attribution = attribution ?? AttributionSettings.Defaults };
    }

    /// <summary>Home networks, the inventory (every bad row as <c>file:line: problem</c>) and wallet privacy.</summary>
    public static AttributionSettings? ValidateAttribution(SensorOptions options, List<string> errors)
    {
        ArgumentNullException.ThrowIfNull(options);
        var keys = new AttributionSettings.Keys(
            i => $"{Prefix}{nameof(SensorOptions.HomeNetworks)}:{i}",
            Prefix + nameof(SensorOptions.InventoryFile),
            Prefix + nameof(SensorOptions.WalletPrivacy),
            Prefix + nameof(SensorOptions.WalletHashKey));
        return AttributionSettings.Create(options.HomeNetworks, options.InventoryFile, options.WalletPrivacy, options.WalletHashKey, keys, errors);
    }

    /// <summary>An empty setting means the rules shipped next to the executable, else ./rules (a source checkout).</summary>
    public static string ResolveRulesDirectory(string configured)
    {
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return Path.GetFullPath(configured);
        }
        var besideExecutable = Path.Combine(AppContext.BaseDirectory, "rules");
        return Directory.Exists(besideExecutable) || !Directory.Exists("rules") ? besideExecutable : Path.GetFullPath("rules");
    }

    /// <summary>Loads the rules; each problem becomes one error line (<c>file:line: problem</c>).</summary>
    public static RuleSet? LoadRules(string directory, List<string> errors)
    {
        var key = Prefix + nameof(SensorOptions.RulesDirectory);
        if (!Directory.Exists(directory))
        {
            errors.Add($"{key}: {directory}: no such directory");
            return null;
        }
        try
        {
            return RuleLoader.LoadDirectory(directory);
        }
        catch (RuleLoadException e)
        {
            foreach (var error in e.Errors)
            {
                errors.Add($"{key}: {error}");
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            errors.Add($"{key}: {directory}: cannot be read: {e.Message}");
        }
        return null;
    }

    private static void ValidateInterfaces(SensorOptions options, List<string> errors)
    {
        var key = Prefix + nameof(SensorOptions.Interfaces);
        if (options.Interfaces.Count == 0)
        {
            errors.Add($"{key}: no interfaces configured: name at least one (eth0, or any for all)");
            return;
        }
        IReadOnlyList<string> available;
        try
        {
            available = CaptureDevices.ListNames();
        }
        catch (Exception e) when (e is DllNotFoundException or SharpPcap.PcapException)
        {
            errors.Add($"{key}: cannot list interfaces with libpcap: {e.Message}");
            return;
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < options.Interfaces.Count; i++)
        {
            var name = options.Interfaces[i];
            var itemKey = $"{key}:{i}";
            if (!seen.Add(name))
            {
                errors.Add($"{itemKey}: '{name}' is listed twice");
                continue;
            }
            if (!available.Contains(name, StringComparer.Ordinal))
            {
                errors.Add($"{itemKey}: unknown interface '{name}' (available: {string.Join(", ", available)})");
                continue;
            }
            if (!string.IsNullOrWhiteSpace(options.BpfFilter) && CaptureDevices.CompileFilter(name, options.BpfFilter) is { } problem)
            {
                errors.Add($"{Prefix}{nameof(SensorOptions.BpfFilter)}: '{options.BpfFilter}' does not compile for {name}: {problem}");
            }
        }
    }

    private static void ValidateMetricsEndpoint(SensorOptions options, List<string> errors)
    {
        Range(errors, nameof(SensorOptions.MetricsPort), options.MetricsPort, 1, 65_535, "", "is not a port");
        // An IP literal only: the daemon never resolves names (its own look-ups would look like traffic worth reporting).
        if (!IPAddress.TryParse(options.MetricsAddress, out _))
        {
            errors.Add($"{Prefix}{nameof(SensorOptions.MetricsAddress)}: '{options.MetricsAddress}' is not an IP address (names are never resolved: use 127.0.0.1, ::1 or 0.0.0.0)");
        }
    }

    private static void ValidateEveLog(SensorOptions options, List<string> errors)
    {
        var key = Prefix + nameof(SensorOptions.EveLog);
        if (string.IsNullOrWhiteSpace(options.EveLog))
        {
            errors.Add($"{key}: empty: the alert file is required");
            return;
        }
        var path = Path.GetFullPath(options.EveLog);
        if (Directory.Exists(path))
        {
            errors.Add($"{key}: {path} is a directory; name a file");
            return;
        }
        var directory = Path.GetDirectoryName(path)!;
        if (!Directory.Exists(directory))
        {
            errors.Add($"{key}: directory {directory} does not exist");
            return;
        }
        try
        {
            // Opening for append neither changes an existing file nor leaves an empty one
            // behind when there was none.
            var existed = File.Exists(path);
            using (new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete))
            {
            }
            if (!existed)
            {
                File.Delete(path);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            errors.Add($"{key}: {path} is not writable: {e.Message}");
        }
    }

    private static void ValidateLearnedPools(SensorOptions options, List<string> errors)
    {
        var interval = options.LearnedPoolsSaveInterval;
        if (interval < TimeSpan.FromSeconds(1) || interval > TimeSpan.FromDays(1))
        {
            errors.Add($"{Prefix}{nameof(SensorOptions.LearnedPoolsSaveInterval)}: {interval:c} is out of range (00:00:01-1.00:00:00)");
        }
        var key = Prefix + nameof(SensorOptions.LearnedPoolsFile);
        if (string.IsNullOrWhiteSpace(options.LearnedPoolsFile))
        {
            // Deliberately empty: learned pools live in memory only.
            return;
        }
        var path = Path.GetFullPath(options.LearnedPoolsFile);
        if (Directory.Exists(path))
        {
            errors.Add($"{key}: {path} is a directory; name a file");
            return;
        }
        // The file itself may be absent or unreadable (the daemon then starts empty and says
        // so); what must work is saving it: a new file beside it, renamed over it.
        var directory = Path.GetDirectoryName(path)!;
        if (Directory.Exists(directory))
        {
            if (ProbeWritable(directory) is { } problem)
            {
                errors.Add($"{key}: directory {directory} is not writable: {problem}");
            }
            return;
        }
        // The daemon creates a missing directory at start (systemd's StateDirectory= usually has).
        var ancestor = Path.GetDirectoryName(directory);
        while (ancestor is not null && !Directory.Exists(ancestor))
        {
            if (File.Exists(ancestor))
            {
                errors.Add($"{key}: directory {directory} cannot be created: {ancestor} is a file");
                return;
            }
            ancestor = Path.GetDirectoryName(ancestor);
        }
        if (ancestor is null)
        {
            errors.Add($"{key}: directory {directory} cannot be created: no existing parent");
        }
        else if (ProbeWritable(ancestor) is { } problem)
        {
            errors.Add($"{key}: directory {directory} does not exist and cannot be created ({ancestor} is not writable: {problem})");
        }
    }

    private static void ValidateEvidence(SensorOptions options, List<string> errors)
    {
        var key = Prefix + nameof(SensorOptions.EvidenceDirectory);
        if (string.IsNullOrWhiteSpace(options.EvidenceDirectory))
        {
            // Deliberately empty: no evidence captures, and the limits below do not matter.
            return;
        }
        Range(errors, nameof(SensorOptions.EvidenceMaxMiB), options.EvidenceMaxMiB, 16, 16_777_216, "MiB");
        Range(errors, nameof(SensorOptions.EvidenceMaxAgeDays), options.EvidenceMaxAgeDays, 1, 36_500, "days");
        Range(errors, nameof(SensorOptions.EvidenceBufferMiB), options.EvidenceBufferMiB, 1, 2047, "MiB");
        Range(errors, nameof(SensorOptions.EvidenceBufferSeconds), options.EvidenceBufferSeconds, 1, 86_400, "s");
        Range(errors, nameof(SensorOptions.EvidenceFollowSeconds), options.EvidenceFollowSeconds, 0, 3600, "s");
        Range(errors, nameof(SensorOptions.EvidenceFollowPackets), options.EvidenceFollowPackets, 0, 1_000_000, "packets");
        if (options.SnapLength >= 64 && options.EvidenceBufferMiB is >= 1 and <= 2047 && options.EvidenceBufferMiB * 1024L * 1024 < options.SnapLength * 4L)
        {
            errors.Add($"{Prefix}{nameof(SensorOptions.EvidenceBufferMiB)}: {options.EvidenceBufferMiB} MiB holds fewer than 4 frames of SnapLength {options.SnapLength}");
        }
        var path = Path.GetFullPath(options.EvidenceDirectory);
        if (File.Exists(path))
        {
            errors.Add($"{key}: {path} is a file; name a directory");
            return;
        }
        if (Directory.Exists(path))
        {
            if (ProbeWritable(path) is { } problem)
            {
                errors.Add($"{key}: {path} is not writable: {problem}");
            }
            return;
        }
        // The daemon creates it at start (below systemd's StateDirectory= by default).
        var ancestor = Path.GetDirectoryName(path);
        while (ancestor is not null && !Directory.Exists(ancestor))
        {
            if (File.Exists(ancestor))
            {
                errors.Add($"{key}: {path} cannot be created: {ancestor} is a file");
                return;
            }
            ancestor = Path.GetDirectoryName(ancestor);
        }
        if (ancestor is null)
        {
            errors.Add($"{key}: {path} cannot be created: no existing parent");
        }
        else if (ProbeWritable(ancestor) is { } problem)
        {
            errors.Add($"{key}: {path} does not exist and cannot be created ({ancestor} is not writable: {problem})");
        }
    }

    /// <summary>Creates and deletes a file in <paramref name="directory"/>: the only sure test of write permission. Null, or why not.</summary>
    internal static string? ProbeWritable(string directory)
    {
        try
        {
            var probe = Path.Combine(directory, $".pooldetector-probe-{Environment.ProcessId}");
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose))
            {
            }
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return e.Message;
        }
    }

    private static void Range(List<string> errors, string name, int value, int min, int max, string unit, string what = "is out of range")
    {
        if (value < min || value > max)
        {
            var suffix = unit.Length > 0 ? " " + unit : "";
            errors.Add($"{Prefix}{name}: {value} {what} ({min}-{max}{suffix})");
        }
    }
}
