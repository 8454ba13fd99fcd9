using System.Buffers.Binary;

namespace PoolDetector.Core.Protocols.NodeP2p;

/// <summary>The RLPx handshake message a turn opened with.</summary>
public enum RlpxHandshake : byte
{
    None,
    /// <summary>EIP-8 auth: 2-byte big-endian size, then the ECIES-encrypted auth body.</summary>
    AuthEip8,
    /// <summary>The original auth: exactly 307 bytes of ECIES ciphertext.</summary>
    AuthPreEip8,
    /// <summary>EIP-8 ack: 2-byte size, then the ECIES-encrypted ack body.</summary>
    AckEip8,
    /// <summary>The original ack: 210 bytes of ECIES ciphertext.</summary>
    AckPreEip8,
}

/// <summary>
/// Ethereum's node protocols, recognised without any key: discv4 datagrams by their Keccak-256
/// hash, the RLPx (devp2p) TCP handshake by its framing and its ECIES ephemeral key.
/// </summary>
/// <remarks>
/// Sources: devp2p <c>discv4.md</c> (wire protocol: <c>packet = hash || signature ||
/// packet-type || packet-data</c>, <c>hash = keccak256(signature || packet-type ||
/// packet-data)</c>, types 1..6, 1280 bytes at most), EIP-8 (the size-prefixed handshake,
/// <c>auth-packet = auth-size || enc-auth-body</c>, likewise the ack, and its test vectors),
/// EIP-868 (ENRRequest 5, ENRResponse 6), go-ethereum <c>p2p/rlpx</c> for the original sizes
/// (auth 65 + 32 + 64 + 32 + 1 = 194 bytes, ack 64 + 32 + 1 = 97 bytes, each plus 113 bytes of
/// ECIES: 0x04 and a 64-byte key, a 16-byte IV, a 32-byte HMAC), the size RLPx's ECIES adds to
/// every handshake message.
/// <para>
/// discv5 is not recognised, and cannot be: its packets start with a 16-byte masking IV and a
/// header (protocol id "discv5", version, flag, nonce) masked with AES-CTR under a key taken
/// from the destination's node id, so without that id the bytes are indistinguishable from
/// random ones. A discv5-only node shows up through its RLPx connections.
/// </para>
/// </remarks>
public static class EthereumP2p
{
    public const int Discv4HashBytes = 32;
    public const int Discv4SignatureBytes = 65;

    /// <summary>hash, signature and packet type: the data starts here.</summary>
    public const int Discv4HeaderBytes = Discv4HashBytes + Discv4SignatureBytes + 1;

    public const int Discv4MaxBytes = 1280;

    /// <summary>ECIES as RLPx uses it: 0x04 || 64-byte ephemeral key || 16-byte IV || ciphertext || 32-byte HMAC-SHA256.</summary>
    public const int EciesOverheadBytes = 65 + 16 + 32;

    /// <summary>The original (pre-EIP-8) auth: 194 bytes of plaintext, encrypted.</summary>
    public const int AuthPreEip8Bytes = 194 + EciesOverheadBytes;

    /// <summary>The original ack: 97 bytes of plaintext, encrypted.</summary>
    public const int AckPreEip8Bytes = 97 + EciesOverheadBytes;

    /// <summary>
    /// The sizes an EIP-8 handshake body may declare: the smallest real one is an unpadded ack
    /// (an RLP list of a 64-byte key, a 32-byte nonce and the version, 102 bytes, + 113);
    /// implementations pad with 100 to 300 bytes, and no real one comes near 2 KB.
    /// </summary>
    public const int Eip8MinBodyBytes = 200;

    public const int Eip8MaxBodyBytes = 2048;

    /// <summary>The bytes a turn's opening must hold before it can be judged: the size prefix, 0x04 and the 64-byte key.</summary>
    public const int RlpxHeadBytes = 2 + 1 + 64;

