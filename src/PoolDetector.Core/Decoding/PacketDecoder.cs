namespace PoolDetector.Core.Decoding;

/// <summary>
/// The engine's span-based decoder: link layer (Ethernet, 802.1Q/QinQ, Linux cooked v1/v2,
/// raw IP, BSD loopback), IPv4/IPv6 (extension headers), TCP and UDP, without allocating.
/// Checksums are never verified: offloaded captures carry wrong ones as a matter of course.
/// </summary>
public static class PacketDecoder
{
    public static DecodeStatus Decode(LinkType linkType, ReadOnlySpan<byte> frame, out DecodedPacket packet)
    {
        packet = default;
        _ = linkType;
        _ = frame;
        throw new NotImplementedException("Decoding is being written.");
    }
}
