using PoolDetector.Core.Decoding;
using PoolDetector.Core.Protocols.Dhcp;
using PoolDetector.Core.Tests.Decoding;
using PoolDetector.Testing;
using static PoolDetector.Core.Tests.Protocols.Dhcp.DhcpTestKit;

namespace PoolDetector.Core.Tests.Protocols.Dhcp;

public class DhcpParserTests
{
    private const string Mac = "02:00:00:00:99:17";

    /// <summary>What the parser makes of one datagram, copied out of the ref struct.</summary>
    private sealed record Parsed(DhcpParseStatus Status, DhcpKind Kind, byte Type, uint Xid, string? Mac, string? Client, string? Assigned, uint? Lease, string? Name);

    private static Parsed Parse(ReadOnlySpan<byte> data, bool v6)
    {
        var status = v6 ? DhcpParser.ParseV6(data, out var m) : DhcpParser.ParseV4(data, out m);
        return new Parsed(status, m.Kind, m.MessageType, m.TransactionId, m.ClientMac.IsNone ? null : m.ClientMac.ToString(),
            !v6 && m.ClientAddress.Low != 0 ? m.ClientAddress.ToString() : null,
            m.HasAssignedAddress ? m.AssignedAddress.ToString() : null,
            m.HasLeaseTime ? m.LeaseSeconds : null, DhcpNames.Of(m));
    }

    /// <summary>dnsmasq and ISC dhclient on a veth pair (pcaps/dhcp-then-stratum.pcap, pcaps/README.md).</summary>
    [Fact]
    public void The_recorded_exchange_reads_as_dnsmasq_and_dhclient_sent_it()
    {
        var messages = new List<Parsed>();
        foreach (var frame in CaptureCorpus.Read(Path.Combine(RepositoryPaths.Pcaps, "dhcp-then-stratum.pcap")))
        {
            Assert.Equal(DecodeStatus.Ok, PacketDecoder.Decode(LinkType.Ethernet, frame.Data, out var packet));
            var payload = frame.Data.AsSpan(packet.PayloadOffset, packet.PayloadLength);
            if (DhcpParser.IsV4Ports(packet.SourcePort, packet.DestinationPort))
            {
                messages.Add(Parse(payload, v6: false));
            }
            else if (DhcpParser.IsV6Ports(packet.SourcePort, packet.DestinationPort))
            {
                messages.Add(Parse(payload, v6: true));
            }
        }

        Assert.All(messages, m => Assert.Equal(DhcpParseStatus.Ok, m.Status));
        Assert.Equal(
        [
            // DHCPv4: DISCOVER, OFFER, REQUEST, ACK (which echoes the name), and at the end RELEASE.
            (DhcpKind.ClientRequest, (byte)1, Mac, (string?)null, (string?)null, (uint?)null, (string?)"lab-pc-17"),
            (DhcpKind.Other, 2, Mac, null, "10.99.0.116", 3600, null),
            (DhcpKind.ClientRequest, 3, Mac, null, null, null, "lab-pc-17"),
            (DhcpKind.Commit, 5, Mac, null, "10.99.0.116", 3600, "lab-pc-17"),
            // DHCPv6 (DUID-LL): Solicit, Advertise, Request, Reply with the FQDN echoed, then Release and its Reply.
            (DhcpKind.ClientRequest, 1, Mac, null, null, null, "lab-pc-17.campus.example"),
            // dnsmasq's Advertise names the host without the domain (a partial name), its Reply with it.
            (DhcpKind.Other, 2, Mac, null, "fd99::157", 3600, "lab-pc-17"),
            (DhcpKind.ClientRequest, 3, Mac, null, "fd99::157", 7500, "lab-pc-17.campus.example"),
            (DhcpKind.Commit, 7, Mac, null, "fd99::157", 3600, "lab-pc-17.campus.example"),
            // dhclient names itself in its releases too.
            (DhcpKind.Release, 7, Mac, "10.99.0.116", null, null, "lab-pc-17"),
            (DhcpKind.Release, 8, Mac, null, "fd99::157", 0, "lab-pc-17.campus.example"),
            (DhcpKind.Commit, 7, Mac, null, null, null, null),
        ],
        messages.Select(m => (m.Kind, m.Type, m.Mac, m.Client, m.Assigned, m.Lease, m.Name)).ToList());
        // A reply carries its request's transaction id: that is how a name asked for reaches the lease.
        Assert.Equal(messages[2].Xid, messages[3].Xid);
        Assert.Equal(messages[6].Xid, messages[7].Xid);
    }

    [Fact]
    public void An_ack_gives_address_lease_mac_and_name()
    {
        var ack = V4(Ack, 0x1234, "aa:bb:cc:dd:ee:01", yiaddr: "10.1.2.3", options: [LeaseTime(3600), HostName("lab-pc-17")]);
        Assert.Equal(new Parsed(DhcpParseStatus.Ok, DhcpKind.Commit, Ack, 0x1234, "aa:bb:cc:dd:ee:01", null, "10.1.2.3", 3600, "lab-pc-17"), Parse(ack, v6: false));
    }

