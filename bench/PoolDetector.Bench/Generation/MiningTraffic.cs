using System.Text;

namespace PoolDetector.Bench.Generation;

/// <summary>The mining dialects the generator speaks, named as <c>pooldetector analyze</c> reports them.</summary>
public enum MiningDialect
{
    StratumV1,
    CryptoNote,
    EthProxy,
    EthereumStratum1,
}

/// <summary>
/// One miner's session with its pool, in the message shapes of the project's own captures
/// (pcaps/ and tests/PoolDetector.Tests/CaptureGeneration/GeneratedCaptures.cs: cgminer's
/// Stratum V1, XMRig's CryptoNote login/job/submit/keepalived, ethminer's ethproxy and NiceHash's
/// EthereumStratum/1.0.0), with the session's own worker, job ids, nonces and hashes. The opening
/// exchange comes first and fast; then jobs, shares and keep-alives every few seconds, until
/// the miner disconnects or the capture ends.
/// </summary>
internal sealed class MiningSession
{
    private const string MoneroAlgorithms =
        "[\"cn/1\",\"cn/2\",\"cn/r\",\"cn/fast\",\"cn/half\",\"cn/xao\",\"cn/rto\",\"cn/rwz\",\"cn/zls\",\"cn/double\",\"cn/ccx\"," +
        "\"cn-lite/1\",\"cn-heavy/0\",\"cn-heavy/tube\",\"cn-heavy/xhv\",\"cn-pico\",\"cn-pico/tlo\",\"cn/upx2\"," +
        "\"rx/0\",\"rx/wow\",\"rx/arq\",\"rx/graft\",\"rx/sfx\",\"rx/keva\",\"argon2/chukwa\",\"argon2/chukwav2\",\"argon2/ninja\",\"ghostrider\"]";

    private static readonly string[] StratumAgents = ["cgminer/4.10.0", "bfgminer/5.5.0", "cpuminer/2.5.1", "sgminer/5.6.1"];

    private readonly FrameWriter _writer;
    private readonly CampusNetwork _network;
    private readonly Random _random;
    private readonly Server _pool;
    private int _nextId = 1;

    public MiningSession(FrameWriter writer, CampusNetwork network, MiningDialect dialect, Host miner, Server pool, ushort port, bool looksUpPool)
    {
        _writer = writer;
        _network = network;
        _random = network.Random;
        _pool = pool;
        Dialect = dialect;
        LooksUpPool = looksUpPool;
        Connection = new TcpConnection(writer, miner, miner.NextEphemeralPort(), pool, port, _random, 8_000 + network.Exponential(30_000));
    }

    public MiningDialect Dialect { get; }

    public bool LooksUpPool { get; }

    public TcpConnection Connection { get; }

    /// <summary>Whether the opening exchange (login or subscribe and authorize, first job, first share) is on the capture.</summary>
    public bool Opened { get; private set; }

    public static string DialectName(MiningDialect dialect) => dialect switch
    {
        MiningDialect.StratumV1 => "stratum-v1",
        MiningDialect.CryptoNote => "cryptonote",
        MiningDialect.EthProxy => "ethproxy",
        _ => "ethereumstratum-v1",
    };

    public IEnumerable<long> Run()
    {
        if (LooksUpPool)
        {
            foreach (var step in BackgroundTraffic.Lookup(_writer, _network, Connection.Client, _pool.Name, _pool.Host.Address))
            {
                yield return step;
            }
        }
        foreach (var step in Connection.Handshake())
        {
            yield return step;
        }
        var steps = Dialect switch
        {
            MiningDialect.StratumV1 => StratumV1(),
            MiningDialect.CryptoNote => CryptoNote(),
            MiningDialect.EthProxy => EthProxy(),
            _ => EthereumStratum1(),
        };
        foreach (var step in steps)
        {
            yield return step;
        }
        foreach (var step in Connection.Close(byClient: true))
        {
            yield return step;
        }
    }

