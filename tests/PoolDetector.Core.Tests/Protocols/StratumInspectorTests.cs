using System.Text;
using PoolDetector.Core.Flows;

namespace PoolDetector.Core.Tests.Protocols;

public class StratumInspectorTests
{
    private const int Medium = 2;
    private const int High = 4;

    [Fact]
    public void Recognises_StratumV1_session_both_directions()
    {
        var h = new InspectorHarness()
            .Client("{\"id\": 1, \"method\": \"mining.subscribe\", \"params\": [\"cgminer/4.10.0\"]}\n")
            .Server("{\"id\":1,\"result\":[[[\"mining.set_difficulty\",\"1\"],[\"mining.notify\",\"1\"]],\"08000002\",4],\"error\":null}\n")
            .Client("{\"params\": [\"wallet.rig1\", \"x\"], \"id\": 2, \"method\": \"mining.authorize\"}\n")
            .Server("{\"id\":2,\"result\":true,\"error\":null}\n")
            .Server("{\"id\":null,\"method\":\"mining.set_difficulty\",\"params\":[512]}\n")
            .Server("{\"id\":null,\"method\":\"mining.notify\",\"params\":[\"bf\",\"4d16b6f85af6e2198f44ae2a6de67f78487ae5611b77c6c0440b921e00000000\",\"01000000010000\",\"072f736c7573682f000000000100f2052a010000001976a914d23fcdf86f7e756a64a7a9688ef9903327048ed988ac00000000\",[],\"00000002\",\"1c2ac4af\",\"504e86b9\",false]}\n")
            .Client("{\"params\":[\"wallet.rig1\",\"bf\",\"00000001\",\"504e86ed\",\"b2957c02\"],\"id\":4,\"method\":\"mining.submit\"}\n")
            .Server("{\"id\":4,\"result\":true,\"error\":null}\n");

        Assert.Equal(["mining.subscribe", "agent:cgminer", "mining.subscribe:reply", "mining.authorize", "mining.authorize:reply", "mining.set_difficulty", "mining.notify", "mining.submit", "mining.submit:reply"], h.EvidenceNames());
        Assert.True(h.Evidence.Score >= High);
        Assert.Equal("stratum-v1", h.Dialect());
        Assert.Equal("cgminer/4.10.0", h.Evidence.Agent);
        Assert.Equal("wallet.rig1", h.Evidence.Worker);
        Assert.Equal(1, h.Evidence.SharesSubmitted);
        Assert.Equal(1, h.Evidence.SharesAccepted);
        Assert.Equal(0, h.Evidence.ReversedWeight);
    }

    [Theory]
    [InlineData("{\"id\":1,\"method\":\"mining.subscribe\",\"params\":[]}\n")]
    [InlineData("{ \"method\" : \"mining.subscribe\" , \"params\" : [ ] , \"id\" : \"a1\" }\r\n")]
    [InlineData("{\"params\":[],\"method\":\"mining.subscribe\",\"id\":109}\n")]
    [InlineData("{\"id\":\t1,\t\"method\":\"mining.subscribe\",\"params\":[]}   \n")]
    public void A_single_subscribe_is_medium_evidence_whatever_the_spacing_order_or_id(string line)
    {
        var h = new InspectorHarness().Client(line);
        Assert.Equal(Medium, h.Evidence.Score);
        Assert.Equal(["mining.subscribe"], h.EvidenceNames());
    }

    [Fact]
    public void A_line_split_across_many_segments_and_many_lines_in_one_segment_are_framed()
    {
        var text = "{\"id\":1,\"method\":\"mining.subscribe\",\"params\":[\"bfgminer/5.2.0\"]}\n{\"id\":2,\"method\":\"mining.authorize\",\"params\":[\"w.1\",\"x\"]}\n";
        var bytes = Encoding.UTF8.GetBytes(text);
        var h = new InspectorHarness();
        for (var i = 0; i < bytes.Length; i += 3)
        {
            h.LinesBytes(FlowDirection.ClientToServer, bytes.AsSpan(i, Math.Min(3, bytes.Length - i)));
        }
        Assert.Equal(["mining.subscribe", "agent:BFGMiner", "mining.authorize"], h.EvidenceNames());

        var whole = new InspectorHarness().Client(text + text);
        Assert.Equal(h.EvidenceNames(), whole.EvidenceNames());
        Assert.Equal(h.Evidence.Score, whole.Evidence.Score); // repeated evidence counts once
    }

