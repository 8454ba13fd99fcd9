using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace PoolDetector.Core.Tests.Protocols.Dhcp;

/// <summary>DHCPv4 and DHCPv6 messages written out byte by byte, for the parser's and the detector's tests.</summary>
internal static class DhcpTestKit
{
    public const byte Discover = 1;
    public const byte Offer = 2;
    public const byte Request = 3;
    public const byte Ack = 5;
    public const byte Release = 7;

    public const byte V6Solicit = 1;
    public const byte V6Request = 3;
    public const byte V6Reply = 7;
    public const byte V6Release = 8;
    public const byte V6RelayForward = 12;
    public const byte V6RelayReply = 13;

    /// <summary>An option: code, then its value (the length is added).</summary>
    public static (byte Code, byte[] Value) Option(byte code, params byte[] value) => (code, value);

    public static (byte Code, byte[] Value) HostName(string name) => Option(12, Encoding.ASCII.GetBytes(name));

    public static (byte Code, byte[] Value) LeaseTime(uint seconds)
    {
        var value = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(value, seconds);
        return Option(51, value);
    }

    /// <summary>Option 81 in canonical wire format (E flag set), RCODE1 and RCODE2 zero.</summary>
    public static (byte Code, byte[] Value) Fqdn(string name) => Option(81, [0x04, 0, 0, .. WireName(name)]);

    /// <summary>
    /// A DHCPv4 message. <paramref name="options"/> go in the options area after option 53;
    /// <paramref name="fileOptions"/> and <paramref name="snameOptions"/>, when given, into the
    /// <c>file</c> and <c>sname</c> fields (option overload; option 52 is not added for you).
    /// </summary>
    public static byte[] V4(byte messageType, uint xid, string mac, string yiaddr = "0.0.0.0", string ciaddr = "0.0.0.0",
        (byte Code, byte[] Value)[]? options = null, (byte Code, byte[] Value)[]? fileOptions = null, (byte Code, byte[] Value)[]? snameOptions = null,
        bool end = true)
    {
        var fixedPart = new byte[240];
        fixedPart[0] = messageType is Discover or Request or Release ? (byte)1 : (byte)2;
        fixedPart[1] = 1;
        fixedPart[2] = 6;
        BinaryPrimitives.WriteUInt32BigEndian(fixedPart.AsSpan(4), xid);
        IPAddress.Parse(ciaddr).GetAddressBytes().CopyTo(fixedPart, 12);
        IPAddress.Parse(yiaddr).GetAddressBytes().CopyTo(fixedPart, 16);
        Convert.FromHexString(mac.Replace(":", "", StringComparison.Ordinal)).CopyTo(fixedPart, 28);
        if (snameOptions is not null)
        {
            Area(snameOptions).CopyTo(fixedPart, 44);
        }
        if (fileOptions is not null)
        {
            Area(fileOptions).CopyTo(fixedPart, 108);
        }
        BinaryPrimitives.WriteUInt32BigEndian(fixedPart.AsSpan(236), 0x63825363);
        var bytes = new List<byte>(fixedPart) { 53, 1, messageType };
        foreach (var (code, value) in options ?? [])
        {
            bytes.Add(code);
            bytes.Add((byte)value.Length);
            bytes.AddRange(value);
        }
        if (end)
        {
            bytes.Add(255);
        }
        return [.. bytes];
    }

    private static byte[] Area((byte Code, byte[] Value)[] options)
    {
        var area = new List<byte>();
        foreach (var (code, value) in options)
        {
            area.Add(code);
            area.Add((byte)value.Length);
            area.AddRange(value);
        }
        area.Add(255);
        return [.. area];
    }

    public static byte[] WireName(string name)
    {
        var bytes = new List<byte>();
        var fullyQualified = name.EndsWith('.');
        foreach (var label in name.TrimEnd('.').Split('.'))
        {
            bytes.Add((byte)label.Length);
            bytes.AddRange(Encoding.ASCII.GetBytes(label));
        }
        if (fullyQualified)
        {
            bytes.Add(0);
        }
        return [.. bytes];
    }

    /// <summary>A DHCPv6 option: code, length, value.</summary>
    public static byte[] V6Option(ushort code, params byte[] value)
    {
        var bytes = new byte[4 + value.Length];
        BinaryPrimitives.WriteUInt16BigEndian(bytes, code);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(2), (ushort)value.Length);
        value.CopyTo(bytes, 4);
        return bytes;
    }

    /// <summary>Client identifier as DUID-LL of an Ethernet MAC.</summary>
    public static byte[] ClientId(string mac) => V6Option(1, [0, 3, 0, 1, .. Convert.FromHexString(mac.Replace(":", "", StringComparison.Ordinal))]);

    /// <summary>IA_NA (IAID 1, T1 and T2 0) with one IA address; <paramref name="inner"/> goes inside the IA address.</summary>
    public static byte[] IaNa(string address, uint validSeconds, params byte[][] inner)
    {
        var iaAddress = new List<byte>(IPAddress.Parse(address).GetAddressBytes());
        var lifetimes = new byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(lifetimes, validSeconds / 2);
        BinaryPrimitives.WriteUInt32BigEndian(lifetimes.AsSpan(4), validSeconds);
        iaAddress.AddRange(lifetimes);
        foreach (var option in inner)
        {
            iaAddress.AddRange(option);
        }
        return V6Option(3, [0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, .. V6Option(5, [.. iaAddress])]);
    }

    /// <summary>Status code option with <paramref name="code"/> (2: NoAddrsAvail).</summary>
    public static byte[] Status(ushort code) => V6Option(13, (byte)(code >> 8), (byte)code);

    /// <summary>Client FQDN (option 39): flags 0x01, then the name in wire format.</summary>
    public static byte[] V6Fqdn(string name) => V6Option(39, [0x01, .. WireName(name)]);

    public static byte[] V6(byte messageType, uint transaction, params byte[][] options)
    {
        var bytes = new List<byte> { messageType, (byte)(transaction >> 16), (byte)(transaction >> 8), (byte)transaction };
        foreach (var option in options)
        {
            bytes.AddRange(option);
        }
        return [.. bytes];
    }

    /// <summary>Wraps <paramref name="message"/> in a relay message (option 9), as a relay agent or the server answering it does.</summary>
    public static byte[] Relay(byte messageType, byte[] message)
    {
        var bytes = new List<byte> { messageType, 0 };
        bytes.AddRange(new byte[32]);
        bytes.AddRange(V6Option(9, message));
        return [.. bytes];
    }
}