    private IEnumerable<long> StratumV1()
    {
        var agent = StratumAgents[_random.Next(StratumAgents.Length)];
        var worker = "campus" + _random.Next(100, 999) + ".rig" + _random.Next(1, 40);
        var subscribe = _nextId++;
        foreach (var step in Request("{\"id\": " + subscribe + ", \"method\": \"mining.subscribe\", \"params\": [\"" + agent + "\"]}"))
        {
            yield return step;
        }
        foreach (var step in Reply("{\"id\":" + subscribe + ",\"result\":[[[\"mining.set_difficulty\",\"" + Hex(16) + "\"],[\"mining.notify\",\"" + Hex(16) +
                                   "\"]],\"" + Hex(4) + "\",4],\"error\":null}"))
        {
            yield return step;
        }
        var authorize = _nextId++;
        foreach (var step in Request("{\"id\": " + authorize + ", \"method\": \"mining.authorize\", \"params\": [\"" + worker + "\", \"x\"]}"))
        {
            yield return step;
        }
        var job = StratumJobId();
        foreach (var step in Reply("{\"id\":" + authorize + ",\"result\":true,\"error\":null}\n{\"id\":null,\"method\":\"mining.set_difficulty\",\"params\":[" +
                                   (1 << _random.Next(8, 16)) + "]}\n" + StratumNotify(job, clean: true)))
        {
            yield return step;
        }
        foreach (var step in Rounds(
            submit: () => "{\"params\": [\"" + worker + "\", \"" + job + "\", \"" + Hex(4) + "\", \"" + Hex(4) + "\", \"" + Hex(4) + "\"], \"id\": " + _nextId + ", \"method\": \"mining.submit\"}",
            accepted: id => "{\"id\":" + id + ",\"result\":true,\"error\":null}",
            push: () => StratumNotify(job = StratumJobId(), clean: _random.Next(4) == 0),
            keepalive: null))
        {
            yield return step;
        }
    }

    private IEnumerable<long> CryptoNote()
    {
        var session = Hex(12);
        var job = Base64Id();
        var login = _nextId++;
        foreach (var step in Request("{\"id\":" + login + ",\"jsonrpc\":\"2.0\",\"method\":\"login\",\"params\":{\"login\":\"" + MoneroWallet() +
                                     "\",\"pass\":\"x\",\"agent\":\"XMRig/6.21." + _random.Next(4) + " (Linux x86_64) libuv/1.44.2 gcc/12.2.0\",\"algo\":" + MoneroAlgorithms +
                                     ",\"rigid\":\"\"}}"))
        {
            yield return step;
        }
        foreach (var step in Reply("{\"id\":" + login + ",\"jsonrpc\":\"2.0\",\"error\":null,\"result\":{\"id\":\"" + session + "\",\"job\":" + MoneroJob(job) +
                                   ",\"extensions\":[\"algo\",\"nicehash\",\"connect\",\"tls\",\"keepalive\"],\"status\":\"OK\"}}"))
        {
            yield return step;
        }
        foreach (var step in Rounds(
            submit: () => "{\"id\":" + _nextId + ",\"jsonrpc\":\"2.0\",\"method\":\"submit\",\"params\":{\"id\":\"" + session + "\",\"job_id\":\"" + job +
                          "\",\"nonce\":\"" + Hex(4) + "\",\"result\":\"" + Hex(32) + "\",\"algo\":\"rx/0\"}}",
            accepted: id => "{\"id\":" + id + ",\"jsonrpc\":\"2.0\",\"error\":null,\"result\":{\"status\":\"OK\"}}",
            push: () => "{\"jsonrpc\":\"2.0\",\"method\":\"job\",\"params\":" + MoneroJob(job = Base64Id()) + "}",
            keepalive: (() => "{\"id\":" + _nextId + ",\"jsonrpc\":\"2.0\",\"method\":\"keepalived\",\"params\":{\"id\":\"" + session + "\"}}",
                        id => "{\"id\":" + id + ",\"jsonrpc\":\"2.0\",\"error\":null,\"result\":{\"status\":\"KEEPALIVED\"}}")))
        {
            yield return step;
        }
    }

