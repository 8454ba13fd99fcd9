using PoolDetector.Core.Decoding;

namespace PoolDetector.Core.Flows;

/// <remarks>
/// TCP reassembly, one <see cref="TcpStream"/> per direction. Bytes before
/// <see cref="TcpStream.NextSeq"/> were delivered or skipped, so anything at or below it is a
/// retransmission and only the part beyond it is delivered. Segments ahead of it wait in a
/// small sorted window. The hole before the window is declared lost, reported through
/// <see cref="IFlowConsumer.OnGap"/>, and skipped when:
/// <list type="bullet">
/// <item>the window is full (by segments or bytes) and a new segment needs room;</item>
/// <item>the peer acknowledges past the start of the first held segment: it has the missing
/// bytes, so the sender will not resend them and the capture simply lost them;</item>
/// <item>held data is older than <see cref="FlowTableOptions.OutOfOrderTimeout"/> (checked on
/// every packet of the flow);</item>
/// <item>the segment before was cut by the snap length (its tail can never arrive);</item>
/// <item>the flow ends (including bytes known missing before a FIN).</item>
/// </list>
/// So the stream never stalls longer than the timeout while the flow carries packets.
/// </remarks>
public sealed partial class FlowTable
{
    private enum GapCause
    {
        WindowFull,
        TableFull,
        Acked,
        TimedOut,
        AtEnd,
        Truncated,
    }

    private void ProcessTcp(Flow flow, FlowDirection direction, in DecodedPacket packet, TcpFlags flags,
        ReadOnlySpan<byte> payload, long timestampMicros)
    {
        var fromClient = direction == FlowDirection.ClientToServer;
        var own = fromClient ? flow.ToServer : flow.ToClient;
        if ((flags & TcpFlags.Fin) != 0)
        {
            own.FinSent = true;
        }

        // An RST's payload is a diagnostic text at best, never stream data.
        if (flow.WantsPayload && (flags & TcpFlags.Rst) == 0)
        {
            var peer = fromClient ? flow.ToClient : flow.ToServer;
            if ((flags & TcpFlags.Ack) != 0 && peer.Count > 0)
            {
                SkipAckedGaps(flow, Opposite(direction), peer, packet.Acknowledgment, timestampMicros);
            }
            ReassembleSegment(flow, direction, own, packet.Sequence, flags, payload, packet.PayloadTruncated, timestampMicros);
            SkipStaleGaps(flow, FlowDirection.ClientToServer, flow.ToServer, timestampMicros);
            SkipStaleGaps(flow, FlowDirection.ServerToClient, flow.ToClient, timestampMicros);
        }
        if (!flow.WantsPayload)
        {
            ReleaseSegments(flow.ToServer);
            ReleaseSegments(flow.ToClient);
        }

        if ((flags & TcpFlags.Rst) != 0)
        {
            Close(flow, FlowCloseState.Reset);
        }
        else if (flow.ToServer.FinSent && flow.ToClient.FinSent)
        {
            Close(flow, FlowCloseState.Fin);
        }
    }

    private static FlowDirection Opposite(FlowDirection direction) =>
        direction == FlowDirection.ClientToServer ? FlowDirection.ServerToClient : FlowDirection.ClientToServer;

    private void ReassembleSegment(Flow flow, FlowDirection direction, TcpStream stream, uint sequence, TcpFlags flags,
        ReadOnlySpan<byte> payload, bool truncated, long timestampMicros)
    {
        var dataSeq = sequence;
        if ((flags & TcpFlags.Syn) != 0)
        {
            // The SYN occupies one sequence number; data (TCP Fast Open) follows it.
            dataSeq = sequence + 1;
            if (!stream.Started)
            {
                stream.Started = true;
                stream.NextSeq = dataSeq;
            }
        }

        if (!payload.IsEmpty)
        {
            if (!stream.Started)
            {
                // Mid-session capture: the first data this side sends is where its stream begins.
                stream.Started = true;
                stream.NextSeq = dataSeq;
            }
            AcceptData(flow, direction, stream, dataSeq, payload, timestampMicros);
            stream.ResyncPending = truncated && stream.NextSeq == dataSeq + (uint)payload.Length;
        }

        if ((flags & TcpFlags.Fin) != 0)
        {
            var finSeq = dataSeq + (uint)payload.Length;
            if (!stream.Started)
            {
                stream.Started = true;
                stream.NextSeq = finSeq;
            }
            stream.FinSeqKnown = true;
            stream.FinSeq = finSeq;
            ConsumeFin(stream);
        }
    }

