using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace PoolDetector.Tests.CaptureGeneration;

internal readonly record struct TcpEndpoint(IPAddress Address, ushort Port)
{
    public TcpEndpoint(string address, ushort port)
        : this(IPAddress.Parse(address), port)
    {
    }

    public override string ToString() => Address.AddressFamily == AddressFamily.InterNetworkV6
        ? $"[{Address}]:{Port}"
        : $"{Address}:{Port}";
}

/// <summary>
/// Builds one TCP connection packet by packet with consistent sequence and acknowledgement
/// numbers and correct IPv4/IPv6 and TCP checksums. The client is the SYN sender.
/// Each <see cref="Client"/> / <see cref="Server"/> call sends its arguments as separate
/// segments (so one JSON line can be split, or several lines packed into one segment) and
/// the peer acknowledges the last one. While <see cref="Captured"/> is false the session
/// advances (sequence numbers, IP ids) without writing packets: that is how a capture that
/// starts mid-session is made.
/// </summary>
internal sealed class TcpSession
{
    private const byte Fin = 0x01;
    private const byte Syn = 0x02;
    private const byte Psh = 0x08;
    private const byte Ack = 0x10;

    private readonly CaptureBuilder _capture;
    private readonly LinkFraming _framing;
    private readonly bool _ipv6;
    private uint _clientNext;
    private uint _serverNext;
    private ushort _clientIpId;
    private ushort _serverIpId;

    internal TcpSession(CaptureBuilder capture, LinkFraming framing, TcpEndpoint client, TcpEndpoint server, uint clientIsn, uint serverIsn)
    {
        if (client.Address.AddressFamily != server.Address.AddressFamily)
        {
            throw new ArgumentException("client and server must both be IPv4 or both IPv6");
        }
        _capture = capture;
        _framing = framing;
        ClientEndpoint = client;
        ServerEndpoint = server;
        _ipv6 = client.Address.AddressFamily == AddressFamily.InterNetworkV6;
        _clientNext = clientIsn;
        _serverNext = serverIsn;
        _clientIpId = (ushort)(clientIsn >> 16);
        _serverIpId = (ushort)(serverIsn >> 16);
    }

    public TcpEndpoint ClientEndpoint { get; }

    public TcpEndpoint ServerEndpoint { get; }

    /// <summary>Whether packets are written to the capture (false: the session runs unseen).</summary>
    public bool Captured { get; set; } = true;

    public ushort ClientWindow { get; init; } = 502;

    public ushort ServerWindow { get; init; } = 509;

    public TcpSession Handshake()
    {
        Emit(fromClient: true, Syn, [], withMss: true);
        Emit(fromClient: false, Syn | Ack, [], withMss: true);
        Emit(fromClient: true, Ack, []);
        return this;
    }

    /// <summary>The client sends each argument as one segment; the server acknowledges.</summary>
    public TcpSession Client(params string[] segments) => Send(fromClient: true, segments);

    /// <summary>The server sends each argument as one segment; the client acknowledges.</summary>
    public TcpSession Server(params string[] segments) => Send(fromClient: false, segments);

    /// <summary>The client sends each argument as one binary segment; the server acknowledges.</summary>
    public TcpSession ClientBytes(params byte[][] segments) => Send(fromClient: true, segments);

    /// <summary>The server sends each argument as one binary segment; the client acknowledges.</summary>
    public TcpSession ServerBytes(params byte[][] segments) => Send(fromClient: false, segments);

    public TcpSession Pause(TimeSpan span)
    {
        if (Captured)
        {
            _capture.Pause(span);
        }
        return this;
    }

    /// <summary>Orderly close started by the client: FIN, FIN, ACK.</summary>
    public TcpSession Close()
    {
        Emit(fromClient: true, Fin | Ack, []);
        Emit(fromClient: false, Fin | Ack, []);
        Emit(fromClient: true, Ack, []);
        return this;
    }

    /// <summary>Splits <paramref name="text"/> into <paramref name="parts"/> pieces of near-equal length.</summary>
    public static string[] Split(string text, int parts)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfLessThan(parts, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(parts, text.Length);
        var pieces = new string[parts];
        var start = 0;
        for (var i = 0; i < parts; i++)
        {
            var end = (int)((long)text.Length * (i + 1) / parts);
            pieces[i] = text[start..end];
            start = end;
        }
        return pieces;
    }