    private IEnumerable<long> EthProxy()
    {
        var wallet = EthereumWallet();
        var rig = "rig" + _random.Next(1, 40);
        var seed = "0x" + Hex(32);
        var boundary = "0x00000002" + Hex(28);
        var header = "0x" + Hex(32);
        var login = _nextId++;
        foreach (var step in Request("{\"id\":" + login + ",\"jsonrpc\":\"2.0\",\"method\":\"eth_submitLogin\",\"worker\":\"" + rig + "\",\"params\":[\"" + wallet + "\",\"x\"]}"))
        {
            yield return step;
        }
        foreach (var step in Reply("{\"id\":" + login + ",\"jsonrpc\":\"2.0\",\"result\":true}"))
        {
            yield return step;
        }
        var getWork = _nextId++;
        foreach (var step in Request("{\"id\":" + getWork + ",\"jsonrpc\":\"2.0\",\"method\":\"eth_getWork\",\"params\":[]}"))
        {
            yield return step;
        }
        foreach (var step in Reply("{\"id\":" + getWork + ",\"jsonrpc\":\"2.0\",\"result\":[\"" + header + "\",\"" + seed + "\",\"" + boundary + "\"]}"))
        {
            yield return step;
        }
        foreach (var step in Rounds(
            submit: () => "{\"id\":" + _nextId + ",\"jsonrpc\":\"2.0\",\"method\":\"eth_submitWork\",\"worker\":\"" + rig + "\",\"params\":[\"0x" + Hex(8) + "\",\"" +
                          header + "\",\"0x" + Hex(32) + "\"]}",
            accepted: id => "{\"id\":" + id + ",\"jsonrpc\":\"2.0\",\"result\":true}",
            push: () => "{\"id\":0,\"jsonrpc\":\"2.0\",\"result\":[\"" + (header = "0x" + Hex(32)) + "\",\"" + seed + "\",\"" + boundary + "\"]}",
            keepalive: (() => "{\"id\":" + _nextId + ",\"jsonrpc\":\"2.0\",\"method\":\"eth_submitHashrate\",\"worker\":\"" + rig + "\",\"params\":[\"0x" +
                              Hex(4) + "\",\"0x" + Hex(32) + "\"]}",
                        id => "{\"id\":" + id + ",\"jsonrpc\":\"2.0\",\"result\":true}")))
        {
            yield return step;
        }
    }

    private IEnumerable<long> EthereumStratum1()
    {
        // NiceHash's text: spaces after ':' and ','.
        var worker = EthereumWallet() + ".rig" + _random.Next(1, 40);
        var seed = Hex(32);
        var subscribe = _nextId++;
        foreach (var step in Request("{\"id\": " + subscribe + ", \"method\": \"mining.subscribe\", \"params\": [\"ethminer/0.19.0\", \"EthereumStratum/1.0.0\"]}"))
        {
            yield return step;
        }
        foreach (var step in Reply("{\"id\": " + subscribe + ", \"result\": [[\"mining.notify\", \"" + Hex(16) + "\", \"EthereumStratum/1.0.0\"], \"" + Hex(2) +
                                   "\"], \"error\": null}"))
        {
            yield return step;
        }
        var extranonce = _nextId++;
        foreach (var step in Request("{\"id\": " + extranonce + ", \"method\": \"mining.extranonce.subscribe\", \"params\": []}"))
        {
            yield return step;
        }
        foreach (var step in Reply("{\"id\": " + extranonce + ", \"result\": true, \"error\": null}"))
        {
            yield return step;
        }
        var authorize = _nextId++;
        foreach (var step in Request("{\"id\": " + authorize + ", \"method\": \"mining.authorize\", \"params\": [\"" + worker + "\", \"x\"]}"))
        {
            yield return step;
        }
        var job = Hex(4);
        foreach (var step in Reply("{\"id\": " + authorize + ", \"result\": true, \"error\": null}\n{\"id\": null, \"method\": \"mining.set_difficulty\", \"params\": [0.5]}\n" +
                                   EthereumNotify(job, seed, clean: true)))
        {
            yield return step;
        }
        foreach (var step in Rounds(
            submit: () => "{\"id\": " + _nextId + ", \"method\": \"mining.submit\", \"params\": [\"" + worker + "\", \"" + job + "\", \"" + Hex(6) + "\"]}",
            accepted: id => "{\"id\": " + id + ", \"result\": true, \"error\": null}",
            push: () => EthereumNotify(job = Hex(4), seed, clean: false),
            keepalive: null))
        {
            yield return step;
        }
    }

