using PoolDetector.Core.Decoding;
using PoolDetector.Tests.CaptureGeneration;

namespace PoolDetector.Tests.Corpus;

/// <summary>The long mining capture that the steady-state allocation tests play through the packet path.</summary>
internal static class SteadyStateCapture
{
    /// <summary>
    /// Long sessions interleaved: a Stratum V1 miner (subscribe, authorize and its reply, then a
    /// job, a share split across two segments so that it goes through reassembly, and its reply
    /// per round), an XMRig/CryptoNote miner (login, then a job, a share and its reply per round)
    /// and a binary TLS-like flow (an application data record per round). Both mining sessions are
    /// detected early, so by <paramref name="warmUpRound"/> flows are established, pools filled
    /// and code paths tiered up by the JIT; what follows is the steady state to measure.
    /// </summary>
    /// <param name="rounds">How many rounds of jobs, shares and replies each session has.</param>
    /// <param name="warmUpRound">The round at which the warm-up ends.</param>
    /// <returns>The frames, and the index of the first frame after the warm-up.</returns>
    public static (List<(LinkType Link, byte[] Frame, long Micros)> Frames, int WarmUp) Build(int rounds, int warmUpRound)
    {
        var (capture, warmUp) = BuildCapture(rounds, warmUpRound);
        return (CaptureRunner.ReadFrames(capture), warmUp);
    }

    /// <summary>The same capture, to be written as a file (<see cref="CaptureBuilder.ToPcap"/>), and the index of the first frame after the warm-up.</summary>
    public static (CaptureBuilder Capture, int WarmUp) BuildCapture(int rounds, int warmUpRound)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(warmUpRound);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(warmUpRound, rounds);
        var capture = new CaptureBuilder(LinkFraming.Ethernet(), new DateTimeOffset(2026, 11, 1, 8, 0, 0, TimeSpan.Zero));
        var stratum = capture.Tcp("192.0.2.10", 40001, "203.0.113.5", 3333, 1000, 2000).Handshake()
            .Client("{\"id\":1,\"method\":\"mining.subscribe\",\"params\":[\"cgminer/4.10.0\"]}\n")
            .Server("{\"id\":1,\"result\":[[[\"mining.set_difficulty\",\"1\"],[\"mining.notify\",\"1\"]],\"08000002\",4],\"error\":null}\n")
            .Client("{\"id\":2,\"method\":\"mining.authorize\",\"params\":[\"wallet.rig1\",\"x\"]}\n")
            .Server("{\"id\":2,\"result\":true,\"error\":null}\n");
        var xmrig = capture.Tcp("192.0.2.11", 40002, "203.0.113.6", 10128, 3000, 4000).Handshake()
            .Client("{\"id\":1,\"jsonrpc\":\"2.0\",\"method\":\"login\",\"params\":{\"login\":\"44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A\",\"pass\":\"x\",\"agent\":\"XMRig/6.21.0 (Linux x86_64) libuv/1.44.2 gcc/12.2.0\",\"algo\":[\"rx/0\"],\"rigid\":\"\"}}\n");
        var binary = capture.Tcp("192.0.2.12", 40003, "203.0.113.7", 443, 5000, 6000).Handshake();
        var warmUp = 0;
        for (var i = 0; i < rounds; i++)
        {
            if (i == warmUpRound)
            {
                warmUp = capture.PacketCount;
            }
            var job = $"{i:x8}";
            stratum.Server($"{{\"id\":null,\"method\":\"mining.notify\",\"params\":[\"{job}\",\"4d16b6f85af6e2198f44ae2a6de67f78487ae5611b77c6c0440b921e00000000\",\"01000000010000\",\"072f736c7573682f\",[],\"00000002\",\"1c2ac4af\",\"504e86b9\",false]}}\n");
            // One submit split across two segments, one reply.
            stratum.Client(TcpSession.Split($"{{\"params\":[\"wallet.rig1\",\"{job}\",\"00000001\",\"504e86ed\",\"b2957c02\"],\"id\":{i + 10},\"method\":\"mining.submit\"}}\n", 2));
            stratum.Server($"{{\"id\":{i + 10},\"result\":true,\"error\":null}}\n");
            xmrig.Server($"{{\"jsonrpc\":\"2.0\",\"method\":\"job\",\"params\":{{\"blob\":\"0707c5e0dfdc057c60c5dbdb26b716a880df1188dc87aac5d21a6a8230adcf679c2058fd7b807e0000000099330aefd29c503d834876f4d322f20473210298ff97414fec94dc5ec919da8507\",\"job_id\":\"{job}\",\"target\":\"711b0d00\",\"algo\":\"rx/0\"}}}}\n");
            xmrig.Client($"{{\"id\":{i + 2},\"jsonrpc\":\"2.0\",\"method\":\"submit\",\"params\":{{\"id\":\"0ea1\",\"job_id\":\"{job}\",\"nonce\":\"a4010000\",\"result\":\"3b0f7bd2c4a27cf1e2ea3dfa8a4e1ab8f1c0a7c7c3a7ad6e9f7e31d7f8f40000\"}}}}\n");
            xmrig.Server($"{{\"id\":{i + 2},\"jsonrpc\":\"2.0\",\"error\":null,\"result\":{{\"status\":\"OK\"}}}}\n");
            binary.Client("\u0017\u0003\u0003\u0000\u0020 application data record payload");
        }
        return (capture, warmUp);
    }
}