    [Fact]
    public void Midsession_start_resynchronises_at_the_next_newline()
    {
        var h = new InspectorHarness()
            .Server("5f2b\",\"target\":\"b88d0600\"}}\n{\"jsonrpc\":\"2.0\",\"method\":\"job\",\"params\":{\"blob\":\"0e0ed4ffe0dfdc05af89e7d06de24ca9de7221aed3d46cf1c58358c4a3f00967b1c669a222bacbc500000000865b1b0eaec7a01916dc3efce5bcf16194107121f78e5a89cfc9d792d267cf9607\",\"job_id\":\"Vf2W\",\"target\":\"b88d0600\",\"algo\":\"rx/0\"}}\n")
            .Client("{\"id\":7,\"jsonrpc\":\"2.0\",\"method\":\"submit\",\"params\":{\"id\":\"3dce\",\"job_id\":\"Vf2W\",\"nonce\":\"a4010000\",\"result\":\"3b0f7bd2c4a27cf1e2ea3dfa8a4e1ab8f1c0a7c7c3a7ad6e9f7e31d7f8f40000\",\"algo\":\"rx/0\"}}\n")
            .Server("{\"id\":7,\"jsonrpc\":\"2.0\",\"error\":null,\"result\":{\"status\":\"OK\"}}\n");
        Assert.Equal(["job", "submit", "submit:reply"], h.EvidenceNames());
        Assert.Equal("cryptonote", h.Dialect());
        Assert.Equal("rx/0", h.Evidence.Algorithm);
        Assert.Equal(1, h.Evidence.SharesAccepted);
        Assert.Equal(0, h.Counters.MalformedJson);
    }

    [Fact]
    public void XMRig_login_and_reply_give_worker_agent_and_algorithms()
    {
        var h = new InspectorHarness()
            .Client("{\"id\":1,\"jsonrpc\":\"2.0\",\"method\":\"login\",\"params\":{\"login\":\"44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A\",\"pass\":\"x\",\"agent\":\"XMRig/6.21.0 (Linux x86_64) libuv/1.44.2 gcc/12.2.0\",\"algo\":[\"rx/0\",\"cn/r\",\"cn-pico\"],\"rigid\":\"\"}}\n")
            .Server("{\"id\":1,\"jsonrpc\":\"2.0\",\"error\":null,\"result\":{\"id\":\"0ea1\",\"job\":{\"blob\":\"0707c5e0dfdc057c60c5dbdb26b716a880df1188dc87aac5d21a6a8230adcf679c2058fd7b807e0000000099330aefd29c503d834876f4d322f20473210298ff97414fec94dc5ec919da8507\",\"job_id\":\"x9pN\",\"target\":\"711b0d00\",\"algo\":\"rx/0\"},\"extensions\":[\"algo\",\"keepalive\"],\"status\":\"OK\"}}\n");
        Assert.Equal(["login", "agent:XMRig", "login:reply"], h.EvidenceNames());
        Assert.True(h.Evidence.Score >= High);
        Assert.StartsWith("44AFFq5k", h.Evidence.Worker, StringComparison.Ordinal);
        Assert.Equal("XMRig/6.21.0 (Linux x86_64) libuv/1.44.2 gcc/12.2.0", h.Evidence.Agent);
        // The job names the algorithm mined; the login only lists what XMRig can do.
        Assert.Equal("rx/0", h.Evidence.Algorithm);
    }

