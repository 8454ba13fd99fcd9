using System.Buffers.Binary;

namespace PoolDetector.Core.Protocols.Dns;

/// <summary>The fixed 12-byte header of a DNS message (RFC 1035 section 4.1.1).</summary>
public readonly struct DnsHeader
{
    public const int Length = 12;

    public readonly ushort Id;
    /// <summary>The raw flags word: QR, opcode, AA, TC, RD, RA, Z, rcode.</summary>
    public readonly ushort Flags;
    public readonly ushort QuestionCount;
    public readonly ushort AnswerCount;
    public readonly ushort AuthorityCount;
    public readonly ushort AdditionalCount;

    public DnsHeader(ushort id, ushort flags, ushort questionCount, ushort answerCount, ushort authorityCount, ushort additionalCount)
    {
        Id = id;
        Flags = flags;
        QuestionCount = questionCount;
        AnswerCount = answerCount;
        AuthorityCount = authorityCount;
        AdditionalCount = additionalCount;
    }

    /// <summary>Reads the header; the caller has checked that <paramref name="message"/> holds at least <see cref="Length"/> bytes.</summary>
    internal static DnsHeader Read(ReadOnlySpan<byte> message) => new(
        BinaryPrimitives.ReadUInt16BigEndian(message),
        BinaryPrimitives.ReadUInt16BigEndian(message[2..]),
        BinaryPrimitives.ReadUInt16BigEndian(message[4..]),
        BinaryPrimitives.ReadUInt16BigEndian(message[6..]),
        BinaryPrimitives.ReadUInt16BigEndian(message[8..]),
        BinaryPrimitives.ReadUInt16BigEndian(message[10..]));

    /// <summary>QR: the message is a response.</summary>
    public bool IsResponse => (Flags & 0x8000) != 0;

    /// <summary>0 query, 1 inverse query, 2 status, 4 notify, 5 update.</summary>
    public int Opcode => (Flags >> 11) & 0xF;

    public bool IsAuthoritative => (Flags & 0x0400) != 0;

    /// <summary>TC: a UDP answer cut to fit; the full answer comes over TCP.</summary>
    public bool IsTruncated => (Flags & 0x0200) != 0;

    public bool RecursionDesired => (Flags & 0x0100) != 0;

    public bool RecursionAvailable => (Flags & 0x0080) != 0;

    /// <summary>0 no error, 2 server failure, 3 name error (NXDOMAIN), 5 refused.</summary>
    public int Rcode => Flags & 0xF;
}
