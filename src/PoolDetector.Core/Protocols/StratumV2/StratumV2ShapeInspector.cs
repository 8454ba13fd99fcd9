namespace PoolDetector.Core.Protocols.StratumV2;

/// <summary>What the byte counts of a flow's opening say about Stratum V2.</summary>
public enum StratumV2ShapeStatus : byte
{
    /// <summary>Nothing seen contradicts the Stratum V2 opening yet (includes a flow that has sent nothing).</summary>
    Unknown,
    /// <summary>The opening is not Stratum V2's; <see cref="StratumV2ShapeState.Rejection"/> says why. Final.</summary>
    Rejected,
    /// <summary>
    /// The client sent exactly 64 bytes, then the server exactly 234. Provisional: it becomes
    /// <see cref="Rejected"/> if the server sends more before the client speaks again, or if
    /// the first records are too short to be records; <see cref="Confirmed"/> once they fit.
    /// </summary>
    HandshakeSeen,
    /// <summary>The handshake, then a client record and a server record with a payload each. Final.</summary>
    Confirmed,
}

/// <summary>Why a flow was ruled out; the first contradiction wins.</summary>
public enum StratumV2ShapeRejection : byte
{
    None,
    /// <summary>The server sent before the client: a Noise initiator always speaks first.</summary>
    ServerSpokeFirst,
    /// <summary>The client sent more than the 64-byte ephemeral key before the server answered.</summary>
    ClientKeyTooLong,
    /// <summary>The server answered after fewer than 64 client bytes.</summary>
    ClientKeyTooShort,
    /// <summary>The server sent more than 234 bytes before the client spoke again.</summary>
    ServerHandshakeTooLong,
    /// <summary>The client spoke again after fewer than 234 server bytes.</summary>
    ServerHandshakeTooShort,
    /// <summary>The client's first turn after the handshake is shorter than one record with a payload (SetupConnection).</summary>
    ClientRecordTooShort,
    /// <summary>The client's first turn after the handshake is larger than any SetupConnection (plus pipelined requests) can be.</summary>
    ClientRecordTooLong,
    /// <summary>The server's first turn after the handshake is shorter than one record with a payload (SetupConnection.Success/Error).</summary>
    ServerRecordTooShort,
}

/// <summary>
/// Per-flow turn counting for the Stratum V2 handshake shape. A "turn" is every payload byte
/// one direction sends before the other direction sends any: counting turns rather than
/// segments makes the check independent of how TCP cut the bytes. Pooled with the flow's
/// inspection state; no allocation.
/// </summary>
public sealed class StratumV2ShapeState
{
    /// <summary>Whose turn is being counted, and against which size.</summary>
    internal enum Phase : byte
    {
        /// <summary>Act 1: the client's ephemeral key, exactly 64 bytes.</summary>
        ClientKey,
        /// <summary>Act 2: the server's ephemeral key, static key and certificate, exactly 234 bytes.</summary>
        ServerHandshake,
        /// <summary>The client's first encrypted turn: SetupConnection.</summary>
        ClientRecord,
        /// <summary>The server's first encrypted turn: SetupConnection.Success or .Error.</summary>
        ServerRecord,
        /// <summary>Rejected or confirmed: nothing more to count.</summary>
        Settled,
    }

    internal Phase Current;

    /// <summary>Bytes of the turn being counted.</summary>
    internal long TurnBytes;

    public StratumV2ShapeStatus Status { get; internal set; }

    public StratumV2ShapeRejection Rejection { get; internal set; }

    /// <summary>Packet time of the segment that completed the server's 234 bytes; 0 unless <see cref="Status"/> is HandshakeSeen or Confirmed.</summary>
    public long HandshakeMicros { get; internal set; }

    /// <summary>Packet time of the segment that confirmed the flow; 0 until then.</summary>
    public long ConfirmedMicros { get; internal set; }

    /// <summary>Rejected or confirmed: the inspector ignores this flow's further payload.</summary>
    public bool Settled => Current == Phase.Settled;

    public void Reset()
    {
        Current = Phase.ClientKey;
        TurnBytes = 0;
        Status = StratumV2ShapeStatus.Unknown;
        Rejection = StratumV2ShapeRejection.None;
        HandshakeMicros = 0;
        ConfirmedMicros = 0;
    }
}