    [Fact]
    public void XMRig_login_alone_reports_the_algorithms_it_offers()
    {
        var h = new InspectorHarness()
            .Client("{\"id\":1,\"jsonrpc\":\"2.0\",\"method\":\"login\",\"params\":{\"login\":\"44AFFq5k\",\"pass\":\"x\",\"agent\":\"XMRig/6.21.0\",\"algo\":[\"rx/0\",\"cn/r\",\"cn-pico\"],\"rigid\":\"\"}}\n");
        Assert.Equal("rx/0,cn/r,cn-pico", h.Evidence.Algorithm);
        Assert.Equal(2, h.Evidence.Score); // login shape + XMRig agent: medium, the reply would make it high
    }

    [Fact]
    public void NiceHash_EthereumStratum1_is_told_apart_from_StratumV1()
    {
        var h = new InspectorHarness()
            .Client("{\"id\": 1, \"method\": \"mining.subscribe\", \"params\": [\"ethminer/0.19.0\", \"EthereumStratum/1.0.0\"]}\n")
            .Server("{\"id\": 1, \"result\": [[\"mining.notify\", \"ae6812eb4cd7735a302a8a9dd95cf71f\", \"EthereumStratum/1.0.0\"], \"080c\"], \"error\": null}\n");
        Assert.Equal("ethereumstratum-v1", h.Dialect());
        Assert.Equal(["mining.subscribe", "agent:ethminer", "mining.subscribe:reply"], h.EvidenceNames());
    }

    [Fact]
    public void EthereumStratum2_session_from_the_specification()
    {
        // The message examples of the EthereumStratum/2.0.0 draft (NiceHash), including its
        // notify whose last item is a string, not Stratum V1's clean-jobs boolean.
        var h = new InspectorHarness()
            .Client("{\"id\":0,\"method\":\"mining.hello\",\"params\":{\"agent\":\"ethminer-0.17\",\"host\":\"somemininigpool.com\",\"port\":\"4d2\",\"proto\":\"EthereumStratum/2.0.0\"}}\n")
            .Server("{\"id\":0,\"result\":{\"proto\":\"EthereumStratum/2.0.0\",\"encoding\":\"plain\",\"resume\":1,\"timeout\":\"b4\",\"maxerrors\":\"5\",\"node\":\"Geth/v1.8.18-unstable-f08f596a/linux-amd64/go1.10.4\"}}\n")
            .Client("{\"id\":1,\"method\":\"mining.subscribe\",\"params\":[]}\n")
            .Server("{\"id\":1,\"result\":\"s-12345\"}\n")
            .Client("{\"id\":2,\"method\":\"mining.authorize\",\"params\":[\"0x52bc44d5378309ee2abf1539bf71de1b7d7be3b5.rig1\",\"x\"]}\n")
            .Server("{\"method\":\"mining.set\",\"params\":{\"epoch\":\"dc\",\"target\":\"0112e0be826d694b2e62d01511f12a6061fbaec8bc02357593e70e52ba\",\"algo\":\"ethash\",\"extranonce\":\"af4c\"}}\n")
            .Server("{\"method\":\"mining.notify\",\"params\":[\"bf0488aa\",\"6526d5\",\"645cf20198c2f3861e947d4f67e3ab63b7b2e24dcc9095bd9123e7b33371f6cc\",\"0\"]}\n")
            .Client("{\"id\":40,\"method\":\"mining.submit\",\"params\":[\"bf0488aa\",\"6a909d9bbc0f\",\"0x52bc44d5378309ee2abf1539bf71de1b7d7be3b5.rig1\"]}\n")
            .Server("{\"id\":40,\"result\":true}\n");
        Assert.Equal("ethereumstratum-v2", h.Dialect());
        Assert.True(h.Evidence.Score >= High);
        Assert.Equal("ethminer-0.17", h.Evidence.Agent);
        Assert.Equal("somemininigpool.com", h.Evidence.PoolHost);
        Assert.Equal("ethash", h.Evidence.Algorithm);
        Assert.Equal("0x52bc44d5378309ee2abf1539bf71de1b7d7be3b5.rig1", h.Evidence.Worker);
        Assert.Equal(1, h.Evidence.SharesAccepted);
        Assert.Contains("mining.hello:reply", h.EvidenceNames());
    }

