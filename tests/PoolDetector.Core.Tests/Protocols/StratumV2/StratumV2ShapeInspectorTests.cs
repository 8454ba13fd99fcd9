using PoolDetector.Core.Protocols.StratumV2;
using PoolDetector.Testing;

namespace PoolDetector.Core.Tests.Protocols.StratumV2;

public class StratumV2ShapeInspectorTests
{
    private const int Client = 0;
    private const int Server = 1;

    // Encrypted frame sizes of a real exchange (22-byte header + payload + 16-byte MAC), from the
    // message layouts in the SV2 spec: SetupConnection with short strings, its Success (6-byte
    // payload), OpenStandardMiningChannel, its Success, NewMiningJob, SetNewPrevHash,
    // SubmitSharesStandard (24-byte payload), SubmitShares.Success (20-byte payload).
    private const int SetupConnection = 22 + 59 + 16;
    private const int SetupConnectionSuccess = 22 + 6 + 16;
    private const int OpenStandardMiningChannel = 22 + 58 + 16;
    private const int OpenChannelSuccess = 22 + 49 + 16;
    private const int NewMiningJob = 22 + 45 + 16;
    private const int SetNewPrevHash = 22 + 48 + 16;
    private const int SubmitSharesStandard = 22 + 24 + 16;
    private const int SubmitSharesSuccess = 22 + 20 + 16;

    /// <summary>Feeds chunks (direction, length) with packet times 1, 2, 3, ...; returns the state.</summary>
    private static StratumV2ShapeState Run(params (int Direction, int Length)[] chunks)
    {
        var state = new StratumV2ShapeState();
        Feed(state, chunks);
        return state;
    }

    private static void Feed(StratumV2ShapeState state, (int Direction, int Length)[] chunks)
    {
        for (var i = 0; i < chunks.Length; i++)
        {
            StratumV2ShapeInspector.OnPayload(state, chunks[i].Direction, chunks[i].Length, i + 1);
        }
    }

    private static (int, int)[] FullSession() =>
    [
        (Client, 64), (Server, 234),
        (Client, SetupConnection), (Server, SetupConnectionSuccess),
        (Client, OpenStandardMiningChannel), (Server, OpenChannelSuccess), (Server, NewMiningJob + SetNewPrevHash),
        (Client, SubmitSharesStandard), (Server, SubmitSharesSuccess),
    ];

    [Fact]
    public void Sizes_follow_from_the_spec()
    {
        // 64-byte ElligatorSwift key; 64 + (64 + 16) + (74 + 16); 6-byte header + 16-byte MAC.
        Assert.Equal(64, StratumV2ShapeInspector.ClientHandshakeBytes);
        Assert.Equal(234, StratumV2ShapeInspector.ServerHandshakeBytes);
        Assert.Equal(74, StratumV2ShapeInspector.SignatureNoiseMessageBytes);
        Assert.Equal(22, StratumV2ShapeInspector.EncryptedHeaderBytes);
        Assert.Equal(38, StratumV2ShapeInspector.MinRecordBytes);
        Assert.Equal(1329, StratumV2ShapeInspector.MaxSetupConnectionBytes);
    }

    [Fact]
    public void A_whole_session_is_confirmed_at_the_servers_first_record()
    {
        var state = Run(FullSession());
        Assert.Equal(StratumV2ShapeStatus.Confirmed, state.Status);
        Assert.Equal(StratumV2ShapeRejection.None, state.Rejection);
        Assert.Equal(2, state.HandshakeMicros);   // the segment that completed the 234 bytes
        Assert.Equal(4, state.ConfirmedMicros);   // SetupConnection.Success
        Assert.True(state.Settled);
    }

    [Fact]
    public void Status_moves_step_by_step()
    {
        var state = new StratumV2ShapeState();
        StratumV2ShapeInspector.OnPayload(state, Client, 64, 10);
        Assert.Equal(StratumV2ShapeStatus.Unknown, state.Status);
        StratumV2ShapeInspector.OnPayload(state, Server, 234, 20);
        Assert.Equal(StratumV2ShapeStatus.HandshakeSeen, state.Status);
        Assert.Equal(20, state.HandshakeMicros);
        StratumV2ShapeInspector.OnPayload(state, Client, SetupConnection, 30);
        Assert.Equal(StratumV2ShapeStatus.HandshakeSeen, state.Status);
        Assert.False(state.Settled);
        StratumV2ShapeInspector.OnPayload(state, Server, SetupConnectionSuccess, 40);
        Assert.Equal(StratumV2ShapeStatus.Confirmed, state.Status);
        Assert.Equal(40, state.ConfirmedMicros);
    }

