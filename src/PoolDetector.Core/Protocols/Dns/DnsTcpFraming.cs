using System.Buffers.Binary;

namespace PoolDetector.Core.Protocols.Dns;

public enum DnsTcpFrameStatus : byte
{
    /// <summary>A whole message is at the front of the stream.</summary>
    Complete,
    /// <summary>The length prefix or the message is not all there yet.</summary>
    NeedMore,
    /// <summary>The prefix announces fewer bytes than a DNS header: the stream is not DNS.</summary>
    Invalid,
}

/// <summary>DNS over TCP (RFC 1035 section 4.2.2, RFC 7766): each message follows a two-byte big-endian length.</summary>
public static class DnsTcpFraming
{
    public const int PrefixLength = 2;

    /// <summary>
    /// Takes the first message off a reassembled stream. <paramref name="consumed"/> is the prefix
    /// plus the message; several messages may follow one another in the same segment.
    /// </summary>
    public static DnsTcpFrameStatus TryRead(ReadOnlySpan<byte> stream, out ReadOnlySpan<byte> message, out int consumed)
    {
        message = default;
        consumed = 0;
        if (stream.Length < PrefixLength)
        {
            return DnsTcpFrameStatus.NeedMore;
        }
        int length = BinaryPrimitives.ReadUInt16BigEndian(stream);
        if (length < DnsHeader.Length)
        {
            return DnsTcpFrameStatus.Invalid;
        }
        if (stream.Length - PrefixLength < length)
        {
            return DnsTcpFrameStatus.NeedMore;
        }
        message = stream.Slice(PrefixLength, length);
        consumed = PrefixLength + length;
        return DnsTcpFrameStatus.Complete;
    }
}
