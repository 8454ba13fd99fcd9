using PoolDetector.Core.Protocols.Dns;
using static PoolDetector.Core.Tests.Protocols.Dns.DnsTestKit;

namespace PoolDetector.Core.Tests.Protocols.Dns;

public class DnsTcpFramingTests
{
    [Fact]
    public void Takes_back_to_back_messages_off_a_stream()
    {
        var query = Hex(CoinhiveQuery);
        var answer = Hex(WwwSupportXmrA);
        var stream = Concat(Frame(query), Frame(answer), [0x00]);
        var events = new List<string>();

        var offset = 0;
        DnsTcpFrameStatus status;
        while ((status = DnsTcpFraming.TryRead(stream.AsSpan(offset), out var message, out var consumed)) == DnsTcpFrameStatus.Complete)
        {
            var (parsed, _, heard) = RecordingHandler.Parse(message);
            Assert.Equal(DnsParseStatus.Ok, parsed);
            events.AddRange(heard);
            offset += consumed;
        }

        Assert.Equal(DnsTcpFrameStatus.NeedMore, status);
        Assert.Equal(stream.Length - 1, offset);
        Assert.Equal("Q coinhive.com 1 1", events[0]);
        Assert.Contains("ADDR www.supportxmr.com.cdn.cloudflare.net 104.20.123.34 115", events);
    }

    [Fact]
    public void Waits_for_the_whole_message()
    {
        var framed = Frame(Hex(CoinhiveAnswer));
        for (var length = 0; length < framed.Length; length++)
        {
            Assert.Equal(DnsTcpFrameStatus.NeedMore, DnsTcpFraming.TryRead(framed.AsSpan(0, length), out var message, out var consumed));
            Assert.True(message.IsEmpty);
            Assert.Equal(0, consumed);
        }
        Assert.Equal(DnsTcpFrameStatus.Complete, DnsTcpFraming.TryRead(framed, out var whole, out var all));
        Assert.Equal(framed.Length, all);
        Assert.Equal(framed.Length - 2, whole.Length);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(11)]
    public void A_length_shorter_than_a_header_is_not_dns(int length) =>
        Assert.Equal(DnsTcpFrameStatus.Invalid, DnsTcpFraming.TryRead([0, (byte)length, .. new byte[20]], out _, out _));
}
