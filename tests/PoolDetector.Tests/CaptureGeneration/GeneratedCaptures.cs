namespace PoolDetector.Tests.CaptureGeneration;

/// <summary>One capture of pcaps/ that the project generates rather than records.</summary>
internal sealed record GeneratedCapture(string FileName, string Description, Func<byte[]> Build);

/// <summary>
/// The generated part of pcaps/: each capture is rebuilt here from message texts that follow
/// what the real software sends (XMRig's Client.cpp, NiceHash's EthereumStratum/1.0.0 text,
/// ethminer/Claymore ethproxy, cgminer/bfgminer). Addresses come from the documentation
/// ranges (RFC 5737, RFC 3849) and every clock is fixed, so a rebuild is byte-identical to
/// the committed file. pcaps/README.md describes each file and pcaps/expected-flows.csv its
/// flows; keep the three in step.
/// </summary>
internal static class GeneratedCaptures
{
    public static IReadOnlyList<GeneratedCapture> All { get; } =
    [
        new("xmrig-login-job-submit.pcap", "XMRig 6 CryptoNote login/job/submit/keepalived, Ethernet, IPv4", XmrigLoginJobSubmit),
        new("nicehash-ethereumstratum1.pcap", "NiceHash EthereumStratum/1.0.0 as ethminer speaks it, Ethernet, IPv4", NiceHashEthereumStratum1),
        new("ethproxy.pcap", "ethproxy eth_submitLogin/eth_getWork/eth_submitWork/eth_submitHashrate, Linux cooked v1", EthProxy),
        new("getwork-http.pcap", "cgminer getwork over HTTP with X-Mining-Extensions / X-Stratum, raw IPv4", GetworkHttp),
        new("stratum-v1-vlan-qinq.pcap", "Stratum V1 sessions under 802.1Q, QinQ, and 802.1Q with IPv6", StratumV1VlanQinQ),
        new("stratum-v1-midsession.pcap", "Stratum V1 captured after login: notify pushes and submits only", StratumV1MidSession),
        new("stratum-line-split.pcap", "Stratum V1 lines split over many segments, packed segments, odd spacing, string ids", StratumLineSplit),
    ];

    private static readonly DateTimeOffset Epoch = new(2024, 5, 6, 9, 30, 0, TimeSpan.Zero);

    // A made-up, well-formed-looking Monero address (95 base58 characters starting with 4).
    internal const string MoneroWallet =
        "489BRjZnXvGJ8Sn2NPNGnKd2ZuhM175y14XE1YVf41GP8FudLvLgD7LuSMYrLCD5FiUWph2NPqq5jm1QB6oHAs3YFuyuyaN";

    internal const string EthereumWallet = "0x5a0b54d5dc17e0aadc383d2db43b0a0d3e029c4c";

