using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using PoolDetector.Testing;
using PoolDetector.Tests.EndToEnd;

namespace PoolDetector.Tests.Daemon;

/// <summary>
/// The daemon on loopback with home networks, an inventory and masked wallets: the EVE file
/// shows the unit and never the wallet; SIGHUP reloads the inventory, and a broken one keeps
/// the last good one in use.
/// </summary>
public sealed class AttributionDaemonTests
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan AlertTimeout = TimeSpan.FromSeconds(10);

    [Fact]
    public void Alerts_name_the_inventory_unit_hide_the_wallet_and_follow_an_inventory_reload()
    {
        if (!LiveCaptureTests.IsRoot())
        {
            Console.WriteLine("skipped: live capture needs root");
            return;
        }
        var exchange = LiveCaptureTests.ReadExchange(Path.Combine(RepositoryPaths.Pcaps, "stratum-v1-npm.pcap"));
        using var config = new DaemonConfig();
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var poolPort = ((IPEndPoint)listener.LocalEndpoint).Port;
        var inventory = Path.Combine(config.Directory, "inventory.csv");
        File.WriteAllText(inventory, "cidr,department,owner,contact\n127.0.0.0/8,Loopback lab,Jane Doe,lab@campus.example\n");
        config.Settings["BpfFilter"] = $"tcp port {poolPort}";
        config.Settings["HomeNetworks"] = new[] { "127.0.0.0/8" };
        config.Settings["InventoryFile"] = inventory;
        config.Settings["WalletPrivacy"] = "mask";

        using var daemon = DaemonProcess.Launch(config);
        Assert.True(daemon.WaitForLog("Capturing on lo", StartTimeout), "daemon did not start capturing:\n" + daemon.Stderr);

        JsonElement AlertAfter(int count)
        {
            Play(listener, exchange);
            Assert.True(DaemonProcess.WaitUntil(() => LiveCaptureTests.AlertLines(config.EveLog).Count >= count, AlertTimeout), "no alert:\n" + daemon.Stderr);
            return JsonDocument.Parse(LiveCaptureTests.AlertLines(config.EveLog)[count - 1]).RootElement.GetProperty("mining");
        }

        // The worker pooldetector.rig1, masked; the unit from the inventory (loopback has no MAC).
        var first = AlertAfter(1);
        Assert.Equal("poolde...ctor.rig1", first.GetProperty("worker").GetString());
        Assert.Equal("""{"mac":null,"hostname":null,"department":"Loopback lab","owner":"Jane Doe","contact":"lab@campus.example"}""",
            first.GetProperty("host").GetRawText());

        // SIGHUP: a more specific row for the host is used from then on.
        File.WriteAllText(inventory, "cidr,department,owner,contact\n127.0.0.0/8,Loopback lab,,\n127.0.0.1,Host one,,\n");
        daemon.Signal("HUP");
        Assert.True(daemon.WaitForLog("Reloaded the inventory: 2 networks", AlertTimeout), "inventory not reloaded:\n" + daemon.Stderr);
        Assert.Equal("Host one", AlertAfter(2).GetProperty("host").GetProperty("department").GetString());

        // A broken file: logged with its line, and the last good inventory stays.
        File.WriteAllText(inventory, "cidr,department,owner,contact\n127.0.0.1/8,Broken,,\n");
        daemon.Signal("HUP");
        Assert.True(daemon.WaitForLog("Inventory reload failed", AlertTimeout), "reload failure not logged:\n" + daemon.Stderr);
        // Each problem is a log line of its own, after the summary: wait for it too.
        Assert.True(daemon.WaitForLog($"{inventory}:2:", AlertTimeout), "the broken line is not named:\n" + daemon.Stderr);
        Assert.Equal("Host one", AlertAfter(3).GetProperty("host").GetProperty("department").GetString());

        // Not one alert and not one log line shows the login.
        Assert.DoesNotContain("pooldetector.rig1", File.ReadAllText(config.EveLog), StringComparison.Ordinal);
        Assert.DoesNotContain("pooldetector.rig1", daemon.Stderr, StringComparison.Ordinal);
        daemon.Signal("TERM");
        Assert.Equal(0, daemon.WaitForExit(TimeSpan.FromSeconds(20)));
    }

    private static void Play(TcpListener listener, List<(bool FromClient, byte[] Payload)> exchange)
    {
        using var client = new TcpClient(AddressFamily.InterNetwork);
        client.Connect(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
        using var server = listener.AcceptTcpClient();
        LiveCaptureTests.Play(client, server, exchange);
    }
}
