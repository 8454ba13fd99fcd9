using System.Buffers.Binary;
using System.Text;

namespace PoolDetector.Bench.Generation;

/// <summary>DNS queries and answers as a stub resolver and a recursive server send them (RFC 1035, EDNS0 per RFC 6891).</summary>
internal static class DnsMessages
{
    public const ushort TypeA = 1;
    public const ushort TypeCname = 5;
    public const ushort TypeAaaa = 28;

    /// <summary>A recursive query for <paramref name="name"/> with an EDNS0 OPT record (UDP size 1232).</summary>
    public static byte[] Query(ushort id, string name, ushort type)
    {
        var message = new byte[12 + QuestionLength(name) + 11];
        var span = message.AsSpan();
        BinaryPrimitives.WriteUInt16BigEndian(span, id);
        BinaryPrimitives.WriteUInt16BigEndian(span[2..], 0x0100); // RD
        BinaryPrimitives.WriteUInt16BigEndian(span[4..], 1);
        BinaryPrimitives.WriteUInt16BigEndian(span[10..], 1);
        var at = WriteQuestion(span, 12, name, type);
        WriteOpt(span[at..]);
        return message;
    }

    /// <summary>
    /// The answer: optionally a CNAME to <paramref name="canonical"/> first (CDNs answer that
    /// way), then the address record of <paramref name="address"/>, then OPT.
    /// </summary>
    public static byte[] Answer(ushort id, string name, ushort type, byte[] address, string? canonical, uint ttl)
    {
        var cnameLength = canonical is null ? 0 : 12 + NameLength(canonical);
        var message = new byte[12 + QuestionLength(name) + cnameLength + 12 + address.Length + 11];
        var span = message.AsSpan();
        BinaryPrimitives.WriteUInt16BigEndian(span, id);
        BinaryPrimitives.WriteUInt16BigEndian(span[2..], 0x8180); // QR, RD, RA
        BinaryPrimitives.WriteUInt16BigEndian(span[4..], 1);
        BinaryPrimitives.WriteUInt16BigEndian(span[6..], canonical is null ? (ushort)1 : (ushort)2);
        BinaryPrimitives.WriteUInt16BigEndian(span[10..], 1);
        var at = WriteQuestion(span, 12, name, type);
        ushort owner = 0xc00c; // a pointer to the question's name
        if (canonical is not null)
        {
            at = WriteRecordHeader(span, at, owner, TypeCname, ttl, (ushort)NameLength(canonical));
            var canonicalAt = at;
            at = WriteName(span, at, canonical);
            owner = (ushort)(0xc000 | canonicalAt);
        }
        at = WriteRecordHeader(span, at, owner, type, ttl, (ushort)address.Length);
        address.CopyTo(span[at..]);
        WriteOpt(span[(at + address.Length)..]);
        return message;
    }

    private static int QuestionLength(string name) => NameLength(name) + 4;

    private static int NameLength(string name) => name.Length + 2;

    private static int WriteQuestion(Span<byte> span, int at, string name, ushort type)
    {
        at = WriteName(span, at, name);
        BinaryPrimitives.WriteUInt16BigEndian(span[at..], type);
        BinaryPrimitives.WriteUInt16BigEndian(span[(at + 2)..], 1); // IN
        return at + 4;
    }

    private static int WriteName(Span<byte> span, int at, string name)
    {
        foreach (var label in name.Split('.'))
        {
            span[at++] = (byte)label.Length;
            at += Encoding.ASCII.GetBytes(label, span[at..]);
        }
        span[at++] = 0;
        return at;
    }

    private static int WriteRecordHeader(Span<byte> span, int at, ushort owner, ushort type, uint ttl, ushort dataLength)
    {
        BinaryPrimitives.WriteUInt16BigEndian(span[at..], owner);
        BinaryPrimitives.WriteUInt16BigEndian(span[(at + 2)..], type);
        BinaryPrimitives.WriteUInt16BigEndian(span[(at + 4)..], 1);
        BinaryPrimitives.WriteUInt32BigEndian(span[(at + 6)..], ttl);
        BinaryPrimitives.WriteUInt16BigEndian(span[(at + 10)..], dataLength);
        return at + 12;
    }

    private static void WriteOpt(Span<byte> span)
    {
        span[0] = 0; // root
        BinaryPrimitives.WriteUInt16BigEndian(span[1..], 41);
        BinaryPrimitives.WriteUInt16BigEndian(span[3..], 1232);
        // extended RCODE, version, flags and an empty RDATA: all zero
    }
}
