using System.Globalization;
using System.Net;
using System.Text;
using PoolDetector.Outputs.Syslog;
using PoolDetector.Outputs.Webhook;

namespace PoolDetector.Hosting;

/// <summary>
/// The options of the alert outputs (syslog, webhook) and of the block list: their checks at
/// start-up, each error naming its key like the rest of <see cref="SensorOptionsValidator"/>,
/// and the settings the outputs are built from once they passed.
/// </summary>
internal static class OutputOptions
{
    private const string Prefix = SensorOptions.Section + ":";

    public static bool SyslogEnabled(SensorOptions options) => !string.IsNullOrWhiteSpace(options.SyslogAddress);

    public static bool WebhookEnabled(SensorOptions options) => !string.IsNullOrWhiteSpace(options.WebhookUrl);

    public static bool BlocklistFileEnabled(SensorOptions options) => !string.IsNullOrWhiteSpace(options.BlocklistFile);

    public static void Validate(SensorOptions options, List<string> errors)
    {
        ValidateSyslog(options, errors);
        ValidateWebhook(options, errors);
        ValidateBlocklist(options, errors);
    }

    /// <summary>The syslog output's settings, or null when it is off. Options already validated.</summary>
    public static SyslogSettings? Syslog(SensorOptions options)
    {
        if (!SyslogEnabled(options))
        {
            return null;
        }
        return new SyslogSettings(
            new IPEndPoint(IPAddress.Parse(options.SyslogAddress.Trim()), options.SyslogPort),
            ParseTransport(options.SyslogProtocol) ?? SyslogTransport.Udp,
            SyslogMessage.ParseFacility(options.SyslogFacility),
            options.SyslogMaxMessageBytes,
            options.SyslogQueueCapacity);
    }

    /// <summary>The webhook's settings (the secret read now), or null when it is off. Options already validated.</summary>
    public static WebhookSettings? Webhook(SensorOptions options)
    {
        if (!WebhookEnabled(options))
        {
            return null;
        }
        var secret = ReadSecret(options, out var problem) ?? throw new SensorStartupException(problem ?? "Webhook: no secret");
        return new WebhookSettings(
            new Uri(options.WebhookUrl.Trim(), UriKind.Absolute),
            secret,
            TimeSpan.FromSeconds(options.WebhookTimeoutSeconds),
            options.WebhookMaxAttempts,
            options.WebhookQueueCapacity);
    }

    /// <summary>The plain list's path and the JSON's beside it (same name, <c>.json</c>), or null when not written to disk.</summary>
    public static (string Text, string Json)? BlocklistPaths(SensorOptions options)
    {
        if (!BlocklistFileEnabled(options))
        {
            return null;
        }
        var text = Path.GetFullPath(options.BlocklistFile.Trim());
        return (text, Path.ChangeExtension(text, ".json"));
    }

    /// <summary>The secret's bytes (UTF-8; a file's trailing newline removed), or null and why not.</summary>
    public static byte[]? ReadSecret(SensorOptions options, out string? problem)
    {
        problem = null;
        var inline = !string.IsNullOrEmpty(options.WebhookSecret);
        var file = !string.IsNullOrWhiteSpace(options.WebhookSecretFile);
        if (inline && file)
        {
            problem = $"{Prefix}{nameof(SensorOptions.WebhookSecret)}: set together with {nameof(SensorOptions.WebhookSecretFile)}; use one";
            return null;
        }
        if (inline)
        {
            return Encoding.UTF8.GetBytes(options.WebhookSecret);
        }
        if (!file)
        {
            problem = $"{Prefix}{nameof(SensorOptions.WebhookSecret)}: the webhook needs a secret to sign with ({nameof(SensorOptions.WebhookSecret)} or {nameof(SensorOptions.WebhookSecretFile)})";
            return null;
        }
        var path = Path.GetFullPath(options.WebhookSecretFile.Trim());
        string text;
        try
        {
            text = File.ReadAllText(path, Encoding.UTF8);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problem = $"{Prefix}{nameof(SensorOptions.WebhookSecretFile)}: {path} cannot be read: {e.Message}";
            return null;
        }
        // `echo secret > file` and editors add a newline the operator does not mean as part of the key.
        text = text.TrimEnd('\r', '\n');
        if (text.Length == 0)
        {
            problem = $"{Prefix}{nameof(SensorOptions.WebhookSecretFile)}: {path} is empty";
            return null;
        }
        return Encoding.UTF8.GetBytes(text);
    }

