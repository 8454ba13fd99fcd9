namespace PoolDetector.Tests.CaptureGeneration;

/// <summary>
/// Collects frames for one capture file on a virtual clock: every packet is stamped with the
/// clock and moves it on by <see cref="PacketSpacing"/>; <see cref="Pause"/> adds think time.
/// Nothing reads the wall clock, so a capture built twice is byte-identical.
/// </summary>
internal sealed class CaptureBuilder
{
    public static readonly TimeSpan PacketSpacing = TimeSpan.FromMicroseconds(180);

    private readonly List<(long Time, byte[] Frame)> _packets = [];

    public CaptureBuilder(LinkFraming framing, DateTimeOffset start)
    {
        ArgumentNullException.ThrowIfNull(framing);
        Framing = framing;
        Clock = (start - DateTimeOffset.UnixEpoch).Ticks / TimeSpan.TicksPerMicrosecond;
    }

    public LinkFraming Framing { get; }

    /// <summary>Microseconds since the Unix epoch of the next packet.</summary>
    public long Clock { get; private set; }

    public int PacketCount => _packets.Count;

    public CaptureBuilder Pause(TimeSpan span)
    {
        Clock += span.Ticks / TimeSpan.TicksPerMicrosecond;
        return this;
    }

    /// <summary>
    /// A new TCP connection in this capture; <paramref name="framing"/> overrides the capture's
    /// (for instance another VLAN tag stack), but must have the same link type.
    /// </summary>
    public TcpSession Tcp(
        string clientIp, ushort clientPort, string serverIp, ushort serverPort, uint clientIsn, uint serverIsn, LinkFraming? framing = null)
    {
        framing ??= Framing;
        if (framing.LinkType != Framing.LinkType)
        {
            throw new ArgumentException("one pcap file has one link type", nameof(framing));
        }
        return new TcpSession(this, framing, new TcpEndpoint(clientIp, clientPort), new TcpEndpoint(serverIp, serverPort), clientIsn, serverIsn);
    }

    internal void Add(LinkFraming framing, ReadOnlySpan<byte> ipPacket, bool fromClient, bool ipv6)
    {
        _packets.Add((Clock, framing.Frame(ipPacket, fromClient, ipv6)));
        Clock += PacketSpacing.Ticks / TimeSpan.TicksPerMicrosecond;
    }

    public byte[] ToPcap()
    {
        using var stream = new MemoryStream();
        var writer = new PcapWriter(stream, Framing.LinkType);
        foreach (var (time, frame) in _packets)
        {
            writer.WritePacket(time, frame);
        }
        return stream.ToArray();
    }
}
