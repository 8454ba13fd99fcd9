using System.Buffers.Binary;
using PoolDetector.Core.Decoding;

namespace PoolDetector.Core.Protocols.Dhcp;

/// <summary>
/// Reads DHCPv4 (RFC 2131/2132, UDP 67/68) and DHCPv6 (RFC 8415, UDP 546/547) messages for who
/// held which address under which name: the address, lease time, client MAC, host name
/// (option 12) and FQDN (option 81; DHCPv6 option 39). Every length is checked against the
/// data before it is read; nothing allocates or throws.
/// </summary>
/// <remarks>
/// DHCPv4 option overload (option 52) is followed into the <c>file</c> and <c>sname</c> fields.
/// Long options split over several instances (RFC 3396) are not joined: the first instance is
/// read, which holds every host name seen in practice. DHCPv6 relay messages are unwrapped to
/// the message they carry (option 9), up to <see cref="MaxRelayDepth"/> relays deep.
/// </remarks>
public static class DhcpParser
{
    public const ushort ServerPortV4 = 67;
    public const ushort ClientPortV4 = 68;
    public const ushort ClientPortV6 = 546;
    public const ushort ServerPortV6 = 547;

    /// <summary>RFC 8415's HOP_COUNT_LIMIT is 8.</summary>
    public const int MaxRelayDepth = 8;

    private const int V4FixedLength = 236;
    private const int V4OptionsOffset = V4FixedLength + 4;
    private const uint MagicCookie = 0x63825363;
    private const int SnameOffset = 44;
    private const int SnameLength = 64;
    private const int FileOffset = 108;
    private const int FileLength = 128;
    private const int ChaddrOffset = 28;
    private const byte HardwareEthernet = 1;

    private const byte OptionPad = 0;
    private const byte OptionEnd = 255;
    private const byte OptionHostName = 12;
    private const byte OptionLeaseTime = 51;
    private const byte OptionOverload = 52;
    private const byte OptionMessageType = 53;
    private const byte OptionClientFqdn = 81;
    /// <summary>Option 81's E flag: the name is in canonical wire format (RFC 4702).</summary>
    private const byte FqdnFlagEncoded = 0x04;

    private const byte V4Discover = 1;
    private const byte V4Request = 3;
    private const byte V4Decline = 4;
    private const byte V4Ack = 5;
    private const byte V4Release = 7;
    private const byte V4Inform = 8;

    private const byte V6Solicit = 1;
    private const byte V6Request = 3;
    private const byte V6Renew = 5;
    private const byte V6Rebind = 6;
    private const byte V6Reply = 7;
    private const byte V6Release = 8;
    private const byte V6Decline = 9;
    private const byte V6InformationRequest = 11;
    private const byte V6RelayForward = 12;
    private const byte V6RelayReply = 13;
    private const int V6RelayHeaderLength = 34;

    private const ushort V6OptionClientId = 1;
    private const ushort V6OptionIaNa = 3;
    private const ushort V6OptionIaAddress = 5;
    private const ushort V6OptionRelayMessage = 9;
    private const ushort V6OptionStatusCode = 13;
    private const ushort V6OptionClientFqdn = 39;
    private const ushort DuidLinkLayerPlusTime = 1;
    private const ushort DuidLinkLayer = 3;

    /// <summary>Both ports DHCPv4's (client-server, or relay-server on 67/67).</summary>
    public static bool IsV4Ports(ushort a, ushort b) => a is ServerPortV4 or ClientPortV4 && b is ServerPortV4 or ClientPortV4;

    /// <summary>Both ports DHCPv6's (client-server, or relay-server on 547/547).</summary>
    public static bool IsV6Ports(ushort a, ushort b) => a is ClientPortV6 or ServerPortV6 && b is ClientPortV6 or ServerPortV6;

