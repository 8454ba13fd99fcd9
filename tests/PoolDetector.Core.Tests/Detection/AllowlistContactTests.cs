using PoolDetector.Core.Detection;

namespace PoolDetector.Core.Tests.Detection;

/// <summary>The operator's allowlist (rules/intel/allowlist.tsv) silences pool contact as it does mining, until the entry expires.</summary>
public class AllowlistContactTests
{
    private const string Miner = "10.0.0.5";
    private const string Server = "203.0.113.20";

    private static ContactHarness PoolSniFlow(string? allowlist)
    {
        var harness = new ContactHarness(ContactRules.With(allowlist: allowlist is null ? null : ContactRules.AllowlistHeader + allowlist));
        harness.Tcp(Miner, 40000, Server, 443).Handshake().Client(Hellos.WithSni("pool.supportxmr.com")).Close();
        harness.Finish();
        return harness;
    }

    [Theory]
    [InlineData("10.0.0.5\tADDR\tresearch GPU box, ticket OPS-1234\t2027-03-31\n")]
    [InlineData("10.0.0.0/24\tSUBNET\tthe mining lab\tnever\n")]
    [InlineData("203.0.113.20\tADDR\tthe department's own pool\t2026-11-02\n")] // valid through its last day
    public void An_allowlisted_host_or_pool_is_counted_not_reported(string entry)
    {
        var harness = PoolSniFlow(entry);

        Assert.Empty(harness.Detections);
        Assert.Equal(0, harness.Engine.Detections);
        Assert.Equal(1, harness.Engine.Allowlisted);
    }

    [Theory]
    [InlineData("supportxmr.com\tDOMAIN\tsanctioned research\tnever\n")]
    [InlineData("pool.supportxmr.com\tHOST\tsanctioned research\tnever\n")]
    public void An_allowlisted_pool_name_is_no_pool_name_at_all(string entry)
    {
        // The name lookup itself skips allowlisted names: no signal, so nothing to count.
        var harness = PoolSniFlow(entry);

        Assert.Empty(harness.Detections);
        Assert.Equal(0, harness.Engine.Allowlisted);
    }

    [Theory]
    [InlineData("10.0.0.5\tADDR\tresearch GPU box, ticket OPS-1234\t2026-11-01\n")]
    [InlineData("203.0.113.20\tADDR\tthe department's own pool\t2025-01-31\n")]
    public void An_expired_entry_no_longer_applies(string entry)
    {
        var harness = PoolSniFlow(entry);

        var d = Assert.Single(harness.Detections);
        Assert.Equal("pool-tls-sni", d.Dialect);
        Assert.Equal(1, harness.Engine.Detections);
        Assert.Equal(0, harness.Engine.Allowlisted);
        Assert.Equal(1, harness.Engine.Rules.Intel.Allowlist.ExpiredCount);
    }

    [Fact]
    public void An_entry_for_someone_else_changes_nothing()
    {
        var harness = PoolSniFlow("10.0.0.6\tADDR\tanother box\tnever\n");

        Assert.Equal("pool-tls-sni", Assert.Single(harness.Detections).Dialect);
        Assert.Equal(0, harness.Engine.Allowlisted);
    }

    [Fact]
    public void The_allowlist_silences_dns_contact_of_the_querier_too()
    {
        var harness = new ContactHarness(ContactRules.With(allowlist: ContactRules.AllowlistHeader + "10.0.0.5\tADDR\tlab\tnever\n"));
        harness.Udp(Miner, 53001, "10.0.0.53", 53, DnsMessages.Query("pool.supportxmr.com"));
        harness.Udp("10.0.0.53", 53, Miner, 53001, DnsMessages.Response("pool.supportxmr.com", DnsMessages.A("pool.supportxmr.com", Server)));
        harness.Tcp(Miner, 40000, Server, 3333).Handshake().Close();
        harness.Finish();

        Assert.Empty(harness.Detections);
        Assert.Equal(2, harness.Engine.Allowlisted);
    }
}