    private static byte[] XmrigLoginJobSubmit()
    {
        var capture = new CaptureBuilder(LinkFraming.Ethernet(), Epoch);
        const string session = "cc0aa25bcb98b8d70f579609";
        const string blob1 =
            "1010e0a1c5b206" + "0bc7677975469daebc3ae2b1bf4b513085d5e8fd67b09ba5f9b12cee767fb5f9" + "00000000" +
            "9b9957a5ea6d33bf34901b7a6f803dab7fbb7503cd944aed7097477a8eecccf9" + "2d";
        const string blob2 =
            "1010f8a1c5b206" + "c6afb6423c45bf0c307772dc22a389d444bddb6ceb4aa124c9cb4271ac64bc78" + "00000000" +
            "fc350887725c374fa9073da05742539ce2e10f0eb3eb87e63d795f2ca356ede1" + "1a";
        const string seedHash = "23e69d45c5966f18fcaf87d1805895d2c7efd6bf980f719d4b610b0c6ec2af9a";
        const string algos =
            "[\"cn/1\",\"cn/2\",\"cn/r\",\"cn/fast\",\"cn/half\",\"cn/xao\",\"cn/rto\",\"cn/rwz\",\"cn/zls\",\"cn/double\",\"cn/ccx\"," +
            "\"cn-lite/1\",\"cn-heavy/0\",\"cn-heavy/tube\",\"cn-heavy/xhv\",\"cn-pico\",\"cn-pico/tlo\",\"cn/upx2\"," +
            "\"rx/0\",\"rx/wow\",\"rx/arq\",\"rx/graft\",\"rx/sfx\",\"rx/keva\",\"argon2/chukwa\",\"argon2/chukwav2\",\"argon2/ninja\",\"ghostrider\"]";

        capture.Tcp("192.0.2.10", 49732, "203.0.113.5", 10128, 0x1c2d3e4f, 0x7a6b5c4d)
            .Handshake()
            .Client("{\"id\":1,\"jsonrpc\":\"2.0\",\"method\":\"login\",\"params\":{\"login\":\"" + MoneroWallet +
                    "\",\"pass\":\"x\",\"agent\":\"XMRig/6.21.0 (Linux x86_64) libuv/1.44.2 gcc/12.2.0\",\"algo\":" + algos +
                    ",\"rigid\":\"\"}}\n")
            .Server("{\"id\":1,\"jsonrpc\":\"2.0\",\"error\":null,\"result\":{\"id\":\"" + session + "\",\"job\":{\"blob\":\"" + blob1 +
                    "\",\"job_id\":\"q9oR3Vv8yNc2gh4VzJvKsx5JtBl1\",\"target\":\"b88d0600\",\"algo\":\"rx/0\",\"height\":3141592,\"seed_hash\":\"" +
                    seedHash + "\"},\"extensions\":[\"algo\",\"nicehash\",\"connect\",\"tls\",\"keepalive\"],\"status\":\"OK\"}}\n")
            .Pause(TimeSpan.FromSeconds(7.2))
            .Client("{\"id\":2,\"jsonrpc\":\"2.0\",\"method\":\"submit\",\"params\":{\"id\":\"" + session +
                    "\",\"job_id\":\"q9oR3Vv8yNc2gh4VzJvKsx5JtBl1\",\"nonce\":\"8a3c0100\",\"result\":\"f9f946c8aa6b338c0f8529bbd3cc10c46275c71d128007cdeae66f53b5c20600\",\"algo\":\"rx/0\"}}\n")
            .Server("{\"id\":2,\"jsonrpc\":\"2.0\",\"error\":null,\"result\":{\"status\":\"OK\"}}\n")
            .Pause(TimeSpan.FromSeconds(21.5))
            .Server("{\"jsonrpc\":\"2.0\",\"method\":\"job\",\"params\":{\"blob\":\"" + blob2 +
                    "\",\"job_id\":\"Tr7kPz2mWq8dLx0aHf3cNb6yEu4s\",\"target\":\"b88d0600\",\"algo\":\"rx/0\",\"height\":3141593,\"seed_hash\":\"" +
                    seedHash + "\"}}\n")
            .Pause(TimeSpan.FromSeconds(31))
            .Client("{\"id\":3,\"jsonrpc\":\"2.0\",\"method\":\"keepalived\",\"params\":{\"id\":\"" + session + "\"}}\n")
            .Server("{\"id\":3,\"jsonrpc\":\"2.0\",\"error\":null,\"result\":{\"status\":\"KEEPALIVED\"}}\n")
            .Pause(TimeSpan.FromSeconds(4.8))
            .Client("{\"id\":4,\"jsonrpc\":\"2.0\",\"method\":\"submit\",\"params\":{\"id\":\"" + session +
                    "\",\"job_id\":\"Tr7kPz2mWq8dLx0aHf3cNb6yEu4s\",\"nonce\":\"1f7a0200\",\"result\":\"2dc592b6b88579cd300f94638e57b315f39c37b7f7c5583612ddee78d97b0400\",\"algo\":\"rx/0\"}}\n")
            .Server("{\"id\":4,\"jsonrpc\":\"2.0\",\"error\":null,\"result\":{\"status\":\"OK\"}}\n")
            .Close();
        return capture.ToPcap();
    }