    public static TheoryData<int[], int[]> Segmentations() => new()
    {
        { [64], [234] },
        { [32, 32], [234] },
        { [1, 62, 1], [100, 134] },
        { [64], [64, 80, 90] },             // one segment per handshake field
        { [10, 10, 10, 10, 10, 14], [1, 1, 232] },
    };

    [Theory]
    [MemberData(nameof(Segmentations))]
    public void Turns_are_counted_across_segments(int[] clientSegments, int[] serverSegments)
    {
        var state = new StratumV2ShapeState();
        var t = 0L;
        foreach (var length in clientSegments)
        {
            StratumV2ShapeInspector.OnPayload(state, Client, length, ++t);
            Assert.Equal(StratumV2ShapeStatus.Unknown, state.Status);
        }
        foreach (var length in serverSegments)
        {
            StratumV2ShapeInspector.OnPayload(state, Server, length, ++t);
        }
        Assert.Equal(StratumV2ShapeStatus.HandshakeSeen, state.Status);
        Assert.Equal(t, state.HandshakeMicros);
        // SetupConnection split in header and payload, the answer likewise.
        StratumV2ShapeInspector.OnPayload(state, Client, 22, ++t);
        StratumV2ShapeInspector.OnPayload(state, Client, SetupConnection - 22, ++t);
        StratumV2ShapeInspector.OnPayload(state, Server, 22, ++t);
        Assert.Equal(StratumV2ShapeStatus.HandshakeSeen, state.Status);
        StratumV2ShapeInspector.OnPayload(state, Server, SetupConnectionSuccess - 22, ++t);
        Assert.Equal(StratumV2ShapeStatus.Confirmed, state.Status);
        Assert.Equal(t, state.ConfirmedMicros);
    }

    [Fact]
    public void Pure_acks_do_not_end_a_turn()
    {
        var state = Run((Client, 32), (Server, 0), (Client, 32), (Server, 234), (Client, 0), (Server, 0), (Client, SetupConnection), (Server, SetupConnectionSuccess));
        Assert.Equal(StratumV2ShapeStatus.Confirmed, state.Status);
    }

    [Theory]
    [InlineData(63, StratumV2ShapeRejection.ClientKeyTooShort)]
    [InlineData(65, StratumV2ShapeRejection.ClientKeyTooLong)]
    [InlineData(32, StratumV2ShapeRejection.ClientKeyTooShort)]   // an X25519 / uncompressed-x key
    [InlineData(33, StratumV2ShapeRejection.ClientKeyTooShort)]   // a compressed secp256k1 key
    [InlineData(128, StratumV2ShapeRejection.ClientKeyTooLong)]
    public void A_client_opening_other_than_64_bytes_is_rejected(int clientBytes, StratumV2ShapeRejection reason)
    {
        var state = Run((Client, clientBytes), (Server, 234), (Client, SetupConnection), (Server, SetupConnectionSuccess));
        Assert.Equal(StratumV2ShapeStatus.Rejected, state.Status);
        Assert.Equal(reason, state.Rejection);
        Assert.Equal(0, state.HandshakeMicros);
    }

    [Fact]
    public void More_than_64_client_bytes_are_rejected_before_the_server_answers()
    {
        var state = Run((Client, 60), (Client, 5));
        Assert.Equal(StratumV2ShapeStatus.Rejected, state.Status);
        Assert.Equal(StratumV2ShapeRejection.ClientKeyTooLong, state.Rejection);
    }