    private TcpSession Send(bool fromClient, string[] segments) =>
        Send(fromClient, Array.ConvertAll(segments, Encoding.UTF8.GetBytes));

    private TcpSession Send(bool fromClient, byte[][] segments)
    {
        if (segments.Length == 0)
        {
            throw new ArgumentException("nothing to send", nameof(segments));
        }
        foreach (var segment in segments)
        {
            Emit(fromClient, Psh | Ack, segment);
        }
        Emit(!fromClient, Ack, []);
        return this;
    }

    private void Emit(bool fromClient, int flags, byte[] payload, bool withMss = false)
    {
        var source = fromClient ? ClientEndpoint : ServerEndpoint;
        var destination = fromClient ? ServerEndpoint : ClientEndpoint;
        var seq = fromClient ? _clientNext : _serverNext;
        var ack = (flags & Ack) != 0 ? (fromClient ? _serverNext : _clientNext) : 0u;

        var optionsLength = withMss ? 4 : 0;
        var tcpLength = 20 + optionsLength + payload.Length;
        var tcp = new byte[tcpLength];
        BinaryPrimitives.WriteUInt16BigEndian(tcp, source.Port);
        BinaryPrimitives.WriteUInt16BigEndian(tcp.AsSpan(2), destination.Port);
        BinaryPrimitives.WriteUInt32BigEndian(tcp.AsSpan(4), seq);
        BinaryPrimitives.WriteUInt32BigEndian(tcp.AsSpan(8), ack);
        tcp[12] = (byte)((20 + optionsLength) / 4 << 4);
        tcp[13] = (byte)flags;
        BinaryPrimitives.WriteUInt16BigEndian(tcp.AsSpan(14), fromClient ? ClientWindow : ServerWindow);
        if (withMss)
        {
            tcp[20] = 2; // MSS
            tcp[21] = 4;
            BinaryPrimitives.WriteUInt16BigEndian(tcp.AsSpan(22), _ipv6 ? (ushort)1440 : (ushort)1460);
        }
        payload.CopyTo(tcp, 20 + optionsLength);
        BinaryPrimitives.WriteUInt16BigEndian(tcp.AsSpan(16), InternetChecksum.Transport(Bytes(source.Address), Bytes(destination.Address), (byte)ProtocolType.Tcp, tcp));

        var ipId = fromClient ? _clientIpId++ : _serverIpId++;
        var packet = _ipv6 ? Ipv6(source.Address, destination.Address, tcp) : Ipv4(source.Address, destination.Address, tcp, ipId);

        var consumed = (uint)payload.Length + ((flags & (Syn | Fin)) != 0 ? 1u : 0u);
        if (fromClient)
        {
            _clientNext += consumed;
        }
        else
        {
            _serverNext += consumed;
        }

        if (Captured)
        {
            _capture.Add(_framing, packet, fromClient, _ipv6);
        }
    }

    private static byte[] Ipv4(IPAddress source, IPAddress destination, byte[] tcp, ushort id)
    {
        var packet = new byte[20 + tcp.Length];
        packet[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)packet.Length);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), id);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(6), 0x4000); // don't fragment
        packet[8] = 64;
        packet[9] = (byte)ProtocolType.Tcp;
        source.TryWriteBytes(packet.AsSpan(12, 4), out _);
        destination.TryWriteBytes(packet.AsSpan(16, 4), out _);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(10), InternetChecksum.Ipv4Header(packet.AsSpan(0, 20)));
        tcp.CopyTo(packet, 20);
        return packet;
    }

    private static byte[] Ipv6(IPAddress source, IPAddress destination, byte[] tcp)
    {
        var packet = new byte[40 + tcp.Length];
        packet[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), (ushort)tcp.Length);
        packet[6] = (byte)ProtocolType.Tcp;
        packet[7] = 64;
        source.TryWriteBytes(packet.AsSpan(8, 16), out _);
        destination.TryWriteBytes(packet.AsSpan(24, 16), out _);
        tcp.CopyTo(packet, 40);
        return packet;
    }

    private static byte[] Bytes(IPAddress address) => address.GetAddressBytes();
}
