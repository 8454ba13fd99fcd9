using PoolDetector.Testing;
using PoolDetector.Core.Rules;
using System.Buffers.Binary;
using System.Text;
using PoolDetector.Core.Decoding;
using PoolDetector.Core.Detection;
using PoolDetector.Core.Protocols.NodeP2p;
using PoolDetector.Core.Tests.Decoding;

namespace PoolDetector.Core.Tests.Protocols.NodeP2p;

public class RlpxTests
{
    private const int Client = 0;
    private const int Server = 1;

    /// <summary>A 32-byte encrypted frame header + MAC, standing in for the HELLO a recipient may send right after its ack.</summary>
    private static readonly byte[] Frame = Convert.FromHexString("8d4a1c9fe06b2b7ad5316c0f7be3a2e94f51b80c66d2a9e31377b0c8d5e4f2a1");

    private static byte[] Join(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    /// <summary>The first turn of each side of the recorded RLPx connection: A's auth, then B's ack and first frames.</summary>
    private static (byte[] Auth, byte[] AckTurn) CaptureTurns()
    {
        var tcp = EthereumCapture.Payloads().Where(p => p.Transport == TransportProtocol.Tcp).ToList();
        var auth = tcp.TakeWhile(p => p.DestinationPort == EthereumCapture.PortB).SelectMany(p => p.Payload).ToArray();
        var ack = tcp.SkipWhile(p => p.DestinationPort == EthereumCapture.PortB)
            .TakeWhile(p => p.SourcePort == EthereumCapture.PortB).SelectMany(p => p.Payload).ToArray();
        return (auth, ack);
    }

    private static NodeP2pState Handshake(byte[] auth, byte[] ack, int chunk = int.MaxValue)
    {
        var state = new NodeP2pState();
        Feed(state, Client, auth, chunk, 10);
        Feed(state, Server, ack, chunk, 20);
        return state;
    }

    private static void Feed(NodeP2pState state, int direction, byte[] bytes, int chunk, long micros)
    {
        for (var offset = 0; offset < bytes.Length; offset += chunk)
        {
            state.OnPayload(direction, bytes.AsSpan(offset, Math.Min(chunk, bytes.Length - offset)), micros);
        }
    }

    [Theory]
    [InlineData(nameof(Eip8Vectors.AuthEip8), true, RlpxHandshake.AuthEip8)]
    [InlineData(nameof(Eip8Vectors.AuthEip8Version56), true, RlpxHandshake.AuthEip8)]
    [InlineData(nameof(Eip8Vectors.AuthPreEip8), true, RlpxHandshake.AuthPreEip8)]
    [InlineData(nameof(Eip8Vectors.AckEip8), false, RlpxHandshake.AckEip8)]
    [InlineData(nameof(Eip8Vectors.AckEip8Version57), false, RlpxHandshake.AckEip8)]
    [InlineData(nameof(Eip8Vectors.AckPreEip8), false, RlpxHandshake.AckPreEip8)]
    public void The_eip8_handshake_vectors_are_recognised(string name, bool initiator, RlpxHandshake expected)
    {
        var packet = (byte[])typeof(Eip8Vectors).GetField(name)!.GetValue(null)!;
        Assert.Equal(expected, EthereumP2p.ReadRlpxTurn(packet, initiator));
    }

    [Fact]
    public void The_sizes_confirm_the_specification()
    {
        Assert.Equal(307, EthereumP2p.AuthPreEip8Bytes);
        Assert.Equal(210, EthereumP2p.AckPreEip8Bytes);
        Assert.Equal(307, Eip8Vectors.AuthPreEip8.Length);
        Assert.Equal(210, Eip8Vectors.AckPreEip8.Length);
        foreach (var packet in new[] { Eip8Vectors.AuthEip8, Eip8Vectors.AuthEip8Version56, Eip8Vectors.AckEip8, Eip8Vectors.AckEip8Version57 })
        {
            Assert.Equal(2 + BinaryPrimitives.ReadUInt16BigEndian(packet), packet.Length);
            Assert.Equal(0x04, packet[2]);
        }
    }

    [Fact]
    public void The_recorded_handshake_is_recognised()
    {
        var (auth, ackTurn) = CaptureTurns();
        Assert.Equal(2 + BinaryPrimitives.ReadUInt16BigEndian(auth), auth.Length);
        Assert.Equal(RlpxHandshake.AuthEip8, EthereumP2p.ReadRlpxTurn(auth, initiator: true));
        // @ethereumjs/devp2p sends its HELLO right behind the ack, before A speaks again.
        Assert.True(ackTurn.Length > 2 + BinaryPrimitives.ReadUInt16BigEndian(ackTurn));
        Assert.Equal(RlpxHandshake.AckEip8, EthereumP2p.ReadRlpxTurn(ackTurn, initiator: false));
    }

    [Fact]
    public void An_initiator_turn_must_be_exactly_one_auth_and_a_recipient_turn_must_hold_a_whole_ack()
    {
        Assert.Equal(RlpxHandshake.None, EthereumP2p.ReadRlpxTurn(Join(Eip8Vectors.AuthEip8, Frame), initiator: true));
        Assert.Equal(RlpxHandshake.None, EthereumP2p.ReadRlpxTurn(Eip8Vectors.AuthEip8.AsSpan(0, 436), initiator: true));
        Assert.Equal(RlpxHandshake.None, EthereumP2p.ReadRlpxTurn(Join(Eip8Vectors.AuthPreEip8, [0]), initiator: true));
        Assert.Equal(RlpxHandshake.AckEip8, EthereumP2p.ReadRlpxTurn(Join(Eip8Vectors.AckEip8, Frame), initiator: false));
        Assert.Equal(RlpxHandshake.AckPreEip8, EthereumP2p.ReadRlpxTurn(Join(Eip8Vectors.AckPreEip8, Frame), initiator: false));
        Assert.Equal(RlpxHandshake.None, EthereumP2p.ReadRlpxTurn(Eip8Vectors.AckEip8.AsSpan(0, 491), initiator: false));
        Assert.Equal(RlpxHandshake.None, EthereumP2p.ReadRlpxTurn(Eip8Vectors.AckPreEip8.AsSpan(0, 209), initiator: false));
    }

    [Fact]
    public void A_flipped_key_byte_or_an_implausible_size_is_rejected()
    {
        foreach (var (packet, keyStart) in new[] { (Eip8Vectors.AuthEip8, 3), (Eip8Vectors.AuthPreEip8, 1) })
        {
            for (var i = keyStart; i < keyStart + 64; i++)
            {
                var copy = (byte[])packet.Clone();
                copy[i] ^= 0x01;
                Assert.Equal(RlpxHandshake.None, EthereumP2p.ReadRlpxTurn(copy, initiator: true));
            }
        }
        // A 0x04 that is not the key's prefix.
        var shifted = (byte[])Eip8Vectors.AuthEip8.Clone();
        shifted[2] = 0x05;
        Assert.Equal(RlpxHandshake.None, EthereumP2p.ReadRlpxTurn(shifted, initiator: true));
        // The same key and framing with a size below 200 or above 2048.
        foreach (var size in new[] { 199, 2049, 0 })
        {
            var packet = new byte[2 + size];
            var head = Eip8Vectors.AuthEip8.AsSpan(2, Math.Min(size, Eip8Vectors.AuthEip8.Length - 2));
            head[..Math.Min(head.Length, packet.Length - 2)].CopyTo(packet.AsSpan(2));
            BinaryPrimitives.WriteUInt16BigEndian(packet, (ushort)size);
            Assert.Equal(RlpxHandshake.None, EthereumP2p.ReadRlpxTurn(packet, initiator: true));
        }
    }

    public static TheoryData<string, string> OtherProtocols => new()
    {
        // A TLS 1.2 ClientHello record header and hello header (length 0x0200), as browsers open.
        { "tls-client-hello", "16030102000100" + "01fc0303" + new string('a', 64) + "20" + new string('b', 64) + new string('c', 700) },
        { "http", Convert.ToHexString(Encoding.ASCII.GetBytes("GET /index.html HTTP/1.1\r\nHost: example.org\r\nUser-Agent: curl/8.0\r\n\r\n".PadRight(300, 'x'))) },
        // Bitcoin mainnet version message header and the start of its body.
        { "bitcoin-version", "f9beb4d976657273696f6e0000000000660000009c7c00c3" + "7f1101000d04000000000000" + new string('0', 500) },
        { "stratum", Convert.ToHexString(Encoding.ASCII.GetBytes("{\"id\":1,\"method\":\"mining.subscribe\",\"params\":[\"cgminer/4.10.0\"]}\n")) },
        // DNS over TCP: a 2-byte length (307) and a message whose id starts 0x04, the framing of an EIP-8 auth.
        { "dns-over-tcp", "0133" + "04d2" + "81800001000100000000" + new string('7', 2 * 295) },
        // The same with the length of a pre-EIP-8 auth and 0x04 in front.
        { "length-307-with-04", "04" + new string('e', 2 * 306) },
    };

    [Theory]
    [MemberData(nameof(OtherProtocols))]
    public void Other_protocols_are_rejected(string name, string hex)
    {
        var bytes = Convert.FromHexString(hex);
        Assert.Equal(RlpxHandshake.None, EthereumP2p.ReadRlpxTurn(bytes, initiator: true));
        Assert.Equal(RlpxHandshake.None, EthereumP2p.ReadRlpxTurn(bytes, initiator: false));
        var state = Handshake(bytes, bytes);
        Assert.NotEqual(NodeProtocol.Devp2p, state.Protocol);
        Assert.False(state.WantsPayload, name);
    }

    [Fact]
    public void No_false_accept_in_random_turns_even_with_the_framing_right()
    {
        var random = new Random(30303);
        var buffer = new byte[2050];
        for (var i = 0; i < 100_000; i++)
        {
            Span<byte> turn;
            switch (i % 3)
            {
                case 0:
                    turn = buffer.AsSpan(0, random.Next(1, buffer.Length));
                    random.NextBytes(turn);
                    break;
                case 1:
                    // EIP-8 framing: size in range, 0x04, exact length.
                    var size = random.Next(EthereumP2p.Eip8MinBodyBytes, EthereumP2p.Eip8MaxBodyBytes + 1);
                    turn = buffer.AsSpan(0, 2 + size);
                    random.NextBytes(turn);
                    BinaryPrimitives.WriteUInt16BigEndian(turn, (ushort)size);
                    turn[2] = 0x04;
                    break;
                default:
                    // Pre-EIP-8 framing: 0x04 and 307 or 210 bytes.
                    turn = buffer.AsSpan(0, (i & 1) == 0 ? 307 : 210);
                    random.NextBytes(turn);
                    turn[0] = 0x04;
                    break;
            }
            Assert.Equal(RlpxHandshake.None, EthereumP2p.ReadRlpxTurn(turn, initiator: true));
            Assert.Equal(RlpxHandshake.None, EthereumP2p.ReadRlpxTurn(turn, initiator: false));
        }
    }

    [Fact]
    public void A_handshake_is_crypto_node_high_with_the_auth_first()
    {
        var state = Handshake(Eip8Vectors.AuthEip8, Join(Eip8Vectors.AckEip8, Frame));
        Assert.Equal(NodeProtocol.Devp2p, state.Protocol);
        Assert.True(state.Confirmed);
        Assert.False(state.WantsPayload);
        Assert.Equal(10, state.FirstSeenMicros);
        Assert.Equal(0, state.InitiatorDirection);
        Assert.Equal(["rlpx-auth-eip8", "ecies-key-on-secp256k1", "rlpx-ack-eip8", "peer-answered"], Verdict.DescribeNode(state));
        Assert.Equal("ethereum-devp2p", Verdict.NodeDialect(state.Protocol));
        Assert.Equal(DetectionCategory.CryptoNode, RuleLoader.LoadDirectory(RepositoryPaths.Rules).DialectsById["ethereum-devp2p"].Category);

        var old = Handshake(Eip8Vectors.AuthPreEip8, Eip8Vectors.AckPreEip8);
        Assert.True(old.Confirmed);
        Assert.Equal(["rlpx-auth-pre-eip8", "ecies-key-on-secp256k1", "rlpx-ack-pre-eip8", "peer-answered"], Verdict.DescribeNode(old));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(66)]
    [InlineData(67)]
    [InlineData(68)]
    [InlineData(100)]
    [InlineData(436)]
    public void Segmentation_makes_no_difference(int chunk)
    {
        var (auth, ackTurn) = CaptureTurns();
        var state = Handshake(auth, ackTurn, chunk);
        Assert.True(state.Confirmed, $"chunk {chunk}");
        Assert.Equal(["rlpx-auth-eip8", "ecies-key-on-secp256k1", "rlpx-ack-eip8", "peer-answered"], Verdict.DescribeNode(state));
        Assert.True(Handshake(Eip8Vectors.AuthPreEip8, Eip8Vectors.AckPreEip8, chunk).Confirmed);
    }

    [Fact]
    public void More_than_one_auth_before_the_answer_is_not_an_auth()
    {
        var state = new NodeP2pState();
        state.OnPayload(Client, Eip8Vectors.AuthEip8, 10);
        Assert.Equal(NodeProtocol.Devp2p, state.Protocol);
        Assert.True(state.WantsPayload);
        state.OnPayload(Client, Frame, 11);
        Assert.Equal(NodeProtocol.None, state.Protocol);
        Assert.Equal(0, state.FirstSeenMicros);
        // The answer alone still reads as an ack: one side, medium.
        state.OnPayload(Server, Eip8Vectors.AckEip8, 20);
        Assert.Equal(NodeProtocol.Devp2p, state.Protocol);
        Assert.False(state.Confirmed);
        Assert.Equal(["rlpx-ack-eip8", "ecies-key-on-secp256k1"], Verdict.DescribeNode(state));
    }

    [Fact]
    public void An_unanswered_auth_is_medium_and_a_cut_one_is_nothing()
    {
        var state = new NodeP2pState();
        Feed(state, Client, Eip8Vectors.AuthEip8, 100, 10);
        Assert.Equal(NodeProtocol.Devp2p, state.Protocol);
        Assert.False(state.Confirmed);

        var cut = new NodeP2pState();
        cut.OnPayload(Client, Eip8Vectors.AuthEip8.AsSpan(0, 300), 10);
        cut.OnPayload(Server, Eip8Vectors.AckEip8, 20);
        // The auth turn ended short: only the ack counts.
        Assert.Equal(NodeProtocol.Devp2p, cut.Protocol);
        Assert.Equal(NodeProtocol.None, cut.Direction(Client).Protocol);
        Assert.False(cut.Confirmed);
    }

    [Fact]
    public void The_initiator_is_whoever_speaks_first()
    {
        // A capture without the SYN, oriented by ports the wrong way round: the auth travels server to client.
        var state = new NodeP2pState();
        state.OnPayload(Server, Eip8Vectors.AuthEip8, 10);
        state.OnPayload(Client, Eip8Vectors.AckEip8, 20);
        Assert.True(state.Confirmed);
        Assert.Equal(1, state.InitiatorDirection);
        Assert.Equal(RlpxHandshake.AuthEip8, (RlpxHandshake)state.Direction(Server).Command);
        Assert.Equal(["rlpx-auth-eip8", "ecies-key-on-secp256k1", "rlpx-ack-eip8", "peer-answered"], Verdict.DescribeNode(state));
    }

    [Fact]
    public void A_gap_after_the_opening_keeps_the_count()
    {
        var state = new NodeP2pState();
        state.OnPayload(Client, Eip8Vectors.AuthEip8.AsSpan(0, 100), 10);
        state.OnGap(Client, 200, 11);
        state.OnPayload(Client, Eip8Vectors.AuthEip8.AsSpan(300), 12);
        state.OnPayload(Server, Eip8Vectors.AckEip8.AsSpan(0, 70), 20);
        state.OnGap(Server, 422, 21);
        Assert.True(state.Confirmed);

        // A gap before the opening is read: that side is given up.
        var early = new NodeP2pState();
        early.OnPayload(Client, Eip8Vectors.AuthEip8.AsSpan(0, 10), 10);
        early.OnGap(Client, 100, 11);
        early.OnPayload(Client, Eip8Vectors.AuthEip8.AsSpan(110), 12);
        early.OnPayload(Server, Eip8Vectors.AckEip8, 20);
        Assert.Equal(NodeProtocol.None, early.Direction(Client).Protocol);
        Assert.Equal(NodeProtocol.Devp2p, early.Direction(Server).Protocol);
    }

    [Fact]
    public void Fixed_headers_still_win_and_end_rlpx_tracking()
    {
        var version = Convert.FromHexString("f9beb4d976657273696f6e0000000000660000009c7c00c37f110100");
        var state = new NodeP2pState();
        state.OnPayload(Client, version, 10);
        Assert.Equal(NodeProtocol.Bitcoin, state.Protocol);
        Assert.False(state.WantsPayload);
        state.OnPayload(Server, version, 20);
        Assert.True(state.Confirmed);
        Assert.Equal(["bitcoin-magic:f9beb4d9", "bitcoin-network:bitcoin", "bitcoin-command:version", "peer-answered"], Verdict.DescribeNode(state));
    }

    [Fact]
    public void Tracking_ends_at_once_for_text_and_after_the_ack_for_rlpx()
    {
        var http = new NodeP2pState();
        http.OnPayload(Client, "GET / HTTP/1.1\r\n\r\n"u8, 1);
        Assert.True(http.WantsPayload); // the server has not spoken yet
        http.OnPayload(Server, "HTTP/1.1 200 OK\r\n\r\n"u8, 2);
        Assert.False(http.WantsPayload);

        var rlpx = new NodeP2pState();
        rlpx.OnPayload(Client, Eip8Vectors.AuthEip8, 1);
        rlpx.OnPayload(Server, Eip8Vectors.AckEip8.AsSpan(0, 300), 2);
        Assert.True(rlpx.WantsPayload);
        rlpx.OnPayload(Server, Eip8Vectors.AckEip8.AsSpan(300), 3);
        Assert.False(rlpx.WantsPayload);
        rlpx.Reset();
        Assert.True(rlpx.WantsPayload);
        Assert.Equal(NodeProtocol.None, rlpx.Protocol);
    }

    [Fact]
    public void Allocates_nothing()
    {
        var (auth, ackTurn) = CaptureTurns();
        var state = new NodeP2pState();
        Feed(state, Client, auth, 50, 1);
        Feed(state, Server, ackTurn, 50, 2);
        state.Reset();
        Assert.Equal(0, Allocations.LeastOver(3, () =>
        {
            for (var i = 0; i < 200; i++)
            {
                Feed(state, Client, auth, 50, i + 1);
                Feed(state, Server, ackTurn, 50, i + 1);
                _ = state.Confirmed;
                state.Reset();
                Feed(state, Client, Eip8Vectors.AuthPreEip8, 1000, i + 1);
                state.Reset();
            }
        }));
    }

    [Fact]
    public void The_engine_reports_the_recorded_rlpx_connection_as_crypto_node()
    {
        var sink = new Sink();
        var engine = new Engine(InspectorHarness.Rules, new EngineOptions(), sink);
        foreach (var (link, frame, micros) in EthereumCapture.Frames())
        {
            engine.ProcessFrame(link, frame, micros);
        }
        engine.Finish();

        Assert.All(sink.Detections, d => Assert.Equal(DetectionCategory.CryptoNode, d.Category));
        var detection = Assert.Single(sink.Detections, d => d.Transport == TransportProtocol.Tcp);
        Assert.Equal("ethereum-devp2p", detection.Dialect);
        Assert.Equal("devp2p", detection.AppProtocol);
        Assert.Equal(9000204, detection.SignatureId);
        Assert.Equal(3, detection.Severity);
        Assert.Equal(Confidence.High, detection.Confidence);
        Assert.Equal(EthereumCapture.PortB, detection.PoolPort);
        Assert.NotEqual(EthereumCapture.PortB, detection.MinerPort);
        Assert.Equal(["rlpx-auth-eip8", "ecies-key-on-secp256k1", "rlpx-ack-eip8", "peer-answered"], detection.Evidence);
    }

    /// <summary>Through the whole engine, with the auth and the ack each cut into segments: the detector must keep feeding the node state.</summary>
    [Fact]
    public void The_engine_follows_segmented_turns()
    {
        var sink = new Sink();
        var engine = new Engine(InspectorHarness.Rules, new EngineOptions(), sink);
        const ushort clientPort = 51000;
        const ushort serverPort = 40404;
        uint clientSeq = 1000;
        uint serverSeq = 5000;
        var micros = 1_800_000_000_000_000L;
        void Send(bool fromClient, ReadOnlySpan<byte> payload, byte flags = 0x18)
        {
            var frame = fromClient
                ? FrameBuilder.Tcp(clientPort, serverPort, payload, clientSeq, serverSeq, flags).Ipv4("192.0.2.9", "198.51.100.9").Ethernet().Build()
                : FrameBuilder.Tcp(serverPort, clientPort, payload, serverSeq, clientSeq, flags).Ipv4("198.51.100.9", "192.0.2.9").Ethernet().Build();
            engine.ProcessFrame(LinkType.Ethernet, frame, micros += 1000);
            var advance = (uint)payload.Length + ((flags & 0x03) != 0 ? 1u : 0u);
            if (fromClient)
            {
                clientSeq += advance;
            }
            else
            {
                serverSeq += advance;
            }
        }
        Send(true, [], 0x02);
        Send(false, [], 0x12);
        var auth = Eip8Vectors.AuthEip8;
        Send(true, auth.AsSpan(0, 40));
        Send(true, auth.AsSpan(40, 200));
        Send(true, auth.AsSpan(240));
        var ack = Join(Eip8Vectors.AckEip8, Frame);
        Send(false, ack.AsSpan(0, 30));
        Send(false, ack.AsSpan(30, 300));
        Send(false, ack.AsSpan(330));
        Send(true, Frame);
        Send(true, [], 0x11);
        Send(false, [], 0x11);
        engine.Finish();

        var detection = Assert.Single(sink.Detections);
        Assert.Equal(DetectionCategory.CryptoNode, detection.Category);
        Assert.Equal("ethereum-devp2p", detection.Dialect);
        Assert.Equal(Confidence.High, detection.Confidence);
        Assert.Equal(clientPort, detection.MinerPort);
    }

    private sealed class Sink : IDetectionSink
    {
        public List<MiningDetection> Detections { get; } = [];

        public void OnDetection(MiningDetection detection) => Detections.Add(detection);
    }
}