/// <summary>
/// Recognises Stratum V2 by the sizes of its Noise NX handshake (Noise_NX_Secp256k1+EllSwift_ChaChaPoly_SHA256).
/// Everything after the first 64 bytes is encrypted, lengths included, so no byte can be
/// parsed: what is fixed is how many bytes each side sends before the other answers.
/// Sources for every number: the SV2 specification, sv2-spec 04-Protocol-Security.md
/// (4.5.1 "Message length: 64 bytes"; 4.5.2.2 steps 5 and 7: 80 = 64 + 16 MAC and
/// 90 = 74 + 16 MAC after the 64-byte ephemeral key; 4.6: the 22-byte encrypted header and a
/// 16-byte MAC per payload block of at most 65535 ciphertext bytes), and the reference
/// implementation stratum-mining/stratum, noise-sv2 (ELLSWIFT_ENCODING_SIZE = 64,
/// INITIATOR_EXPECTED_HANDSHAKE_MESSAGE_SIZE = 64 + 80 + 90, SIGNATURE_NOISE_MESSAGE_SIZE = 74,
/// AEAD_MAC_LEN = 16) with codec-sv2 writing both handshake messages raw, with no length
/// prefix; an independent C client for ESP32 mining boards (sv2_noise.c) likewise sends 64
/// and reads exactly 234. The spec's table after 4.5.2.1 still says "Message length: 170
/// bytes", which is the sum with 32-byte keys (32 + 48 + 90), apparently left from before
/// ElligatorSwift; the spec's own steps and the implementations give 234.
/// </summary>
public static class StratumV2ShapeInspector
{
    /// <summary>A secp256k1 public key in ElligatorSwift encoding (BIP324): the whole of act 1.</summary>
    public const int EllSwiftKeyBytes = 64;

    /// <summary>ChaCha20-Poly1305 tag.</summary>
    public const int MacBytes = 16;

    /// <summary>SIGNATURE_NOISE_MESSAGE: version U16, valid_from U32, not_valid_after U32, signature 64.</summary>
    public const int SignatureNoiseMessageBytes = 2 + 4 + 4 + 64;

    /// <summary>Act 1, <c>-&gt; e</c>: the initiator's ephemeral key in clear.</summary>
    public const int ClientHandshakeBytes = EllSwiftKeyBytes;

    /// <summary>Act 2, <c>&lt;- e, ee, s, es, SIGNATURE_NOISE_MESSAGE</c>: ephemeral key, encrypted static key, encrypted certificate.</summary>
    public const int ServerHandshakeBytes = EllSwiftKeyBytes + (EllSwiftKeyBytes + MacBytes) + (SignatureNoiseMessageBytes + MacBytes);

    /// <summary>The frame header: extension_type U16, msg_type U8, msg_length U24.</summary>
    public const int FrameHeaderBytes = 6;

    /// <summary>Every encrypted frame opens with its header encrypted on its own.</summary>
    public const int EncryptedHeaderBytes = FrameHeaderBytes + MacBytes;

    /// <summary>
    /// Lower bound for a turn that carries one frame with a payload: the encrypted header and
    /// one MAC-tagged payload block (a frame is 22 + n + 16k bytes, k ≥ 1 when n &gt; 0).
    /// SetupConnection, the first message a client must send, and both answers to it always
    /// have a payload; their real minimums are higher (SetupConnection 22 + 16 + 16 = 54,
    /// SetupConnection.Error 43, .Success 44), but this bound does not depend on message layouts.
    /// </summary>
    public const int MinRecordBytes = EncryptedHeaderBytes + MacBytes;

    /// <summary>
    /// The largest SetupConnection: protocol U8, two versions U16, flags U32, endpoint_port U16
    /// and five STR0_255 of 1 + 255 bytes, encrypted: 22 + 1291 + 16.
    /// </summary>
    public const int MaxSetupConnectionBytes = EncryptedHeaderBytes + (1 + 2 + 2 + 4 + 2 + (5 * 256)) + MacBytes;

    /// <summary>
    /// Cap on the client's first turn after the handshake. A client sends SetupConnection and
    /// waits for the answer before opening a channel (the ESP32 client above does), but nothing
    /// forbids pipelining: the cap leaves room for a few dozen channel openings after the
    /// largest SetupConnection, and still rules out a bulk upload.
    /// </summary>
    public const int MaxFirstClientTurnBytes = 16 * 1024;

