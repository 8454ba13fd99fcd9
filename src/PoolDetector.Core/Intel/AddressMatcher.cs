using System.Buffers;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using PoolDetector.Core.Decoding;

namespace PoolDetector.Core.Intel;

/// <summary>
/// Server addresses against listed addresses and CIDR ranges, each optionally for one port.
/// Longest prefix wins; at equal length a port-specific entry wins over an any-port one.
/// One hash probe per prefix length actually listed (a few in practice), no allocation.
/// IPv4-mapped IPv6 addresses are matched as IPv4.
/// </summary>
public sealed class AddressMatcher
{
    private static readonly SearchValues<char> DottedQuadChars = SearchValues.Create("0123456789.");

    private readonly Dictionary<PrefixKey, (string Indicator, IntelEntry Entry)> _table = [];
    private byte[] _v4Lengths = [];
    private byte[] _v6Lengths = [];

    internal AddressMatcher()
    {
    }

    public int Count => _table.Count;

    /// <summary>Finds the most specific entry for <paramref name="address"/> on <paramref name="port"/> (0: any port only).</summary>
    public bool TryMatch(IpAddress address, ushort port, out IntelMatch match)
    {
        ulong high = address.High, low = address.Low;
        var isV4 = address.IsV4;
        if (!isV4 && high == 0 && low >> 32 == 0xFFFF)
        {
            isV4 = true;
            low &= 0xFFFF_FFFF;
        }
        foreach (var length in isV4 ? _v4Lengths : _v6Lengths)
        {
            var key = Mask(high, low, isV4, length);
            if ((port != 0 && _table.TryGetValue(key with { Port = port }, out var hit)) || _table.TryGetValue(key, out hit))
            {
                match = new IntelMatch(hit.Indicator, hit.Entry);
                return true;
            }
        }
        match = default;
        return false;
    }

    public bool Matches(IpAddress address, ushort port = 0) => TryMatch(address, port, out _);

    internal void Add(IpAddress address, byte length, ushort port, string indicator, IntelEntry entry)
    {
        var key = Mask(address.High, address.Low, address.IsV4, length) with { Port = port };
        if (_table.TryGetValue(key, out var existing) && (existing.Entry.IsStrong || !entry.IsStrong))
        {
            return;
        }
        _table[key] = (indicator, entry);
    }

    /// <summary>Fixes the set of prefix lengths to probe, longest first. Called once after loading.</summary>
    internal void Freeze()
    {
        _v4Lengths = [.. _table.Keys.Where(k => k.IsV4).Select(k => k.Length).Distinct().OrderDescending()];
        _v6Lengths = [.. _table.Keys.Where(k => !k.IsV4).Select(k => k.Length).Distinct().OrderDescending()];
    }

    private static PrefixKey Mask(ulong high, ulong low, bool isV4, byte length)
    {
        if (isV4)
        {
            var mask = length == 0 ? 0UL : (0xFFFF_FFFFUL << (32 - length)) & 0xFFFF_FFFFUL;
            return new PrefixKey(0, low & mask, length, true, 0);
        }
        var highMask = length >= 64 ? ulong.MaxValue : length == 0 ? 0UL : ulong.MaxValue << (64 - length);
        var lowMask = length <= 64 ? 0UL : length == 128 ? ulong.MaxValue : ulong.MaxValue << (128 - length);
        return new PrefixKey(high & highMask, low & lowMask, length, false, 0);
    }

    /// <summary>
    /// Parses <c>a.b.c.d</c>, <c>a.b.c.d:port</c>, <c>v6</c>, <c>[v6]</c>, <c>[v6]:port</c>.
    /// Legacy IPv4 forms (<c>10.1</c>, octal) and scope ids are refused. Returns the problem, or null.
    /// </summary>
    internal static string? ParseAddress(ReadOnlySpan<char> text, out IpAddress address, out ushort port)
    {
        address = default;
        port = 0;
        text = text.Trim();
        ReadOnlySpan<char> host;
        ReadOnlySpan<char> portText = default;
        var hasPort = false;
        if (text.StartsWith('['))
        {
            var close = text.IndexOf(']');
            if (close < 0)
            {
                return $"missing ']' in '{text}'";
            }
            host = text[1..close];
            var after = text[(close + 1)..];
            if (!after.IsEmpty)
            {
                if (after[0] != ':')
                {
                    return $"unexpected text after ']' in '{text}'";
                }
                portText = after[1..];
                hasPort = true;
            }
        }
        else if (text.Count(':') == 1)
        {
            var colon = text.IndexOf(':');
            host = text[..colon];
            portText = text[(colon + 1)..];
            hasPort = true;
        }
        else
        {
            host = text;
        }
        if (host.IsEmpty || host.Contains('%') || !IPAddress.TryParse(host, out var ip))
        {
            return $"'{text}' is not an IP address";
        }
        if (ip.AddressFamily == AddressFamily.InterNetwork && (host.Count('.') != 3 || host.ContainsAnyExcept(DottedQuadChars)))
        {
            return $"'{text}' is not a dotted-quad IPv4 address";
        }
        if (hasPort)
        {
            if (!ushort.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port == 0)
            {
                return $"bad port '{portText}' in '{text}'";
            }
        }
        address = IpAddress.FromIPAddress(ip);
        return null;
    }

    /// <summary>Parses <c>address/length</c> with no host bits set (no port). Returns the problem, or null.</summary>
    internal static string? ParseCidr(ReadOnlySpan<char> text, out IpAddress network, out byte length)
    {
        network = default;
        length = 0;
        text = text.Trim();
        var slash = text.IndexOf('/');
        if (slash < 0)
        {
            return $"'{text}' is not a CIDR range (address/length)";
        }
        var problem = ParseAddress(text[..slash], out network, out var port);
        if (problem is not null || port != 0 || text[..slash].StartsWith('['))
        {
            return $"'{text}' is not a CIDR range: bad address";
        }
        var max = network.IsV4 ? 32 : 128;
        if (!byte.TryParse(text[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out length) || length > max)
        {
            return $"'{text}' is not a CIDR range: prefix length must be 0..{max}";
        }
        var masked = Mask(network.High, network.Low, network.IsV4, length);
        if (masked.High != network.High || masked.Low != network.Low)
        {
            return $"'{text}' has host bits set beyond /{length}";
        }
        return null;
    }

    private readonly record struct PrefixKey(ulong High, ulong Low, byte Length, bool IsV4, ushort Port);
}
