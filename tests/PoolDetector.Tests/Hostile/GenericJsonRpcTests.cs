using System.Text;
using PoolDetector.Tests.CaptureGeneration;
using Xunit.Abstractions;
using static PoolDetector.Tests.Hostile.HostileHarness;

namespace PoolDetector.Tests.Hostile;

/// <summary>
/// DESIGN.md: never flag generic JSON-RPC as mining. Long, repetitive sessions on a mining
/// port must not add up to a verdict by sheer volume.
/// </summary>
public class GenericJsonRpcTests(ITestOutputHelper output)
{
    private const int Calls = 1000;

    private static string EthCall(int id) => id % 2 == 0
        ? $"{{\"jsonrpc\":\"2.0\",\"id\":{id},\"method\":\"eth_blockNumber\",\"params\":[]}}"
        : $"{{\"jsonrpc\":\"2.0\",\"id\":{id},\"method\":\"eth_getBalance\",\"params\":[\"0x407d73d8a49eeb85d32cf465507dd71d507100c1\",\"latest\"]}}";

    private static string EthReply(int id) => id % 2 == 0
        ? $"{{\"jsonrpc\":\"2.0\",\"id\":{id},\"result\":\"0x{0x12a05f + id:x}\"}}"
        : $"{{\"jsonrpc\":\"2.0\",\"id\":{id},\"result\":\"0x0234c8a3397aab58\"}}";

    private static string Http(string startLine, string body, params string[] headers)
    {
        var head = new StringBuilder(startLine).Append("\r\n");
        foreach (var header in headers)
        {
            head.Append(header).Append("\r\n");
        }
        return head.Append("Content-Type: application/json\r\nContent-Length: ").Append(Encoding.UTF8.GetByteCount(body)).Append("\r\n\r\n").Append(body).ToString();
    }

    private static string Lsp(string json) => $"Content-Length: {Encoding.UTF8.GetByteCount(json)}\r\n\r\n{json}";

