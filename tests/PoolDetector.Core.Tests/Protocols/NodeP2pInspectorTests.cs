using System.Buffers.Binary;
using System.Text;
using PoolDetector.Core.Detection;
using PoolDetector.Core.Protocols.NodeP2p;
using PoolDetector.Testing;

namespace PoolDetector.Core.Tests.Protocols;

public class NodeP2pInspectorTests
{
    /// <summary>A Bitcoin message header: magic (as written on the wire), NUL-padded command, length, checksum.</summary>
    private static byte[] BitcoinHeader(uint magic, string command, uint length = 0x55, int extra = 16)
    {
        var frame = new byte[NodeP2pInspector.BitcoinHeaderBytes + extra];
        BinaryPrimitives.WriteUInt32BigEndian(frame, magic);
        Encoding.ASCII.GetBytes(command).CopyTo(frame, 4);
        BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(16), length);
        BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(20), 0x9c7c0000);
        return frame;
    }

    /// <summary>A levin header as monerod sends it: request 1001 (handshake) from the client, its response from the server.</summary>
    private static byte[] LevinHeader(bool request, uint command = 1001, ulong bodyLength = 0x106)
    {
        var frame = new byte[NodeP2pInspector.LevinHeaderBytes + 8];
        BinaryPrimitives.WriteUInt64LittleEndian(frame, NodeP2pInspector.LevinSignature);
        BinaryPrimitives.WriteUInt64LittleEndian(frame.AsSpan(8), bodyLength);
        frame[16] = request ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(17), command);
        BinaryPrimitives.WriteInt32LittleEndian(frame.AsSpan(21), request ? 0 : 1);
        BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(25), request ? 1u : 2u);
        BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(29), 1);
        return frame;
    }

    // From ndpi/nano.pcapng: 'R' 'C' (live), versions 20/20/18, node_id_handshake, extensions.
    private static readonly byte[] NanoHandshake = Convert.FromHexString("52431414120a0500f0269f5e0110da0f");

    [Theory]
    [InlineData(0xf9beb4d9u, "bitcoin")]
    [InlineData(0x0b110907u, "bitcoin-testnet3")]
    [InlineData(0x1c163f28u, "bitcoin-testnet4")]
    [InlineData(0x0a03cf40u, "bitcoin-signet")]
    [InlineData(0xfabfb5dau, "bitcoin-regtest")]
    [InlineData(0xfbc0b6dbu, "litecoin")]
    [InlineData(0xc0c0c0c0u, "dogecoin")]
    [InlineData(0xe3e1f3e8u, "bitcoin-cash")]
    public void Recognises_bitcoin_family_headers(uint magic, string network)
    {
        Assert.True(NodeP2pInspector.TryRead(BitcoinHeader(magic, "version"), out var message));
        Assert.Equal(NodeProtocol.Bitcoin, message.Protocol);
        Assert.Equal(magic, message.Magic);
        Assert.Equal("version", message.BitcoinCommandText());
        Assert.Equal(network, NodeP2pInspector.BitcoinNetwork(magic));
    }

    [Theory]
    [InlineData("verack", 0u)]
    [InlineData("wtxidrelay", 0u)]
    [InlineData("sendcmpct", 9u)]
    [InlineData("inv", 37u)]
    [InlineData("getheaders", 1061u)]
    [InlineData("block", 0x0200_0000u)]
    public void Accepts_plausible_bitcoin_commands(string command, uint length)
    {
        Assert.True(NodeP2pInspector.TryRead(BitcoinHeader(0xf9beb4d9, command, length), out var message));
        Assert.Equal(command, message.BitcoinCommandText());
    }

    [Theory]
    [InlineData("", 0u)]                 // no command
    [InlineData("Version", 0u)]          // not lowercase
    [InlineData("ver sion", 0u)]         // space inside
    [InlineData("version", 0x0200_0001u)] // longer than MAX_SIZE
    [InlineData("get-data", 0u)]         // punctuation
    public void Rejects_implausible_bitcoin_headers(string command, uint length)
    {
        Assert.False(NodeP2pInspector.TryRead(BitcoinHeader(0xf9beb4d9, command, length), out _));
    }

    [Fact]
    public void A_twelve_letter_command_needs_no_padding()
    {
        Assert.True(NodeP2pInspector.TryRead(BitcoinHeader(0xf9beb4d9, "abcdefghijkl"), out var message));
        Assert.Equal("abcdefghijkl", message.BitcoinCommandText());
    }

    [Fact]
    public void Rejects_garbage_after_the_command_padding()
    {
        var frame = BitcoinHeader(0xf9beb4d9, "version");
        frame[14] = (byte)'x';
        Assert.False(NodeP2pInspector.TryRead(frame, out _));
    }

    [Fact]
    public void Rejects_unknown_magic()
    {
        Assert.False(NodeP2pInspector.TryRead(BitcoinHeader(0xf9beb4da, "version"), out _));
    }

    [Fact]
    public void Recognises_levin_request_and_response()
    {
        Assert.True(NodeP2pInspector.TryRead(LevinHeader(request: true), out var request));
        Assert.Equal(NodeProtocol.Levin, request.Protocol);
        Assert.Equal(1001u, request.Command);
        Assert.True(NodeP2pInspector.TryRead(LevinHeader(request: false), out var response));
        Assert.Equal(1001u, response.Command);
        Assert.True(NodeP2pInspector.TryRead(LevinHeader(request: true, command: 2008), out var fluffy));
        Assert.Equal(2008u, fluffy.Command);
    }

    [Theory]
    [InlineData(999u, 0x106ul)]
    [InlineData(3001u, 0x106ul)]
    [InlineData(1001u, 100_000_001ul)]
    public void Rejects_implausible_levin_headers(uint command, ulong bodyLength)
    {
        Assert.False(NodeP2pInspector.TryRead(LevinHeader(request: true, command, bodyLength), out _));
    }

    [Fact]
    public void Rejects_levin_with_a_wrong_signature_byte()
    {
        var frame = LevinHeader(request: true);
        frame[1] = 0x22;
        Assert.False(NodeP2pInspector.TryRead(frame, out _));
    }

    [Fact]
    public void Recognises_the_nano_header_from_the_capture()
    {
        Assert.True(NodeP2pInspector.TryRead(NanoHandshake, out var message));
        Assert.Equal(NodeProtocol.Nano, message.Protocol);
        Assert.Equal("live", NodeP2pInspector.NanoNetwork(message.Magic));
        Assert.Equal("node_id_handshake", NodeP2pInspector.NanoMessageType(message.Command));
    }

    [Theory]
    [InlineData("52491414120a0500")] // 'RI': no such network
    [InlineData("52431214140a0500")] // using below minimum
    [InlineData("52431414120a")]     // truncated
    [InlineData("52431414127f0500")] // unknown message type
    [InlineData("52431414000a0500")] // minimum version 0
    public void Rejects_implausible_nano_headers(string hex)
    {
        Assert.False(NodeP2pInspector.TryRead(Convert.FromHexString(hex), out _));
    }

    [Fact]
    public void Truncated_headers_never_match()
    {
        foreach (var frame in new[] { BitcoinHeader(0xf9beb4d9, "version", extra: 0), LevinHeader(request: true), NanoHandshake })
        {
            var full = frame.Length;
            for (var length = 0; length < Math.Min(full, NodeP2pInspector.LevinHeaderBytes); length++)
            {
                var expected = frame[0] == (byte)'R' ? length >= NodeP2pInspector.NanoHeaderBytes : false;
                Assert.Equal(expected, NodeP2pInspector.TryRead(frame.AsSpan(0, length), out _));
            }
        }
    }

    [Theory]
    [InlineData("{\"id\":1,\"method\":\"mining.subscribe\",\"params\":[\"cgminer/4.10.0\"]}\n")]
    [InlineData("{\"id\":1,\"jsonrpc\":\"2.0\",\"method\":\"login\",\"params\":{\"login\":\"4A\",\"pass\":\"x\",\"agent\":\"XMRig/6.21.0\"}}\n")]
    [InlineData("POST / HTTP/1.1\r\nHost: pool\r\nContent-Length: 2\r\n\r\n{}")]
    [InlineData("RCPT TO:<a@example.org>\r\n")]
    public void Text_first_packets_never_match(string text)
    {
        Assert.False(NodeP2pInspector.TryRead(Encoding.ASCII.GetBytes(text), out _));
    }

    [Fact]
    public void A_tls_client_hello_never_matches()
    {
        var hello = Convert.FromHexString("160301020001000" + "1fc0303" + new string('a', 64) + "20" + new string('b', 64));
        Assert.False(NodeP2pInspector.TryRead(hello, out _));
    }

    [Fact]
    public void Random_binary_never_matches()
    {
        var random = new Random(4);
        var buffer = new byte[64];
        for (var i = 0; i < 200_000; i++)
        {
            random.NextBytes(buffer);
            Assert.False(NodeP2pInspector.TryRead(buffer, out _), Convert.ToHexString(buffer));
        }
    }

    [Fact]
    public void Allocates_nothing()
    {
        var frames = new[] { BitcoinHeader(0xf9beb4d9, "version"), LevinHeader(request: true), NanoHandshake, new byte[64] };
        var state = new NodeP2pState();
        state.OnFirstPayload(0, frames[0], 1);
        Assert.Equal(0, Allocations.LeastOver(3, () =>
        {
            for (var i = 0; i < 1000; i++)
            {
                foreach (var frame in frames)
                {
                    _ = NodeP2pInspector.TryRead(frame, out _);
                    state.OnFirstPayload(i & 1, frame, i + 1);
                }
            }
        }));
    }

    [Fact]
    public void Both_directions_with_the_same_magic_confirm()
    {
        var state = new NodeP2pState();
        state.OnFirstPayload(0, BitcoinHeader(0xf9beb4d9, "version"), 10);
        Assert.Equal(NodeProtocol.Bitcoin, state.Protocol);
        Assert.False(state.Confirmed);
        state.OnFirstPayload(1, BitcoinHeader(0xf9beb4d9, "version"), 20);
        Assert.True(state.Confirmed);
        Assert.Equal(10, state.FirstSeenMicros);
        Assert.Equal(["bitcoin-magic:f9beb4d9", "bitcoin-network:bitcoin", "bitcoin-command:version", "peer-answered"], Verdict.DescribeNode(state));
    }

    [Fact]
    public void A_peer_on_another_network_does_not_confirm()
    {
        var state = new NodeP2pState();
        state.OnFirstPayload(0, BitcoinHeader(0xf9beb4d9, "version"), 10);
        state.OnFirstPayload(1, BitcoinHeader(0x0b110907, "version"), 20);
        Assert.False(state.Confirmed);
    }

    [Fact]
    public void Levin_and_nano_evidence_read_as_in_the_event()
    {
        var levin = new NodeP2pState();
        levin.OnFirstPayload(0, LevinHeader(request: true), 1);
        levin.OnFirstPayload(1, LevinHeader(request: false), 2);
        Assert.Equal(["levin-signature", "levin-command:1001", "peer-answered"], Verdict.DescribeNode(levin));
        Assert.Equal("monero-levin", Verdict.NodeDialect(levin.Protocol));

        var nano = new NodeP2pState();
        nano.OnFirstPayload(1, NanoHandshake, 1);
        Assert.False(nano.Confirmed);
        Assert.Equal(["nano-magic:RC", "nano-network:live", "nano-message:node_id_handshake"], Verdict.DescribeNode(nano));
        Assert.Equal("nano-node", Verdict.NodeDialect(nano.Protocol));
    }

    [Fact]
    public void Reset_forgets_everything()
    {
        var state = new NodeP2pState();
        state.OnFirstPayload(0, NanoHandshake, 5);
        state.Reset();
        Assert.Equal(NodeProtocol.None, state.Protocol);
        Assert.Equal(0, state.FirstSeenMicros);
    }
}
