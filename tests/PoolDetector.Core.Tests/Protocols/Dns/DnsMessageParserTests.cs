using PoolDetector.Core.Protocols.Dns;
using static PoolDetector.Core.Tests.Protocols.Dns.DnsTestKit;

namespace PoolDetector.Core.Tests.Protocols.Dns;

public class DnsMessageParserTests
{
    [Fact]
    public void Reads_coinhive_query_header_and_question()
    {
        var (status, header, events) = RecordingHandler.Parse(Hex(CoinhiveQuery));

        Assert.Equal(DnsParseStatus.Ok, status);
        Assert.Equal(0xa665, header.Id);
        Assert.False(header.IsResponse);
        Assert.Equal(0, header.Opcode);
        Assert.True(header.RecursionDesired);
        Assert.Equal(1, header.QuestionCount);
        Assert.Equal(0, header.AnswerCount);
        Assert.Equal(["Q coinhive.com 1 1"], events);
    }

    [Fact]
    public void Reads_coinhive_answer_with_two_addresses_through_pointers()
    {
        var (status, header, events) = RecordingHandler.Parse(Hex(CoinhiveAnswer));

        Assert.Equal(DnsParseStatus.Ok, status);
        Assert.True(header.IsResponse);
        Assert.True(header.RecursionAvailable);
        Assert.Equal(0, header.Rcode);
        Assert.Equal(2, header.AnswerCount);
        Assert.Equal(
            ["Q coinhive.com 1 1", "ADDR coinhive.com 104.20.208.59 177", "ADDR coinhive.com 104.20.209.59 177"],
            events);
    }

    [Fact]
    public void Reads_supportxmr_pool_lookup()
    {
        Assert.Equal(["Q la01.supportxmr.com 1 1"], RecordingHandler.Parse(Hex(SupportXmrQuery)).Events);
        var (status, _, events) = RecordingHandler.Parse(Hex(SupportXmrAnswer));
        Assert.Equal(DnsParseStatus.Ok, status);
        Assert.Equal(["Q la01.supportxmr.com 1 1", "ADDR la01.supportxmr.com 192.110.160.114 90"], events);
    }

    [Fact]
    public void Authority_records_are_checked_but_not_reported()
    {
        var (status, header, events) = RecordingHandler.Parse(Hex(SupportXmrAaaaNoData));

        Assert.Equal(DnsParseStatus.Ok, status);
        Assert.Equal(1, header.AuthorityCount);
        Assert.Equal(["Q la01.supportxmr.com 28 1"], events);
    }

    [Fact]
    public void Follows_a_cname_chain_to_ipv4_addresses()
    {
        var (status, _, events) = RecordingHandler.Parse(Hex(WwwSupportXmrA));

        Assert.Equal(DnsParseStatus.Ok, status);
        Assert.Equal(
            [
                "Q www.supportxmr.com 1 1",
                "CNAME www.supportxmr.com www.supportxmr.com.cdn.cloudflare.net 115",
                "ADDR www.supportxmr.com.cdn.cloudflare.net 104.20.123.34 115",
                "ADDR www.supportxmr.com.cdn.cloudflare.net 104.20.122.34 115",
            ],
            events);
    }

    [Fact]
    public void Follows_a_cname_chain_to_ipv6_addresses()
    {
        var (status, _, events) = RecordingHandler.Parse(Hex(WwwSupportXmrAaaa));

        Assert.Equal(DnsParseStatus.Ok, status);
        Assert.Equal(
            [
                "Q www.supportxmr.com 28 1",
                "CNAME www.supportxmr.com www.supportxmr.com.cdn.cloudflare.net 115",
                "ADDR www.supportxmr.com.cdn.cloudflare.net 2400:cb00:2048:1::6814:7b22 115",
                "ADDR www.supportxmr.com.cdn.cloudflare.net 2400:cb00:2048:1::6814:7a22 115",
            ],
            events);
    }

    [Fact]
    public void Reads_benign_nxdomain_and_mx_answers()
    {
        var (status, header, events) = RecordingHandler.Parse(Hex(LongNameNxDomain));
        Assert.Equal(DnsParseStatus.Ok, status);
        Assert.Equal(3, header.Rcode);
        Assert.Equal(["Q gmr02c.16.0.fhkfhsdkfhsk.tunnel.example.com 1 1"], events);

        (status, _, events) = RecordingHandler.Parse(Hex(TunnelMxAnswer));
        Assert.Equal(DnsParseStatus.Ok, status);
        Assert.Equal(["Q 958700a621c3620001636f6e736f6c65202873697276696d65732900.skullseclabs.org 15 1"], events);
    }

    [Fact]
    public void A_longer_cname_chain_reports_every_link()
    {
        // a.pool.example -> b.cdn.example -> c.edge.example -> 10.1.2.3, each target compressed against the previous.
        var question = Name("a", "pool", "example");
        var b = Concat([1, (byte)'b', 3, (byte)'c', (byte)'d', (byte)'n'], Pointer(12 + 7));
        var cnameOne = Concat(Pointer(12), Record(DnsRecordType.Cname, 60, b));
        var bOffset = 12 + question.Length + 4 + 2 + 10;
        var c = Concat([1, (byte)'c', 4, (byte)'e', (byte)'d', (byte)'g', (byte)'e'], Pointer(12 + 7));
        var cnameTwo = Concat(Pointer(bOffset), Record(DnsRecordType.Cname, 30, c));
        var cOffset = bOffset + b.Length + 2 + 10;
        var address = Concat(Pointer(cOffset), Record(DnsRecordType.A, 20, [10, 1, 2, 3]));
        var message = Concat(Header(0x8180, 1, 3), question, Question(), cnameOne, cnameTwo, address);

        var (status, _, events) = RecordingHandler.Parse(message);

        Assert.Equal(DnsParseStatus.Ok, status);
        Assert.Equal(
            [
                "Q a.pool.example 1 1",
                "CNAME a.pool.example b.cdn.example 60",
                "CNAME b.cdn.example c.edge.example 30",
                "ADDR c.edge.example 10.1.2.3 20",
            ],
            events);
    }