    /// <summary>
    /// 1000 eth_blockNumber/eth_getBalance calls and answers as JSON lines on TCP 3333 and as
    /// HTTP POSTs on 3333 and 8545; an LSP exchange on 3333; 100 JSON-RPC logins with user
    /// and password on 3333, as lines and as HTTP. Bound: zero detections, zero evidence.
    /// </summary>
    [Fact]
    public void Long_repetitive_generic_json_rpc_on_mining_ports_is_never_mining()
    {
        var capture = NewCapture();
        var lines = capture.Tcp("192.0.2.60", 40401, "203.0.113.60", 3333, 1_000, 2_000).Handshake();
        var http3333 = capture.Tcp("192.0.2.60", 40402, "203.0.113.60", 3333, 3_000, 4_000).Handshake();
        var http8545 = capture.Tcp("192.0.2.60", 40403, "203.0.113.61", 8545, 5_000, 6_000).Handshake();
        for (var id = 0; id < Calls; id++)
        {
            lines.Client(EthCall(id) + "\n").Server(EthReply(id) + "\n");
            http3333.Client(Http("POST / HTTP/1.1", EthCall(id), "Host: 203.0.113.60:3333", "User-Agent: Go-http-client/1.1"))
                .Server(Http("HTTP/1.1 200 OK", EthReply(id)));
            http8545.Client(Http("POST / HTTP/1.1", EthCall(id), "Host: localhost:8545", "User-Agent: web3.py/6.15.1"))
                .Server(Http("HTTP/1.1 200 OK", EthReply(id)));
        }
        lines.Close();
        http3333.Close();
        http8545.Close();

        capture.Tcp("192.0.2.60", 40404, "203.0.113.62", 3333, 7_000, 8_000).Handshake()
            .Client(Lsp("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"processId\":4242,\"rootUri\":\"file:///home/u/proj\",\"capabilities\":{\"textDocument\":{\"hover\":{\"contentFormat\":[\"markdown\"]}}}}}"))
            .Server(Lsp("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"capabilities\":{\"hoverProvider\":true,\"textDocumentSync\":1},\"serverInfo\":{\"name\":\"pyright\",\"version\":\"1.1.350\"}}}"))
            .Client(Lsp("{\"jsonrpc\":\"2.0\",\"method\":\"initialized\",\"params\":{}}"),
                Lsp("{\"jsonrpc\":\"2.0\",\"method\":\"textDocument/didOpen\",\"params\":{\"textDocument\":{\"uri\":\"file:///home/u/proj/submit.py\",\"languageId\":\"python\",\"version\":1,\"text\":\"def submit(job_id, nonce):\\n    return login(user, password)\\n\"}}}"),
                Lsp("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"textDocument/hover\",\"params\":{\"textDocument\":{\"uri\":\"file:///home/u/proj/submit.py\"},\"position\":{\"line\":0,\"character\":5}}}"))
            .Server(Lsp("{\"jsonrpc\":\"2.0\",\"method\":\"window/logMessage\",\"params\":{\"type\":3,\"message\":\"mining.subscribe job submit\"}}"),
                Lsp("{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{\"contents\":{\"kind\":\"markdown\",\"value\":\"(function) submit\"}}}"))
            .Client(Lsp("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"shutdown\",\"params\":null}")).Server(Lsp("{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":null}"))
            .Client(Lsp("{\"jsonrpc\":\"2.0\",\"method\":\"exit\"}")).Close();

        var loginLines = capture.Tcp("192.0.2.60", 40405, "203.0.113.63", 3333, 9_000, 10_000).Handshake();
        var loginHttp = capture.Tcp("192.0.2.60", 40406, "203.0.113.63", 3333, 11_000, 12_000).Handshake();
        for (var id = 1; id <= 100; id++)
        {
            var login = $"{{\"jsonrpc\":\"2.0\",\"id\":{id},\"method\":\"login\",\"params\":{{\"user\":\"alice{id}\",\"password\":\"hunter2\"}}}}";
            var reply = $"{{\"jsonrpc\":\"2.0\",\"id\":{id},\"result\":{{\"status\":\"OK\",\"token\":\"3f2a9c{id:x4}\",\"expires\":3600}}}}";
            loginLines.Client(login + "\n").Server(reply + "\n");
            loginHttp.Client(Http("POST /rpc HTTP/1.1", login, "Host: auth.example")).Server(Http("HTTP/1.1 200 OK", reply));
        }
        loginLines.Close();
        loginHttp.Close();

        var run = Run(capture);

        var counters = run.Engine.InspectionCounters;
        output.WriteLine($"{run.Engine.Counters.Frames} frames, {run.Elapsed.TotalMilliseconds:F0} ms; json {counters.JsonMessages}, http {counters.HttpMessages}, abandoned {counters.DirectionsAbandoned}");
        Assert.Empty(run.Detections);
        // They were read, not skipped: the verdict is the evaluator's, within the byte budget.
        Assert.True(counters.JsonMessages > 1000, $"only {counters.JsonMessages} JSON messages read");
        Assert.True(counters.HttpMessages > 1000, $"only {counters.HttpMessages} HTTP messages read");
        Assert.Equal(0, counters.MalformedJson);
    }

    /// <summary>
    /// The same generic calls, past the byte budget: each direction with no evidence is let
    /// go once it has shown nothing mining-like in scoring.yml's inspect_bytes_per_direction.
    /// </summary>
    [Fact]
    public void Generic_json_rpc_past_the_byte_budget_is_given_up()
    {
        var capture = NewCapture();
        var session = capture.Tcp("192.0.2.61", 40407, "203.0.113.64", 3333, 1_000, 2_000).Handshake();
        for (var id = 0; id < Calls; id++)
        {
            session.Client(EthCall(id) + "\n").Server(EthReply(id) + "\n");
        }
        session.Close();

        var run = Run(capture);

        Assert.Empty(run.Detections);
        // The client's ~90 KB of calls pass the budget; the node's ~45 KB of answers do not.
        Assert.Equal(1, run.Engine.InspectionCounters.DirectionsAbandoned);
        // ~90 bytes a call: the budget (64 KB) ends the reading of calls well before the
        // thousandth, while all 1000 answers are read.
        var messages = run.Engine.InspectionCounters.JsonMessages;
        Assert.InRange(messages, Calls + 500, (2 * Calls) - 200);
    }
}
