using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using PoolDetector.Cli;
using PoolDetector.Tests.EndToEnd;

namespace PoolDetector.Tests.Faults;

/// <summary>
/// Issue 8, faults: the metrics port is taken. The daemon (a real process) must not start half
/// way: it exits with the configuration exit code (2) within 20 s, naming the address and the
/// port once, with no exception text or stack trace on stderr. Needs no root: the port is
/// checked before capture starts.
/// </summary>
public sealed class MetricsPortTakenTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    [Theory]
    [InlineData("127.0.0.1", null)]
    [InlineData("0.0.0.0", "0.0.0.0")]
    public void A_taken_metrics_port_exits_2_naming_address_and_port_without_a_stack_trace(string takenOn, string? metricsAddress)
    {
        using var taken = new TcpListener(IPAddress.Parse(takenOn), 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        using var config = new DaemonConfig();
        config.Settings["MetricsPort"] = port;
        if (metricsAddress is not null)
        {
            config.Settings["MetricsAddress"] = metricsAddress;
        }
        var clock = Stopwatch.StartNew();
        using var daemon = DaemonProcess.Launch(config);
        var exit = daemon.WaitForExit(Bound);
        Assert.True(exit == ExitCodes.Usage, $"exit {exit?.ToString(CultureInfo.InvariantCulture) ?? "none"} after {clock.Elapsed.TotalSeconds:F1} s, not {ExitCodes.Usage} within {Bound.TotalSeconds} s:\n{daemon.Describe()}");
        var address = metricsAddress ?? "127.0.0.1";
        Assert.Equal(1, Regex.Count(daemon.Stderr, Regex.Escape($"Metrics: cannot listen on address {address} port {port.ToString(CultureInfo.InvariantCulture)}")));
        StackTraces.AssertNone(daemon.Stderr);
    }
}
