using PoolDetector.Cli;
using CliProcess = PoolDetector.Tests.Cli.Cli;
using PoolDetector.Tests.EndToEnd;

namespace PoolDetector.Tests.Daemon;

/// <summary>The options of the syslog and webhook outputs and the block list, through the real program.</summary>
public sealed class OutputConfigurationTests
{
    [Fact]
    public void Every_bad_output_option_is_named_at_once()
    {
        using var config = new DaemonConfig();
        config.Settings["SyslogAddress"] = "syslog.campus.example";
        config.Settings["SyslogPort"] = 0;
        config.Settings["SyslogProtocol"] = "sctp";
        config.Settings["SyslogFacility"] = "local9";
        config.Settings["SyslogMaxMessageBytes"] = 100;
        config.Settings["SyslogQueueCapacity"] = 0;
        config.Settings["WebhookUrl"] = "ftp://hooks.campus.example/x";
        config.Settings["WebhookSecret"] = "s";
        config.Settings["WebhookSecretFile"] = Path.Combine(config.Directory, "secret");
        config.Settings["WebhookTimeoutSeconds"] = 0;
        config.Settings["WebhookMaxAttempts"] = 0;
        config.Settings["WebhookQueueCapacity"] = 0;
        config.Settings["BlocklistFile"] = Path.Combine(config.Directory, "blocklist.json");
        config.Settings["BlocklistTtlMinutes"] = 0;
        var result = CliProcess.RunProcess("check-config", "--config", config.Write());
        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        foreach (var expected in new[]
        {
            "PoolDetector:SyslogAddress: 'syslog.campus.example' is not an IP address (names are never resolved",
            "PoolDetector:SyslogPort: 0 is not a port (1-65535)",
            "PoolDetector:SyslogProtocol: 'sctp' is not udp or tcp",
            "PoolDetector:SyslogFacility: 'local9' is not a facility (kern, user, mail, daemon, auth, syslog, lpr, news, uucp, cron, authpriv, ftp, local0, local1, local2, local3, local4, local5, local6, local7, or 0-23)",
            "PoolDetector:SyslogMaxMessageBytes: 100 is out of range (480-65507 bytes)",
            "PoolDetector:SyslogQueueCapacity: 0 is out of range (1-1000000 alerts)",
            "PoolDetector:WebhookUrl: 'ftp://hooks.campus.example/x' is not an http:// or https:// URL",
            "PoolDetector:WebhookSecret: set together with WebhookSecretFile; use one",
            "PoolDetector:WebhookTimeoutSeconds: 0 is out of range (1-300 s)",
            "PoolDetector:WebhookMaxAttempts: 0 is out of range (1-100 attempts)",
            "PoolDetector:WebhookQueueCapacity: 0 is out of range (1-1000000 alerts)",
            $"PoolDetector:BlocklistFile: {Path.Combine(config.Directory, "blocklist.json")}: name the plain list (blocklist.txt); the JSON is written beside it as .json",
            "PoolDetector:BlocklistTtlMinutes: 0 is out of range (1-43200 minutes)",
        })
        {
            Assert.Contains(expected, result.Stderr, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("none", "PoolDetector:WebhookSecret: the webhook needs a secret to sign with (WebhookSecret or WebhookSecretFile)")]
    [InlineData("missing", "PoolDetector:WebhookSecretFile: {0} cannot be read: ")]
    [InlineData("empty", "PoolDetector:WebhookSecretFile: {0} is empty")]
    public void The_webhook_needs_a_readable_secret(string secret, string expected)
    {
        using var config = new DaemonConfig();
        var file = Path.Combine(config.Directory, "webhook.key");
        config.Settings["WebhookUrl"] = "https://hooks.campus.example/pooldetector";
        if (secret != "none")
        {
            config.Settings["WebhookSecretFile"] = file;
        }
        if (secret == "empty")
        {
            File.WriteAllText(file, "\n");
        }
        var result = CliProcess.RunProcess("check-config", "--config", config.Write());
        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains(string.Format(System.Globalization.CultureInfo.InvariantCulture, expected, file), result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_block_list_file_needs_its_directory()
    {
        using var config = new DaemonConfig();
        var missing = Path.Combine(config.Directory, "no-such-dir");
        config.Settings["BlocklistFile"] = Path.Combine(missing, "blocklist.txt");
        var result = CliProcess.RunProcess("run", "--config", config.Write());
        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains($"PoolDetector:BlocklistFile: directory {missing} does not exist", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_good_configuration_says_where_alerts_and_the_block_list_go()
    {
        using var config = new DaemonConfig();
        var key = Path.Combine(config.Directory, "webhook.key");
        File.WriteAllText(key, "s3cret\n");
        config.Settings["SyslogAddress"] = "192.0.2.5";
        config.Settings["SyslogProtocol"] = "TCP";
        config.Settings["SyslogPort"] = 6514;
        config.Settings["WebhookUrl"] = "https://user:pw@hooks.campus.example:8443/pooldetector?token=x";
        config.Settings["WebhookSecretFile"] = key;
        config.Settings["BlocklistFile"] = Path.Combine(config.Directory, "blocklist.txt");
        config.Settings["BlocklistTtlMinutes"] = 120;
        var result = CliProcess.RunProcess("check-config", "--config", config.Write());
        Assert.True(result.ExitCode == ExitCodes.Clean, result.Stderr);
        Assert.Contains("syslog:     192.0.2.5:6514 over tcp, facility local0", result.Stdout, StringComparison.Ordinal);
        // Never the credentials or the query a URL may carry.
        Assert.Contains("webhook:    https://hooks.campus.example:8443/pooldetector\n", result.Stdout.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.DoesNotContain("pw@", result.Stdout, StringComparison.Ordinal);
        Assert.Contains($"blocklist:  http://127.0.0.1:{config.Settings["MetricsPort"]}/blocklist.txt and .json, {Path.Combine(config.Directory, "blocklist.txt")} and {Path.Combine(config.Directory, "blocklist.json")} (entries kept 120 min after the last mining)",
            result.Stdout, StringComparison.Ordinal);
    }
}
