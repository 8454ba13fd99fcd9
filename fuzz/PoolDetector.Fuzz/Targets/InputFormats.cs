using System.Buffers.Binary;
using PoolDetector.Core.Decoding;

namespace PoolDetector.Fuzz.Targets;

/// <summary>One chunk of a conversation: which side sent it, and its bytes.</summary>
internal readonly record struct Chunk(bool FromServer, byte[] Data);

/// <summary>One frame of a frame sequence: its link type and capture time are the sequence's.</summary>
internal readonly record struct TimedFrame(long Micros, byte[] Bytes);

/// <summary>
/// The byte layouts the targets read their input in, and write their seeds in. Every layout
/// accepts every byte string (a length running past the end is clipped), so no mutation is
/// wasted on a rejection by the harness itself.
/// </summary>
internal static class InputFormats
{
    /// <summary>Capture time of the first frame: a fixed instant, so runs are reproducible.</summary>
    public const long StartMicros = 1_790_000_000_000_000;

    /// <summary>The link types the decoder supports, in a fixed order: a frame's first byte picks one.</summary>
    public static readonly LinkType[] LinkTypes = Enum.GetValues<LinkType>();

    private const int ServerBit = 0x8000;
    private const int MaxChunk = 0x7FFF;

    /// <summary>
    /// A conversation: chunks of [u16 big-endian: top bit set = server to client, low 15 bits =
    /// length][bytes]. Each chunk becomes one TCP segment (or one datagram), so the fuzzer also
    /// chooses where messages are cut.
    /// </summary>
    public static List<Chunk> ReadConversation(ReadOnlySpan<byte> input)
    {
        var chunks = new List<Chunk>();
        while (input.Length >= 2)
        {
            var header = BinaryPrimitives.ReadUInt16BigEndian(input);
            var length = Math.Min(header & MaxChunk, input.Length - 2);
            chunks.Add(new Chunk((header & ServerBit) != 0, input.Slice(2, length).ToArray()));
            input = input[(2 + length)..];
        }
        return chunks;
    }

    public static byte[] WriteConversation(IEnumerable<Chunk> chunks)
    {
        using var output = new MemoryStream();
        Span<byte> header = stackalloc byte[2];
        foreach (var chunk in chunks)
        {
            for (var offset = 0; offset < chunk.Data.Length || (offset == 0 && chunk.Data.Length == 0); offset += MaxChunk)
            {
                var length = Math.Min(MaxChunk, chunk.Data.Length - offset);
                BinaryPrimitives.WriteUInt16BigEndian(header, (ushort)((chunk.FromServer ? ServerBit : 0) | length));
                output.Write(header);
                output.Write(chunk.Data, offset, length);
                if (chunk.Data.Length == 0)
                {
                    break;
                }
            }
        }
        return output.ToArray();
    }

    /// <summary>
    /// A frame sequence: [link type index][frames of [u16 length][u16 milliseconds since the
    /// previous frame][bytes]]. Time moves forward only by what the input says, so expiry and
    /// the out-of-order timeout are reachable.
    /// </summary>
    public static (LinkType Link, List<TimedFrame> Frames) ReadFrameSequence(ReadOnlySpan<byte> input)
    {
        var frames = new List<TimedFrame>();
        if (input.IsEmpty)
        {
            return (LinkType.Ethernet, frames);
        }
        var link = LinkTypes[input[0] % LinkTypes.Length];
        input = input[1..];
        var micros = StartMicros;
        while (input.Length >= 4)
        {
            var length = Math.Min(BinaryPrimitives.ReadUInt16BigEndian(input), input.Length - 4);
            micros += BinaryPrimitives.ReadUInt16BigEndian(input[2..]) * 1000L;
            frames.Add(new TimedFrame(micros, input.Slice(4, length).ToArray()));
            input = input[(4 + length)..];
        }
        return (link, frames);
    }

    public static byte[] WriteFrameSequence(LinkType link, IEnumerable<TimedFrame> frames)
    {
        using var output = new MemoryStream();
        output.WriteByte((byte)Array.IndexOf(LinkTypes, link));
        Span<byte> header = stackalloc byte[4];
        long? previous = null;
        foreach (var frame in frames)
        {
            var length = Math.Min(frame.Bytes.Length, ushort.MaxValue);
            var delta = previous is { } p ? Math.Clamp((frame.Micros - p) / 1000, 0, ushort.MaxValue) : 0;
            previous = frame.Micros;
            BinaryPrimitives.WriteUInt16BigEndian(header, (ushort)length);
            BinaryPrimitives.WriteUInt16BigEndian(header[2..], (ushort)delta);
            output.Write(header);
            output.Write(frame.Bytes, 0, length);
        }
        return output.ToArray();
    }

    /// <summary>The decoder's input: [link type index][one frame].</summary>
    public static byte[] WriteFrame(LinkType link, ReadOnlySpan<byte> frame)
    {
        var bytes = new byte[1 + frame.Length];
        bytes[0] = (byte)Array.IndexOf(LinkTypes, link);
        frame.CopyTo(bytes.AsSpan(1));
        return bytes;
    }
}