    /// <summary>Once the stream reaches the FIN, step over it so a resent FIN is just a duplicate.</summary>
    private static void ConsumeFin(TcpStream stream)
    {
        if (stream.FinSeqKnown && stream.NextSeq == stream.FinSeq)
        {
            stream.NextSeq++;
        }
    }

    private void AcceptData(Flow flow, FlowDirection direction, TcpStream stream, uint seq,
        ReadOnlySpan<byte> payload, long timestampMicros)
    {
        if (stream.FinSeqKnown && Seq.Gt(seq + (uint)payload.Length, stream.FinSeq))
        {
            // Nothing follows a FIN in a stream; bytes past it belong to no conversation we can follow.
            var beyond = Seq.Ge(seq, stream.FinSeq) ? payload.Length : (int)(seq + (uint)payload.Length - stream.FinSeq);
            Counters.BytesAfterFin += beyond;
            payload = payload[..^beyond];
            if (payload.IsEmpty)
            {
                return;
            }
        }

        while (true)
        {
            var end = seq + (uint)payload.Length;
            if (Seq.Le(end, stream.NextSeq))
            {
                Counters.RetransmittedBytes += payload.Length;
                return;
            }
            if (Seq.Lt(seq, stream.NextSeq))
            {
                var overlap = (int)(stream.NextSeq - seq);
                Counters.RetransmittedBytes += overlap;
                payload = payload[overlap..];
                seq = stream.NextSeq;
            }

            if (seq == stream.NextSeq)
            {
                stream.NextSeq = end;
                _consumer.OnPayload(flow, direction, payload, timestampMicros);
                Drain(flow, direction, stream, timestampMicros);
                return;
            }

            if (stream.ResyncPending)
            {
                stream.ResyncPending = false;
                SkipTo(flow, direction, stream, seq, GapCause.Truncated, timestampMicros);
                continue;
            }

            if (IsHeld(stream, seq, end))
            {
                Counters.RetransmittedBytes += payload.Length;
                return;
            }

            var tableFull = _bufferedBytesTotal + payload.Length > _maxBufferedBytesTotal;
            if (!tableFull && stream.Count < _maxSegments && stream.BufferedBytes + payload.Length <= _maxBufferedBytes)
            {
                Hold(stream, seq, payload, timestampMicros);
                return;
            }

            // Window full: give up on the earliest hole only, keeping later holes a chance to fill.
            var cause = tableFull ? GapCause.TableFull : GapCause.WindowFull;
            if (stream.Count == 0 || Seq.Lt(seq, stream.Segments![0].Seq))
            {
                SkipTo(flow, direction, stream, seq, cause, timestampMicros);
                continue;
            }
            SkipTo(flow, direction, stream, stream.Segments[0].Seq, cause, timestampMicros);
            Drain(flow, direction, stream, timestampMicros);
            if (!flow.WantsPayload)
            {
                return;
            }
        }
    }

    private static bool IsHeld(TcpStream stream, uint seq, uint end)
    {
        var segments = stream.Segments;
        for (var i = 0; i < stream.Count; i++)
        {
            if (Seq.Le(segments![i].Seq, seq) && Seq.Ge(segments[i].End, end))
            {
                return true;
            }
        }
        return false;
    }

    private void Hold(TcpStream stream, uint seq, ReadOnlySpan<byte> payload, long timestampMicros)
    {
        // Sized once per pooled flow object, on its first out-of-order segment.
        var segments = stream.Segments ??= new BufferedSegment[_maxSegments];
        var buffer = _segmentPool.Rent(payload.Length);
        payload.CopyTo(buffer);

        var i = stream.Count;
        while (i > 0 && Seq.Gt(segments[i - 1].Seq, seq))
        {
            segments[i] = segments[i - 1];
            i--;
        }
        segments[i] = new BufferedSegment { Buffer = buffer, Seq = seq, Length = payload.Length, ArrivedMicros = timestampMicros };
        stream.Count++;
        stream.BufferedBytes += payload.Length;
        _bufferedBytesTotal += payload.Length;
    }

