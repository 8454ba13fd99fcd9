using PoolDetector.Core.Decoding;
using PoolDetector.Core.Detection;
using PoolDetector.Core.Rules;
using PoolDetector.Tests.CaptureGeneration;
using PoolDetector.Testing;

namespace PoolDetector.Tests.Corpus;

/// <summary>
/// Behaviour supports other signals and never reports alone: an XMRig-shaped TLS session
/// (no SNI, no ALPN, a non-web port) that then behaves like a pool session (the server pushing
/// small messages at a steady cadence for minutes, the client answering now and then) is
/// pool contact; the shape alone, or the behaviour on a web port, is not.
/// </summary>
public class BehaviourTests
{
    private static readonly byte[] ClientHello = FirstPayload("stratum-tls-nosni.pcap", fromPort: 0, toPort: 47443);
    private static readonly byte[] ServerHello = FirstPayload("stratum-tls-sni.pcap", fromPort: 47443, toPort: 0);

    [Fact]
    public void Xmrig_shaped_tls_that_behaves_like_a_pool_session_is_pool_contact()
    {
        var detection = Assert.Single(Run(port: 47443, pushes: 20));

        Assert.Equal(DetectionCategory.PoolContact, detection.Category);
        Assert.Equal("xmrig-tls-client", detection.Dialect);
        Assert.Equal(9000310, detection.SignatureId);
        Assert.Equal(Confidence.Low, detection.Confidence);
        Assert.Equal("tls", detection.AppProtocol);
        Assert.Equal("tls-client:no-sni-no-alpn", detection.Evidence[0]);
        Assert.Equal("behaviour:614s,server-pushes=20,client-turns=8,mean-bytes=218/352,rate=14B/s", detection.Evidence[1]);
    }

    [Fact]
    public void The_shape_alone_is_not_reported() => Assert.Empty(Run(port: 47443, pushes: 2));

    [Fact]
    public void The_behaviour_on_a_web_port_is_not_reported() => Assert.Empty(Run(port: 443, pushes: 20));

    /// <summary>A TLS session to 198.51.100.60:<paramref name="port"/>, then a push of 300 opaque bytes every 30 s and a 200-byte answer to every third.</summary>
    private static List<MiningDetection> Run(ushort port, int pushes)
    {
        var capture = new CaptureBuilder(LinkFraming.Ethernet(), new DateTimeOffset(2026, 11, 2, 8, 0, 0, TimeSpan.Zero));
        var session = capture.Tcp("192.0.2.60", 50000, "198.51.100.60", port, 1000, 2000).Handshake()
            .ClientBytes(ClientHello).ServerBytes(ServerHello);
        var random = new Random(7);
        for (var i = 0; i < pushes; i++)
        {
            session.Pause(TimeSpan.FromSeconds(30)).ServerBytes(Opaque(random, 300));
            if (i % 3 == 0)
            {
                session.Pause(TimeSpan.FromSeconds(2)).ClientBytes(Opaque(random, 200));
            }
        }
        session.Close();
        return CaptureRunner.Run(capture);
    }

    /// <summary>TLS application data: a record header, then bytes that look random.</summary>
    private static byte[] Opaque(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        bytes[0] = 0x17;
        bytes[1] = 0x03;
        bytes[2] = 0x03;
        bytes[3] = (byte)((length - 5) >> 8);
        bytes[4] = (byte)(length - 5);
        return bytes;
    }

    /// <summary>The first payload of a recorded capture sent from <paramref name="fromPort"/> or to <paramref name="toPort"/> (0: any).</summary>
    private static byte[] FirstPayload(string capture, ushort fromPort, ushort toPort)
    {
        foreach (var (link, frame, _) in CaptureRunner.ReadFrames(Path.Combine(RepositoryPaths.Pcaps, capture)))
        {
            if (PacketDecoder.Decode(link, frame, out var packet) == DecodeStatus.Ok
                && packet.PayloadLength > 0
                && (fromPort == 0 || packet.SourcePort == fromPort)
                && (toPort == 0 || packet.DestinationPort == toPort))
            {
                return frame.AsSpan(packet.PayloadOffset, packet.PayloadLength).ToArray();
            }
        }
        throw new InvalidOperationException($"no payload in {capture}");
    }
}
