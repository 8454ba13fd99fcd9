using System.Buffers.Binary;
using PoolDetector.Core.Decoding;

namespace PoolDetector.Core.Protocols.Dns;

/// <summary>
/// Parses one DNS message (RFC 1035): a UDP payload, or a TCP message after
/// <see cref="DnsTcpFraming"/> has taken off its length prefix. Allocates nothing and never throws:
/// every malformed message yields a <see cref="DnsParseStatus"/>.
/// </summary>
/// <remarks>
/// Work is bounded by the message length, not by its counts: the counts are checked against the
/// smallest possible question (5 bytes) and record (11 bytes) before anything is read, and every
/// name is bounded by <see cref="DnsName"/>.
/// </remarks>
public static class DnsMessageParser
{
    private const int MinimumQuestionLength = 5;
    private const int MinimumRecordLength = 11;
    private const int QuestionFixedLength = 4;
    private const int RecordFixedLength = 10;
    private const int Ipv4Length = 4;
    private const int Ipv6Length = 16;

    /// <summary>Checks the whole message without reporting anything.</summary>
    public static DnsParseStatus Validate(ReadOnlySpan<byte> message, out DnsHeader header)
    {
        var handler = default(NoHandler);
        return Walk(message, ref handler, deliver: false, out header);
    }

    /// <summary>
    /// Checks the whole message, then, only if it is accepted, reports its questions and answers to
    /// <paramref name="handler"/>: a cache never learns the first half of a message whose second half is forged.
    /// </summary>
    public static DnsParseStatus Parse<THandler>(ReadOnlySpan<byte> message, ref THandler handler, out DnsHeader header)
        where THandler : IDnsRecordHandler
    {
        var status = Walk(message, ref handler, deliver: false, out header);
        return status == DnsParseStatus.Ok ? Walk(message, ref handler, deliver: true, out header) : status;
    }

    private static DnsParseStatus Walk<THandler>(ReadOnlySpan<byte> message, ref THandler handler, bool deliver, out DnsHeader header)
        where THandler : IDnsRecordHandler
    {
        header = default;
        if (message.Length < DnsHeader.Length)
        {
            return DnsParseStatus.Truncated;
        }
        header = DnsHeader.Read(message);
        var records = header.AnswerCount + header.AuthorityCount + header.AdditionalCount;
        var smallest = (long)header.QuestionCount * MinimumQuestionLength + (long)records * MinimumRecordLength;
        if (smallest > message.Length - DnsHeader.Length)
        {
            return DnsParseStatus.BadCount;
        }

        Span<char> owner = stackalloc char[DnsName.MaxTextLength];
        Span<char> target = stackalloc char[DnsName.MaxTextLength];
        var position = DnsHeader.Length;

        for (var i = 0; i < header.QuestionCount; i++)
        {
            if (position == message.Length)
            {
                return DnsParseStatus.BadCount;
            }
            var status = DnsName.Read(message, position, owner, out var ownerLength, out position);
            if (status != DnsParseStatus.Ok)
            {
                return status;
            }
            if (message.Length - position < QuestionFixedLength)
            {
                return DnsParseStatus.Truncated;
            }
            var type = BinaryPrimitives.ReadUInt16BigEndian(message[position..]);
            var questionClass = BinaryPrimitives.ReadUInt16BigEndian(message[(position + 2)..]);
            position += QuestionFixedLength;
            if (deliver)
            {
                handler.OnQuestion(owner[..ownerLength], type, questionClass);
            }
        }

        for (var i = 0; i < records; i++)
        {
            if (position == message.Length)
            {
                return DnsParseStatus.BadCount;
            }
            var status = DnsName.Read(message, position, owner, out var ownerLength, out position);
            if (status != DnsParseStatus.Ok)
            {
                return status;
            }
            if (message.Length - position < RecordFixedLength)
            {
                return DnsParseStatus.Truncated;
            }
            var type = BinaryPrimitives.ReadUInt16BigEndian(message[position..]);
            var recordClass = BinaryPrimitives.ReadUInt16BigEndian(message[(position + 2)..]);
            var ttl = BinaryPrimitives.ReadUInt32BigEndian(message[(position + 4)..]);
            int dataLength = BinaryPrimitives.ReadUInt16BigEndian(message[(position + 8)..]);
            position += RecordFixedLength;
            if (message.Length - position < dataLength)
            {
                return DnsParseStatus.Truncated;
            }
            // RFC 2181 section 8: a TTL with the top bit set is read as zero.
            if (ttl > int.MaxValue)
            {
                ttl = 0;
            }
            // Answers inside a query are whatever the sender wrote: checked, never reported.
            var report = deliver && i < header.AnswerCount && header.IsResponse;
            if (recordClass == DnsRecordType.ClassInternet)
            {
                var data = message.Slice(position, dataLength);
                switch (type)
                {
                    case DnsRecordType.A:
                        if (dataLength != Ipv4Length)
                        {
                            return DnsParseStatus.BadRecordLength;
                        }
                        if (report)
                        {
                            handler.OnAddress(owner[..ownerLength], IpAddress.FromV4(data), ttl);
                        }
                        break;
                    case DnsRecordType.Aaaa:
                        if (dataLength != Ipv6Length)
                        {
                            return DnsParseStatus.BadRecordLength;
                        }
                        if (report)
                        {
                            handler.OnAddress(owner[..ownerLength], IpAddress.FromV6(data), ttl);
                        }
                        break;
                    case DnsRecordType.Cname:
                        // The target may point anywhere in the message, so it is read from the message, not from the RDATA slice.
                        status = DnsName.Read(message, position, target, out var targetLength, out var end);
                        if (status != DnsParseStatus.Ok)
                        {
                            return status == DnsParseStatus.Truncated ? DnsParseStatus.BadRecordLength : status;
                        }
                        if (end != position + dataLength)
                        {
                            return DnsParseStatus.BadRecordLength;
                        }
                        if (report)
                        {
                            handler.OnCname(owner[..ownerLength], target[..targetLength], ttl);
                        }
                        break;
                }
            }
            position += dataLength;
        }
        return DnsParseStatus.Ok;
    }

    private struct NoHandler : IDnsRecordHandler
    {
        public readonly void OnQuestion(ReadOnlySpan<char> name, ushort type, ushort questionClass)
        {
        }

        public readonly void OnAddress(ReadOnlySpan<char> owner, IpAddress address, uint ttl)
        {
        }

        public readonly void OnCname(ReadOnlySpan<char> owner, ReadOnlySpan<char> target, uint ttl)
        {
        }
    }
}