    private static byte[] NiceHashEthereumStratum1()
    {
        // NiceHash's EthereumStratum/1.0.0 text: spaces after ':' and ',' as in its examples;
        // the nonce in mining.submit leaves out the extranonce the pool assigned ("080c").
        var capture = new CaptureBuilder(LinkFraming.Ethernet(), Epoch.AddMinutes(5));
        const string worker = EthereumWallet + ".rig2";
        capture.Tcp("192.0.2.20", 50112, "198.51.100.7", 3353, 0x2b3c4d5e, 0x5e4d3c2b)
            .Handshake()
            .Client("{\"id\": 1, \"method\": \"mining.subscribe\", \"params\": [\"ethminer/0.19.0\", \"EthereumStratum/1.0.0\"]}\n")
            .Server("{\"id\": 1, \"result\": [[\"mining.notify\", \"ae6812eb4cd7735a302a8a9dd95cf71f\", \"EthereumStratum/1.0.0\"], \"080c\"], \"error\": null}\n")
            .Client("{\"id\": 2, \"method\": \"mining.extranonce.subscribe\", \"params\": []}\n")
            .Server("{\"id\": 2, \"result\": true, \"error\": null}\n")
            .Client("{\"id\": 3, \"method\": \"mining.authorize\", \"params\": [\"" + worker + "\", \"x\"]}\n")
            .Server("{\"id\": 3, \"result\": true, \"error\": null}\n")
            .Server("{\"id\": null, \"method\": \"mining.set_difficulty\", \"params\": [0.5]}\n")
            .Server("{\"id\": null, \"method\": \"mining.notify\", \"params\": [\"bf0488aa\", " +
                    "\"33b86cb6dc234e748b1bb4a9719d57d6d27ae89b8f78a328a83f0b7a44445d8b\", " +
                    "\"d15879003ec72c1d2be53266ef3f446ad48dc7383ffd34add93aad0d3859420f\", true]}\n")
            .Pause(TimeSpan.FromSeconds(12.4))
            .Client("{\"id\": 4, \"method\": \"mining.submit\", \"params\": [\"" + worker + "\", \"bf0488aa\", \"6a909d9bbc0f\"]}\n")
            .Server("{\"id\": 4, \"result\": true, \"error\": null}\n")
            .Pause(TimeSpan.FromSeconds(3.1))
            .Server("{\"id\": null, \"method\": \"mining.notify\", \"params\": [\"bf0488ab\", " +
                    "\"33b86cb6dc234e748b1bb4a9719d57d6d27ae89b8f78a328a83f0b7a44445d8b\", " +
                    "\"f684b865d586653023a902474955293730ad576eff408bf21f206877d26cad02\", false]}\n")
            .Close();
        return capture.ToPcap();
    }

    private static byte[] EthProxy()
    {
        // ethproxy ("stratum mode 1" in ethminer, Claymore's default): getwork's JSON-RPC
        // methods over a newline-delimited TCP stream, with a non-standard "worker" member.
        var capture = new CaptureBuilder(LinkFraming.LinuxCookedV1, Epoch.AddMinutes(10));
        const string header = "0xd15879003ec72c1d2be53266ef3f446ad48dc7383ffd34add93aad0d3859420f";
        const string seed = "0x33b86cb6dc234e748b1bb4a9719d57d6d27ae89b8f78a328a83f0b7a44445d8b";
        const string boundary = "0x0000000225c17d04dad2965cc5a02a23e254c0c3f75d9178046aeb27ce1ca574";
        const string header2 = "0xf684b865d586653023a902474955293730ad576eff408bf21f206877d26cad02";
        capture.Tcp("192.0.2.30", 51234, "198.51.100.20", 8008, 0x3c4d5e6f, 0x6f5e4d3c)
            .Handshake()
            .Client("{\"id\":1,\"jsonrpc\":\"2.0\",\"method\":\"eth_submitLogin\",\"worker\":\"rig3\",\"params\":[\"" + EthereumWallet + "\",\"x\"]}\n")
            .Server("{\"id\":1,\"jsonrpc\":\"2.0\",\"result\":true}\n")
            .Client("{\"id\":5,\"jsonrpc\":\"2.0\",\"method\":\"eth_getWork\",\"params\":[]}\n")
            .Server("{\"id\":5,\"jsonrpc\":\"2.0\",\"result\":[\"" + header + "\",\"" + seed + "\",\"" + boundary + "\"]}\n")
            .Client("{\"id\":6,\"jsonrpc\":\"2.0\",\"method\":\"eth_submitHashrate\",\"worker\":\"rig3\",\"params\":[\"0x1dcd6500\"," +
                    "\"0xa7a6d332f7684fb36589ceed5a71abc71ff498d0972cfe75ddbe97120637f772\"]}\n")
            .Server("{\"id\":6,\"jsonrpc\":\"2.0\",\"result\":true}\n")
            .Pause(TimeSpan.FromSeconds(9.7))
            .Client("{\"id\":4,\"jsonrpc\":\"2.0\",\"method\":\"eth_submitWork\",\"worker\":\"rig3\",\"params\":[\"0x6a909d9bbc0f3c21\",\"" + header +
                    "\",\"0x8e48c43b4213428033bec87b678587b667246101cacbf0b77a9c5bab99da5178\"]}\n")
            .Server("{\"id\":4,\"jsonrpc\":\"2.0\",\"result\":true}\n")
            .Pause(TimeSpan.FromSeconds(2.3))
            .Server("{\"id\":0,\"jsonrpc\":\"2.0\",\"result\":[\"" + header2 + "\",\"" + seed + "\",\"" + boundary + "\"]}\n")
            .Close();
        return capture.ToPcap();
    }

