using PoolDetector.Core.Protocols.Dns;
using static PoolDetector.Core.Tests.Protocols.Dns.DnsTestKit;

namespace PoolDetector.Core.Tests.Protocols.Dns;

/// <summary>Compression pointers and the length limits of RFC 1035 section 3.1.</summary>
public class DnsNameTests
{
    private static DnsParseStatus ParseQuestion(byte[] nameAndRest, int questions = 1) =>
        RecordingHandler.Parse(Concat(Header(0x0100, questions), nameAndRest)).Status;

    [Fact]
    public void Reads_a_name_through_a_pointer_into_the_caller_buffer()
    {
        var message = Hex(CoinhiveAnswer);
        Span<char> buffer = stackalloc char[DnsName.MaxTextLength];

        // The first answer's owner is the pointer c00c at offset 30.
        var status = DnsName.Read(message, 30, buffer, out var written, out var next);

        Assert.Equal(DnsParseStatus.Ok, status);
        Assert.Equal("coinhive.com", buffer[..written].ToString());
        Assert.Equal(32, next);
    }

    [Fact]
    public void A_buffer_too_small_for_the_name_is_name_too_long()
    {
        var message = Hex(CoinhiveQuery);
        Span<char> buffer = stackalloc char[11];

        Assert.Equal(DnsParseStatus.NameTooLong, DnsName.Read(message, 12, buffer, out _, out _));
    }

    [Fact]
    public void A_pointer_to_itself_is_a_loop() =>
        Assert.Equal(DnsParseStatus.CompressionLoop, ParseQuestion(Concat(Pointer(12), Question())));

    [Fact]
    public void Two_pointers_aiming_at_each_other_are_a_loop() =>
        Assert.Equal(DnsParseStatus.CompressionLoop, ParseQuestion(Concat(Pointer(14), Pointer(12), Question())));

    [Fact]
    public void A_label_then_a_pointer_back_to_it_is_a_loop() =>
        Assert.Equal(DnsParseStatus.CompressionLoop, ParseQuestion(Concat([3, (byte)'a', (byte)'b', (byte)'c'], Pointer(12), Question())));

    [Theory]
    [InlineData(DnsName.MaxPointerJumps, DnsParseStatus.Ok)]
    [InlineData(DnsName.MaxPointerJumps + 1, DnsParseStatus.CompressionLoop)]
    public void Pointer_chains_are_bounded(int jumps, DnsParseStatus expected)
    {
        // The question name is a pointer to a chain of pointers, each aiming at the next, ending in a real name.
        var chainStart = 12 + 2 + 4;
        var parts = new List<byte[]> { Header(0x0100, 1), Pointer(chainStart), Question() };
        for (var i = 1; i < jumps; i++)
        {
            parts.Add(Pointer(chainStart + 2 * i));
        }
        parts.Add(Name("pool", "example"));

        var (status, _, events) = RecordingHandler.Parse(Concat([.. parts]));

        Assert.Equal(expected, status);
        if (expected == DnsParseStatus.Ok)
        {
            Assert.Equal(["Q pool.example 1 1"], events);
        }
    }

    [Fact]
    public void A_pointer_past_the_end_is_rejected()
    {
        var message = Concat(Header(0x0100, 1), Pointer(200), Question());
        Assert.Equal(DnsParseStatus.BadPointer, RecordingHandler.Parse(message).Status);

        var atEnd = Concat(Header(0x0100, 1), Pointer(18), Question());
        Assert.Equal(DnsParseStatus.BadPointer, RecordingHandler.Parse(atEnd).Status);

        var maximum = Concat(Header(0x0100, 1), [0xFF, 0xFF], Question());
        Assert.Equal(DnsParseStatus.BadPointer, RecordingHandler.Parse(maximum).Status);
    }

    [Fact]
    public void A_forward_pointer_inside_the_message_is_followed()
    {
        // Question name at 12 points at 18, just past the question, where the name itself lies.
        var message = Concat(Header(0x0100, 1), Pointer(18), Question(), Name("pool", "example"));

        var (status, _, events) = RecordingHandler.Parse(message);

        Assert.Equal(DnsParseStatus.Ok, status);
        Assert.Equal(["Q pool.example 1 1"], events);
    }

    [Fact]
    public void A_pointer_cut_after_its_first_byte_is_truncated() =>
        Assert.Equal(DnsParseStatus.Truncated, DnsName.Read(Concat(Header(0x0100, 1), [0xC0]), 12, new char[253], out _, out _));

    [Theory]
    [InlineData(63, DnsParseStatus.Ok)]
    [InlineData(64, DnsParseStatus.BadLabel)]
    [InlineData(0x80, DnsParseStatus.BadLabel)]
    public void Labels_are_at_most_63_bytes(int length, DnsParseStatus expected)
    {
        var label = Concat([(byte)length], Enumerable.Repeat((byte)'x', length).ToArray(), [0]);

        var (status, _, events) = RecordingHandler.Parse(Concat(Header(0x0100, 1), label, Question()));

        Assert.Equal(expected, status);
        if (expected == DnsParseStatus.Ok)
        {
            Assert.Equal($"Q {new string('x', 63)} 1 1", Assert.Single(events));
        }
    }

    [Theory]
    [InlineData(61, DnsParseStatus.Ok)] // 3 x (1 + 63) + (1 + 61) + 1 = 255 bytes
    [InlineData(62, DnsParseStatus.NameTooLong)] // 256 bytes
    public void Names_are_at_most_255_bytes(int lastLabel, DnsParseStatus expected)
    {
        var labels = new[] { new string('a', 63), new string('b', 63), new string('c', 63), new string('d', lastLabel) };
        var name = Name(labels);

        var (status, _, events) = RecordingHandler.Parse(Concat(Header(0x0100, 1), name, Question()));

        Assert.Equal(expected, status);
        if (expected == DnsParseStatus.Ok)
        {
            Assert.Equal(255, name.Length);
            var text = string.Join('.', labels);
            Assert.Equal(DnsName.MaxTextLength, text.Length);
            Assert.Equal($"Q {text} 1 1", Assert.Single(events));
        }
    }

    [Fact]
    public void A_name_too_long_only_through_pointers_is_rejected()
    {
        // Each name is short on the wire but, followed through its pointer, longer than 255 bytes.
        var first = Name(new string('a', 63), new string('b', 63), new string('c', 63));
        var second = Concat([63, .. Enumerable.Repeat((byte)'d', 63)], Pointer(12));
        var message = Concat(Header(0x0100, 2), first, Question(), second, Question());

        Assert.Equal(DnsParseStatus.NameTooLong, RecordingHandler.Parse(message).Status);
    }

    [Theory]
    [InlineData(DnsName.MaxLabels, DnsParseStatus.Ok)]
    [InlineData(DnsName.MaxLabels + 1, DnsParseStatus.TooManyLabels)]
    public void Labels_are_counted(int count, DnsParseStatus expected)
    {
        var name = Name([.. Enumerable.Repeat("x", count)]);

        Assert.Equal(expected, ParseQuestion(Concat(name, Question())));
    }
}
