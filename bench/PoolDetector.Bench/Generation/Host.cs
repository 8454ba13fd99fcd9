using System.Net;

namespace PoolDetector.Bench.Generation;

/// <summary>
/// One address on the capture: a campus host (its own MAC, maybe a VLAN) or a server beyond
/// the router. Campus hosts hand out source ports the way an operating system does, one after
/// another from a random start, so no two of a host's connections share a 5-tuple.
/// </summary>
internal sealed class Host
{
    private ushort _nextPort;

    public Host(byte[] address, byte[] mac, ushort vlan, ushort firstPort)
    {
        Address = address;
        Mac = mac;
        Vlan = vlan;
        _nextPort = firstPort;
        Text = new IPAddress(address).ToString();
    }

    /// <summary>4 bytes (IPv4) or 16 (IPv6), network order.</summary>
    public byte[] Address { get; }

    public bool IsIpv6 => Address.Length == 16;

    public byte[] Mac { get; }

    /// <summary>The 802.1Q VLAN both directions of its traffic carry on the SPAN port; 0: untagged.</summary>
    public ushort Vlan { get; }

    /// <summary>The address as IPAddress prints it (what the ground truth and the detectors' outputs hold).</summary>
    public string Text { get; }

    public ushort NextEphemeralPort()
    {
        var port = _nextPort;
        // Linux's default ephemeral range, 32768-60999.
        _nextPort = port >= 60999 ? (ushort)32768 : (ushort)(port + 1);
        return port;
    }
}

/// <summary>A server with the name clients look up and put in Host headers and SNI.</summary>
internal sealed record Server(Host Host, string Name);
