using PoolDetector.Testing;
using PoolDetector.Core.Rules;
using System.Text;
using PoolDetector.Core.Decoding;
using PoolDetector.Core.Detection;
using PoolDetector.Core.Flows;
using PoolDetector.Core.Protocols.NodeP2p;
using PoolDetector.Core.Tests.Decoding;

namespace PoolDetector.Core.Tests.Protocols.NodeP2p;

public class Discv4Tests
{
    public static TheoryData<string, byte> Eip8Packets => new()
    {
        { nameof(Eip8Vectors.Discv4PingV4), 1 },
        { nameof(Eip8Vectors.Discv4PingV555), 1 },
        { nameof(Eip8Vectors.Discv4Pong), 2 },
        { nameof(Eip8Vectors.Discv4FindNode), 3 },
        { nameof(Eip8Vectors.Discv4Neighbours), 4 },
    };

    private static byte[] Vector(string name) => (byte[])typeof(Eip8Vectors).GetField(name)!.GetValue(null)!;

    /// <summary>A datagram with a correct hash over whatever follows it: the hash alone never decides the type.</summary>
    private static byte[] WithHash(ReadOnlySpan<byte> signatureTypeAndData)
    {
        var packet = new byte[32 + signatureTypeAndData.Length];
        signatureTypeAndData.CopyTo(packet.AsSpan(32));
        Keccak256.Hash(packet.AsSpan(32), packet);
        return packet;
    }

    private static List<EthereumPayload> CaptureDatagrams() =>
        EthereumCapture.Payloads().Where(p => p.Transport == TransportProtocol.Udp).ToList();

    [Theory]
    [MemberData(nameof(Eip8Packets))]
    public void The_eip8_discovery_vectors_are_accepted(string name, byte type)
    {
        Assert.True(EthereumP2p.TryRecogniseDiscv4(Vector(name), out var packetType));
        Assert.Equal(type, packetType);
    }

    [Fact]
    public void Every_datagram_of_the_capture_is_discv4()
    {
        var datagrams = CaptureDatagrams();
        var types = new List<byte>();
        foreach (var datagram in datagrams)
        {
            Assert.True(EthereumP2p.TryRecogniseDiscv4(datagram.Payload, out var type), $"frame {datagram.Frame}");
            types.Add(type);
        }
        // A pings B, B pongs; A asks for neighbours, B answers; B pings A back (the bond), A pongs.
        Assert.Equal([1, 2, 3, 4, 1, 2], types);
        Assert.Equal([EthereumCapture.PortA, EthereumCapture.PortB, EthereumCapture.PortA, EthereumCapture.PortB, EthereumCapture.PortB, EthereumCapture.PortA],
            datagrams.Select(d => d.SourcePort));
    }

