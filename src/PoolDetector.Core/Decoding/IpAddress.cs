using System.Buffers.Binary;
using System.Net;

namespace PoolDetector.Core.Decoding;

/// <summary>
/// An IPv4 or IPv6 address as a 17-byte value type, so flow keys and decoded packets
/// carry addresses without allocating. IPv4 addresses keep their four bytes in the low
/// 32 bits of <see cref="Low"/>; <see cref="High"/> is zero.
/// </summary>
public readonly struct IpAddress : IEquatable<IpAddress>, IComparable<IpAddress>
{
    public readonly ulong High;
    public readonly ulong Low;
    public readonly bool IsV4;

    private IpAddress(ulong high, ulong low, bool isV4)
    {
        High = high;
        Low = low;
        IsV4 = isV4;
    }

    public static IpAddress FromV4(ReadOnlySpan<byte> bytes) =>
        new(0, BinaryPrimitives.ReadUInt32BigEndian(bytes), isV4: true);

    public static IpAddress FromV6(ReadOnlySpan<byte> bytes) =>
        new(BinaryPrimitives.ReadUInt64BigEndian(bytes), BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]), isV4: false);

    /// <summary>From the two words as this type keeps them (an IPv4 address in the low 32 bits of <paramref name="low"/>).</summary>
    internal static IpAddress FromWords(ulong high, ulong low, bool isV4) => new(high, low, isV4);

    public static IpAddress FromIPAddress(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out var written);
        return written == 4 ? FromV4(bytes) : FromV6(bytes);
    }

    public static IpAddress Parse(string text) => FromIPAddress(IPAddress.Parse(text));

    /// <summary>Writes the address bytes (4 or 16) and returns how many were written.</summary>
    public int WriteBytes(Span<byte> destination)
    {
        if (IsV4)
        {
            BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)Low);
            return 4;
        }
        BinaryPrimitives.WriteUInt64BigEndian(destination, High);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], Low);
        return 16;
    }

    public IPAddress ToIPAddress()
    {
        Span<byte> bytes = stackalloc byte[16];
        return new IPAddress(bytes[..WriteBytes(bytes)]);
    }

    public override string ToString() => ToIPAddress().ToString();

    /// <summary><c>192.0.2.1:3333</c>, or <c>[2001:db8::1]:3333</c> for IPv6, as pool lists and events write endpoints.</summary>
    public string ToEndpointString(ushort port) => IsV4 ? $"{this}:{port}" : $"[{this}]:{port}";

    public bool Equals(IpAddress other) => High == other.High && Low == other.Low && IsV4 == other.IsV4;

    public override bool Equals(object? obj) => obj is IpAddress other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(High, Low, IsV4);

    public int CompareTo(IpAddress other)
    {
        if (IsV4 != other.IsV4) return IsV4 ? -1 : 1;
        var c = High.CompareTo(other.High);
        return c != 0 ? c : Low.CompareTo(other.Low);
    }

    public static bool operator ==(IpAddress left, IpAddress right) => left.Equals(right);
    public static bool operator !=(IpAddress left, IpAddress right) => !left.Equals(right);
    public static bool operator <(IpAddress left, IpAddress right) => left.CompareTo(right) < 0;
    public static bool operator >(IpAddress left, IpAddress right) => left.CompareTo(right) > 0;
    public static bool operator <=(IpAddress left, IpAddress right) => left.CompareTo(right) <= 0;
    public static bool operator >=(IpAddress left, IpAddress right) => left.CompareTo(right) >= 0;
}
