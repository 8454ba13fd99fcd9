using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace PoolDetector.Core.Protocols.NodeP2p;

/// <summary>Blockchain node protocols recognised from a message header (category <c>crypto-node</c>, never mining).</summary>
public enum NodeProtocol : byte
{
    None,
    /// <summary>Bitcoin-family P2P: network magic, 12-byte command, length, checksum.</summary>
    Bitcoin,
    /// <summary>Monero's levin: 0x0101010101012101 signature, body length, command 1001...</summary>
    Levin,
    /// <summary>Nano node protocol: 'R', network letter, three version bytes, message type, extensions.</summary>
    Nano,
    /// <summary>Ethereum devp2p over TCP: the RLPx handshake (ECIES auth and ack), see <see cref="EthereumP2p"/>.</summary>
    Devp2p,
    /// <summary>Ethereum node discovery v4 over UDP: datagrams that carry their own Keccak-256 hash.</summary>
    Discv4,
}

[InlineArray(NodeP2pInspector.BitcoinCommandBytes)]
public struct BitcoinCommand
{
    private byte _first;
}

/// <summary>
/// One recognised node message header. <see cref="Magic"/> is the Bitcoin network magic
/// (as read big-endian, f9beb4d9 for mainnet), or the Nano network letter; <see cref="Command"/>
/// the levin command id, the Nano message type, the <see cref="RlpxHandshake"/> of a devp2p
/// turn or the first discv4 packet type; <see cref="BitcoinCommand"/> the NUL-padded Bitcoin command.
/// </summary>
public struct NodeMessage
{
    public NodeProtocol Protocol;
    public uint Magic;
    public uint Command;
    public BitcoinCommand BitcoinCommand;

    public readonly string BitcoinCommandText()
    {
        ReadOnlySpan<byte> command = BitcoinCommand;
        var end = command.IndexOf((byte)0);
        return System.Text.Encoding.ASCII.GetString(end < 0 ? command : command[..end]);
    }
}

/// <summary>
/// Recognises node P2P traffic from the first bytes of a TCP direction: a cheap first-byte
/// reject, then the whole fixed header must be plausible (a known magic alone is 4 bytes and
/// would match random binary too often). No allocation.
/// </summary>
public static class NodeP2pInspector
{
    public const int BitcoinHeaderBytes = 24;
    public const int BitcoinCommandBytes = 12;
    public const int LevinHeaderBytes = 33;
    public const int NanoHeaderBytes = 8;

    /// <summary>Bitcoin Core's MAX_SIZE: no message body is larger.</summary>
    public const uint BitcoinMaxLength = 0x0200_0000;

    /// <summary>Monero's LEVIN_DEFAULT_MAX_PACKET_SIZE.</summary>
    public const ulong LevinMaxLength = 100_000_000;

    public const ulong LevinSignature = 0x0101010101012101;

    /// <summary>Bitcoin network magics (big-endian reading of the wire bytes) and the network each names.</summary>
    public static string? BitcoinNetwork(uint magic) => magic switch
    {
        0xf9beb4d9 => "bitcoin",
        0x0b110907 => "bitcoin-testnet3",
        0x1c163f28 => "bitcoin-testnet4",
        0x0a03cf40 => "bitcoin-signet",
        0xfabfb5da => "bitcoin-regtest",
        0xfbc0b6db => "litecoin",
        0xc0c0c0c0 => "dogecoin",
        0xe3e1f3e8 => "bitcoin-cash",
        _ => null,
    };

    public static string? NanoNetwork(uint letter) => letter switch
    {
        'A' => "dev",
        'B' => "beta",
        'C' => "live",
        'X' => "test",
        _ => null,
    };

