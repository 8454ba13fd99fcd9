namespace PoolDetector.Core.Protocols.Dns;

/// <summary>
/// Reads a domain name in wire form, following compression pointers (RFC 1035 section 4.1.4),
/// into a caller's buffer as lower-case dotted text without the trailing dot; the root is the empty name.
/// </summary>
/// <remarks>
/// Pointers may aim forward as well as back (the RFC says "prior", but real encoders do not
/// always obey and nothing is gained by rejecting them) as long as they land inside the message;
/// loops, however built, end at <see cref="MaxPointerJumps"/>, so a name costs at most
/// 255 label bytes plus 32 jumps whatever the input.
/// Bytes that cannot appear in a host name (controls, space, non-ASCII, and a '.' inside a
/// label) become '?': the text is for matching against pool lists, and a label like
/// "pool.example\0" must never read as the name "pool.example".
/// </remarks>
public static class DnsName
{
    /// <summary>RFC 1035 section 3.1: length bytes, labels and the root byte together.</summary>
    public const int MaxWireLength = 255;

    /// <summary>The longest dotted text a valid name produces (255 minus the first length byte and the root byte).</summary>
    public const int MaxTextLength = 253;

    public const int MaxPointerJumps = 32;

    /// <summary>The most labels a 255-byte name can hold (one-byte labels).</summary>
    public const int MaxLabels = 127;

    private const byte PointerMask = 0xC0;
    private const byte MaxLabelLength = 63;

    /// <summary>
    /// Decodes the name at <paramref name="offset"/>. <paramref name="next"/> is where the record
    /// continues after it: past the root byte, or past the first pointer.
    /// </summary>
    public static DnsParseStatus Read(ReadOnlySpan<byte> message, int offset, Span<char> destination, out int written, out int next)
    {
        written = 0;
        next = -1;
        var position = offset;
        var jumps = 0;
        var labels = 0;
        var wireLength = 0;
        while (true)
        {
            if ((uint)position >= (uint)message.Length)
            {
                return DnsParseStatus.Truncated;
            }
            var length = message[position];
            if ((length & PointerMask) == PointerMask)
            {
                if (position + 1 >= message.Length)
                {
                    return DnsParseStatus.Truncated;
                }
                if (next < 0)
                {
                    next = position + 2;
                }
                if (++jumps > MaxPointerJumps)
                {
                    return DnsParseStatus.CompressionLoop;
                }
                var target = ((length & ~PointerMask) << 8) | message[position + 1];
                if (target >= message.Length)
                {
                    return DnsParseStatus.BadPointer;
                }
                position = target;
                continue;
            }
            if (length > MaxLabelLength)
            {
                // 01 and 10 prefixes: RFC 2673 bit-string and RFC 6891 extended labels, both dead.
                return DnsParseStatus.BadLabel;
            }
            if (length == 0)
            {
                if (next < 0)
                {
                    next = position + 1;
                }
                return DnsParseStatus.Ok;
            }
            if (++labels > MaxLabels)
            {
                return DnsParseStatus.TooManyLabels;
            }
            wireLength += 1 + length;
            // The root byte still has to fit.
            if (wireLength + 1 > MaxWireLength)
            {
                return DnsParseStatus.NameTooLong;
            }
            if (position + 1 + length > message.Length)
            {
                return DnsParseStatus.Truncated;
            }
            var needed = (written > 0 ? 1 : 0) + length;
            if (written + needed > destination.Length)
            {
                return DnsParseStatus.NameTooLong;
            }
            if (written > 0)
            {
                destination[written++] = '.';
            }
            var label = message.Slice(position + 1, length);
            for (var i = 0; i < label.Length; i++)
            {
                destination[written++] = ToNameChar(label[i]);
            }
            position += 1 + length;
        }
    }

    private static char ToNameChar(byte value) => value switch
    {
        >= (byte)'A' and <= (byte)'Z' => (char)(value + ('a' - 'A')),
        (byte)'.' => '?',
        > 0x20 and < 0x7F => (char)value,
        _ => '?',
    };
}