    public static DhcpParseStatus ParseV4(ReadOnlySpan<byte> data, out DhcpMessage message)
    {
        message = default;
        if (data.Length < V4OptionsOffset)
        {
            return DhcpParseStatus.Truncated;
        }
        if (BinaryPrimitives.ReadUInt32BigEndian(data[V4FixedLength..]) != MagicCookie)
        {
            return DhcpParseStatus.BadMagic;
        }
        message.TransactionId = BinaryPrimitives.ReadUInt32BigEndian(data[4..]);
        message.ClientAddress = IpAddress.FromV4(data[12..]);
        var yiaddr = IpAddress.FromV4(data[16..]);
        message.AssignedAddress = yiaddr;
        message.HasAssignedAddress = yiaddr.Low != 0;
        if (data[1] == HardwareEthernet && data[2] == MacAddress.Length)
        {
            message.ClientMac = MacAddress.FromBytes(data[ChaddrOffset..]);
        }

        byte overload = 0;
        var status = ReadV4Options(data[V4OptionsOffset..], ref message, ref overload, allowOverload: true);
        if (status != DhcpParseStatus.Ok)
        {
            return status;
        }
        if (overload > 3)
        {
            return DhcpParseStatus.BadOverload;
        }
        // RFC 2132 section 9.3: options continue in file, then sname; an overload option there is ignored.
        if ((overload & 1) != 0)
        {
            status = ReadV4Options(data.Slice(FileOffset, FileLength), ref message, ref overload, allowOverload: false);
            if (status != DhcpParseStatus.Ok)
            {
                return status;
            }
        }
        if ((overload & 2) != 0)
        {
            status = ReadV4Options(data.Slice(SnameOffset, SnameLength), ref message, ref overload, allowOverload: false);
            if (status != DhcpParseStatus.Ok)
            {
                return status;
            }
        }

        message.Kind = message.MessageType switch
        {
            V4Discover or V4Request or V4Inform => DhcpKind.ClientRequest,
            V4Ack => DhcpKind.Commit,
            V4Release or V4Decline => DhcpKind.Release,
            _ => DhcpKind.Other,
        };
        return DhcpParseStatus.Ok;
    }

    /// <summary>Options of one area; the first instance of each option wins (a later duplicate changes nothing).</summary>
    private static DhcpParseStatus ReadV4Options(ReadOnlySpan<byte> area, ref DhcpMessage message, ref byte overload, bool allowOverload)
    {
        var i = 0;
        while (i < area.Length)
        {
            var code = area[i];
            if (code == OptionPad)
            {
                i++;
                continue;
            }
            if (code == OptionEnd)
            {
                return DhcpParseStatus.Ok;
            }
            if (i + 2 > area.Length || i + 2 + area[i + 1] > area.Length)
            {
                return DhcpParseStatus.OptionPastEnd;
            }
            var value = area.Slice(i + 2, area[i + 1]);
            i += 2 + value.Length;
            switch (code)
            {
                case OptionMessageType when value.Length == 1 && message.MessageType == 0:
                    message.MessageType = value[0];
                    break;
                case OptionLeaseTime when value.Length == 4 && !message.HasLeaseTime:
                    message.LeaseSeconds = BinaryPrimitives.ReadUInt32BigEndian(value);
                    message.HasLeaseTime = true;
                    break;
                case OptionHostName when message.HostName.IsEmpty:
                    message.HostName = value;
                    break;
                case OptionClientFqdn when value.Length > 3 && message.Fqdn.IsEmpty:
                    // flags, RCODE1, RCODE2, then the name.
                    message.FqdnIsWireFormat = (value[0] & FqdnFlagEncoded) != 0;
                    message.Fqdn = value[3..];
                    break;
                case OptionOverload when allowOverload:
                    overload = value.Length == 1 && value[0] is >= 1 and <= 3 ? value[0] : byte.MaxValue;
                    break;
            }
        }
        // No end option: tolerated, as clients and servers in the wild leave it out when the area is full.
        return DhcpParseStatus.Ok;
    }

    public static DhcpParseStatus ParseV6(ReadOnlySpan<byte> data, out DhcpMessage message)
    {
        message = default;
        message.IsV6 = true;
        for (var depth = 0; ; depth++)
        {
            if (data.Length < 4)
            {
                return DhcpParseStatus.Truncated;
            }
            if (data[0] is not (V6RelayForward or V6RelayReply))
            {
                break;
            }
            if (depth >= MaxRelayDepth)
            {
                return DhcpParseStatus.BadRelay;
            }
            if (data.Length < V6RelayHeaderLength)
            {
                return DhcpParseStatus.Truncated;
            }
            var status = FindV6Option(data[V6RelayHeaderLength..], V6OptionRelayMessage, out var relayed);
            if (status != DhcpParseStatus.Ok)
            {
                return status;
            }
            if (relayed.IsEmpty)
            {
                return DhcpParseStatus.BadRelay;
            }
            data = relayed;
        }

        message.MessageType = data[0];
        message.TransactionId = (uint)((data[1] << 16) | (data[2] << 8) | data[3]);
        var options = data[4..];
        while (!options.IsEmpty)
        {
            var status = NextV6Option(ref options, out var code, out var value);
            if (status != DhcpParseStatus.Ok)
            {
                return status;
            }
            switch (code)
            {
                case V6OptionClientId when message.ClientMac.IsNone:
                    message.ClientMac = MacOfDuid(value);
                    break;
                case V6OptionIaNa when !message.HasAssignedAddress:
                    status = ReadIaNa(value, ref message);
                    if (status != DhcpParseStatus.Ok)
                    {
                        return status;
                    }
                    break;
                case V6OptionClientFqdn when value.Length > 1 && message.Fqdn.IsEmpty:
                    // flags, then the name, always in wire format (RFC 4704).
                    message.Fqdn = value[1..];
                    message.FqdnIsWireFormat = true;
                    break;
            }
        }
        message.Kind = message.MessageType switch
        {
            V6Solicit or V6Request or V6Renew or V6Rebind or V6InformationRequest => DhcpKind.ClientRequest,
            V6Reply => DhcpKind.Commit,
            V6Release or V6Decline => DhcpKind.Release,
            _ => DhcpKind.Other,
        };
        return DhcpParseStatus.Ok;
    }