    [Fact]
    public void Ethproxy_login_and_getwork_reply()
    {
        var h = new InspectorHarness()
            .Client("{\"worker\": \"rig7\", \"jsonrpc\": \"2.0\", \"params\": [\"0x52bc44d5378309ee2abf1539bf71de1b7d7be3b5\", \"x\"], \"id\": 2, \"method\": \"eth_submitLogin\"}\n")
            .Server("{\"id\":2,\"jsonrpc\":\"2.0\",\"result\":true}\n")
            .Client("{\"id\":3,\"jsonrpc\":\"2.0\",\"method\":\"eth_getWork\",\"params\":[]}\n")
            .Server("{\"id\":3,\"jsonrpc\":\"2.0\",\"result\":[\"0x1d2b3b7e8f3c2f4a6d0d7b1f8d2f4a5b6c7d8e9f0a1b2c3d4e5f60718293a4b5\",\"0x5d2b3b7e8f3c2f4a6d0d7b1f8d2f4a5b6c7d8e9f0a1b2c3d4e5f60718293a4b5\",\"0x0000000112e0be826d694b2e62d01511f12a6061fbaec8bc02357593e70e52ba\"]}\n");
        Assert.Equal(["eth_submitLogin", "eth_submitLogin:reply", "eth_getWork", "eth_getWork:reply"], h.EvidenceNames());
        Assert.Equal("ethproxy", h.Dialect());
        Assert.Equal("0x52bc44d5378309ee2abf1539bf71de1b7d7be3b5.rig7", h.Evidence.Worker);
        Assert.True(h.Evidence.Score >= High);
    }

    [Fact]
    public void Zcash_set_target_refines_the_dialect()
    {
        var h = new InspectorHarness()
            .Server("{\"id\":null,\"method\":\"mining.set_target\",\"params\":[\"0004189374bc6a7ef9db22d0e5604189374bc6a7ef9db22d0e5604189374bc6\"]}\n");
        Assert.Equal(["mining.set_target"], h.EvidenceNames());
        Assert.Equal("stratum-v1-zcash", h.Dialect());
    }

    [Theory]
    // Ordinary JSON-RPC must never look like mining: node APIs, LSP, generic login.
    [InlineData("{\"jsonrpc\":\"2.0\",\"method\":\"web3_clientVersion\",\"params\":[],\"id\":67}\n", "{\"id\":67,\"jsonrpc\":\"2.0\",\"result\":\"Geth/v1.8.2\"}\n")]
    [InlineData("{\"jsonrpc\":\"2.0\",\"method\":\"eth_blockNumber\",\"params\":[],\"id\":1}\n", "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":\"0x4b7\"}\n")]
    [InlineData("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"processId\":1}}\n", "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"capabilities\":{}}}\n")]
    [InlineData("{\"id\":1,\"method\":\"login\",\"params\":{\"login\":\"alice\",\"pass\":\"secret\"}}\n", "{\"id\":1,\"result\":{\"token\":\"abc\",\"status\":\"OK\"}}\n")]
    [InlineData("{\"id\":1,\"method\":\"submit\",\"params\":{\"form\":\"contact\"}}\n", "{\"id\":1,\"result\":true}\n")]
    [InlineData("{\"id\":1,\"method\":\"job\",\"params\":{\"name\":\"backup\"}}\n", "{\"id\":1,\"result\":null,\"error\":{\"code\":-32601,\"message\":\"Method not found\"}}\n")]
    public void Generic_JsonRpc_stays_below_the_mining_threshold(string client, string server)
    {
        var h = new InspectorHarness().Client(client).Server(server).Client(client).Server(server);
        Assert.True(h.Evidence.Score < Medium, string.Join(",", h.EvidenceNames()));
    }