    public static string? NanoMessageType(uint type) => type switch
    {
        0x02 => "keepalive",
        0x03 => "publish",
        0x04 => "confirm_req",
        0x05 => "confirm_ack",
        0x06 => "bulk_pull",
        0x07 => "bulk_push",
        0x08 => "frontier_req",
        0x0a => "node_id_handshake",
        0x0b => "bulk_pull_account",
        0x0c => "telemetry_req",
        0x0d => "telemetry_ack",
        0x0e => "asc_pull_req",
        0x0f => "asc_pull_ack",
        _ => null,
    };

    /// <summary>Reads a node message header at the start of <paramref name="payload"/>; false when it is not one (or is truncated).</summary>
    public static bool TryRead(ReadOnlySpan<byte> payload, out NodeMessage message)
    {
        message = default;
        if (payload.IsEmpty)
        {
            return false;
        }
        return payload[0] switch
        {
            0x01 => TryReadLevin(payload, ref message),
            (byte)'R' => TryReadNano(payload, ref message),
            0xf9 or 0x0b or 0x1c or 0x0a or 0xfa or 0xfb or 0xc0 or 0xe3 => TryReadBitcoin(payload, ref message),
            _ => false,
        };
    }

    private static bool TryReadBitcoin(ReadOnlySpan<byte> payload, ref NodeMessage message)
    {
        if (payload.Length < BitcoinHeaderBytes)
        {
            return false;
        }
        var magic = BinaryPrimitives.ReadUInt32BigEndian(payload);
        if (BitcoinNetwork(magic) is null)
        {
            return false;
        }
        // The command: lowercase ASCII letters and digits, then NUL padding only.
        var command = payload.Slice(4, BitcoinCommandBytes);
        var length = 0;
        while (length < command.Length && command[length] != 0)
        {
            var c = command[length];
            if (c is not ((>= (byte)'a' and <= (byte)'z') or (>= (byte)'0' and <= (byte)'9')))
            {
                return false;
            }
            length++;
        }
        if (length == 0 || command[length..].ContainsAnyExcept((byte)0))
        {
            return false;
        }
        if (BinaryPrimitives.ReadUInt32LittleEndian(payload[16..]) > BitcoinMaxLength)
        {
            return false;
        }
        message.Protocol = NodeProtocol.Bitcoin;
        message.Magic = magic;
        command.CopyTo(message.BitcoinCommand);
        return true;
    }

    private static bool TryReadLevin(ReadOnlySpan<byte> payload, ref NodeMessage message)
    {
        if (payload.Length < LevinHeaderBytes || BinaryPrimitives.ReadUInt64LittleEndian(payload) != LevinSignature)
        {
            return false;
        }
        var bodyLength = BinaryPrimitives.ReadUInt64LittleEndian(payload[8..]);
        var haveToReturn = payload[16];
        var command = BinaryPrimitives.ReadUInt32LittleEndian(payload[17..]);
        var flags = BinaryPrimitives.ReadUInt32LittleEndian(payload[25..]);
        var version = BinaryPrimitives.ReadUInt32LittleEndian(payload[29..]);
        // P2P commands are 1001.., blockchain commands 2001.. (P2P_COMMANDS_POOL_BASE,
        // BC_COMMANDS_POOL_BASE); flags are request 1, response 2 and the fragment bits 4, 8.
        var knownCommand = command is (> 1000 and < 1100) or (> 2000 and < 2100);
        if (bodyLength > LevinMaxLength || haveToReturn > 1 || !knownCommand || flags == 0 || flags > 0x0f || version is 0 or > 16)
        {
            return false;
        }
        message.Protocol = NodeProtocol.Levin;
        message.Magic = 0;
        message.Command = command;
        return true;
    }

    private static bool TryReadNano(ReadOnlySpan<byte> payload, ref NodeMessage message)
    {
        if (payload.Length < NanoHeaderBytes || NanoNetwork(payload[1]) is null)
        {
            return false;
        }
        var (max, usingVersion, min) = (payload[2], payload[3], payload[4]);
        if (min == 0 || max > 0x40 || usingVersion < min || usingVersion > max || NanoMessageType(payload[5]) is null)
        {
            return false;
        }
        message.Protocol = NodeProtocol.Nano;
        message.Magic = payload[1];
        message.Command = payload[5];
        return true;
    }
}

