using PoolDetector.Core.Flows;

namespace PoolDetector.Core.Tests.Protocols;

public class HttpInspectorTests
{
    private const string GetworkRequestBody = "{\"method\": \"getwork\", \"params\": [], \"id\": 0}";

    [Fact]
    public void Getwork_over_http_with_mining_headers()
    {
        var request = "POST / HTTP/1.1\r\nAuthorization: Basic dXNlcjp4\r\nHost: us1.bitminter.com:3333\r\nUser-Agent: bfgminer/5.2.0\r\nContent-Type: application/json\r\nX-Mining-Extensions: longpoll midstate rollntime submitold\r\nContent-Length: "
            + GetworkRequestBody.Length + "\r\n\r\n" + GetworkRequestBody;
        var body = "{\"result\":{\"midstate\":\"" + new string('1', 64) + "\",\"data\":\"" + new string('2', 256) + "\",\"hash1\":\"" + new string('0', 128) + "\",\"target\":\"" + new string('f', 56) + "00000000\"},\"error\":null,\"id\":0}";
        var response = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Long-Polling: /LP\r\nX-Stratum: stratum+tcp://us1.bitminter.com:3333\r\nContent-Length: " + body.Length + "\r\n\r\n" + body;

        var h = new InspectorHarness();
        // Split the request mid-header and mid-body.
        h.HttpText(FlowDirection.ClientToServer, request[..40]).HttpText(FlowDirection.ClientToServer, request[40..^10]).HttpText(FlowDirection.ClientToServer, request[^10..]);
        h.HttpText(FlowDirection.ServerToClient, response);

        Assert.Equal(["agent:BFGMiner", "http-header:X-Mining-Extensions", "getwork", "http-header:X-Long-Polling", "http-header:X-Stratum", "getwork:reply"], h.EvidenceNames());
        Assert.Equal("us1.bitminter.com", h.Evidence.PoolHost);
        Assert.Equal("bfgminer/5.2.0", h.Evidence.Agent);
        Assert.Equal("getwork", h.Dialect());
    }

    [Fact]
    public void Ordinary_node_rpc_over_http_stays_clean()
    {
        var body = "{\"jsonrpc\":\"2.0\",\"method\":\"web3_clientVersion\",\"params\":[],\"id\":67}";
        var request = "POST / HTTP/1.1\r\nHost: localhost:8545\r\nUser-Agent: curl/7.56.1\r\nContent-Type: application/json\r\nContent-Length: " + body.Length + "\r\n\r\n" + body;
        var h = new InspectorHarness().HttpText(FlowDirection.ClientToServer, request);
        Assert.Equal(0, h.Evidence.Score);
    }

    [Fact]
    public void One_mining_header_alone_is_not_a_verdict()
    {
        var h = new InspectorHarness().HttpText(FlowDirection.ServerToClient, "HTTP/1.1 200 OK\r\nX-Long-Polling: /LP\r\nContent-Length: 2\r\n\r\n{}");
        Assert.Equal(["http-header:X-Long-Polling"], h.EvidenceNames());
        Assert.True(h.Evidence.Score < InspectorHarness.Rules.Scoring.MediumThreshold);
    }

    [Fact]
    public void Oversized_head_is_abandoned_and_counted()
    {
        var h = new InspectorHarness().HttpText(FlowDirection.ClientToServer, "GET / HTTP/1.1\r\nX-Junk: " + new string('a', 20_000));
        Assert.Equal(1, h.Counters.HttpMalformed);
    }
}