    [Fact]
    public void Stratum_error_triples_alone_reach_medium_and_never_high()
    {
        var h = new InspectorHarness();
        // A TLS ClientHello sent to a plain-text Stratum port: the client direction is binary.
        h.LinesBytes(FlowDirection.ClientToServer, [0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]);
        for (var i = 0; i < 4; i++)
        {
            h.Server("{\"id\":0,\"result\":null,\"error\":[20,\"Parse error\",null]}\n");
        }
        Assert.True(h.LineState(FlowDirection.ClientToServer).Abandoned);
        Assert.Equal(Medium, h.Evidence.Score);
    }

    [Fact]
    public void Binary_garbage_on_a_mining_port_is_given_up_at_once()
    {
        var random = new Random(3333);
        var garbage = new byte[64 * 1024];
        random.NextBytes(garbage);
        garbage[0] = 0x01;
        var h = new InspectorHarness().LinesBytes(FlowDirection.ClientToServer, garbage);
        Assert.True(h.LineState(FlowDirection.ClientToServer).Abandoned);
        Assert.Equal(0, h.Evidence.Score);
    }

    [Fact]
    public void Text_that_is_not_json_is_given_up_after_a_few_lines()
    {
        var h = new InspectorHarness().Client("{hello\n{not json either\n{nope\n{still not\n{\"id\":1,\"method\":\"mining.subscribe\",\"params\":[]}\n");
        Assert.True(h.LineState(FlowDirection.ClientToServer).Abandoned);
        Assert.Equal(0, h.Evidence.Score);
        Assert.Equal(4, h.Counters.MalformedJson);
    }

    [Fact]
    public void A_10MB_line_is_skipped_and_counted_without_buffering_it()
    {
        var h = new InspectorHarness();
        var chunk = Encoding.UTF8.GetBytes(new string('a', 64 * 1024));
        h.Client("{\"id\":1,\"method\":\"mining.subscribe\",\"params\":[\"");
        for (var i = 0; i < 160; i++)
        {
            h.LinesBytes(FlowDirection.ClientToServer, chunk);
            Assert.True(h.LineState(FlowDirection.ClientToServer).Partial.Capacity <= InspectorHarness.Rules.Scoring.MaxLineBytes);
        }
        h.Client("\"]}\n{\"id\":2,\"method\":\"mining.subscribe\",\"params\":[]}\n");
        Assert.Equal(1, h.Counters.LinesTooLong);
        Assert.Equal(["mining.subscribe"], h.EvidenceNames()); // the line after it still counts
    }

    [Fact]
    public void Deep_nesting_is_malformed_not_a_crash()
    {
        var deep = "{\"id\":1,\"method\":\"mining.subscribe\",\"params\":" + new string('[', 5000) + new string(']', 5000) + "}\n";
        var h = new InspectorHarness().Client(deep);
        Assert.Equal(1, h.Counters.MalformedJson);
        Assert.Equal(0, h.Evidence.Score);
    }

    [Fact]
    public void Truncated_and_bogus_json_are_counted()
    {
        var h = new InspectorHarness().Client("{\"id\":1,\"method\":\"mining.subscribe\",\"params\":[\n{\"id\":1e999999,\"method\":\"mining.subscribe\",\"params\":[]}\n");
        Assert.Equal(1, h.Counters.MalformedJson);
        Assert.Equal(["mining.subscribe"], h.EvidenceNames());
    }

    [Fact]
    public void Reversed_orientation_is_noticed_from_the_protocol()
    {
        // Mid-session capture, ports guessed wrong: the "client" pushes jobs.
        var h = new InspectorHarness()
            .Client("{\"id\":null,\"method\":\"mining.notify\",\"params\":[\"bf\",\"4d16b6f85af6e2198f44ae2a6de67f78487ae5611b77c6c0440b921e00000000\",\"01\",\"02\",[],\"00000002\",\"1c2ac4af\",\"504e86b9\",true]}\n")
            .Server("{\"params\":[\"w\",\"bf\",\"00000001\",\"504e86ed\",\"b2957c02\"],\"id\":4,\"method\":\"mining.submit\"}\n");
        Assert.True(h.Evidence.ReversedWeight > h.Evidence.OrientedWeight);
    }
}
