namespace PoolDetector.Bench.Generation;

/// <param name="Packets">Frames in the capture; it ends there, whatever is still open.</param>
/// <param name="Seed">The one seed every choice comes from: the same seed and count give the same bytes.</param>
public sealed record CampusCaptureOptions(long Packets = CampusCaptureOptions.DefaultPackets, int Seed = CampusCaptureOptions.DefaultSeed)
{
    public const long DefaultPackets = 1_000_000;
    public const int DefaultSeed = 1;

    /// <summary>Below this the capture is too short for every miner's first share.</summary>
    public const long MinimumPackets = 10_000;
}

/// <summary>What was written: the capture's size and span, and the mining flows on it.</summary>
public sealed record CampusCaptureSummary(
    long Packets, long Bytes, int ConcurrentConversations, long Conversations, DateTimeOffset FirstPacket, DateTimeOffset LastPacket,
    IReadOnlyList<MiningFlowTruth> MiningFlows);

/// <summary>
/// A campus-like capture, streamed: a fixed number of background conversations (browsing over
/// TLS and HTTP, DNS look-ups) is kept going at all times, each replaced by a new one when it
/// ends, so thousands of connections are open at once; a few dozen miners of the four dialects
/// start in the first seconds and keep mining. Every conversation is a script that writes one
/// frame per step and says when its next one is due; a priority queue on that time (then on
/// the order of scheduling, so ties break the same way every run) interleaves them, and frames
/// go straight to the stream: memory holds the open conversations, never the packets.
/// </summary>
public static class CampusCapture
{
    /// <summary>When the capture starts: Monday 16 September 2024, 08:00 UTC, a term's first morning.</summary>
    public static readonly DateTimeOffset Start = new(2024, 9, 16, 8, 0, 0, TimeSpan.Zero);

    private static readonly (MiningDialect Dialect, string PoolName, ushort[] Ports)[] Pools =
    [
        (MiningDialect.StratumV1, "eu.stratum.slushpool.com", [3333, 4444]),
        (MiningDialect.CryptoNote, "pool.supportxmr.com", [10128, 5555, 3333]),
        (MiningDialect.EthProxy, "eth-eu1.nanopool.org", [8008, 9999]),
        (MiningDialect.EthereumStratum1, "eu1.ethermine.org", [4444, 14444]),
    ];

    /// <summary>The capture as a classic pcap at <paramref name="path"/>, and its mining flows beside it (<see cref="TruthPath"/>).</summary>
    public static CampusCaptureSummary WriteFile(CampusCaptureOptions options, string path)
    {
        CampusCaptureSummary summary;
        using (var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
        {
            summary = Write(options, stream);
        }
        GroundTruth.Write(TruthPath(path), summary.MiningFlows);
        return summary;
    }

    /// <summary>capture.pcap's mining flows are in capture.truth.csv.</summary>
    public static string TruthPath(string capturePath) => Path.ChangeExtension(capturePath, ".truth.csv");

    public static CampusCaptureSummary Write(CampusCaptureOptions options, Stream stream)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Packets, CampusCaptureOptions.MinimumPackets);
        var random = new Random(options.Seed);
        // One open conversation per 250 packets keeps the capture about half a minute long
        // whatever its size: 4,000 at a million packets.
        var concurrency = (int)Math.Clamp(options.Packets / 250, 64, 4_000);
        var network = new CampusNetwork(random, clients: Math.Clamp(concurrency, 256, CampusNetwork.MaxClients), servers: (concurrency / 2) + 200);
        var writer = new FrameWriter(stream, options.Packets) { Now = (Start - DateTimeOffset.UnixEpoch).Ticks / TimeSpan.TicksPerMicrosecond };
        var start = writer.Now;

        var queue = new PriorityQueue<Conversation, (long Time, long Order)>();
        long order = 0;
        void Schedule(Conversation conversation, long time) => queue.Enqueue(conversation, (time, order++));

        long conversations = 0;
        Conversation Background()
        {
            conversations++;
            var kind = network.Random.NextDouble();
            var steps = kind < 0.55 ? BackgroundTraffic.Web(writer, network, tls: true)
                : kind < 0.75 ? BackgroundTraffic.Web(writer, network, tls: false)
                : BackgroundTraffic.LookupsOnly(writer, network);
            return new Conversation(steps.GetEnumerator(), null);
        }

        for (var i = 0; i < concurrency; i++)
        {
            Schedule(Background(), start + random.NextInt64(3_000_000));
        }

        var miners = (int)Math.Clamp(options.Packets / 25_000, 8, 48);
        var sessions = new List<MiningSession>(miners);
        for (var i = 0; i < miners; i++)
        {
            var (dialect, poolName, ports) = Pools[i % Pools.Length];
            var ipv6 = i % 6 == 5;
            var poolAddress = ipv6
                ? CampusNetwork.Ipv6(0x2001_0db8_ffff_0000, (ulong)dialect + 0x10)
                : [198, 19, 200, (byte)(10 + (int)dialect)];
            var pool = new Server(new Host(poolAddress, [], 0, 0), poolName);
            var session = new MiningSession(writer, network, dialect, network.Miner(ipv6), pool, ports[i / Pools.Length % ports.Length], looksUpPool: i % 2 == 0);
            sessions.Add(session);
            Schedule(new Conversation(session.Run().GetEnumerator(), session), start + 200_000 + random.NextInt64(2_500_000));
        }

        while (!writer.Full && queue.TryDequeue(out var conversation, out var due))
        {
            writer.Now = due.Time;
            if (conversation.Steps.MoveNext())
            {
                Schedule(conversation, due.Time + Math.Max(0, conversation.Steps.Current));
                continue;
            }
            conversation.Steps.Dispose();
            if (conversation.Mining is null)
            {
                Schedule(Background(), due.Time + network.Exponential(20_000));
            }
        }
        stream.Flush();

        var truth = new List<MiningFlowTruth>(sessions.Count);
        foreach (var session in sessions)
        {
            var connection = session.Connection;
            if (!session.Opened)
            {
                throw new InvalidOperationException(
                    $"the capture ended before the {MiningSession.DialectName(session.Dialect)} miner {connection.Client.Text}:{connection.ClientPort} " +
                    $"submitted its first share; generate more packets");
            }
            truth.Add(new MiningFlowTruth(
                connection.Client.Text, connection.ClientPort, connection.Server.Host.Text, connection.ServerPort,
                MiningSession.DialectName(session.Dialect), connection.Client.Vlan));
        }

        return new CampusCaptureSummary(
            writer.Packets, writer.Bytes, concurrency, conversations,
            DateTimeOffset.UnixEpoch.AddTicks(start * TimeSpan.TicksPerMicrosecond),
            DateTimeOffset.UnixEpoch.AddTicks(writer.Now * TimeSpan.TicksPerMicrosecond),
            truth);
    }

    /// <summary>A script in progress: background traffic (replaced when it ends) or a miner's session.</summary>
    private sealed record Conversation(IEnumerator<long> Steps, MiningSession? Mining);
}