    private static SyslogTransport? ParseTransport(string text) => text.Trim().ToUpperInvariant() switch
    {
        "UDP" => SyslogTransport.Udp,
        "TCP" => SyslogTransport.Tcp,
        _ => null,
    };

    private static void ValidateSyslog(SensorOptions options, List<string> errors)
    {
        // Checked even while the output is off, so switching it on later meets no surprise.
        Range(errors, nameof(SensorOptions.SyslogPort), options.SyslogPort, 1, 65_535, "", "is not a port");
        Range(errors, nameof(SensorOptions.SyslogMaxMessageBytes), options.SyslogMaxMessageBytes, 480, 65_507, "bytes");
        Range(errors, nameof(SensorOptions.SyslogQueueCapacity), options.SyslogQueueCapacity, 1, 1_000_000, "alerts");
        if (ParseTransport(options.SyslogProtocol) is null)
        {
            errors.Add($"{Prefix}{nameof(SensorOptions.SyslogProtocol)}: '{options.SyslogProtocol}' is not udp or tcp");
        }
        if (SyslogMessage.ParseFacility(options.SyslogFacility) < 0)
        {
            errors.Add($"{Prefix}{nameof(SensorOptions.SyslogFacility)}: '{options.SyslogFacility}' is not a facility ({SyslogMessage.FacilityChoices})");
        }
        if (SyslogEnabled(options) && !IPAddress.TryParse(options.SyslogAddress.Trim(), out _))
        {
            // As for the metrics address: the daemon never resolves names for itself.
            errors.Add($"{Prefix}{nameof(SensorOptions.SyslogAddress)}: '{options.SyslogAddress}' is not an IP address (names are never resolved: give the receiver's address)");
        }
    }

    private static void ValidateWebhook(SensorOptions options, List<string> errors)
    {
        Range(errors, nameof(SensorOptions.WebhookTimeoutSeconds), options.WebhookTimeoutSeconds, 1, 300, "s");
        Range(errors, nameof(SensorOptions.WebhookMaxAttempts), options.WebhookMaxAttempts, 1, 100, "attempts");
        Range(errors, nameof(SensorOptions.WebhookQueueCapacity), options.WebhookQueueCapacity, 1, 1_000_000, "alerts");
        if (!WebhookEnabled(options))
        {
            return;
        }
        var key = Prefix + nameof(SensorOptions.WebhookUrl);
        if (!Uri.TryCreate(options.WebhookUrl.Trim(), UriKind.Absolute, out var url)
            || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps)
            || string.IsNullOrEmpty(url.Host))
        {
            errors.Add($"{key}: '{options.WebhookUrl}' is not an http:// or https:// URL");
        }
        if (ReadSecret(options, out var problem) is null)
        {
            errors.Add(problem!);
        }
    }

    private static void ValidateBlocklist(SensorOptions options, List<string> errors)
    {
        Range(errors, nameof(SensorOptions.BlocklistTtlMinutes), options.BlocklistTtlMinutes, 1, 30 * 24 * 60, "minutes");
        if (BlocklistPaths(options) is not { } paths)
        {
            return;
        }
        var key = Prefix + nameof(SensorOptions.BlocklistFile);
        if (Directory.Exists(paths.Text))
        {
            errors.Add($"{key}: {paths.Text} is a directory; name a file");
            return;
        }
        if (string.Equals(Path.GetExtension(paths.Text), ".json", StringComparison.OrdinalIgnoreCase))
        {
            errors.Add($"{key}: {paths.Text}: name the plain list (blocklist.txt); the JSON is written beside it as .json");
            return;
        }
        var directory = Path.GetDirectoryName(paths.Text)!;
        if (!Directory.Exists(directory))
        {
            errors.Add($"{key}: directory {directory} does not exist");
        }
        else if (SensorOptionsValidator.ProbeWritable(directory) is { } problem)
        {
            // Written as a new file renamed over the old one: the directory must take new files.
            errors.Add($"{key}: directory {directory} is not writable: {problem}");
        }
    }

    private static void Range(List<string> errors, string name, int value, int min, int max, string unit, string what = "is out of range")
    {
        if (value < min || value > max)
        {
            var suffix = unit.Length > 0 ? " " + unit : "";
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"{Prefix}{name}: {value} {what} ({min}-{max}{suffix})"));
        }
    }
}
