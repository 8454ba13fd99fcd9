using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace PoolDetector.Core.Decoding;

/// <summary>
/// An IPv4 or IPv6 CIDR range (<c>10.1.0.0/16</c>, <c>2001:db8:10::/48</c>): the operator's home
/// networks and inventory rows. IPv4-mapped IPv6 addresses (<c>::ffff:10.1.2.3</c>) fall in the
/// IPv4 range they map to, as dual-stack sockets and some capture tools write them.
/// </summary>
public readonly record struct IpNetwork(IpAddress Network, byte PrefixLength)
{
    public bool IsV4 => Network.IsV4;

    public bool Contains(IpAddress address)
    {
        var a = Normalise(address);
        return a.IsV4 == Network.IsV4 && Mask(a, PrefixLength).Equals(Network);
    }

    public override string ToString() => Network + "/" + PrefixLength.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// Parses <c>address/length</c>, or a bare address as a single host (/32, /128). Host bits
    /// beyond the length are refused: <c>10.1.2.3/16</c> is more often a typo than a range.
    /// Returns null, or the problem.
    /// </summary>
    public static string? TryParse(ReadOnlySpan<char> text, out IpNetwork network)
    {
        network = default;
        text = text.Trim();
        var slash = text.IndexOf('/');
        var addressText = slash < 0 ? text : text[..slash];
        if (addressText.IsEmpty || addressText.Contains('%') || !IPAddress.TryParse(addressText, out var ip))
        {
            return $"'{text}' is not an address or CIDR range";
        }
        if (ip.AddressFamily == AddressFamily.InterNetwork && !IsDottedQuad(addressText))
        {
            // IPAddress also reads "10.1" and "012.1.1.1" (octal); a range must not mean something else than it says.
            return $"'{text}' is not a dotted-quad IPv4 address";
        }
        var address = IpAddress.FromIPAddress(ip);
        var max = address.IsV4 ? 32 : 128;
        byte length = (byte)max;
        if (slash >= 0 && (!byte.TryParse(text[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out length) || length > max))
        {
            return $"'{text}': the prefix length must be 0..{max}";
        }
        if (!Mask(address, length).Equals(address))
        {
            return $"'{text}' has host bits set beyond /{length} (the range is {Mask(address, length)}/{length})";
        }
        network = new IpNetwork(address, length);
        return null;
    }

    private static bool IsDottedQuad(ReadOnlySpan<char> text)
    {
        if (text.Count('.') != 3 || text.ContainsAnyExceptInRange('.', '9') || text.Contains('/'))
        {
            return false;
        }
        foreach (var range in text.Split('.'))
        {
            var octet = text[range];
            if (octet.IsEmpty || (octet.Length > 1 && octet[0] == '0'))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>The address with every bit beyond <paramref name="length"/> cleared.</summary>
    /// <remarks>On the address's two words, not its bytes: per packet, home-network checks call it for each prefix length in use.</remarks>
    internal static IpAddress Mask(IpAddress address, int length)
    {
        if (address.IsV4)
        {
            var mask = length <= 0 ? 0UL : (0xFFFF_FFFFUL << (32 - Math.Min(length, 32))) & 0xFFFF_FFFFUL;
            return IpAddress.FromWords(0, address.Low & mask, isV4: true);
        }
        return IpAddress.FromWords(address.High & HighBits(length), address.Low & HighBits(length - 64), isV4: false);
    }

    /// <summary>A 64-bit word with its <paramref name="bits"/> highest bits set (none below 1, all from 64).</summary>
    private static ulong HighBits(int bits) => bits <= 0 ? 0 : bits >= 64 ? ulong.MaxValue : ulong.MaxValue << (64 - bits);

    /// <summary><c>::ffff:a.b.c.d</c> as <c>a.b.c.d</c>.</summary>
    internal static IpAddress Normalise(IpAddress address) =>
        !address.IsV4 && address.High == 0 && address.Low >> 32 == 0xFFFF
            ? IpAddress.FromWords(0, address.Low & 0xFFFF_FFFFUL, isV4: true)
            : address;
}

/// <summary>
/// CIDR ranges with a value each, looked up by longest prefix: the most specific range that
/// holds an address wins, so ranges may overlap (a /8 for a faculty, a /24 for one lab in it).
/// One hash probe per prefix length in use; built once, then only read (safe to share between threads).
/// </summary>
public sealed class PrefixTable<T>
{
    private readonly Dictionary<IpNetwork, T> _table = [];
    private byte[] _v4Lengths = [];
    private byte[] _v6Lengths = [];

    public int Count => _table.Count;

    public IEnumerable<KeyValuePair<IpNetwork, T>> Entries => _table;

    /// <summary>Adds a range; false when the same range is already there.</summary>
    public bool TryAdd(IpNetwork network, T value)
    {
        if (!_table.TryAdd(network, value))
        {
            return false;
        }
        // Only a new prefix length changes what to probe: an inventory of thousands of rows uses a handful.
        ref var lengths = ref network.IsV4 ? ref _v4Lengths : ref _v6Lengths;
        if (Array.IndexOf(lengths, network.PrefixLength) < 0)
        {
            lengths = [.. lengths.Append(network.PrefixLength).OrderDescending()];
        }
        return true;
    }

    /// <summary>The most specific range holding <paramref name="address"/>, and its value.</summary>
    public bool TryMatch(IpAddress address, out IpNetwork network, out T value)
    {
        var a = IpNetwork.Normalise(address);
        foreach (var length in a.IsV4 ? _v4Lengths : _v6Lengths)
        {
            network = new IpNetwork(IpNetwork.Mask(a, length), length);
            if (_table.TryGetValue(network, out value!))
            {
                return true;
            }
        }
        network = default;
        value = default!;
        return false;
    }

    public bool Contains(IpAddress address) => TryMatch(address, out _, out _);
}