    [Theory]
    [InlineData(517)]   // TLS 1.3 ClientHello as OpenSSL and browsers pad it
    [InlineData(239)]
    [InlineData(1460)]  // a full segment of anything
    [InlineData(78)]    // a short Stratum V1 mining.subscribe line
    public void Tls_and_other_openings_are_rejected_on_their_first_segment(int firstSegment)
    {
        var state = new StratumV2ShapeState();
        StratumV2ShapeInspector.OnPayload(state, Client, firstSegment, 1);
        Assert.Equal(StratumV2ShapeStatus.Rejected, state.Status);
        Assert.Equal(StratumV2ShapeRejection.ClientKeyTooLong, state.Rejection);
        Assert.True(state.Settled);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(64)]
    [InlineData(234)]
    public void A_server_that_speaks_first_is_rejected(int serverBytes)
    {
        // SMTP, FTP, SSH banners, MySQL greetings, a capture that starts mid-session...
        var state = Run((Server, serverBytes), (Client, 64), (Server, 234));
        Assert.Equal(StratumV2ShapeStatus.Rejected, state.Status);
        Assert.Equal(StratumV2ShapeRejection.ServerSpokeFirst, state.Rejection);
    }

    [Theory]
    [InlineData(233, StratumV2ShapeRejection.ServerHandshakeTooShort)]
    [InlineData(235, StratumV2ShapeRejection.ServerHandshakeTooLong)]
    [InlineData(100, StratumV2ShapeRejection.ServerHandshakeTooShort)]
    [InlineData(170, StratumV2ShapeRejection.ServerHandshakeTooShort)]   // the spec table's stale number
    [InlineData(64, StratumV2ShapeRejection.ServerHandshakeTooShort)]    // a peer that echoes a key back
    [InlineData(1460, StratumV2ShapeRejection.ServerHandshakeTooLong)]
    public void A_64_byte_opening_answered_with_another_size_is_rejected(int serverBytes, StratumV2ShapeRejection reason)
    {
        var state = Run((Client, 64), (Server, serverBytes), (Client, SetupConnection), (Server, SetupConnectionSuccess));
        Assert.Equal(StratumV2ShapeStatus.Rejected, state.Status);
        Assert.Equal(reason, state.Rejection);
    }

    [Fact]
    public void Server_bytes_after_its_234_withdraw_the_handshake()
    {
        var state = Run((Client, 64), (Server, 234));
        Assert.Equal(StratumV2ShapeStatus.HandshakeSeen, state.Status);
        StratumV2ShapeInspector.OnPayload(state, Server, 10, 3);
        Assert.Equal(StratumV2ShapeStatus.Rejected, state.Status);
        Assert.Equal(StratumV2ShapeRejection.ServerHandshakeTooLong, state.Rejection);
        Assert.Equal(0, state.HandshakeMicros);
    }

    [Theory]
    [InlineData(22)]   // a frame with an empty payload
    [InlineData(37)]
    [InlineData(1)]
    public void A_first_client_turn_too_short_for_setup_connection_is_rejected(int clientBytes)
    {
        var state = Run((Client, 64), (Server, 234), (Client, clientBytes), (Server, SetupConnectionSuccess));
        Assert.Equal(StratumV2ShapeStatus.Rejected, state.Status);
        Assert.Equal(StratumV2ShapeRejection.ClientRecordTooShort, state.Rejection);
    }

    [Fact]
    public void A_first_client_turn_larger_than_any_setup_is_rejected()
    {
        var state = Run((Client, 64), (Server, 234), (Client, 1460), (Client, 1460));
        Assert.Equal(StratumV2ShapeStatus.HandshakeSeen, state.Status);
        Feed(state, [.. Enumerable.Repeat((Client, 1460), 10)]);
        Assert.Equal(StratumV2ShapeStatus.Rejected, state.Status);
        Assert.Equal(StratumV2ShapeRejection.ClientRecordTooLong, state.Rejection);
    }

    [Theory]
    [InlineData(38, true)]
    [InlineData(39, true)]
    [InlineData(37, false)]
    public void The_client_record_bound_is_38_bytes(int clientBytes, bool accepted)
    {
        var state = Run((Client, 64), (Server, 234), (Client, clientBytes), (Server, SetupConnectionSuccess));
        Assert.Equal(accepted ? StratumV2ShapeStatus.Confirmed : StratumV2ShapeStatus.Rejected, state.Status);
    }

