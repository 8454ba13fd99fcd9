using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using PoolDetector.Attribution;
using PoolDetector.Cli;
using PoolDetector.Hosting;
using PoolDetector.Testing;
using PoolDetector.Tests.Cli;
using CliRunner = PoolDetector.Tests.Cli.Cli;
using PoolDetector.Tests.EndToEnd;

namespace PoolDetector.Tests.Attribution;

/// <summary>
/// analyze's --home-net, --inventory, --wallets and --wallet-key, and the daemon's options of the
/// same meaning: what every output shows after attribution, and what a bad setting stops.
/// </summary>
public class AttributionCliTests
{
    /// <summary>XMRig's login in pcaps/xmrig-login-job-submit.pcap.</summary>
    private const string Wallet = "489BRjZnXvGJ8Sn2NPNGnKd2ZuhM175y14XE1YVf41GP8FudLvLgD7LuSMYrLCD5FiUWph2NPqq5jm1QB6oHAs3YFuyuyaN";
    private const string Key = WalletPrivacyTests.Key;

    private static string Capture(string name) => Path.Combine(RepositoryPaths.Pcaps, name);

    private static CliResult Analyze(params string[] args) =>
        CliRunner.Run(["analyze", "--rules", RepositoryPaths.Rules, .. args]);

    private static JsonElement Event(string jsonl, int index = 0) =>
        JsonDocument.Parse(jsonl.Split('\n', StringSplitOptions.RemoveEmptyEntries)[index]).RootElement;

    /// <summary>
    /// Every 8-character piece of <paramref name="secret"/> found in <paramref name="text"/>: the
    /// table wraps long cells over several lines, so a whole wallet never shows there, its pieces do.
    /// </summary>
    private static List<string> PiecesIn(string text, string secret) =>
        [.. Enumerable.Range(0, secret.Length - 7).Select(i => secret.Substring(i, 8)).Where(piece => text.Contains(piece, StringComparison.Ordinal))];

