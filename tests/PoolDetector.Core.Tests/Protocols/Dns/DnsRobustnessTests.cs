using PoolDetector.Core.Protocols.Dns;
using PoolDetector.Testing;
using Xunit.Abstractions;
using static PoolDetector.Core.Tests.Protocols.Dns.DnsTestKit;

namespace PoolDetector.Core.Tests.Protocols.Dns;

/// <summary>Bad input (issue 4): bogus counts, truncation, garbage. A status every time, never an exception, bounded work.</summary>
public class DnsRobustnessTests(ITestOutputHelper output)
{
    public static TheoryData<string> Messages()
    {
        var data = new TheoryData<string>();
        foreach (var hex in RealMessages())
        {
            data.Add(hex);
        }
        return data;
    }

    [Fact]
    public void A_question_count_of_65535_in_20_bytes_stops_at_once()
    {
        var message = Concat(Header(0x0100, 0xFFFF), [1, (byte)'a', 0], Question(), [0]);
        Assert.Equal(20, message.Length);

        Assert.Equal(DnsParseStatus.BadCount, RecordingHandler.Parse(message).Status);
    }

    [Theory]
    [InlineData(0, 0xFFFF, 0, 0)]
    [InlineData(0, 0, 0xFFFF, 0)]
    [InlineData(0, 0, 0, 0xFFFF)]
    [InlineData(0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF)]
    public void Huge_counts_on_a_real_answer_are_bad_counts(int questions, int answers, int authority, int additional)
    {
        var message = Hex(CoinhiveAnswer);
        var header = Header(0x8180, questions == 0 ? 1 : questions, answers == 0 ? 2 : answers, authority, additional);
        header.CopyTo(message, 0);

        var (status, _, events) = RecordingHandler.Parse(message);

        Assert.Equal(DnsParseStatus.BadCount, status);
        Assert.Empty(events);
    }

    [Fact]
    public void One_record_more_than_the_data_holds_is_a_bad_count()
    {
        // Coinhive's answer is 60 bytes: with 3 answers claimed, the upfront check still passes (3 x 11 < 48), the walk runs out.
        var message = Hex(CoinhiveAnswer);
        message[7] = 3;

        Assert.Equal(DnsParseStatus.BadCount, RecordingHandler.Parse(message).Status);
    }

    [Theory]
    [MemberData(nameof(Messages))]
    public void Every_truncation_of_a_real_message_is_rejected_without_reading_past(string hex)
    {
        var full = Hex(hex);
        for (var length = 0; length < full.Length; length++)
        {
            // An exact-size copy: any read past the cut would throw IndexOutOfRange.
            var cut = full.AsSpan(0, length).ToArray();
            var (status, _, events) = RecordingHandler.Parse(cut);
            Assert.True(status != DnsParseStatus.Ok, $"length {length} accepted");
            Assert.Empty(events);
        }
        Assert.Equal(DnsParseStatus.Ok, RecordingHandler.Parse(full).Status);
    }

    [Fact]
    public void Random_garbage_never_throws()
    {
        var random = new Random(4);
        var seeds = RealMessages().Select(Hex).ToArray();
        var statuses = new int[Enum.GetValues<DnsParseStatus>().Length];
        var buffer = new byte[600];
        var handler = new CountingHandler();
        for (var i = 0; i < 100_000; i++)
        {
            int length;
            if (i % 2 == 0)
            {
                // Pure noise, with small counts half the time so the walk gets past the header.
                length = random.Next(0, buffer.Length);
                random.NextBytes(buffer.AsSpan(0, length));
                if (length >= 12 && i % 4 == 0)
                {
                    buffer[4] = 0;
                    buffer[5] = (byte)random.Next(0, 3);
                    buffer[6] = 0;
                    buffer[7] = (byte)random.Next(0, 4);
                    buffer[8] = 0;
                    buffer[9] = (byte)random.Next(0, 2);
                    buffer[10] = 0;
                    buffer[11] = (byte)random.Next(0, 2);
                }
            }
            else
            {
                // A real message with a few bytes changed, some of them into pointers.
                var seed = seeds[random.Next(seeds.Length)];
                length = seed.Length;
                seed.CopyTo(buffer, 0);
                var flips = random.Next(1, 5);
                for (var f = 0; f < flips; f++)
                {
                    var at = random.Next(length);
                    buffer[at] = random.Next(3) == 0 ? (byte)(0xC0 | random.Next(4)) : (byte)random.Next(256);
                }
            }
            var status = DnsMessageParser.Parse(buffer.AsSpan(0, length), ref handler, out _);
            statuses[(int)status]++;
        }
        for (var s = 0; s < statuses.Length; s++)
        {
            output.WriteLine($"{(DnsParseStatus)s}: {statuses[s]}");
        }
        output.WriteLine($"reported: {handler.Questions} questions, {handler.Addresses} addresses, {handler.Cnames} cnames");
        Assert.True(statuses[(int)DnsParseStatus.Ok] > 0);
        Assert.True(statuses[(int)DnsParseStatus.CompressionLoop] > 0);
    }

    [Fact]
    public void Parsing_allocates_nothing()
    {
        var messages = RealMessages().Select(Hex).ToList();
        messages.Add(Concat(Header(0x0100, 1), Pointer(12), Question()));
        var handler = new CountingHandler();
        ParseAll(messages, ref handler);

        var allocated = Allocations.LeastOver(3, () =>
        {
            for (var i = 0; i < 1000; i++)
            {
                ParseAll(messages, ref handler);
            }
        });

        Assert.True(handler.Addresses > 0);
        Assert.Equal(0, allocated);
    }

    private static void ParseAll(List<byte[]> messages, ref CountingHandler handler)
    {
        foreach (var message in messages)
        {
            DnsMessageParser.Parse(message, ref handler, out _);
        }
    }
}