    private static byte[] GetworkHttp()
    {
        // cgminer's getwork: its request body text, X-Mining-Extensions, and a pool answer that
        // advertises Stratum with X-Stratum (cgminer then switches; here it submits first).
        var capture = new CaptureBuilder(LinkFraming.RawIp, Epoch.AddMinutes(15));
        const string data =
            "00000002" + "3bd97a3132e7c07d09d0ac45300f9a2f252fb2ae406ab721324b694df215a3e2" +
            "03bc45ec78a916caa7d7fb0b95d267b0d7a411c70e8eaceab8c2285bcb01a8a9" + "5188a9b4" + "1a016a2e" + "00000000" +
            "000000800000000000000000000000000000000000000000000000000000000000000000000000000000000080020000";
        const string solved = "00000002" + "3bd97a3132e7c07d09d0ac45300f9a2f252fb2ae406ab721324b694df215a3e2" +
            "03bc45ec78a916caa7d7fb0b95d267b0d7a411c70e8eaceab8c2285bcb01a8a9" + "5188a9b4" + "1a016a2e" + "7c0e9a3b" +
            "000000800000000000000000000000000000000000000000000000000000000000000000000000000000000080020000";
        const string getwork = "{\"method\": \"getwork\", \"params\": [], \"id\":0}\n";
        var submit = "{\"method\": \"getwork\", \"params\": [\"" + solved + "\"], \"id\":1}\n";
        const string work =
            "{\"result\":{\"midstate\":\"6814158c8bfe7536e3c29b235c6fb55df5fce4d448dc854366aed651b9128bc0\",\"data\":\"" + data +
            "\",\"hash1\":\"00000000000000000000000000000000000000000000000000000000000000000000008000000000000000000000000000000000000000000000000000010000\"," +
            "\"target\":\"ffffffffffffffffffffffffffffffffffffffffffffffffffffffff00000000\"},\"error\":null,\"id\":0}";
        const string accepted = "{\"result\":true,\"error\":null,\"id\":1}";

        capture.Tcp("192.0.2.40", 52001, "203.0.113.40", 8332, 0x4d5e6f70, 0x706f5e4d)
            .Handshake()
            .Client(Request(getwork))
            .Server(Response(work, extraHeaders: "X-Long-Polling: /LP\r\nX-Roll-NTime: Y\r\nX-Stratum: stratum+tcp://203.0.113.40:3333\r\n"))
            .Pause(TimeSpan.FromSeconds(1.6))
            .Client(Request(submit))
            .Server(Response(accepted, extraHeaders: ""))
            .Close();
        return capture.ToPcap();

        static string Request(string body) =>
            "POST / HTTP/1.1\r\n" +
            "Authorization: Basic cmlnNDpwYXNzd29yZA==\r\n" +
            "Host: 203.0.113.40:8332\r\n" +
            "Accept: */*\r\n" +
            "User-Agent: cgminer/4.10.0\r\n" +
            "Content-type: application/json\r\n" +
            "X-Mining-Extensions: longpoll midstate rollntime submitold\r\n" +
            "X-Mining-Hashrate: 1509949440\r\n" +
            $"Content-Length: {body.Length}\r\n" +
            "\r\n" + body;

        static string Response(string body, string extraHeaders) =>
            "HTTP/1.1 200 OK\r\n" +
            "Content-Type: application/json\r\n" +
            $"Content-Length: {body.Length}\r\n" +
            extraHeaders +
            "\r\n" + body;
    }