    /// <summary>
    /// After the opening: a first share right away (so every session on the capture shows one),
    /// then every few seconds a share, a new job from the pool, or a keep-alive; a few miners
    /// disconnect after a while, the rest run until the capture ends.
    /// </summary>
    private IEnumerable<long> Rounds(Func<string> submit, Func<int, string> accepted, Func<string> push, (Func<string> Request, Func<int, string> Reply)? keepalive)
    {
        var rounds = _random.Next(4) == 0 ? 3 + _random.Next(6) : int.MaxValue;
        for (var round = 0; round < rounds; round++)
        {
            yield return round == 0 ? 500_000 + _network.Exponential(1_000_000) : _network.Exponential(6_000_000);
            var choice = round == 0 ? 0 : _random.Next(10);
            if (choice < 5 || (choice == 9 && keepalive is null))
            {
                var id = _nextId;
                foreach (var step in Request(submit()))
                {
                    yield return step;
                }
                _nextId++;
                foreach (var step in Reply(accepted(id)))
                {
                    yield return step;
                }
                Opened = true;
            }
            else if (choice < 9)
            {
                foreach (var step in Push(push()))
                {
                    yield return step;
                }
            }
            else
            {
                var id = _nextId;
                foreach (var step in Request(keepalive!.Value.Request()))
                {
                    yield return step;
                }
                _nextId++;
                foreach (var step in Reply(keepalive.Value.Reply(id)))
                {
                    yield return step;
                }
            }
        }
        yield return _network.Exponential(1_000_000);
    }

    /// <summary>A miner's message; the pool's answer follows a round trip later (no pure ACK in between).</summary>
    private IEnumerable<long> Request(string line)
    {
        foreach (var step in Connection.Message(fromClient: true, Encoding.UTF8.GetBytes(line + "\n"), acknowledged: false))
        {
            yield return step;
        }
        yield return Connection.RoundTrip + 300 + _random.Next(3_000);
    }

    /// <summary>The pool's answer (one segment, one or more lines), acknowledged by the miner.</summary>
    private IEnumerable<long> Reply(string lines)
    {
        foreach (var step in Connection.Message(fromClient: false, Encoding.UTF8.GetBytes(lines + "\n")))
        {
            yield return step;
        }
        yield return 200 + _random.Next(20_000);
    }

    private IEnumerable<long> Push(string line) => Reply(line);

    private string StratumJobId() => _random.Next(0x100, 0xfff).ToString("x");

    private string StratumNotify(string jobId, bool clean)
    {
        return "{\"id\":null,\"method\":\"mining.notify\",\"params\":[\"" + jobId + "\",\"" + Hex(32) + "\"," +
               "\"01000000010000000000000000000000000000000000000000000000000000000000000000ffffffff20020862062f503253482f04" + Hex(4) + "08\"," +
               "\"072f736c7573682f000000000100f2052a010000001976a914" + Hex(20) + "88ac00000000\"," +
               "[\"" + Hex(32) + "\",\"" + Hex(32) + "\"],\"20000000\",\"1705ae3a\",\"" + Hex(4) + "\"," + (clean ? "true" : "false") + "]}";
    }

    private string EthereumNotify(string jobId, string seed, bool clean) =>
        "{\"id\": null, \"method\": \"mining.notify\", \"params\": [\"" + jobId + "\", \"" + seed + "\", \"" + Hex(32) + "\", " + (clean ? "true" : "false") + "]}";

    private string MoneroJob(string jobId) =>
        "{\"blob\":\"1010" + Hex(5) + Hex(32) + "00000000" + Hex(32) + "2d\",\"job_id\":\"" + jobId + "\",\"target\":\"b88d0600\",\"algo\":\"rx/0\",\"height\":" +
        _random.Next(3_100_000, 3_200_000) + ",\"seed_hash\":\"" + Hex(32) + "\"}";

    private string MoneroWallet()
    {
        // 95 base58 characters starting with 4, as a Monero primary address has.
        const string base58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
        var wallet = new char[95];
        wallet[0] = '4';
        for (var i = 1; i < wallet.Length; i++)
        {
            wallet[i] = base58[_random.Next(base58.Length)];
        }
        return new string(wallet);
    }

    private string EthereumWallet() => "0x" + Hex(20);

    private string Base64Id()
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        var id = new char[28];
        for (var i = 0; i < id.Length; i++)
        {
            id[i] = alphabet[_random.Next(alphabet.Length)];
        }
        return new string(id);
    }

    private string Hex(int bytes)
    {
        Span<byte> buffer = stackalloc byte[bytes];
        _random.NextBytes(buffer);
        return Convert.ToHexStringLower(buffer);
    }
}
