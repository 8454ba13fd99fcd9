using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using PoolDetector.Testing;
using PoolDetector.Tests.EndToEnd;
using PoolDetector.Tests.Support;
using Xunit.Abstractions;

namespace PoolDetector.Tests.Faults;

/// <summary>
/// Issue 8, least privilege, with the kernel's real capabilities: the daemon run as nobody
/// (uid 65534) by setpriv inside a test namespace, as the systemd unit runs it (User=,
/// AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN, nothing else in the bounding set). It
/// captures a replayed miner and alerts; its effective capabilities are those two and nothing
/// more; /metrics and /blocklist.txt listen on 127.0.0.1 only, so the namespace's own address
/// is refused. Without the capabilities it stops at once with exit 2 and a message naming
/// CAP_NET_RAW, no stack trace. Bounds: start within 30 s, alert within 20 s, refusal within 20 s.
/// </summary>
public sealed partial class LeastPrivilegeTests(ITestOutputHelper output)
{
    private const int Nobody = 65534;
    private const string NamespaceAddress = "10.254.0.1";
    /// <summary>CAP_NET_ADMIN (12) and CAP_NET_RAW (13): what the unit grants.</summary>
    private const ulong CaptureCapabilities = (1UL << 12) | (1UL << 13);
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan EventTimeout = TimeSpan.FromSeconds(20);

    [EndToEndFact("tcpreplay", "setpriv", "ss")]
    public void As_nobody_with_two_capabilities_it_captures_alerts_and_listens_on_loopback_only()
    {
        using var netns = NetworkNamespace.Create();
        // A non-loopback address in the namespace, to knock on.
        netns.Ip("addr", "add", NamespaceAddress + "/24", "dev", netns.CaptureInterface);
        using var config = UnprivilegedConfig(netns);
        using var scratch = new Cli.TempDirectory();
        var replayable = EthernetRewrite.Replayable(Path.Combine(RepositoryPaths.Pcaps, "stratum-v1-npm.pcap"), scratch.Path);

        using var daemon = DaemonProcess.Launch(config, netns, prefix: Setpriv("+net_raw,+net_admin"));
        Assert.True(daemon.WaitForLog("Capturing on " + netns.CaptureInterface, StartTimeout), "did not start capturing:\n" + daemon.Describe());
        Assert.True(DaemonProcess.WaitUntil(() => Listeners(netns).Count > 0, StartTimeout), "no listener:\n" + daemon.Describe());

        // The process (ip and setpriv exec it: same pid) runs as nobody with exactly the two capabilities.
        var status = File.ReadAllText($"/proc/{daemon.Id.ToString(CultureInfo.InvariantCulture)}/status");
        output.WriteLine(string.Join('\n', status.Split('\n').Where(l => l.StartsWith("Cap", StringComparison.Ordinal) || l.StartsWith("Uid", StringComparison.Ordinal))));
        Assert.Matches($@"(?m)^Uid:\s+{Nobody}\s+{Nobody}\s+{Nobody}\s+{Nobody}$", status);
        Assert.Equal(CaptureCapabilities, Capabilities(status, "CapEff"));
        Assert.Equal(CaptureCapabilities, Capabilities(status, "CapPrm"));
        Assert.Equal(CaptureCapabilities, Capabilities(status, "CapBnd"));

        // Captures and alerts on a replayed miner.
        using (var replay = ChildProcess.Run(NetworkNamespace.IpBinary, netns.Wrap("tcpreplay", "--intf1=" + netns.ReplayInterface, "--pps=2000", replayable), EventTimeout))
        {
            Assert.True(replay.ExitCode == 0, replay.Describe());
        }
        var alert = Assert.Single(daemon.WaitForAlerts(1, EventTimeout));
        Assert.Equal("stratum-v1", alert.GetProperty("mining").GetProperty("dialect").GetString());
        Assert.True(DaemonProcess.Samples(daemon.Metrics(), "pooldetector_detections_total", ("category", "mining")).Sum(s => s.Value) == 1, daemon.Describe());

        // The defaults listen on loopback only: one listener, 127.0.0.1:9474, serving /metrics
        // and /blocklist.txt; the namespace's own address is refused.
        Assert.Equal(["127.0.0.1:9474"], Listeners(netns));
        // The block list is rebuilt once a second.
        Assert.True(DaemonProcess.WaitUntil(() => daemon.Get("/blocklist.txt") == "127.0.0.1\n", EventTimeout), "the miner is not on /blocklist.txt:\n" + daemon.Describe());
        var refused = netns.Run(() =>
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                socket.Connect(IPAddress.Parse(NamespaceAddress), daemon.MetricsPort);
                return SocketError.Success;
            }
            catch (SocketException e)
            {
                return e.SocketErrorCode;
            }
        });
        Assert.Equal(SocketError.ConnectionRefused, refused);

        Assert.Equal(0, daemon.Stop(TimeSpan.FromSeconds(20)));
    }

    [EndToEndFact("setpriv")]
    public void As_nobody_without_capabilities_it_exits_2_naming_cap_net_raw()
    {
        using var netns = NetworkNamespace.Create();
        using var config = UnprivilegedConfig(netns);
        using var daemon = DaemonProcess.Launch(config, netns, prefix: Setpriv(null));
        var exit = daemon.WaitForExit(EventTimeout);
        Assert.True(exit == 2, $"exit {exit?.ToString(CultureInfo.InvariantCulture) ?? "none (still running)"}, not 2:\n{daemon.Describe()}");
        Assert.Contains("lacks CAP_NET_RAW", daemon.Stderr, StringComparison.Ordinal);
        Assert.Contains("AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN", daemon.Stderr, StringComparison.Ordinal);
        // Said once, plainly: no exception text, no stack frames.
        StackTraces.AssertNone(daemon.Stderr);
    }

    /// <summary>setpriv as nobody, with <paramref name="capabilities"/> (setpriv's list) inheritable, ambient and the whole bounding set, or none.</summary>
    private static string[] Setpriv(string? capabilities)
    {
        var uid = Nobody.ToString(CultureInfo.InvariantCulture);
        string[] common = ["setpriv", "--reuid=" + uid, "--regid=" + uid, "--clear-groups"];
        return capabilities is null
            ? [.. common, "--inh-caps=-all", "--bounding-set=-all", "--"]
            : [.. common, "--inh-caps=-all," + capabilities, "--ambient-caps=-all," + capabilities, "--bounding-set=-all," + capabilities, "--"];
    }

    /// <summary>The namespace's capture interface, the default metrics address, and a folder nobody owns.</summary>
    private static DaemonConfig UnprivilegedConfig(NetworkNamespace netns)
    {
        var config = new DaemonConfig();
        config.Settings["Interfaces"] = new[] { netns.CaptureInterface };
        config.Settings["MetricsPort"] = 9474; // a fresh namespace has every port free
        config.Settings["InterfaceRetrySeconds"] = 1;
        config.Write();
        using var chown = ChildProcess.Run("chown", ["-R", $"{Nobody}:{Nobody}", config.Directory], TimeSpan.FromSeconds(10));
        Assert.True(chown.ExitCode == 0, chown.Describe());
        return config;
    }

    /// <summary>Local addresses of the TCP listeners in the namespace (ss).</summary>
    private static List<string> Listeners(NetworkNamespace netns) =>
        [.. netns.Exec("ss", "-H", "-l", "-t", "-n").Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[3]).Order(StringComparer.Ordinal)];

    private static ulong Capabilities(string status, string set) =>
        ulong.Parse(Regex.Match(status, $@"(?m)^{set}:\s+([0-9a-f]+)$").Groups[1].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
}
