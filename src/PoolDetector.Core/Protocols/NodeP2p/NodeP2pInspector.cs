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
}

[InlineArray(NodeP2pInspector.BitcoinCommandBytes)]
public struct BitcoinCommand
{
    private byte _first;
}

/// <summary>
/// One recognised node message header. <see cref="Magic"/> is the Bitcoin network magic
/// (as read big-endian, f9beb4d9 for mainnet), or the Nano network letter; <see cref="Command"/>
/// the levin command id or the Nano message type; <see cref="BitcoinCommand"/> the
/// NUL-padded Bitcoin command.
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

/// <summary>
/// What a flow's directions showed of node traffic: the first header each direction opened
/// with. Pooled with the flow's inspection state.
/// </summary>
public sealed class NodeP2pState
{
    private NodeMessage _toServer;
    private NodeMessage _toClient;

    /// <summary>Packet time of the first recognised header; 0 until then.</summary>
    public long FirstSeenMicros;

    public NodeProtocol Protocol => _toServer.Protocol != NodeProtocol.None ? _toServer.Protocol : _toClient.Protocol;

    public ref readonly NodeMessage Direction(int direction) => ref direction == 0 ? ref _toServer : ref _toClient;

    /// <summary>Both directions open with the same protocol (and network magic): the peer answered as a node.</summary>
    public bool Confirmed => _toServer.Protocol != NodeProtocol.None
        && _toServer.Protocol == _toClient.Protocol
        && _toServer.Magic == _toClient.Magic;

    /// <summary>Inspects the first payload of a direction.</summary>
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
        FirstSeenMicros = 0;
    }
}