    /// <summary>Delivers held segments that the stream has reached, trimming what was already delivered.</summary>
    private void Drain(Flow flow, FlowDirection direction, TcpStream stream, long timestampMicros)
    {
        var segments = stream.Segments;
        while (stream.Count > 0 && flow.WantsPayload && Seq.Le(segments![0].Seq, stream.NextSeq))
        {
            var segment = segments[0];
            RemoveFirst(stream);
            var end = segment.End;
            if (Seq.Le(end, stream.NextSeq))
            {
                Counters.RetransmittedBytes += segment.Length;
            }
            else
            {
                var overlap = (int)(stream.NextSeq - segment.Seq);
                Counters.RetransmittedBytes += overlap;
                Counters.OutOfOrderSegments++;
                stream.NextSeq = end;
                _consumer.OnPayload(flow, direction, segment.Buffer.AsSpan(overlap, segment.Length - overlap), timestampMicros);
            }
            _segmentPool.Return(segment.Buffer);
        }
        ConsumeFin(stream);
    }

    private void RemoveFirst(TcpStream stream)
    {
        var segments = stream.Segments!;
        stream.BufferedBytes -= segments[0].Length;
        _bufferedBytesTotal -= segments[0].Length;
        stream.Count--;
        Array.Copy(segments, 1, segments, 0, stream.Count);
        segments[stream.Count] = default;
    }

    private void SkipTo(Flow flow, FlowDirection direction, TcpStream stream, uint target, GapCause cause, long timestampMicros)
    {
        long missing = target - stream.NextSeq;
        stream.NextSeq = target;
        Counters.Gaps++;
        Counters.GapBytes += missing;
        switch (cause)
        {
            case GapCause.WindowFull: Counters.GapsWindowFull++; break;
            case GapCause.TableFull: Counters.GapsTableFull++; break;
            case GapCause.Acked: Counters.GapsAcked++; break;
            case GapCause.TimedOut: Counters.GapsTimedOut++; break;
            case GapCause.AtEnd: Counters.GapsAtEnd++; break;
            default: Counters.GapsTruncated++; break;
        }
        _consumer.OnGap(flow, direction, missing, timestampMicros);
    }

    /// <summary>Skips the hole before the first held segment and delivers what follows it.</summary>
    private void SkipFirstGap(Flow flow, FlowDirection direction, TcpStream stream, GapCause cause, long timestampMicros)
    {
        var first = stream.Segments![0].Seq;
        if (Seq.Gt(first, stream.NextSeq))
        {
            SkipTo(flow, direction, stream, first, cause, timestampMicros);
        }
        Drain(flow, direction, stream, timestampMicros);
    }

    private void SkipAckedGaps(Flow flow, FlowDirection direction, TcpStream stream, uint ack, long timestampMicros)
    {
        while (stream.Count > 0 && flow.WantsPayload && Seq.Gt(ack, stream.Segments![0].Seq))
        {
            SkipFirstGap(flow, direction, stream, GapCause.Acked, timestampMicros);
        }
    }

    private void SkipStaleGaps(Flow flow, FlowDirection direction, TcpStream stream, long timestampMicros)
    {
        while (stream.Count > 0 && flow.WantsPayload && timestampMicros - OldestArrival(stream) > _outOfOrderTimeoutMicros)
        {
            SkipFirstGap(flow, direction, stream, GapCause.TimedOut, timestampMicros);
        }
    }

    private static long OldestArrival(TcpStream stream)
    {
        var segments = stream.Segments!;
        var oldest = segments[0].ArrivedMicros;
        for (var i = 1; i < stream.Count; i++)
        {
            oldest = Math.Min(oldest, segments[i].ArrivedMicros);
        }
        return oldest;
    }

    private void FlushAtEnd(Flow flow, FlowDirection direction, TcpStream stream, long timestampMicros)
    {
        while (stream.Count > 0 && flow.WantsPayload)
        {
            SkipFirstGap(flow, direction, stream, GapCause.AtEnd, timestampMicros);
        }
        if (flow.WantsPayload && stream.FinSeqKnown && Seq.Lt(stream.NextSeq, stream.FinSeq))
        {
            SkipTo(flow, direction, stream, stream.FinSeq, GapCause.AtEnd, timestampMicros);
        }
    }

    private void ReleaseSegments(TcpStream stream)
    {
        var segments = stream.Segments;
        for (var i = 0; i < stream.Count; i++)
        {
            _segmentPool.Return(segments![i].Buffer);
            segments[i] = default;
        }
        _bufferedBytesTotal -= stream.BufferedBytes;
        stream.Count = 0;
        stream.BufferedBytes = 0;
    }
}
