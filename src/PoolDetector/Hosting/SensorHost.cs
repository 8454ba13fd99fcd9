using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using PoolDetector.Attribution;
using PoolDetector.Capture;
using PoolDetector.Cli;

namespace PoolDetector.Hosting;

/// <summary><c>pooldetector run</c> and <c>pooldetector check-config</c>.</summary>
internal static class SensorHost
{
    public static int Run(string? configFile, IReadOnlyList<string> overrides, CliConsole console)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            // Our own sources only: no appsettings.json from the working directory, no
            // unprefixed environment variables.
            DisableDefaults = true,
            ApplicationName = "pooldetector",
            ContentRootPath = AppContext.BaseDirectory,
        });
        var errors = new List<string>();
        if (SensorConfiguration.AddSources(builder.Configuration, configFile, overrides) is { } problem)
        {
            errors.Add(problem);
        }
        var validation = Validate(builder.Configuration, errors);
        if (!validation.IsValid)
        {
            return Fail(errors, console);
        }
        // Without the capability every capture fails the same way: a deployment error to say
        // once and stop on (exit 2), before any service starts, so none is left half running.
        if (CaptureCapabilities.Problem(validation.Options.Promiscuous) is { } capability)
        {
            return Fail([capability], console);
        }

        builder.Logging.AddConfiguration(builder.Configuration.GetSection("Logging"));
        // Logs go to stderr: stdout carries only alerts (EveStdout). Under systemd, AddSystemd
        // switches the format to journald's (priority prefixes, no colours).
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            o.UseUtcTimestamp = true;
            o.ColorBehavior = LoggerColorBehavior.Disabled;
        });
        // The host logs a failed start (a port in use, a missing capability) as an error with the
        // exception's stack trace; that message is ours to print, once and plainly (Fail below).
        // Its critical events (a background service stopping the host) still pass.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);
        builder.Services.AddSystemd();
        // Prometheus metrics: PrometheusSensorMetrics replaces the sensor's no-op ISensorMetrics.
        builder.Services.AddPoolDetectorMetrics();
        builder.Services.AddPoolDetectorSensor(validation);

        using var host = builder.Build();
        try
        {
            host.Run();
        }
        catch (SensorStartupException e)
        {
            return Fail([e.Message], console);
        }
        return ExitCodes.Clean;
    }

    public static int CheckConfig(string? configFile, IReadOnlyList<string> overrides, CliConsole console)
    {
        var configuration = new ConfigurationManager();
        var errors = new List<string>();
        if (SensorConfiguration.AddSources(configuration, configFile, overrides) is { } problem)
        {
            errors.Add(problem);
        }
        var validation = Validate(configuration, errors);
        if (!validation.IsValid)
        {
            return Fail(errors, console);
        }
        var o = validation.Options;
        console.Out.WriteLine("configuration OK");
        console.Out.WriteLine($"  interfaces: {string.Join(", ", o.Interfaces)}");
        console.Out.WriteLine($"  filter:     {(string.IsNullOrWhiteSpace(o.BpfFilter) ? "(none: everything)" : o.BpfFilter)}");
        console.Out.WriteLine($"  rules:      {validation.Rules!.Count} rules from {validation.Rules.Files.Count} files in {validation.RulesDirectory}");
        console.Out.WriteLine($"  alerts:     {Path.GetFullPath(o.EveLog)}{(o.EveStdout ? " and stdout" : "")}");
        console.Out.WriteLine($"  metrics:    http://{FormatEndpoint(o.MetricsAddress, o.MetricsPort)}/metrics");
        var attribution = validation.Attribution;
        console.Out.WriteLine(attribution.HomeNetworks.IsEmpty
            ? "  home:       none (detections keep the protocol's orientation; no host attribution)"
            : $"  home:       {string.Join(", ", attribution.HomeNetworks.Networks)}");
        var inventory = attribution.Attribution.Inventory;
        console.Out.WriteLine(inventory.Path is null ? "  inventory:  none" : $"  inventory:  {inventory.Path} ({inventory.Count} networks)");
        console.Out.WriteLine($"  wallets:    {WalletPrivacy.ModeName(attribution.Attribution.Privacy.Mode)}");
        console.Out.WriteLine(string.IsNullOrWhiteSpace(o.LearnedPoolsFile)
            ? "  learned:    in memory only"
            : $"  learned:    {Path.GetFullPath(o.LearnedPoolsFile)} (saved at most every {o.LearnedPoolsSaveInterval:c})");
        console.Out.WriteLine(string.IsNullOrWhiteSpace(o.EvidenceDirectory)
            ? "  evidence:   off"
            : $"  evidence:   {Path.GetFullPath(o.EvidenceDirectory)} (at most {o.EvidenceMaxMiB} MiB, {o.EvidenceMaxAgeDays} days)");
        console.Out.WriteLine(OutputOptions.SyslogEnabled(o)
            ? $"  syslog:     {FormatEndpoint(o.SyslogAddress.Trim(), o.SyslogPort)} over {o.SyslogProtocol.Trim().ToLowerInvariant()}, facility {o.SyslogFacility}"
            : "  syslog:     off");
        console.Out.WriteLine(OutputOptions.WebhookEnabled(o) && Uri.TryCreate(o.WebhookUrl.Trim(), UriKind.Absolute, out var hook)
            ? $"  webhook:    {hook.Scheme}://{hook.Authority}{hook.AbsolutePath}"
            : "  webhook:    off");
        console.Out.WriteLine($"  blocklist:  http://{FormatEndpoint(o.MetricsAddress, o.MetricsPort)}/blocklist.txt and .json" +
            (OutputOptions.BlocklistPaths(o) is { } blocklist ? $", {blocklist.Text} and {blocklist.Json}" : "") +
            $" (entries kept {o.BlocklistTtlMinutes} min after the last mining)");
        return ExitCodes.Clean;
    }

    private static SensorValidation Validate(IConfiguration configuration, List<string> errors)
    {
        var options = SensorConfiguration.Read(configuration, errors);
        return SensorOptionsValidator.Validate(options, errors);
    }

    private static int Fail(List<string> errors, CliConsole console)
    {
        console.WriteError($"configuration is not valid ({errors.Count} problem(s)):");
        foreach (var error in errors)
        {
            console.Error.WriteLine("  " + error);
        }
        return ExitCodes.Usage;
    }

    private static string FormatEndpoint(string address, int port) =>
        address.Contains(':', StringComparison.Ordinal) ? $"[{address}]:{port}" : $"{address}:{port}";
}