    /// <summary>IAID, T1, T2, then options: the first IA address not refused by a status code.</summary>
    private static DhcpParseStatus ReadIaNa(ReadOnlySpan<byte> ia, ref DhcpMessage message)
    {
        if (ia.Length < 12)
        {
            return DhcpParseStatus.OptionPastEnd;
        }
        var options = ia[12..];
        while (!options.IsEmpty)
        {
            var status = NextV6Option(ref options, out var code, out var value);
            if (status != DhcpParseStatus.Ok)
            {
                return status;
            }
            if (code == V6OptionStatusCode && value.Length >= 2 && BinaryPrimitives.ReadUInt16BigEndian(value) != 0)
            {
                // NoAddrsAvail, NoBinding, ...: the server holds nothing for this IA.
                message.HasAssignedAddress = false;
                return DhcpParseStatus.Ok;
            }
            if (code != V6OptionIaAddress || message.HasAssignedAddress)
            {
                continue;
            }
            // address (16), preferred lifetime (4), valid lifetime (4), options.
            if (value.Length < 24)
            {
                return DhcpParseStatus.OptionPastEnd;
            }
            var inner = value[24..];
            var refused = false;
            while (!inner.IsEmpty)
            {
                status = NextV6Option(ref inner, out var innerCode, out var innerValue);
                if (status != DhcpParseStatus.Ok)
                {
                    return status;
                }
                refused |= innerCode == V6OptionStatusCode && innerValue.Length >= 2 && BinaryPrimitives.ReadUInt16BigEndian(innerValue) != 0;
            }
            if (!refused)
            {
                message.AssignedAddress = IpAddress.FromV6(value);
                message.LeaseSeconds = BinaryPrimitives.ReadUInt32BigEndian(value[20..]);
                message.HasLeaseTime = true;
                message.HasAssignedAddress = true;
            }
        }
        return DhcpParseStatus.Ok;
    }

    private static DhcpParseStatus FindV6Option(ReadOnlySpan<byte> options, ushort wanted, out ReadOnlySpan<byte> found)
    {
        found = default;
        while (!options.IsEmpty)
        {
            var status = NextV6Option(ref options, out var code, out var value);
            if (status != DhcpParseStatus.Ok)
            {
                return status;
            }
            if (code == wanted && found.IsEmpty)
            {
                found = value;
            }
        }
        return DhcpParseStatus.Ok;
    }

    /// <summary>Takes one option (code, length, value) off the front of <paramref name="options"/>.</summary>
    private static DhcpParseStatus NextV6Option(scoped ref ReadOnlySpan<byte> options, out ushort code, out ReadOnlySpan<byte> value)
    {
        code = 0;
        value = default;
        if (options.Length < 4)
        {
            return DhcpParseStatus.OptionPastEnd;
        }
        code = BinaryPrimitives.ReadUInt16BigEndian(options);
        int length = BinaryPrimitives.ReadUInt16BigEndian(options[2..]);
        if (4 + length > options.Length)
        {
            return DhcpParseStatus.OptionPastEnd;
        }
        value = options.Slice(4, length);
        options = options[(4 + length)..];
        return DhcpParseStatus.Ok;
    }

    /// <summary>DUID-LLT and DUID-LL of hardware type Ethernet hold the client's MAC (RFC 8415 sections 11.2 and 11.4).</summary>
    private static MacAddress MacOfDuid(ReadOnlySpan<byte> duid)
    {
        if (duid.Length < 4 || BinaryPrimitives.ReadUInt16BigEndian(duid[2..]) != HardwareEthernet)
        {
            return MacAddress.None;
        }
        var type = BinaryPrimitives.ReadUInt16BigEndian(duid);
        var address = type switch
        {
            DuidLinkLayerPlusTime => duid[4..].Length >= 4 ? duid[8..] : default,
            DuidLinkLayer => duid[4..],
            _ => default,
        };
        return address.Length == MacAddress.Length ? MacAddress.FromBytes(address) : MacAddress.None;
    }
}