    /// <summary>
    /// Counts one in-order chunk of TCP payload. <paramref name="direction"/>: 0 client → server,
    /// 1 server → client. Zero-length chunks (pure ACKs) are ignored: they do not end a turn.
    /// A flow that is settled costs one comparison.
    /// </summary>
    public static void OnPayload(StratumV2ShapeState state, int direction, int length, long timestampMicros)
    {
        if (length <= 0 || state.Current == StratumV2ShapeState.Phase.Settled)
        {
            return;
        }
        var fromClient = direction == 0;
        switch (state.Current)
        {
            case StratumV2ShapeState.Phase.ClientKey:
                if (fromClient)
                {
                    state.TurnBytes += length;
                    // Most flows end here: a TLS ClientHello, an HTTP request or a Stratum V1
                    // line is longer than 64 bytes in its first segment.
                    if (state.TurnBytes > ClientHandshakeBytes)
                    {
                        Reject(state, StratumV2ShapeRejection.ClientKeyTooLong);
                    }
                    return;
                }
                if (state.TurnBytes != ClientHandshakeBytes)
                {
                    Reject(state, state.TurnBytes == 0 ? StratumV2ShapeRejection.ServerSpokeFirst : StratumV2ShapeRejection.ClientKeyTooShort);
                    return;
                }
                state.Current = StratumV2ShapeState.Phase.ServerHandshake;
                state.TurnBytes = 0;
                CountServerHandshake(state, length, timestampMicros);
                return;

            case StratumV2ShapeState.Phase.ServerHandshake:
                if (!fromClient)
                {
                    CountServerHandshake(state, length, timestampMicros);
                    return;
                }
                if (state.TurnBytes != ServerHandshakeBytes)
                {
                    Reject(state, StratumV2ShapeRejection.ServerHandshakeTooShort);
                    return;
                }
                state.Current = StratumV2ShapeState.Phase.ClientRecord;
                state.TurnBytes = 0;
                CountClientRecord(state, length);
                return;

            case StratumV2ShapeState.Phase.ClientRecord:
                if (fromClient)
                {
                    CountClientRecord(state, length);
                    return;
                }
                if (state.TurnBytes < MinRecordBytes)
                {
                    Reject(state, StratumV2ShapeRejection.ClientRecordTooShort);
                    return;
                }
                state.Current = StratumV2ShapeState.Phase.ServerRecord;
                state.TurnBytes = 0;
                CountServerRecord(state, length, timestampMicros);
                return;

            case StratumV2ShapeState.Phase.ServerRecord:
                if (!fromClient)
                {
                    CountServerRecord(state, length, timestampMicros);
                    return;
                }
                // The client spoke again before the server had sent one record with a payload.
                Reject(state, StratumV2ShapeRejection.ServerRecordTooShort);
                return;
        }
    }

    /// <summary>
    /// Counts bytes the stream layer skipped (lost or not captured): their number is known from
    /// the sequence numbers, so the turn sizes stay exact although the bytes are missing.
    /// </summary>
    public static void OnGap(StratumV2ShapeState state, int direction, long missingBytes, long timestampMicros)
    {
        // Anything larger than an int already breaks every limit below.
        OnPayload(state, direction, (int)Math.Min(missingBytes, int.MaxValue), timestampMicros);
    }

    private static void CountServerHandshake(StratumV2ShapeState state, int length, long timestampMicros)
    {
        state.TurnBytes += length;
        if (state.TurnBytes > ServerHandshakeBytes)
        {
            Reject(state, StratumV2ShapeRejection.ServerHandshakeTooLong);
        }
        else if (state.TurnBytes == ServerHandshakeBytes)
        {
            // Reported now, not when the client speaks again, so that a flow that ends right
            // after the handshake (a client that rejects the certificate) still shows it.
            state.Status = StratumV2ShapeStatus.HandshakeSeen;
            state.HandshakeMicros = timestampMicros;
        }
    }

    private static void CountClientRecord(StratumV2ShapeState state, int length)
    {
        state.TurnBytes += length;
        if (state.TurnBytes > MaxFirstClientTurnBytes)
        {
            Reject(state, StratumV2ShapeRejection.ClientRecordTooLong);
        }
    }

    private static void CountServerRecord(StratumV2ShapeState state, int length, long timestampMicros)
    {
        state.TurnBytes += length;
        if (state.TurnBytes >= MinRecordBytes)
        {
            state.Status = StratumV2ShapeStatus.Confirmed;
            state.ConfirmedMicros = timestampMicros;
            state.Current = StratumV2ShapeState.Phase.Settled;
        }
    }

    private static void Reject(StratumV2ShapeState state, StratumV2ShapeRejection reason)
    {
        state.Status = StratumV2ShapeStatus.Rejected;
        state.Rejection = reason;
        state.HandshakeMicros = 0;
        state.Current = StratumV2ShapeState.Phase.Settled;
    }
}
