using System.Text;
using PoolDetector.Core.Protocols.Stratum;

namespace PoolDetector.Core.Tests.Protocols.Stratum;

public class StratumUrlTests
{
    private static (bool Ok, string Url, string? Host) Read(string text) =>
        (StratumUrl.TryRead(Encoding.Latin1.GetBytes(text), out var url, out var host), url, host);

    /// <summary>
    /// The URL as the evidence shows it (scheme and authority, credentials and path dropped) and
    /// the pool's name (null for address literals), read from where "stratum" starts up to the
    /// first byte that cannot be part of the authority.
    /// </summary>
    [Theory]
    [InlineData("stratum+tcp://pool.example.com:3333", "stratum+tcp://pool.example.com:3333", "pool.example.com")]
    [InlineData("stratum+ssl://pool.example.com:443", "stratum+ssl://pool.example.com:443", "pool.example.com")]
    [InlineData("stratum+tls://xmr-eu1.nanopool.org:14433\"", "stratum+tls://xmr-eu1.nanopool.org:14433", "xmr-eu1.nanopool.org")]
    [InlineData("stratum2+tcp://v2.pool.example.com:34254/9awtMD5KQgvRUh2yFbjVeT7b6hjipWcAsQHd6wEhgtDT9soosna", "stratum2+tcp://v2.pool.example.com:34254", "v2.pool.example.com")]
    [InlineData("stratum+tcp://user:pass@pool.example.com:3333", "stratum+tcp://pool.example.com:3333", "pool.example.com")]
    [InlineData("stratum+tcp://44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A.rig1:x@gulf.moneroocean.stream:10128", "stratum+tcp://gulf.moneroocean.stream:10128", "gulf.moneroocean.stream")]
    [InlineData("stratum+tcp://pool.example.com", "stratum+tcp://pool.example.com", "pool.example.com")]
    [InlineData("stratum+tcp://pool.example.com:3333/ \"rest of the page\"", "stratum+tcp://pool.example.com:3333", "pool.example.com")]
    [InlineData("stratum+tcp://Pool.Example.COM:3333", "stratum+tcp://Pool.Example.COM:3333", "Pool.Example.COM")]
    [InlineData("stratum+tcp://203.0.113.5:3333", "stratum+tcp://203.0.113.5:3333", null)]
    [InlineData("stratum+tcp://[2001:db8::1]:3333", "stratum+tcp://[2001:db8::1]:3333", null)]
    [InlineData("stratum+tcp://[2001:db8::1]", "stratum+tcp://[2001:db8::1]", null)]
    [InlineData("stratum+tcp://pool.example.com:65535", "stratum+tcp://pool.example.com:65535", "pool.example.com")]
    // A control byte ends the URL like any other delimiter.
    [InlineData("stratum+tcp://pool.example.com:3333\u0001junk", "stratum+tcp://pool.example.com:3333", "pool.example.com")]
    [InlineData("stratum+tcp://pool.example.com\u0000:3333", "stratum+tcp://pool.example.com", "pool.example.com")]
    public void Reads_pool_urls(string text, string url, string? host)
    {
        Assert.Equal((true, url, host), Read(text));
    }

    [Theory]
    [InlineData("stratum+tcp:/pool.example.com:3333")] // no ://
    [InlineData("stratum+tcp:pool.example.com:3333")]
    [InlineData("stratum")]
    [InlineData("stratum+")]
    [InlineData("stratum+tcp://")]
    [InlineData("stratum+tcp:// pool.example.com:3333")]
    [InlineData("stratum+very+long+scheme+name://pool.example.com:3333")] // :// beyond the scheme bound
    [InlineData("stratum-tcp://pool.example.com:3333")] // '-' is not a scheme byte here
    [InlineData("stratum+t\u0000cp://pool.example.com:3333")] // control byte in the scheme
    [InlineData("xstratum+tcp://pool.example.com:3333")] // must start at "stratum"
    [InlineData("stratum+tcp://pool.example.com:abc")] // bad port
    [InlineData("stratum+tcp://pool.example.com:33a3")]
    [InlineData("stratum+tcp://pool.example.com:123456")]
    [InlineData("stratum+tcp://pool.example.com:65536")]
    [InlineData("stratum+tcp://pool.example.com:99999")]
    [InlineData("stratum+tcp://pool.example.com:")] // colon without a port
    [InlineData("stratum+tcp://:3333")] // no host
    [InlineData("stratum+tcp://user:pass@:3333")]
    [InlineData("stratum+tcp://user@")]
    [InlineData("stratum+tcp://[2001:db8::1")] // unclosed bracket
    [InlineData("stratum+tcp://[2001:db8::1]3333")]
    public void Rejects_what_is_not_a_pool_url(string text)
    {
        Assert.Equal((false, "", (string?)null), Read(text));
    }

    [Fact]
    public void An_empty_span_is_not_a_url()
    {
        Assert.False(StratumUrl.TryRead([], out var url, out var host));
        Assert.Equal("", url);
        Assert.Null(host);
    }

    /// <summary>
    /// An authority longer than the reader's bound (300 bytes) is refused rather than cut: a
    /// truncated host would name a pool that is not the one written.
    /// </summary>
    [Theory]
    [InlineData(290, ".example.com:3333")]
    [InlineData(300, ":3333")]
    [InlineData(400, "")]
    public void An_overlong_authority_is_refused_not_truncated(int labelBytes, string tail)
    {
        Assert.Equal((false, "", (string?)null), Read("stratum+tcp://" + new string('a', labelBytes) + tail));
    }

    [Fact]
    public void An_authority_just_within_the_bound_is_read_whole()
    {
        var host = new string('a', 240) + ".example.com";
        var authority = host + ":3333";
        Assert.True(authority.Length <= 300);
        Assert.Equal((true, "stratum+tcp://" + authority, host), Read("stratum+tcp://" + authority + " trailing"));
    }
}