    [Theory]
    [InlineData("jsonl")]
    [InlineData("csv")]
    [InlineData("table")]
    public void Masked_and_hashed_wallets_never_appear_raw_in_any_format(string format)
    {
        var plain = Analyze("--format", format, Capture("xmrig-login-job-submit.pcap"));
        Assert.NotEmpty(PiecesIn(plain.Stdout, Wallet));

        var masked = Analyze("--format", format, "--wallets", "mask", Capture("xmrig-login-job-submit.pcap"));
        Assert.Equal(ExitCodes.MiningFound, masked.ExitCode);
        Assert.DoesNotContain(Wallet, masked.Stdout, StringComparison.Ordinal);
        Assert.Empty(PiecesIn(masked.Stdout, Wallet[1..^1]));
        Assert.Contains("489BRj...uyaN", masked.Stdout, StringComparison.Ordinal);

        var hashed = Analyze("--format", format, "--wallets", "hash", "--wallet-key", Key, Capture("xmrig-login-job-submit.pcap"));
        Assert.Equal(ExitCodes.MiningFound, hashed.ExitCode);
        Assert.DoesNotContain(Wallet, hashed.Stdout, StringComparison.Ordinal);
        Assert.Empty(PiecesIn(hashed.Stdout, Wallet));
        // Stable: the keyed hash of the wallet itself, the same in every run and every format.
        var expected = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Key), Encoding.UTF8.GetBytes(Wallet)));
        Assert.Contains(format == "table" ? expected[..16] : expected, hashed.Stdout, StringComparison.Ordinal);
        Assert.Equal(hashed.Stdout, Analyze("--format", format, "--wallets", "hash", "--wallet-key", Key, Capture("xmrig-login-job-submit.pcap")).Stdout);
    }

    [Fact]
    public void Hash_without_a_long_enough_key_is_bad_usage()
    {
        var result = Analyze("--format", "jsonl", "--wallets", "hash", "--wallet-key", "short", Capture("xmrig-login-job-submit.pcap"));
        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Equal("", result.Stdout);
        Assert.Contains("--wallet-key: hash needs a key of at least 16 characters", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Dhcp_names_and_inventory_units_reach_every_format()
    {
        using var temp = new TempDirectory();
        var inventory = temp.File("inventory.csv", Encoding.UTF8.GetBytes(
            "cidr,department,owner,contact\n10.0.0.0/8,Central IT,,noc@campus.example\n10.99.0.0/24,Physics Lab 2,Jane Doe,lab2@campus.example\nfd99::/64,Physics IPv6 lab,,\n"));
        var jsonl = Analyze("--format", "jsonl", "--inventory", inventory, Capture("dhcp-then-stratum.pcap"));
        Assert.Equal(ExitCodes.MiningFound, jsonl.ExitCode);
        var v4 = Event(jsonl.Stdout, 0).GetProperty("mining").GetProperty("host");
        Assert.Equal("""{"mac":"02:00:00:00:99:17","hostname":"lab-pc-17","department":"Physics Lab 2","owner":"Jane Doe","contact":"lab2@campus.example"}""", v4.GetRawText());
        var v6 = Event(jsonl.Stdout, 1).GetProperty("mining").GetProperty("host");
        Assert.Equal("""{"mac":"02:00:00:00:99:17","hostname":"lab-pc-17.campus.example","department":"Physics IPv6 lab","owner":null,"contact":null}""", v6.GetRawText());

        var csv = Analyze("--format", "csv", "--inventory", inventory, Capture("dhcp-then-stratum.pcap"));
        Assert.Contains(",02:00:00:00:99:17,lab-pc-17,Physics Lab 2,Jane Doe,lab2@campus.example\r\n", csv.Stdout, StringComparison.Ordinal);
        var table = Analyze("--format", "table", "--inventory", inventory, Capture("dhcp-then-stratum.pcap"));
        Assert.Contains("lab-pc-17 (Physics Lab 2)", table.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_home_networks_nothing_is_attributed()
    {
        var result = Analyze("--format", "jsonl", "--home-net", "none", Capture("dhcp-then-stratum.pcap"));
        Assert.DoesNotContain("\"host\"", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void A_home_network_on_the_pools_side_turns_the_event_round()
    {
        // The generated XMRig session: miner 192.0.2.10, pool 203.0.113.5. Declared home, the
        // pool's side becomes the source; the community id stays the flow's.
        var before = Event(Analyze("--format", "jsonl", Capture("xmrig-login-job-submit.pcap")).Stdout);
        var after = Event(Analyze("--format", "jsonl", "--home-net", "203.0.113.0/24", Capture("xmrig-login-job-submit.pcap")).Stdout);
        Assert.Equal(("192.0.2.10", "203.0.113.5"), (before.GetProperty("src_ip").GetString(), before.GetProperty("dest_ip").GetString()));
        Assert.Equal(("203.0.113.5", 10128, "192.0.2.10", 49732),
            (after.GetProperty("src_ip").GetString(), after.GetProperty("src_port").GetInt32(), after.GetProperty("dest_ip").GetString(), after.GetProperty("dest_port").GetInt32()));
        Assert.Equal(before.GetProperty("community_id").GetString(), after.GetProperty("community_id").GetString());
        Assert.Equal("02:00:5e:00:53:01", after.GetProperty("mining").GetProperty("host").GetProperty("mac").GetString());
    }

    [Fact]
    public void A_bad_inventory_or_home_network_stops_analyze_with_every_problem()
    {
        using var temp = new TempDirectory();
        var inventory = temp.File("inventory.csv", Encoding.UTF8.GetBytes("cidr,department,owner,contact\n10.0.0.0/8,IT,,\n10.1.2.3/16,Physics,,\n"));
        var result = Analyze("--format", "jsonl", "--inventory", inventory, "--home-net", "10.0.0.0/33", Capture("xmrig-login-job-submit.pcap"));
        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Equal("", result.Stdout);
        Assert.Contains($"--inventory: {inventory}:3: '10.1.2.3/16' has host bits set beyond /16", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("--home-net 10.0.0.0/33: '10.0.0.0/33': the prefix length must be 0..32", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void The_daemons_options_are_validated_with_their_keys()
    {
        using var config = new DaemonConfig();
        var inventory = Path.Combine(config.Directory, "inventory.csv");
        File.WriteAllText(inventory, "cidr,department,owner,contact\n10.0.0.0/8,,,\n");
        config.Settings["HomeNetworks"] = new[] { "10.0.0.0/8", "campus" };
        config.Settings["InventoryFile"] = inventory;
        config.Settings["WalletPrivacy"] = "hash";
        var result = CliRunner.RunProcess("check-config", "--config", config.Write());
        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("PoolDetector:HomeNetworks:1: 'campus' is not an address or CIDR range", result.Stderr, StringComparison.Ordinal);
        Assert.Contains($"PoolDetector:InventoryFile: {inventory}:2: no department for 10.0.0.0/8", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("PoolDetector:WalletHashKey: hash needs a key of at least 16 characters", result.Stderr, StringComparison.Ordinal);

        File.WriteAllText(inventory, "cidr,department,owner,contact\n10.0.0.0/8,IT,,\n");
        config.Settings["HomeNetworks"] = new[] { "10.0.0.0/8", "2001:db8:10::/48" };
        config.Settings["WalletHashKey"] = Key;
        result = CliRunner.RunProcess("check-config", "--config", config.Write());
        Assert.True(result.ExitCode == ExitCodes.Clean, result.Stderr);
        Assert.Contains("home:       10.0.0.0/8, 2001:db8:10::/48", result.Stdout, StringComparison.Ordinal);
        Assert.Contains($"inventory:  {inventory} (1 networks)", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("wallets:    hash", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Home_networks_default_to_private_ranges_and_none_clears_them()
    {
        using var config = new DaemonConfig();
        var result = CliRunner.RunProcess("check-config", "--config", config.Write());
        Assert.Contains("home:       10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 100.64.0.0/10, fc00::/7", result.Stdout, StringComparison.Ordinal);
        config.Settings["HomeNetworks"] = "none";
        result = CliRunner.RunProcess("check-config", "--config", config.Write());
        Assert.Contains("home:       none", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void A_reload_takes_a_good_inventory_and_keeps_the_last_good_one_otherwise()
    {
        using var temp = new TempDirectory();
        var path = temp.File("inventory.csv", Encoding.UTF8.GetBytes("cidr,department,owner,contact\n10.0.0.0/8,IT,,\n"));
        var options = new SensorOptions { InventoryFile = path };
        var errors = new List<string>();
        var settings = SensorOptionsValidator.ValidateAttribution(options, errors);
        Assert.Empty(errors);
        var validation = new SensorValidation(options, "", null, []) { Attribution = settings! };
        var reloader = new InventoryReloader(validation, NullLogger<InventoryReloader>.Instance);
        var attribution = settings!.Attribution;
        string? Department() => attribution.Apply(SampleDetections.DesignExample).Host?.Department;
        Assert.Equal("IT", Department());

        File.WriteAllText(path, "cidr,department,owner,contact\n10.0.0.0/8,IT,,\n10.1.2.0/24,Physics,,\n");
        Assert.True(reloader.Reload());
        Assert.Equal("Physics", Department());

        File.WriteAllText(path, "cidr,department,owner,contact\n10.1.2.0/24,,,\n");
        Assert.False(reloader.Reload());
        Assert.Equal("Physics", Department());
    }
}
