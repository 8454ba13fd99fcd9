using PoolDetector.Core.Detection;
using PoolDetector.Core.Rules;

namespace PoolDetector.Core.Tests.Detection;

/// <summary>A pool URL in clear text (a pool's page, a miner's configuration fetched over HTTP, a reconnect) is pool contact.</summary>
public class StratumUrlContactTests
{
    private const string Request = "GET /getting-started HTTP/1.1\r\nHost: www.example.org\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n";

    private static string Page(string body) =>
        $"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {body.Length}\r\n\r\n{body}";

    [Theory]
    [InlineData("<code>stratum+tcp://pool.example.com:3333</code>", "stratum+tcp://pool.example.com:3333", "pool.example.com")]
    [InlineData("<code>stratum+ssl://wallet.rig:x@pool.example.com:443/</code>", "stratum+ssl://pool.example.com:443", "pool.example.com")]
    [InlineData("<code>stratum2+tcp://v2.pool.example.com:34254/9awtMD5KQgvRUh2yFbjVeT7b6hjipWcAsQHd6wEhgtDT9soosna</code>", "stratum2+tcp://v2.pool.example.com:34254", "v2.pool.example.com")]
    [InlineData("Use the stratum+ schemes below. <code>stratum+tcp://203.0.113.5:3333</code>", "stratum+tcp://203.0.113.5:3333", null)]
    public void A_pool_url_in_a_web_page_is_stratum_url_contact(string body, string url, string? host)
    {
        var harness = new ContactHarness();
        harness.Tcp("10.0.0.5", 40000, "192.0.2.80", 80).Handshake().ClientText(Request).ServerText(Page(body)).Close();
        harness.Finish();

        var d = Assert.Single(harness.Detections);
        Assert.Equal(DetectionCategory.PoolContact, d.Category);
        Assert.Equal("stratum-url", d.Dialect);
        Assert.Equal(Confidence.Medium, d.Confidence);
        Assert.Equal("http", d.AppProtocol);
        Assert.Equal(host, d.PoolHost);
        Assert.Equal(["stratum-url:" + url], d.Evidence);
        // The page's server is not the pool it names.
        Assert.Equal(0, harness.Engine.History.Count);
    }

    [Theory]
    [InlineData("stratum+tcp is how miners connect")]
    [InlineData("stratum+tcp://:3333")]
    [InlineData("stratum+tcp://pool.example.com:99999")]
    public void Text_that_is_no_pool_url_reports_nothing(string body)
    {
        var harness = new ContactHarness();
        harness.Tcp("10.0.0.5", 40000, "192.0.2.80", 80).Handshake().ClientText(Request).ServerText(Page(body)).Close();
        harness.Finish();

        Assert.Empty(harness.Detections);
    }
}