[InlineArray(EthereumP2p.RlpxHeadBytes)]
internal struct RlpxHeadBuffer
{
    private byte _first;
}

/// <summary>One direction's first turn, followed for the RLPx handshake.</summary>
internal struct RlpxTurn
{
    public RlpxHeadBuffer Head;
    public int HeadLength;
    public long Bytes;
    public int MessageBytes;
    public RlpxHandshake Kind;
    /// <summary>Judged for good: recognised (a message is set) or not RLPx.</summary>
    public bool Finished;
}

/// <summary>
/// What a flow's directions showed of node traffic: the first header each direction opened
/// with, the RLPx handshake turns, the discv4 datagrams. Pooled with the flow's inspection state.
/// </summary>
/// <remarks>
/// RLPx is recognised by turns, which survive any segmentation: the side that speaks first
/// (the initiator) must send exactly one auth and then wait, so its whole first turn is
/// 2 + size bytes (EIP-8) or 307 bytes; the other side's first turn must open with an ack of
/// 2 + size or 210 bytes (it may send its first encrypted frame straight after). Both must
/// open with an ECIES ephemeral key that is a point on secp256k1.
/// </remarks>
public sealed class NodeP2pState
{
    private NodeMessage _toServer;
    private NodeMessage _toClient;
    private RlpxTurn _turn0;
    private RlpxTurn _turn1;
    /// <summary>Bit d: direction d has sent payload.</summary>
    private byte _started;
    /// <summary>The direction that spoke first; -1 before anyone did.</summary>
    private sbyte _firstSpeaker = -1;
    /// <summary>The direction of the last payload; -1 before any.</summary>
    private sbyte _lastSpeaker = -1;
    /// <summary>RLPx tracking is over: both turns judged, or the flow is something else.</summary>
    private bool _rlpxDone;
    /// <summary>Bit t: a discv4 packet of type t was seen, either direction.</summary>
    private byte _discv4Types;
    private sbyte _discv4Initiator = -1;

    /// <summary>Packet time of the first recognised header; 0 until then.</summary>
    public long FirstSeenMicros;

    public NodeProtocol Protocol => _toServer.Protocol != NodeProtocol.None ? _toServer.Protocol : _toClient.Protocol;

    public ref readonly NodeMessage Direction(int direction) => ref direction == 0 ? ref _toServer : ref _toClient;

    /// <summary>Both directions open with the same protocol (and network magic): the peer answered as a node.</summary>
    public bool Confirmed => _toServer.Protocol != NodeProtocol.None
        && _toServer.Protocol == _toClient.Protocol
        && _toServer.Magic == _toClient.Magic;

    /// <summary>
    /// The direction of the side that opened the exchange, when the protocol says who did:
    /// the RLPx initiator (the auth's sender), the sender of the first discv4 ping (else of the
    /// first discv4 packet). 0 (the flow's client) for the other protocols. UDP flows have no
    /// SYN, so their client is a guess from the ports; the verdict reports this side as the source.
    /// </summary>
    public int InitiatorDirection => Protocol switch
    {
        NodeProtocol.Devp2p when _firstSpeaker > 0 => 1,
        NodeProtocol.Discv4 when _discv4Initiator > 0 => 1,
        _ => 0,
    };

    /// <summary>The discv4 packet types seen (bit t for type t), either direction.</summary>
    public int Discv4PacketTypes => _discv4Types;

    /// <summary>
    /// Whether the RLPx handshake is still being followed and needs this flow's next TCP
    /// payload, even if every other inspector has let the flow go. Turns false within the
    /// first turn of each side (about 2 KB at most), at once for anything that does not open
    /// like RLPx.
    /// </summary>
    public bool WantsPayload => !_rlpxDone;

