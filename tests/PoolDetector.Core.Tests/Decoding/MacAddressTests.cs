using PoolDetector.Core.Decoding;

namespace PoolDetector.Core.Tests.Decoding;

/// <summary>The sender's and receiver's MAC from the link layer, where it has them.</summary>
public class MacAddressTests
{
    private static FrameBuilder Udp() => FrameBuilder.Udp(68, 67, "x"u8).Ipv4("10.1.2.3", "10.1.2.1");

    [Fact]
    public void Ethernet_gives_both_macs()
    {
        var frame = Udp().Vlan(10).Ethernet("aa:bb:cc:00:00:17", "aa:bb:cc:00:00:01").Build();
        Assert.Equal(DecodeStatus.Ok, PacketDecoder.Decode(LinkType.Ethernet, frame, out var packet));
        Assert.Equal(("aa:bb:cc:00:00:17", "aa:bb:cc:00:00:01"), (packet.SourceMac.ToString(), packet.DestinationMac.ToString()));
        Assert.Equal(DecodeStatus.Ok, ReferenceDecoder.Decode(LinkType.Ethernet, frame, out var reference));
        Assert.Equal(reference, packet);
    }

    [Fact]
    public void Linux_cooked_headers_give_the_senders_ethernet_address_only()
    {
        foreach (var (linkType, frame) in new[] { (LinkType.LinuxSll, Udp().LinuxSll().Build()), (LinkType.LinuxSll2, Udp().LinuxSll2().Build()) })
        {
            Assert.Equal(DecodeStatus.Ok, PacketDecoder.Decode(linkType, frame, out var packet));
            Assert.Equal("02:00:00:00:00:00", packet.SourceMac.ToString());
            Assert.True(packet.DestinationMac.IsNone);
            Assert.Equal(DecodeStatus.Ok, ReferenceDecoder.Decode(linkType, frame, out var reference));
            Assert.Equal(reference, packet);
        }
    }

    [Fact]
    public void A_cooked_address_that_is_not_ethernet_is_no_mac()
    {
        var frame = Udp().LinuxSll().Build();
        frame[3] = 4; // ARPHRD 772, loopback
        frame[2] = 3;
        Assert.Equal(DecodeStatus.Ok, PacketDecoder.Decode(LinkType.LinuxSll, frame, out var packet));
        Assert.True(packet.SourceMac.IsNone);
    }

    [Fact]
    public void Links_without_macs_give_none()
    {
        Assert.Equal(DecodeStatus.Ok, PacketDecoder.Decode(LinkType.Raw, Udp().Build(), out var packet));
        Assert.True(packet.SourceMac.IsNone && packet.DestinationMac.IsNone);
    }

    [Theory]
    [InlineData("02:00:5e:00:53:0a")]
    [InlineData("ff:ff:ff:ff:ff:ff")]
    public void Text_round_trips(string text)
    {
        Assert.True(MacAddress.TryParse(text, out var mac));
        Assert.Equal(text, mac.ToString());
        Assert.True(MacAddress.TryParse(text.ToUpperInvariant().Replace(':', '-'), out var dashed));
        Assert.Equal(mac, dashed);
    }

    [Theory]
    [InlineData("02:00:5e:00:53")]
    [InlineData("02:00:5e:00:53:0g")]
    [InlineData("02.00.5e.00.53.0a")]
    public void Bad_text_is_refused(string text) => Assert.False(MacAddress.TryParse(text, out _));
}
