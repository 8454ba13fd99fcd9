using System.Buffers.Binary;
using System.Globalization;

namespace PoolDetector.Core.Decoding;

/// <summary>
/// A 48-bit Ethernet (EUI-48) address as a value, so decoded packets and flows carry it without
/// allocating. All zeros means unknown: loopback captures write zeros, and a link without MACs
/// (raw IP, PPP) has none to give.
/// </summary>
public readonly struct MacAddress : IEquatable<MacAddress>
{
    public const int Length = 6;

    /// <summary>The six bytes, first byte in bits 40-47.</summary>
    public readonly ulong Value;

    public MacAddress(ulong value)
    {
        Value = value & 0xFFFF_FFFF_FFFF;
    }

    public static MacAddress None => default;

    public bool IsNone => Value == 0;

    /// <summary>Reads six bytes in wire order.</summary>
    public static MacAddress FromBytes(ReadOnlySpan<byte> bytes) =>
        new(((ulong)BinaryPrimitives.ReadUInt16BigEndian(bytes) << 32) | BinaryPrimitives.ReadUInt32BigEndian(bytes[2..]));

    /// <summary>Parses <c>aa:bb:cc:dd:ee:ff</c> (or with dashes); false for anything else.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out MacAddress mac)
    {
        mac = default;
        if (text.Length != 17)
        {
            return false;
        }
        ulong value = 0;
        for (var i = 0; i < Length; i++)
        {
            if (i > 0 && text[(i * 3) - 1] is not (':' or '-'))
            {
                return false;
            }
            if (!byte.TryParse(text.Slice(i * 3, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var b))
            {
                return false;
            }
            value = (value << 8) | b;
        }
        mac = new MacAddress(value);
        return true;
    }

    /// <summary>Lowercase, colon-separated: the form Suricata, Zeek and DHCP servers log.</summary>
    public override string ToString() => string.Create(17, Value, static (chars, value) =>
    {
        const string Hex = "0123456789abcdef";
        for (var i = 0; i < Length; i++)
        {
            var b = (int)(value >> (40 - (i * 8))) & 0xFF;
            chars[i * 3] = Hex[b >> 4];
            chars[(i * 3) + 1] = Hex[b & 0xF];
            if (i < Length - 1)
            {
                chars[(i * 3) + 2] = ':';
            }
        }
    });

    public bool Equals(MacAddress other) => Value == other.Value;

    public override bool Equals(object? obj) => obj is MacAddress other && Equals(other);

    public override int GetHashCode() => Value.GetHashCode();

    public static bool operator ==(MacAddress left, MacAddress right) => left.Equals(right);

    public static bool operator !=(MacAddress left, MacAddress right) => !left.Equals(right);
}