    /// <summary>
    /// Every TCP payload chunk of the flow, in stream order within each direction (the
    /// detector's OnPayload). Runs the header check of <see cref="OnFirstPayload"/> on each
    /// direction's first chunk, and follows the RLPx handshake turns. Constant work per
    /// chunk once the turns are judged; no allocation.
    /// </summary>
    public void OnPayload(int direction, ReadOnlySpan<byte> payload, long timestampMicros)
    {
        if (payload.IsEmpty)
        {
            return;
        }
        var bit = (byte)(1 << direction);
        if ((_started & bit) == 0)
        {
            _started |= bit;
            if (_firstSpeaker < 0)
            {
                _firstSpeaker = (sbyte)direction;
            }
            OnFirstPayload(direction, payload, timestampMicros);
            // A Bitcoin, levin or Nano header: not RLPx.
            _rlpxDone |= Direction(direction).Protocol != NodeProtocol.None;
        }
        if (_rlpxDone)
        {
            return;
        }
        TakeTurn(direction);
        ref var turn = ref Turn(direction);
        if (!turn.Finished)
        {
            Follow(direction, ref turn, payload, timestampMicros);
        }
        _rlpxDone = Finished(0) && Finished(1);
    }

    /// <summary>
    /// <paramref name="missingBytes"/> of a direction were lost (the detector's OnGap): a turn
    /// whose opening is already read keeps counting its length, any other is given up.
    /// </summary>
    public void OnGap(int direction, long missingBytes, long timestampMicros)
    {
        if (_rlpxDone || (_started & (1 << direction)) == 0)
        {
            return;
        }
        TakeTurn(direction);
        ref var turn = ref Turn(direction);
        if (!turn.Finished)
        {
            if (turn.Kind == RlpxHandshake.None)
            {
                Fail(direction, ref turn);
            }
            else
            {
                turn.Bytes += missingBytes;
                Judge(direction, ref turn, timestampMicros);
            }
        }
        _rlpxDone = Finished(0) && Finished(1);
    }

    /// <summary>
    /// One UDP datagram of the flow: a discv4 packet (hash verified) is recorded for its
    /// direction and returns true. No allocation.
    /// </summary>
    public bool OnDatagram(int direction, ReadOnlySpan<byte> datagram, long timestampMicros)
    {
        if (!EthereumP2p.TryRecogniseDiscv4(datagram, out var type))
        {
            return false;
        }
        if (_discv4Initiator < 0 || (type == 1 && (_discv4Types & 0b10) == 0))
        {
            // The first ping's sender opened the exchange (else the first packet's).
            _discv4Initiator = (sbyte)direction;
        }
        _discv4Types |= (byte)(1 << type);
        ref var message = ref direction == 0 ? ref _toServer : ref _toClient;
        if (message.Protocol == NodeProtocol.None)
        {
            message.Protocol = NodeProtocol.Discv4;
            message.Magic = 0;
            message.Command = type;
        }
        if (FirstSeenMicros == 0)
        {
            FirstSeenMicros = timestampMicros;
        }
        return true;
    }

    /// <summary>Inspects the first payload of a direction for a fixed node header (Bitcoin, levin, Nano).</summary>
    public void OnFirstPayload(int direction, ReadOnlySpan<byte> payload, long timestampMicros)
    {
        if (!NodeP2pInspector.TryRead(payload, out var message))
        {
            return;
        }
        if (direction == 0)
        {
            _toServer = message;
        }
        else
        {
            _toClient = message;
        }
        if (FirstSeenMicros == 0)
        {
            FirstSeenMicros = timestampMicros;
        }
    }

    public void Reset()
    {
        _toServer = default;
        _toClient = default;
        _turn0 = default;
        _turn1 = default;
        _started = 0;
        _firstSpeaker = -1;
        _lastSpeaker = -1;
        _rlpxDone = false;
        _discv4Types = 0;
        _discv4Initiator = -1;
        FirstSeenMicros = 0;
    }