    private static byte[] StratumV1VlanQinQ()
    {
        // Three miners behind a trunk: 802.1Q VLAN 10; QinQ (802.1ad service tag 100 around
        // customer VLAN 20); IPv6 on 802.1Q VLAN 30. Same pool, same port, different VLANs.
        var capture = new CaptureBuilder(LinkFraming.Ethernet(VlanTag.Dot1Q(10)), Epoch.AddMinutes(20));
        CgminerSession(capture.Tcp("192.0.2.50", 40001, "203.0.113.50", 3333, 0x50000001, 0x60000001), "rig5a");
        capture.Pause(TimeSpan.FromSeconds(1));
        CgminerSession(
            capture.Tcp("192.0.2.51", 40002, "203.0.113.50", 3333, 0x50000002, 0x60000002,
                LinkFraming.Ethernet(VlanTag.Dot1ad(100), VlanTag.Dot1Q(20))),
            "rig5b");
        capture.Pause(TimeSpan.FromSeconds(1));
        CgminerSession(
            capture.Tcp("2001:db8:10::51", 40003, "2001:db8:20::50", 3333, 0x50000003, 0x60000003, LinkFraming.Ethernet(VlanTag.Dot1Q(30))),
            "rig5c");
        return capture.ToPcap();
    }

    private static byte[] StratumV1MidSession()
    {
        // The sensor starts while the miner is already working: handshake, subscribe and
        // authorize happen unseen; the file opens on a mining.notify push.
        var capture = new CaptureBuilder(LinkFraming.Ethernet(), Epoch.AddMinutes(30));
        var session = capture.Tcp("192.0.2.60", 41000, "198.51.100.60", 4444, 0x61626364, 0x71727374);
        session.Captured = false;
        session.Handshake()
            .Client("{\"id\": 1, \"method\": \"mining.subscribe\", \"params\": [\"cgminer/4.10.0\"]}\n")
            .Server("{\"id\":1,\"result\":[[[\"mining.set_difficulty\",\"1\"],[\"mining.notify\",\"1\"]],\"f8002c90\",4],\"error\":null}\n")
            .Client("{\"id\": 2, \"method\": \"mining.authorize\", \"params\": [\"campus.rig6\", \"x\"]}\n")
            .Server("{\"id\":2,\"result\":true,\"error\":null}\n", "{\"id\":null,\"method\":\"mining.set_difficulty\",\"params\":[8192]}\n")
            .Client("{\"params\": [\"campus.rig6\", \"5e1\", \"00000000\", \"663896f0\", \"9a3f21c0\"], \"id\": 3, \"method\": \"mining.submit\"}\n")
            .Server("{\"id\":3,\"result\":true,\"error\":null}\n");
        session.Captured = true;
        session
            .Server(Notify("5e2", "663897a4", clean: false) + "\n")
            .Pause(TimeSpan.FromSeconds(4.4))
            .Client("{\"params\": [\"campus.rig6\", \"5e2\", \"00000001\", \"663897a4\", \"0c5b7e91\"], \"id\": 4, \"method\": \"mining.submit\"}\n")
            .Server("{\"id\":4,\"result\":true,\"error\":null}\n")
            .Pause(TimeSpan.FromSeconds(25.2))
            .Server(Notify("5e3", "663897c0", clean: true) + "\n")
            .Pause(TimeSpan.FromSeconds(0.3))
            .Client("{\"params\": [\"campus.rig6\", \"5e2\", \"00000002\", \"663897a4\", \"71d0aa2e\"], \"id\": 5, \"method\": \"mining.submit\"}\n")
            .Server("{\"id\":5,\"result\":null,\"error\":[21,\"Job not found\",null]}\n")
            .Pause(TimeSpan.FromSeconds(6.9))
            .Client("{\"params\": [\"campus.rig6\", \"5e3\", \"00000003\", \"663897c0\", \"e40f3b17\"], \"id\": 6, \"method\": \"mining.submit\"}\n")
            .Server("{\"id\":6,\"result\":true,\"error\":null}\n");
        return capture.ToPcap();
    }