    [Fact]
    public void Names_are_lower_cased_and_unprintable_bytes_masked()
    {
        var name = Concat([4, (byte)'P', (byte)'O', (byte)'O', (byte)'L', 5, (byte)'a', (byte)'.', (byte)'b', 0, 0xFF], Name("com"));
        var (status, _, events) = RecordingHandler.Parse(Concat(Header(0x0100, 1), name, Question()));

        Assert.Equal(DnsParseStatus.Ok, status);
        Assert.Equal(["Q pool.a?b??.com 1 1"], events);
    }

    [Fact]
    public void The_root_name_is_empty()
    {
        var (status, _, events) = RecordingHandler.Parse(Concat(Header(0x0100, 1), [0], Question(DnsRecordType.Ns)));

        Assert.Equal(DnsParseStatus.Ok, status);
        Assert.Equal(["Q  2 1"], events);
    }

    [Fact]
    public void Answers_inside_a_query_are_not_reported()
    {
        var message = Concat(Header(0x0100, 1, 1), Name("pool", "example"), Question(), Pointer(12), Record(DnsRecordType.A, 60, [1, 2, 3, 4]));

        var (status, _, events) = RecordingHandler.Parse(message);

        Assert.Equal(DnsParseStatus.Ok, status);
        Assert.Equal(["Q pool.example 1 1"], events);
    }

    [Fact]
    public void Records_of_other_classes_and_types_are_skipped_by_length()
    {
        var message = Concat(
            Header(0x8180, 1, 3),
            Name("pool", "example"), Question(),
            Pointer(12), Record(DnsRecordType.A, 60, [1, 2, 3], recordClass: 3),
            Pointer(12), Record(DnsRecordType.Txt, 60, [5, .. "hello"u8]),
            Pointer(12), Record(DnsRecordType.A, 60, [1, 2, 3, 4]));

        var (status, _, events) = RecordingHandler.Parse(message);

        Assert.Equal(DnsParseStatus.Ok, status);
        Assert.Equal(["Q pool.example 1 1", "ADDR pool.example 1.2.3.4 60"], events);
    }

    [Fact]
    public void A_ttl_with_the_top_bit_set_reads_as_zero()
    {
        var message = Concat(Header(0x8180, 1, 1), Name("pool", "example"), Question(), Pointer(12), Record(DnsRecordType.A, 0x80000001, [1, 2, 3, 4]));

        Assert.Contains("ADDR pool.example 1.2.3.4 0", RecordingHandler.Parse(message).Events);
    }

    [Theory]
    [InlineData(DnsRecordType.A, 5)]
    [InlineData(DnsRecordType.A, 3)]
    [InlineData(DnsRecordType.Aaaa, 4)]
    public void Rejects_addresses_of_the_wrong_length(ushort type, int length)
    {
        var message = Concat(Header(0x8180, 1, 1), Name("pool", "example"), Question(type), Pointer(12), Record(type, 60, new byte[length]));

        var (status, _, events) = RecordingHandler.Parse(message);

        Assert.Equal(DnsParseStatus.BadRecordLength, status);
        Assert.Empty(events);
    }

    [Fact]
    public void Rejects_a_cname_whose_target_overruns_its_rdata()
    {
        var target = Name("cdn", "example");
        var record = Record(DnsRecordType.Cname, 60, target);
        record[9] -= 2; // RDLENGTH two short: the name runs into the next record
        var message = Concat(Header(0x8180, 1, 1), Name("pool", "example"), Question(), Pointer(12), record);

        Assert.Equal(DnsParseStatus.BadRecordLength, RecordingHandler.Parse(message).Status);
    }

    [Fact]
    public void Nothing_is_reported_from_a_message_rejected_late()
    {
        // The first answer is fine; the second one's name loops. The handler must hear nothing.
        var message = Concat(
            Header(0x8180, 1, 2), Name("pool", "example"), Question(),
            Pointer(12), Record(DnsRecordType.A, 60, [1, 2, 3, 4]));
        var loopAt = message.Length;
        message = Concat(message, Pointer(loopAt), Record(DnsRecordType.A, 60, [5, 6, 7, 8]));

        var (status, _, events) = RecordingHandler.Parse(message);

        Assert.Equal(DnsParseStatus.CompressionLoop, status);
        Assert.Empty(events);
    }

    [Fact]
    public void Validate_agrees_with_parse()
    {
        foreach (var hex in RealMessages())
        {
            var message = Hex(hex);
            Assert.Equal(DnsParseStatus.Ok, DnsMessageParser.Validate(message, out var header));
            Assert.Equal(message[0] << 8 | message[1], header.Id);
        }
        Assert.Equal(DnsParseStatus.Truncated, DnsMessageParser.Validate(new byte[11], out _));
    }
}