    [Fact]
    public void Any_flipped_byte_is_rejected()
    {
        foreach (var packet in CaptureDatagrams().Select(d => d.Payload).Append(Eip8Vectors.Discv4Neighbours))
        {
            for (var i = 0; i < packet.Length; i++)
            {
                packet[i] ^= 0x20;
                Assert.False(EthereumP2p.TryRecogniseDiscv4(packet, out _), $"byte {i}");
                packet[i] ^= 0x20;
            }
            Assert.True(EthereumP2p.TryRecogniseDiscv4(packet, out _));
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    [InlineData(0x41)]
    [InlineData(0xff)]
    public void Unknown_packet_types_are_rejected_even_with_a_correct_hash(byte type)
    {
        var body = Eip8Vectors.Discv4PingV4.AsSpan(32).ToArray();
        Assert.True(EthereumP2p.TryRecogniseDiscv4(WithHash(body), out _));
        body[65] = type;
        Assert.False(EthereumP2p.TryRecogniseDiscv4(WithHash(body), out _));
    }

    [Fact]
    public void Packet_data_must_open_an_rlp_list()
    {
        var body = Eip8Vectors.Discv4PingV4.AsSpan(32).ToArray();
        body[66] = 0x80;
        Assert.False(EthereumP2p.TryRecogniseDiscv4(WithHash(body), out _));
    }

    [Fact]
    public void Truncated_and_oversized_packets_are_rejected()
    {
        var packet = Eip8Vectors.Discv4PingV555;
        for (var length = 0; length < packet.Length; length++)
        {
            Assert.False(EthereumP2p.TryRecogniseDiscv4(packet.AsSpan(0, length), out _), $"length {length}");
        }
        // The header alone, with a correct hash of the signature and type: no packet data.
        Assert.False(EthereumP2p.TryRecogniseDiscv4(WithHash(Eip8Vectors.Discv4PingV4.AsSpan(32, 66)), out _));
        // discv4's limit is 1280 bytes: with a correct hash, 1280 passes and 1281 does not.
        var body = new byte[1280 - 32];
        Eip8Vectors.Discv4PingV4.AsSpan(32).CopyTo(body);
        Assert.True(EthereumP2p.TryRecogniseDiscv4(WithHash(body), out _));
        Array.Resize(ref body, body.Length + 1);
        Assert.False(EthereumP2p.TryRecogniseDiscv4(WithHash(body), out _));
    }

    [Fact]
    public void Random_200_bytes_are_rejected()
    {
        var random = new Random(200);
        var datagram = new byte[200];
        random.NextBytes(datagram);
        Assert.False(EthereumP2p.TryRecogniseDiscv4(datagram, out _));
    }

    [Fact]
    public void No_false_accept_in_random_datagrams()
    {
        var random = new Random(4);
        var buffer = new byte[1280];
        for (var i = 0; i < 100_000; i++)
        {
            var datagram = buffer.AsSpan(0, random.Next(1, 1281));
            random.NextBytes(datagram);
            if ((i & 1) == 0 && datagram.Length > EthereumP2p.Discv4HeaderBytes)
            {
                // Half of them pass the cheap checks (a known type, an RLP list), so the hash decides.
                datagram[97] = (byte)random.Next(1, 7);
                datagram[98] = (byte)random.Next(0xc0, 0x100);
            }
            Assert.False(EthereumP2p.TryRecogniseDiscv4(datagram, out _), Convert.ToHexString(datagram));
        }
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\nHost: example.org\r\n\r\n")]
    [InlineData("{\"id\":1,\"method\":\"mining.subscribe\",\"params\":[]}\n")]
    [InlineData("hex:abcd01000001000000000000076578616d706c65036f72670000010001")] // a DNS query
    [InlineData("hex:c300000001088394c8f03e5157080000449e")]                         // a QUIC long header
    public void Other_protocols_datagrams_are_rejected(string text)
    {
        var start = text.StartsWith("hex:", StringComparison.Ordinal) ? Convert.FromHexString(text[4..]) : Encoding.ASCII.GetBytes(text);
        var datagram = new byte[300];
        start.CopyTo(datagram, 0);
        datagram.AsSpan(start.Length).Fill(0x55);
        Assert.False(EthereumP2p.TryRecogniseDiscv4(datagram, out _));
        Assert.False(EthereumP2p.TryRecogniseDiscv4(start, out _));
    }

    [Fact]
    public void The_state_records_types_directions_and_the_pinger()
    {
        var state = new NodeP2pState();
        // As a UDP flow oriented by its ports sees it: B (30312, the higher port) is the client, direction 0.
        var datagrams = CaptureDatagrams();
        var micros = 100L;
        foreach (var datagram in datagrams)
        {
            var direction = datagram.SourcePort == EthereumCapture.PortB ? 0 : 1;
            Assert.True(state.OnDatagram(direction, datagram.Payload, micros += 10));
        }
        Assert.False(state.OnDatagram(0, new byte[200], micros));
        Assert.Equal(NodeProtocol.Discv4, state.Protocol);
        Assert.True(state.Confirmed);
        Assert.Equal(110, state.FirstSeenMicros);
        // A sent the first ping: the server side of this orientation.
        Assert.Equal(1, state.InitiatorDirection);
        Assert.Equal(0b1_1110, state.Discv4PacketTypes);
        Assert.Equal(["discv4-hash-ok", "discv4-ping", "discv4-pong", "discv4-findnode", "discv4-neighbors", "peer-answered"], Verdict.DescribeNode(state));
        Assert.Equal("ethereum-discv4", Verdict.NodeDialect(state.Protocol));
        Assert.Equal(DetectionCategory.CryptoNode, RuleLoader.LoadDirectory(RepositoryPaths.Rules).DialectsById["ethereum-discv4"].Category);
    }

    [Fact]
    public void One_sided_discovery_is_medium()
    {
        var state = new NodeP2pState();
        Assert.True(state.OnDatagram(0, Eip8Vectors.Discv4PingV4, 5));
        Assert.False(state.Confirmed);
        Assert.Equal(0, state.InitiatorDirection);
        Assert.Equal(["discv4-hash-ok", "discv4-ping"], Verdict.DescribeNode(state));
        state.Reset();
        Assert.Equal(NodeProtocol.None, state.Protocol);
        Assert.Equal(0, state.Discv4PacketTypes);
    }

    [Fact]
    public void Allocates_nothing()
    {
        var packets = CaptureDatagrams().Select(d => d.Payload).Append(new byte[300]).ToArray();
        var state = new NodeP2pState();
        state.OnDatagram(0, packets[0], 1);
        Assert.Equal(0, Allocations.LeastOver(3, () =>
        {
            for (var i = 0; i < 200; i++)
            {
                foreach (var packet in packets)
                {
                    _ = EthereumP2p.TryRecogniseDiscv4(packet, out _);
                    state.OnDatagram(i & 1, packet, i + 1);
                }
            }
        }));
    }

    /// <summary>
    /// The UDP hook as the detector is to call it: every datagram of a UDP flow to
    /// <see cref="NodeP2pState.OnDatagram"/>, the verdict at flow end. The flow table orients
    /// the flow by ports (no SYN), which makes B (30312, the higher port) the client; the verdict
    /// reports A, which sent the first ping, as the source.
    /// </summary>
    [Fact]
    public void The_capture_s_discovery_flow_is_crypto_node_from_the_pinger()
    {
        var consumer = new UdpNodeConsumer();
        var table = new FlowTable(new FlowTableOptions(), consumer);
        var last = 0L;
        foreach (var (link, frame, micros) in EthereumCapture.Frames())
        {
            Assert.Equal(DecodeStatus.Ok, PacketDecoder.Decode(link, frame, out var packet));
            table.Process(packet, frame, micros);
            last = micros;
        }
        table.EndAll(last);

        var detection = Assert.Single(consumer.Detections);
        Assert.Equal(DetectionCategory.CryptoNode, detection.Category);
        Assert.Equal("ethereum-discv4", detection.Dialect);
        Assert.Equal("discv4", detection.AppProtocol);
        Assert.Equal(9000205, detection.SignatureId);
        Assert.Equal(3, detection.Severity);
        Assert.Equal(Confidence.High, detection.Confidence);
        Assert.Equal(TransportProtocol.Udp, detection.Transport);
        Assert.Equal("127.0.0.1", detection.MinerAddress.ToString());
        Assert.Equal(EthereumCapture.PortA, detection.MinerPort);
        Assert.Equal(EthereumCapture.PortB, detection.PoolPort);
        Assert.Equal(3, detection.PacketsToServer);
        Assert.Equal(3, detection.PacketsToClient);
        Assert.Equal(["discv4-hash-ok", "discv4-ping", "discv4-pong", "discv4-findnode", "discv4-neighbors", "peer-answered"], detection.Evidence);
    }

    private sealed class UdpNodeConsumer : IFlowConsumer
    {
        public List<MiningDetection> Detections { get; } = [];

        public void OnFlowStarted(Flow flow, long timestampMicros) => flow.Attachment = new FlowInspection();

        public void OnPayload(Flow flow, FlowDirection direction, ReadOnlySpan<byte> payload, long timestampMicros)
        {
            if (flow.Transport == TransportProtocol.Udp && flow.Attachment is FlowInspection inspection)
            {
                inspection.Node.OnDatagram((int)direction, payload, timestampMicros);
            }
        }

        public void OnGap(Flow flow, FlowDirection direction, long missingBytes, long timestampMicros)
        {
        }

        public void OnFlowEnded(Flow flow, FlowEndReason reason, long timestampMicros)
        {
            if (flow.Transport == TransportProtocol.Udp && flow.Attachment is FlowInspection inspection
                && Verdict.Judge(flow, inspection, InspectorHarness.Rules) is { } detection)
            {
                Detections.Add(detection);
            }
        }
    }
}