    private static byte[] StratumLineSplit()
    {
        // What a careless framer gets wrong: one line over six segments, a segment that ends
        // mid-line and carries the start of the next message, three lines in one segment,
        // CRLF endings, spaces and tabs around tokens, keys out of the usual order, string ids.
        var capture = new CaptureBuilder(LinkFraming.Ethernet(), Epoch.AddMinutes(40));
        const string subscribe = "{ \"params\" : [ \"bfgminer/5.5.0\" ] ,\t\"method\" :\"mining.subscribe\",  \"id\" : \"s-1\" }\n";
        const string subscribed =
            "{\"error\": null, \"id\": \"s-1\", \"result\": [[[\"mining.set_difficulty\", \"deadbeefcafebabe0100000000000000\"], " +
            "[\"mining.notify\", \"deadbeefcafebabe0100000000000000\"]], \"6a0002a1\", 4]}\n";
        const string authorize = "{\"method\":\"mining.authorize\",\"params\":[\"campus.rig7\",\"\"],\"id\":\"a-2\"}\r\n";
        const string authorized = "{\"result\" : true , \"error\" : null , \"id\" : \"a-2\"}\n";
        const string difficulty = "{\"params\": [256], \"id\": null, \"method\": \"mining.set_difficulty\"}\n";
        var notify = Notify("7b", "66389c10", clean: true) + "\n";
        const string submit =
            "{\"id\":\"u-3\",\"method\":\"mining.submit\",\"params\":[\"campus.rig7\",\"7b\",\"01000000\",\"66389c10\",\"6f1e2d3c\"]}\r\n";
        const string accepted = "{\"id\":\"u-3\",\"error\":null,\"result\":true}\n";

        var split = TcpSession.Split(notify, 3);
        capture.Tcp("192.0.2.70", 42000, "203.0.113.70", 14444, 0x71000001, 0x72000001)
            .Handshake()
            .Client(TcpSession.Split(subscribe, 6))
            .Server(TcpSession.Split(subscribed, 5))
            .Client(authorize)
            // reply + set_difficulty + the first third of notify in one segment, then the rest
            .Server(authorized + difficulty + split[0], split[1], split[2])
            .Pause(TimeSpan.FromSeconds(2.2))
            .Client(TcpSession.Split(submit, 7))
            .Server(accepted)
            .Close();
        return capture.ToPcap();
    }

    /// <summary>cgminer's own message texts for one Stratum V1 session (subscribe, authorize, one share).</summary>
    private static void CgminerSession(TcpSession session, string rig)
    {
        var worker = "campus." + rig;
        session.Handshake()
            .Client("{\"id\": 0, \"method\": \"mining.subscribe\", \"params\": [\"cgminer/4.10.0\"]}\n")
            .Server("{\"id\":0,\"result\":[[[\"mining.set_difficulty\",\"b4b6693b72a50c7116db18d6497cac52\"],[\"mining.notify\",\"ae6812eb4cd7735a302a8a9dd95cf71f\"]],\"f8002c90\",4],\"error\":null}\n")
            .Client("{\"id\": 1, \"method\": \"mining.authorize\", \"params\": [\"" + worker + "\", \"x\"]}\n")
            .Server("{\"id\":1,\"result\":true,\"error\":null}\n")
            .Server("{\"id\":null,\"method\":\"mining.set_difficulty\",\"params\":[1024]}\n" + Notify("4f", "66389b2c", clean: true) + "\n")
            .Pause(TimeSpan.FromSeconds(3.7))
            .Client("{\"params\": [\"" + worker + "\", \"4f\", \"00000000\", \"66389b2c\", \"b2957c02\"], \"id\": 2, \"method\": \"mining.submit\"}\n")
            .Server("{\"id\":2,\"result\":true,\"error\":null}\n")
            .Close();
    }

    private static string Notify(string jobId, string ntime, bool clean) =>
        "{\"id\":null,\"method\":\"mining.notify\",\"params\":[\"" + jobId + "\"," +
        "\"4d16b6f85af6e2198f44ae2a6de67f78487ae5611b77c6c0440b921e00000000\"," +
        "\"01000000010000000000000000000000000000000000000000000000000000000000000000ffffffff20020862062f503253482f04b8864e5008\"," +
        "\"072f736c7573682f000000000100f2052a010000001976a914d23fcdf86f7e756a64a7a9688ef9903327048ed988ac00000000\"," +
        "[\"03bc45ec78a916caa7d7fb0b95d267b0d7a411c70e8eaceab8c2285bcb01a8a9\"],\"20000000\",\"1705ae3a\",\"" + ntime + "\"," +
        (clean ? "true" : "false") + "]}";
}