    [Theory]
    [InlineData(22)]
    [InlineData(37)]
    public void A_server_answer_too_short_for_a_record_is_rejected_when_the_client_speaks(int serverBytes)
    {
        var state = Run((Client, 64), (Server, 234), (Client, SetupConnection), (Server, serverBytes));
        Assert.Equal(StratumV2ShapeStatus.HandshakeSeen, state.Status);
        StratumV2ShapeInspector.OnPayload(state, Client, OpenStandardMiningChannel, 5);
        Assert.Equal(StratumV2ShapeStatus.Rejected, state.Status);
        Assert.Equal(StratumV2ShapeRejection.ServerRecordTooShort, state.Rejection);
    }

    [Fact]
    public void A_handshake_without_records_stays_unconfirmed()
    {
        // The client closes after the handshake (say, the certificate did not verify).
        var state = Run((Client, 64), (Server, 234));
        Assert.Equal(StratumV2ShapeStatus.HandshakeSeen, state.Status);
        Assert.Equal(0, state.ConfirmedMicros);
        Assert.False(state.Settled);
    }

    [Fact]
    public void A_settled_flow_ignores_further_payload()
    {
        var confirmed = Run(FullSession());
        Feed(confirmed, [(Server, 1), (Client, 1), (Server, 5000)]);
        Assert.Equal(StratumV2ShapeStatus.Confirmed, confirmed.Status);
        Assert.Equal(4, confirmed.ConfirmedMicros);

        var rejected = Run((Server, 10));
        Feed(rejected, FullSession());
        Assert.Equal(StratumV2ShapeStatus.Rejected, rejected.Status);
        Assert.Equal(StratumV2ShapeRejection.ServerSpokeFirst, rejected.Rejection);
    }

    [Fact]
    public void A_gap_counts_its_bytes()
    {
        // The capture lost the middle of the server's answer; the stream layer knows it was 100 bytes.
        var state = new StratumV2ShapeState();
        StratumV2ShapeInspector.OnPayload(state, Client, 64, 1);
        StratumV2ShapeInspector.OnPayload(state, Server, 100, 2);
        StratumV2ShapeInspector.OnGap(state, Server, 100, 3);
        StratumV2ShapeInspector.OnPayload(state, Server, 34, 4);
        Assert.Equal(StratumV2ShapeStatus.HandshakeSeen, state.Status);

        var huge = new StratumV2ShapeState();
        StratumV2ShapeInspector.OnGap(huge, Client, long.MaxValue, 1);
        Assert.Equal(StratumV2ShapeRejection.ClientKeyTooLong, huge.Rejection);
    }

    [Fact]
    public void Reset_makes_a_state_as_new()
    {
        var state = Run(FullSession());
        state.Reset();
        Assert.Equal(StratumV2ShapeStatus.Unknown, state.Status);
        Assert.Equal(StratumV2ShapeRejection.None, state.Rejection);
        Assert.Equal(0, state.HandshakeMicros);
        Assert.Equal(0, state.ConfirmedMicros);
        Assert.False(state.Settled);

        // A pooled state that was rejected judges its next flow afresh.
        Feed(state, [(Client, 517)]);
        Assert.Equal(StratumV2ShapeStatus.Rejected, state.Status);
        state.Reset();
        Feed(state, FullSession());
        Assert.Equal(StratumV2ShapeStatus.Confirmed, state.Status);
        Assert.Equal(2, state.HandshakeMicros);
    }

    [Fact]
    public void Allocates_nothing()
    {
        var session = FullSession();
        var state = new StratumV2ShapeState();
        Feed(state, session);
        Assert.Equal(0, Allocations.LeastOver(3, () =>
        {
            for (var i = 0; i < 1000; i++)
            {
                state.Reset();
                for (var j = 0; j < session.Length; j++)
                {
                    StratumV2ShapeInspector.OnPayload(state, session[j].Item1, session[j].Item2, j);
                }
                state.Reset();
                StratumV2ShapeInspector.OnPayload(state, Client, 517, i);
                StratumV2ShapeInspector.OnGap(state, Server, 10, i);
            }
        }));
        Assert.Equal(StratumV2ShapeStatus.Rejected, state.Status);
    }
}