    [Fact]
    public void The_fqdn_is_preferred_to_the_host_name_and_read_in_either_encoding()
    {
        var wire = V4(Ack, 1, Mac, "10.1.2.3", options: [LeaseTime(60), HostName("lab-pc-17"), Fqdn("lab-pc-17.physics.example.")]);
        Assert.Equal("lab-pc-17.physics.example", Parse(wire, v6: false).Name);
        // The deprecated ASCII encoding (E flag clear), as old Windows clients send it.
        var ascii = V4(Ack, 1, Mac, "10.1.2.3", options: [LeaseTime(60), Option(81, [0, 0, 0, .. "PC-17.example"u8])]);
        Assert.Equal("PC-17.example", Parse(ascii, v6: false).Name);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Option_overload_is_followed_into_file_and_sname(byte overload)
    {
        (byte, byte[])[] moved = [HostName("lab-pc-17"), LeaseTime(600)];
        var ack = V4(Ack, 7, Mac, "10.1.2.3", options: [Option(52, overload)],
            fileOptions: (overload & 1) != 0 ? moved : null, snameOptions: overload == 2 ? moved : null);
        var parsed = Parse(ack, v6: false);
        Assert.Equal(DhcpParseStatus.Ok, parsed.Status);
        Assert.Equal("lab-pc-17", parsed.Name);
        Assert.Equal(600u, parsed.Lease);
    }

    [Fact]
    public void Without_overload_the_file_field_is_not_read_as_options()
    {
        var ack = V4(Ack, 7, Mac, "10.1.2.3", options: [LeaseTime(60)], fileOptions: [HostName("not-an-option")]);
        Assert.Null(Parse(ack, v6: false).Name);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(4)]
    public void An_overload_value_other_than_1_to_3_is_malformed(byte overload)
    {
        var ack = V4(Ack, 7, Mac, "10.1.2.3", options: [Option(52, overload), LeaseTime(60)]);
        Assert.Equal(DhcpParseStatus.BadOverload, Parse(ack, v6: false).Status);
    }

    [Fact]
    public void An_overload_option_inside_the_overloaded_field_is_ignored()
    {
        var ack = V4(Ack, 7, Mac, "10.1.2.3", options: [Option(52, 1)], fileOptions: [Option(52, 2), HostName("lab-pc-17"), LeaseTime(60)],
            snameOptions: [HostName("from-sname")]);
        var parsed = Parse(ack, v6: false);
        Assert.Equal(DhcpParseStatus.Ok, parsed.Status);
        Assert.Equal("lab-pc-17", parsed.Name);
    }

    [Fact]
    public void An_option_whose_length_runs_past_the_end_is_malformed()
    {
        var ack = V4(Ack, 7, Mac, "10.1.2.3", options: [LeaseTime(60), HostName("lab-pc-17")], end: false);
        ack[^10] = 200; // host name's length byte: 200 bytes claimed, 9 there
        Assert.Equal(DhcpParseStatus.OptionPastEnd, Parse(ack, v6: false).Status);
        // Past the end of an overloaded field too.
        var overloaded = V4(Ack, 7, Mac, "10.1.2.3", options: [Option(52, 2)], snameOptions: [Option(12, new byte[60])]);
        overloaded[44 + 1] = 70;
        Assert.Equal(DhcpParseStatus.OptionPastEnd, Parse(overloaded, v6: false).Status);
    }

    [Fact]
    public void A_missing_end_option_is_tolerated()
    {
        var ack = V4(Ack, 7, Mac, "10.1.2.3", options: [LeaseTime(60), HostName("lab-pc-17")], end: false);
        Assert.Equal("lab-pc-17", Parse(ack, v6: false).Name);
    }

    [Fact]
    public void Bootp_without_the_magic_cookie_is_not_dhcp()
    {
        var ack = V4(Ack, 7, Mac, "10.1.2.3", options: [LeaseTime(60)]);
        ack[236] = 0;
        Assert.Equal(DhcpParseStatus.BadMagic, Parse(ack, v6: false).Status);
    }

    [Fact]
    public void Every_truncation_of_an_ack_is_reported_never_thrown()
    {
        var ack = V4(Ack, 7, Mac, "10.1.2.3", options: [LeaseTime(60), HostName("lab-pc-17"), Fqdn("lab-pc-17.example.")]);
        for (var length = 0; length < ack.Length; length++)
        {
            var parsed = Parse(ack.AsSpan(0, length), v6: false);
            if (length < 240)
            {
                Assert.Equal(DhcpParseStatus.Truncated, parsed.Status);
            }
            else
            {
                // Cut inside an option: past its end; cut between options: what is there, read.
                Assert.True(parsed.Status is DhcpParseStatus.OptionPastEnd or DhcpParseStatus.Ok, $"{length}: {parsed.Status}");
            }
        }
    }

    [Fact]
    public void A_dhcpv6_reply_gives_the_ia_address_its_valid_lifetime_the_duid_mac_and_the_fqdn()
    {
        var reply = V6(V6Reply, 0xABCDEF, ClientId("aa:bb:cc:dd:ee:02"), IaNa("2001:db8:10::17", 7200), V6Fqdn("lab-pc-17.campus.example."));
        Assert.Equal(new Parsed(DhcpParseStatus.Ok, DhcpKind.Commit, V6Reply, 0xABCDEF, "aa:bb:cc:dd:ee:02", null, "2001:db8:10::17", 7200, "lab-pc-17.campus.example"),
            Parse(reply, v6: true));
    }

    [Fact]
    public void An_ia_address_refused_by_a_status_code_is_not_held()
    {
        var reply = V6(V6Reply, 1, ClientId(Mac), IaNa("2001:db8:10::17", 7200, Status(2)));
        Assert.Null(Parse(reply, v6: true).Assigned);
    }

    [Fact]
    public void Relayed_messages_are_unwrapped_up_to_the_hop_limit()
    {
        var reply = V6(V6Reply, 9, ClientId(Mac), IaNa("2001:db8:10::17", 60), V6Fqdn("lab-pc-17"));
        var twice = Relay(V6RelayReply, Relay(V6RelayReply, reply));
        Assert.Equal(("2001:db8:10::17", "lab-pc-17"), (Parse(twice, v6: true).Assigned, Parse(twice, v6: true).Name));

        var deep = reply;
        for (var i = 0; i <= DhcpParser.MaxRelayDepth; i++)
        {
            deep = Relay(V6RelayReply, deep);
        }
        Assert.Equal(DhcpParseStatus.BadRelay, Parse(deep, v6: true).Status);
        // A relay message without the message it relays.
        Assert.Equal(DhcpParseStatus.BadRelay, Parse(Relay(V6RelayReply, []).AsSpan(0, 34), v6: true).Status);
    }

    [Fact]
    public void Dhcpv6_options_that_run_past_their_end_are_malformed()
    {
        var reply = V6(V6Reply, 1, ClientId(Mac), IaNa("2001:db8:10::17", 60));
        for (var length = 4; length < reply.Length; length++)
        {
            var parsed = Parse(reply.AsSpan(0, length), v6: true);
            Assert.True(parsed.Status is DhcpParseStatus.OptionPastEnd or DhcpParseStatus.Ok, $"{length}: {parsed.Status}");
        }
        // An IA_NA too short for IAID, T1 and T2; an IA address too short for its lifetimes.
        Assert.Equal(DhcpParseStatus.OptionPastEnd, Parse(V6(V6Reply, 1, V6Option(3, new byte[8])), v6: true).Status);
        Assert.Equal(DhcpParseStatus.OptionPastEnd, Parse(V6(V6Reply, 1, V6Option(3, [.. new byte[12], .. V6Option(5, new byte[20])])), v6: true).Status);
        Assert.Equal(DhcpParseStatus.Truncated, Parse([7, 0, 0], v6: true).Status);
    }

    [Fact]
    public void Random_bytes_never_throw()
    {
        var random = new Random(20_261_127);
        var buffer = new byte[600];
        for (var i = 0; i < 20_000; i++)
        {
            var length = random.Next(buffer.Length);
            random.NextBytes(buffer.AsSpan(0, length));
            if (i % 2 == 0 && length >= 240)
            {
                // Mostly valid headers, so the option walk is what gets the garbage.
                buffer[236] = 0x63; buffer[237] = 0x82; buffer[238] = 0x53; buffer[239] = 0x63;
            }
            _ = DhcpParser.ParseV4(buffer.AsSpan(0, length), out var v4);
            _ = DhcpNames.Of(v4);
            _ = DhcpParser.ParseV6(buffer.AsSpan(0, length), out var v6);
            _ = DhcpNames.Of(v6);
        }
    }

    [Theory]
    [InlineData("lab-pc-17\0", "lab-pc-17")]
    [InlineData("  lab-pc-17 ", "lab-pc-17")]
    [InlineData("lab\npc", null)]
    [InlineData("lab\u001b[31mpc", null)]
    [InlineData("", null)]
    [InlineData("\0\0", null)]
    public void Host_names_are_text_without_control_characters(string raw, string? expected)
    {
        Assert.Equal(expected, DhcpNames.FromText(System.Text.Encoding.UTF8.GetBytes(raw)));
    }

    [Fact]
    public void Wire_format_names_are_dotted_and_bad_labels_refused()
    {
        Assert.Equal("a.example", DhcpNames.FromWireFormat(WireName("a.example.")));
        Assert.Equal("lab-pc-17", DhcpNames.FromWireFormat(WireName("lab-pc-17")));
        Assert.Null(DhcpNames.FromWireFormat([0xC0, 0x0C]));            // a compression pointer
        Assert.Null(DhcpNames.FromWireFormat([5, (byte)'a', (byte)'b']));  // a label past the end
        Assert.Null(DhcpNames.FromWireFormat([3, (byte)'a', (byte)'.', (byte)'b'])); // a dot inside a label
        Assert.Null(DhcpNames.FromWireFormat([0]));
    }
}