    private ref RlpxTurn Turn(int direction) => ref direction == 0 ? ref _turn0 : ref _turn1;

    private bool Finished(int direction) => (_started & (1 << direction)) != 0 && Turn(direction).Finished;

    private void Follow(int direction, ref RlpxTurn turn, ReadOnlySpan<byte> payload, long timestampMicros)
    {
        if (turn.HeadLength < EthereumP2p.RlpxHeadBytes)
        {
            Span<byte> head = turn.Head;
            var take = Math.Min(payload.Length, EthereumP2p.RlpxHeadBytes - turn.HeadLength);
            payload[..take].CopyTo(head[turn.HeadLength..]);
            turn.HeadLength += take;
            if (!EthereumP2p.CouldOpenRlpx(head[..turn.HeadLength]))
            {
                Fail(direction, ref turn);
                return;
            }
            if (turn.HeadLength == EthereumP2p.RlpxHeadBytes)
            {
                turn.Kind = EthereumP2p.ReadRlpxHead(head, initiator: direction == _firstSpeaker, out turn.MessageBytes);
                if (turn.Kind == RlpxHandshake.None)
                {
                    Fail(direction, ref turn);
                    return;
                }
            }
        }
        turn.Bytes += payload.Length;
        if (turn.Kind != RlpxHandshake.None)
        {
            Judge(direction, ref turn, timestampMicros);
        }
    }

    /// <summary>An initiator's turn matches while it is exactly one auth long; a recipient's once it holds a whole ack.</summary>
    private void Judge(int direction, ref RlpxTurn turn, long timestampMicros)
    {
        if (direction == _firstSpeaker)
        {
            if (turn.Bytes == turn.MessageBytes)
            {
                Recognise(direction, turn.Kind, timestampMicros);
            }
            else if (turn.Bytes > turn.MessageBytes)
            {
                Fail(direction, ref turn);
            }
        }
        else if (turn.Bytes >= turn.MessageBytes)
        {
            Recognise(direction, turn.Kind, timestampMicros);
            turn.Finished = true;
        }
    }

    /// <summary>A side speaks: when the other side spoke last, the other side's (first) turn is over.</summary>
    private void TakeTurn(int direction)
    {
        if (_lastSpeaker == 1 - direction)
        {
            CloseTurn(1 - direction);
        }
        _lastSpeaker = (sbyte)direction;
    }

    /// <summary>The other side spoke: this direction's first turn is over, and judged as it stands.</summary>
    private void CloseTurn(int direction)
    {
        ref var turn = ref Turn(direction);
        if (turn.Finished)
        {
            return;
        }
        var complete = turn.Kind != RlpxHandshake.None
            && (direction == _firstSpeaker ? turn.Bytes == turn.MessageBytes : turn.Bytes >= turn.MessageBytes);
        if (complete)
        {
            turn.Finished = true;
        }
        else
        {
            Fail(direction, ref turn);
        }
    }

    private void Recognise(int direction, RlpxHandshake kind, long timestampMicros)
    {
        ref var message = ref direction == 0 ? ref _toServer : ref _toClient;
        message = default;
        message.Protocol = NodeProtocol.Devp2p;
        message.Command = (uint)kind;
        if (FirstSeenMicros == 0)
        {
            FirstSeenMicros = timestampMicros;
        }
    }

    private void Fail(int direction, ref RlpxTurn turn)
    {
        turn.Finished = true;
        turn.Kind = RlpxHandshake.None;
        ref var message = ref direction == 0 ? ref _toServer : ref _toClient;
        if (message.Protocol == NodeProtocol.Devp2p)
        {
            // An auth candidate that turned out longer than one auth.
            message = default;
            ref readonly var other = ref Direction(1 - direction);
            if (other.Protocol == NodeProtocol.None)
            {
                FirstSeenMicros = 0;
            }
        }
    }
}