    /// <summary>
    /// Whether <paramref name="datagram"/> is a discv4 packet: its first 32 bytes are the
    /// Keccak-256 hash of the rest, and the packet type is one of 1..6 with an RLP list after
    /// it. The hash makes it definitive: random or other protocols' datagrams cannot match.
    /// Cheap rejects (size, type, RLP list byte) come before the one hash. No allocation.
    /// </summary>
    public static bool TryRecogniseDiscv4(ReadOnlySpan<byte> datagram, out byte packetType)
    {
        packetType = 0;
        if (datagram.Length <= Discv4HeaderBytes || datagram.Length > Discv4MaxBytes)
        {
            return false;
        }
        var type = datagram[Discv4HeaderBytes - 1];
        // packet-data is an RLP list: its first byte is 0xc0..0xff.
        if (type is 0 or > 6 || datagram[Discv4HeaderBytes] < 0xc0)
        {
            return false;
        }
        if (!Keccak256.Matches(datagram[Discv4HashBytes..], datagram[..Discv4HashBytes]))
        {
            return false;
        }
        packetType = type;
        return true;
    }

    /// <summary>discv4 packet type names, as the event shows them.</summary>
    public static string? Discv4PacketName(int type) => type switch
    {
        1 => "ping",
        2 => "pong",
        3 => "findnode",
        4 => "neighbors",
        5 => "enrrequest",
        6 => "enrresponse",
        _ => null,
    };

    /// <summary>
    /// Whether the first bytes of a turn can still open an RLPx handshake message (the first
    /// one or two bytes are enough to reject almost everything else). <paramref name="head"/>
    /// may be shorter than <see cref="RlpxHeadBytes"/>.
    /// </summary>
    public static bool CouldOpenRlpx(ReadOnlySpan<byte> head)
    {
        if (head.IsEmpty)
        {
            return true;
        }
        // EIP-8: the size's high byte is 0..8 (200..2048); pre-EIP-8: the key's 0x04.
        if (head[0] > Eip8MaxBodyBytes >> 8)
        {
            return false;
        }
        return head.Length < 3 || head[0] == 0x04 || head[2] == 0x04;
    }

    /// <summary>
    /// Reads the opening of an RLPx handshake message from the first <see cref="RlpxHeadBytes"/>
    /// (or more) bytes of a turn: the framing (EIP-8 size in range, or the original form) and
    /// an ECIES ephemeral key that is a point on secp256k1. <paramref name="messageBytes"/> is the
    /// message's whole length: an initiator's turn (auth) must be exactly that long, the
    /// recipient's (ack) at least that long, as it may send its first frame straight after.
    /// </summary>
    public static RlpxHandshake ReadRlpxHead(ReadOnlySpan<byte> head, bool initiator, out int messageBytes)
    {
        messageBytes = 0;
        if (head.Length < RlpxHeadBytes)
        {
            return RlpxHandshake.None;
        }
        var size = BinaryPrimitives.ReadUInt16BigEndian(head);
        if (head[2] == 0x04 && size is >= Eip8MinBodyBytes and <= Eip8MaxBodyBytes && Secp256k1.IsOnCurve(head.Slice(3, 64)))
        {
            messageBytes = 2 + size;
            return initiator ? RlpxHandshake.AuthEip8 : RlpxHandshake.AckEip8;
        }
        if (head[0] == 0x04 && Secp256k1.IsOnCurve(head.Slice(1, 64)))
        {
            messageBytes = initiator ? AuthPreEip8Bytes : AckPreEip8Bytes;
            return initiator ? RlpxHandshake.AuthPreEip8 : RlpxHandshake.AckPreEip8;
        }
        return RlpxHandshake.None;
    }

    /// <summary>
    /// Judges one whole turn (every byte a side sent before the other spoke): an initiator's
    /// must be exactly one auth, a recipient's must open with one ack.
    /// </summary>
    public static RlpxHandshake ReadRlpxTurn(ReadOnlySpan<byte> turn, bool initiator)
    {
        var kind = ReadRlpxHead(turn, initiator, out var messageBytes);
        if (kind == RlpxHandshake.None)
        {
            return kind;
        }
        return (initiator ? turn.Length == messageBytes : turn.Length >= messageBytes) ? kind : RlpxHandshake.None;
    }

    /// <summary>The evidence text of a handshake message.</summary>
    public static string? RlpxHandshakeName(RlpxHandshake kind) => kind switch
    {
        RlpxHandshake.AuthEip8 => "rlpx-auth-eip8",
        RlpxHandshake.AuthPreEip8 => "rlpx-auth-pre-eip8",
        RlpxHandshake.AckEip8 => "rlpx-ack-eip8",
        RlpxHandshake.AckPreEip8 => "rlpx-ack-pre-eip8",
        _ => null,
    };
}
