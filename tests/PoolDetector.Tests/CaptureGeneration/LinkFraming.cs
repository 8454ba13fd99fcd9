using System.Buffers.Binary;

namespace PoolDetector.Tests.CaptureGeneration;

/// <summary>One 802.1Q-style tag: its TPID (0x8100 customer tag, 0x88a8 service tag) and VLAN id.</summary>
internal readonly record struct VlanTag(ushort Tpid, ushort VlanId)
{
    public static VlanTag Dot1Q(ushort vlanId) => new(0x8100, vlanId);

    /// <summary>The outer (service) tag of an 802.1ad QinQ stack.</summary>
    public static VlanTag Dot1ad(ushort vlanId) => new(0x88a8, vlanId);
}

/// <summary>
/// How an IP packet is wrapped for the capture's link type: Ethernet II (optionally with a
/// stack of VLAN tags, outermost first), Linux cooked v1, or nothing (raw IP).
/// </summary>
internal sealed class LinkFraming
{
    private static readonly byte[] ClientMac = [0x02, 0x00, 0x5e, 0x00, 0x53, 0x0a];
    private static readonly byte[] ServerMac = [0x02, 0x00, 0x5e, 0x00, 0x53, 0x01];

    private readonly VlanTag[] _tags;

    private LinkFraming(PcapLinkType linkType, VlanTag[] tags)
    {
        LinkType = linkType;
        _tags = tags;
    }

    public PcapLinkType LinkType { get; }

    public static LinkFraming Ethernet(params VlanTag[] tags) => new(PcapLinkType.Ethernet, tags);

    public static LinkFraming LinuxCookedV1 { get; } = new(PcapLinkType.LinuxCookedV1, []);

    public static LinkFraming RawIp { get; } = new(PcapLinkType.RawIp, []);

    public byte[] Frame(ReadOnlySpan<byte> ipPacket, bool fromClient, bool ipv6)
    {
        var etherType = ipv6 ? (ushort)0x86dd : (ushort)0x0800;
        switch (LinkType)
        {
            case PcapLinkType.Ethernet:
            {
                var frame = new byte[14 + (4 * _tags.Length) + ipPacket.Length];
                (fromClient ? ServerMac : ClientMac).CopyTo(frame, 0);
                (fromClient ? ClientMac : ServerMac).CopyTo(frame, 6);
                var at = 12;
                foreach (var tag in _tags)
                {
                    BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(at), tag.Tpid);
                    BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(at + 2), (ushort)(tag.VlanId & 0x0fff));
                    at += 4;
                }
                BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(at), etherType);
                ipPacket.CopyTo(frame.AsSpan(at + 2));
                return frame;
            }
            case PcapLinkType.LinuxCookedV1:
            {
                // Captured on the miner: its own packets are "outgoing" (4), the pool's are
                // "to us" (0); the address is the sender's MAC.
                var frame = new byte[16 + ipPacket.Length];
                BinaryPrimitives.WriteUInt16BigEndian(frame, fromClient ? (ushort)4 : (ushort)0);
                BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(2), 1); // ARPHRD_ETHER
                BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(4), 6);
                (fromClient ? ClientMac : ServerMac).CopyTo(frame, 6);
                BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(14), etherType);
                ipPacket.CopyTo(frame.AsSpan(16));
                return frame;
            }
            default:
                return ipPacket.ToArray();
        }
    }
}
