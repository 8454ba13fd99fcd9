using System.Buffers;
using PoolDetector.Core.Decoding;

namespace PoolDetector.Core.Flows;

/// <summary>
/// Bidirectional flow tracking keyed by VLAN + 5-tuple, with per-direction TCP stream
/// reassembly, all driven by packet time.
/// </summary>
/// <remarks>
/// <para>Expiry: every flow sits on one of five intrusive lists: open TCP, UDP, closed TCP, and
/// for TCP flows that have carried no payload in either direction yet, open and closed again.
/// A packet moves its flow to the tail of its list, so each list is ordered by last-seen and
/// <see cref="ExpireIdle"/> only looks at list heads: amortised O(1). A TCP flow leaves its
/// payload-less list for the ordinary one at its first payload byte and never goes back.
/// Flows that expire at the same packet end in the order of their last frames, whichever list
/// they are on, so that tables each holding some of the flows (<c>analyze --workers</c>) end
/// them in the order one table would.</para>
/// <para>Capacity eviction takes the older head of the two payload-less lists: the least
/// recently seen flow that never carried a byte (a SYN, a scan probe, a bare handshake). Only
/// when there is none does it take the oldest of all heads, the least recently seen flow
/// overall. Plain least-recently-seen would let a SYN flood push out a quiet miner (a job a
/// minute) within a second of a full table; a flow that never carried payload has nothing for
/// an inspector to lose.</para>
/// <para>Closing: FIN from both sides or an RST does not end the flow at once; it moves to
/// the closed list and ends after <see cref="FlowTableOptions.TcpClosedTimeout"/> without a
/// packet. Late retransmissions and the final ACK land on the old flow instead of opening a
/// new one with a guessed orientation. A SYN (without ACK) on a closed flow is a new
/// connection reusing the 5-tuple: the old flow ends there and a new one starts. Only a SYN
/// or a segment with payload creates a TCP flow: an RST, or a bare ACK/FIN, that matches no
/// flow is the tail of a conversation already ended (or not worth following), and a
/// mid-session capture gets its flow at the first data anyway.</para>
/// <para><see cref="Process"/> calls <see cref="ExpireIdle"/> itself with the packet's time,
/// so expiry does not depend on how often the engine calls it; the engine still may, e.g.
/// live with a quiet interface.</para>
/// <para>Not re-entrant: a consumer must not call back into the table from its callbacks.</para>
/// </remarks>
public sealed partial class FlowTable
{
    private const byte TcpOpenList = 0;
    private const byte UdpList = 1;
    private const byte TcpClosedList = 2;
    /// <summary>Open TCP flows without payload so far; expire with <see cref="TcpOpenList"/>'s timeout.</summary>
    private const byte TcpOpenEmptyList = 3;
    /// <summary>Closed TCP flows that never carried payload; expire with <see cref="TcpClosedList"/>'s timeout.</summary>
    private const byte TcpClosedEmptyList = 4;
    private const int ListCount = 5;

    private readonly FlowTableOptions _options;
    private readonly IFlowConsumer _consumer;
    private readonly Dictionary<FlowKey, Flow> _flows;
    private readonly Flow?[] _expiryHead = new Flow?[ListCount];
    private readonly Flow?[] _expiryTail = new Flow?[ListCount];
    private readonly long[] _timeoutMicros = new long[ListCount];
    private readonly int _maxFlows;
    private readonly int _maxSegments;
    private readonly int _maxBufferedBytes;
    private readonly long _outOfOrderTimeoutMicros;
    private readonly long _maxBufferedBytesTotal;
    private long _bufferedBytesTotal;

    /// <summary>
    /// Out-of-order segments never exceed the per-direction byte cap, so a bounded pool of
    /// arrays up to that size covers every request without allocating in steady state.
    /// </summary>
    private readonly ArrayPool<byte> _segmentPool;

    private Flow? _createdHead;
    private Flow? _createdTail;
    private Flow? _free;
    /// <summary>The number of the frame being processed (or the last one), see <see cref="Flow.Id"/>.</summary>
    private long _frameNumber;
    private FlowEndStep _endStep;

    public FlowTable(FlowTableOptions options, IFlowConsumer consumer)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(consumer);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxFlows, 1, nameof(options.MaxFlows));
        ArgumentOutOfRangeException.ThrowIfNegative(options.MaxBufferedBytesPerDirection, nameof(options.MaxBufferedBytesPerDirection));
        ArgumentOutOfRangeException.ThrowIfNegative(options.MaxBufferedSegmentsPerDirection, nameof(options.MaxBufferedSegmentsPerDirection));
        _options = options;
        _consumer = consumer;
        _maxFlows = options.MaxFlows;
        _maxSegments = options.MaxBufferedSegmentsPerDirection;
        _maxBufferedBytes = options.MaxBufferedBytesPerDirection;
        _timeoutMicros[TcpOpenList] = ToMicros(options.TcpIdleTimeout);
        _timeoutMicros[UdpList] = ToMicros(options.UdpIdleTimeout);
        _timeoutMicros[TcpClosedList] = ToMicros(options.TcpClosedTimeout);
        _timeoutMicros[TcpOpenEmptyList] = _timeoutMicros[TcpOpenList];
        _timeoutMicros[TcpClosedEmptyList] = _timeoutMicros[TcpClosedList];
        _outOfOrderTimeoutMicros = ToMicros(options.OutOfOrderTimeout);
        _maxBufferedBytesTotal = options.MaxBufferedBytesTotal;
        // Grown only when new flows appear; pre-sizing to MaxFlows would cost tens of MB up front.
        _flows = new Dictionary<FlowKey, Flow>(Math.Min(_maxFlows, 4096));
        _segmentPool = ArrayPool<byte>.Create(Math.Max(16, _maxBufferedBytes), 1024);
    }

    public FlowCounters Counters { get; } = new();

    public int ActiveFlows { get; private set; }

    /// <summary>Out-of-order bytes currently held across all flows.</summary>
    public long BufferedBytes => _bufferedBytesTotal;

    public FlowTableOptions Options => _options;

    /// <summary>
    /// Where in the input the flow being ended is ended: valid during
    /// <see cref="IFlowConsumer.OnFlowEnded"/>. Reports from several tables sorted by it come
    /// out in the order one table would have made them.
    /// </summary>
    public FlowEndPosition EndPosition { get; private set; }

    /// <summary>Processes one decoded packet; <paramref name="frame"/> is the frame it was decoded from.</summary>
    /// <param name="frameNumber">The frame's number in the input (1-based, frames that did not decode counted too); 0: the one after the last.</param>
    /// <param name="shadow">A frame another table owns (see <see cref="Flow.Shadow"/>): a flow it starts is a shadow.</param>
    public void Process(in DecodedPacket packet, ReadOnlySpan<byte> frame, long timestampMicros, long frameNumber = 0, bool shadow = false)
    {
        ExpireIdle(timestampMicros, frameNumber == 0 ? _frameNumber + 1 : frameNumber);
        _endStep = FlowEndStep.Frame;

        var isTcp = packet.Transport == TransportProtocol.Tcp;
        if (!isTcp && packet.Transport != TransportProtocol.Udp)
        {
            Counters.PacketsInvalid++;
            return;
        }

        ReadOnlySpan<byte> payload = default;
        if (packet.PayloadLength != 0)
        {
            if ((uint)packet.PayloadOffset > (uint)frame.Length
                || (uint)packet.PayloadLength > (uint)(frame.Length - packet.PayloadOffset))
            {
                Counters.PacketsInvalid++;
                return;
            }
            payload = frame.Slice(packet.PayloadOffset, packet.PayloadLength);
        }

        var flags = isTcp ? packet.TcpFlags : TcpFlags.None;
        var key = FlowKey.Of(packet);
        _flows.TryGetValue(key, out var flow);

        if (flow is not null && isTcp && flow.CloseState != FlowCloseState.Open
            && (flags & (TcpFlags.Syn | TcpFlags.Ack)) == TcpFlags.Syn)
        {
            EndFlow(flow, flow.CloseState == FlowCloseState.Reset ? FlowEndReason.Reset : FlowEndReason.Fin, timestampMicros);
            flow = null;
        }

        if (flow is null)
        {
            if (isTcp && ((flags & TcpFlags.Rst) != 0 || ((flags & TcpFlags.Syn) == 0 && payload.IsEmpty)))
            {
                Counters.PacketsWithoutFlow++;
                return;
            }
            flow = CreateFlow(key, packet, flags, timestampMicros, shadow);
        }

        var fromClient = packet.SourcePort == flow.ClientPort && packet.Source == flow.ClientAddress;
        if (fromClient)
        {
            flow.PacketsToServer++;
            flow.BytesToServer += payload.Length;
            // The source MAC only: a destination may be a broadcast, and cooked headers have none.
            if (flow.ClientMac.IsNone)
            {
                flow.ClientMac = packet.SourceMac;
            }
        }
        else
        {
            flow.PacketsToClient++;
            flow.BytesToClient += payload.Length;
            if (flow.ServerMac.IsNone)
            {
                flow.ServerMac = packet.SourceMac;
            }
        }
        if (!payload.IsEmpty)
        {
            flow.CountExchange(fromClient, timestampMicros);
            if (flow.ExpiryList >= TcpOpenEmptyList)
            {
                // First payload byte: no longer first in line for capacity eviction.
                Unlink(flow);
                flow.ExpiryList = flow.ExpiryList == TcpOpenEmptyList ? TcpOpenList : TcpClosedList;
                Append(flow);
            }
        }
        // Merged or jittery captures can step back in time; last-seen never does.
        if (timestampMicros > flow.LastSeenMicros)
        {
            flow.LastSeenMicros = timestampMicros;
        }
        flow.LastFrame = _frameNumber;
        MoveToTail(flow);

        var direction = fromClient ? FlowDirection.ClientToServer : FlowDirection.ServerToClient;
        if (isTcp)
        {
            ProcessTcp(flow, direction, packet, flags, payload, timestampMicros);
        }
        else if (!payload.IsEmpty && flow.WantsPayload)
        {
            _consumer.OnPayload(flow, direction, payload, timestampMicros);
        }
    }

    /// <summary>Expires flows idle at <paramref name="nowMicros"/> (packet time).</summary>
    public void ExpireIdle(long nowMicros) => ExpireIdle(nowMicros, _frameNumber);

    /// <summary>Expires flows idle at <paramref name="nowMicros"/>, the time of frame <paramref name="frameNumber"/>.</summary>
    public void ExpireIdle(long nowMicros, long frameNumber)
    {
        _frameNumber = frameNumber;
        _endStep = FlowEndStep.Expiry;
        while (true)
        {
            // Each list is in last-frame order; of the heads that are due, the earliest goes first.
            Flow? next = null;
            for (byte list = 0; list < ListCount; list++)
            {
                var head = _expiryHead[list];
                if (head is not null && nowMicros - head.LastSeenMicros >= _timeoutMicros[list]
                    && (next is null || head.LastFrame < next.LastFrame))
                {
                    next = head;
                }
            }
            if (next is null)
            {
                return;
            }
            EndFlow(next, ExpiryReason(next), nowMicros);
        }
    }

    /// <summary>Ends every open flow with <see cref="FlowEndReason.EndOfInput"/>, in creation order.</summary>
    public void EndAll(long timestampMicros)
    {
        _endStep = FlowEndStep.EndOfInput;
        while (_createdHead is not null)
        {
            EndFlow(_createdHead, FlowEndReason.EndOfInput, timestampMicros);
        }
    }

    private static long ToMicros(TimeSpan span) => span.Ticks / TimeSpan.TicksPerMicrosecond;

    private static FlowEndReason ExpiryReason(Flow flow) => flow.CloseState switch
    {
        FlowCloseState.Reset => FlowEndReason.Reset,
        FlowCloseState.Fin => FlowEndReason.Fin,
        // A half-closed connection that then went quiet ended by FIN in all but the last
        // packet the capture saw; the enum documents this as Fin.
        _ when flow.ToServer.FinSent || flow.ToClient.FinSent => FlowEndReason.Fin,
        _ => FlowEndReason.Idle,
    };

    private Flow CreateFlow(in FlowKey key, in DecodedPacket packet, TcpFlags flags, long timestampMicros, bool shadow)
    {
        if (ActiveFlows >= _maxFlows)
        {
            EvictForCapacity(timestampMicros);
        }

        var flow = _free;
        if (flow is null)
        {
            flow = new Flow();
        }
        else
        {
            _free = flow.CreatedNext;
            flow.CreatedNext = null;
        }

        bool senderIsClient;
        var fromSyn = false;
        if ((flags & TcpFlags.Syn) != 0)
        {
            // SYN alone comes from the client; SYN+ACK goes to it.
            senderIsClient = (flags & TcpFlags.Ack) == 0;
            fromSyn = true;
        }
        else
        {
            // Clients use ephemeral ports, which sit above the service ports they call.
            senderIsClient = packet.SourcePort >= packet.DestinationPort;
        }

        flow.Id = _frameNumber;
        flow.Shadow = shadow;
        flow.Transport = packet.Transport;
        flow.OuterVlan = packet.OuterVlan;
        flow.InnerVlan = packet.InnerVlan;
        flow.OrientationFromSyn = fromSyn;
        if (senderIsClient)
        {
            flow.ClientAddress = packet.Source;
            flow.ClientPort = packet.SourcePort;
            flow.ServerAddress = packet.Destination;
            flow.ServerPort = packet.DestinationPort;
        }
        else
        {
            flow.ClientAddress = packet.Destination;
            flow.ClientPort = packet.DestinationPort;
            flow.ServerAddress = packet.Source;
            flow.ServerPort = packet.SourcePort;
        }
        flow.FirstSeenMicros = timestampMicros;
        flow.LastSeenMicros = timestampMicros;

        _flows.Add(key, flow);
        ActiveFlows++;
        if (!shadow)
        {
            Counters.FlowsCreated++;
        }

        // A TCP flow starts payload-less; Process moves it on at its first payload byte, even
        // when that byte is on the very packet that created the flow (mid-session capture).
        flow.ExpiryList = packet.Transport == TransportProtocol.Tcp ? TcpOpenEmptyList : UdpList;
        Append(flow);
        flow.CreatedPrev = _createdTail;
        if (_createdTail is null)
        {
            _createdHead = flow;
        }
        else
        {
            _createdTail.CreatedNext = flow;
        }
        _createdTail = flow;

        _consumer.OnFlowStarted(flow, timestampMicros);
        return flow;
    }

    /// <summary>Makes room for one flow: the least recently seen payload-less flow, else the least recently seen flow.</summary>
    private void EvictForCapacity(long timestampMicros)
    {
        var victim = Older(_expiryHead[TcpOpenEmptyList], _expiryHead[TcpClosedEmptyList]);
        if (victim is null)
        {
            for (var list = 0; list < ListCount; list++)
            {
                victim = Older(victim, _expiryHead[list]);
            }
        }
        if (victim is not null)
        {
            EndFlow(victim, FlowEndReason.Capacity, timestampMicros);
        }
    }

    private static Flow? Older(Flow? a, Flow? b) =>
        a is null || (b is not null && b.LastSeenMicros < a.LastSeenMicros) ? b : a;

    private void Close(Flow flow, FlowCloseState state)
    {
        if (flow.CloseState != FlowCloseState.Open)
        {
            return;
        }
        flow.CloseState = state;
        Unlink(flow);
        flow.ExpiryList = flow.ExpiryList == TcpOpenEmptyList ? TcpClosedEmptyList : TcpClosedList;
        Append(flow);
    }

    private void EndFlow(Flow flow, FlowEndReason reason, long timestampMicros)
    {
        if (flow.Transport == TransportProtocol.Tcp)
        {
            if (flow.WantsPayload)
            {
                FlushAtEnd(flow, FlowDirection.ClientToServer, flow.ToServer, timestampMicros);
                FlushAtEnd(flow, FlowDirection.ServerToClient, flow.ToClient, timestampMicros);
            }
            ReleaseSegments(flow.ToServer);
            ReleaseSegments(flow.ToClient);
        }

        EndPosition = _endStep switch
        {
            FlowEndStep.Expiry => new FlowEndPosition(_frameNumber, FlowEndStep.Expiry, flow.LastFrame),
            FlowEndStep.Frame => new FlowEndPosition(_frameNumber, FlowEndStep.Frame, 0),
            _ => new FlowEndPosition(long.MaxValue, FlowEndStep.EndOfInput, flow.Id),
        };
        // A shadow is counted by the table that owns it.
        if (!flow.Shadow)
        {
            switch (reason)
            {
                case FlowEndReason.Fin: Counters.FlowsEndedFin++; break;
                case FlowEndReason.Reset: Counters.FlowsEndedReset++; break;
                case FlowEndReason.Idle: Counters.FlowsEndedIdle++; break;
                case FlowEndReason.Capacity:
                    Counters.FlowsEvictedCapacity++;
                    if (flow.ExpiryList >= TcpOpenEmptyList)
                    {
                        Counters.FlowsEvictedWithoutPayload++;
                    }
                    break;
                default: Counters.FlowsEndedEndOfInput++; break;
            }
        }
        _consumer.OnFlowEnded(flow, reason, timestampMicros);

        _flows.Remove(FlowKey.Of(flow));
        ActiveFlows--;
        Unlink(flow);
        if (flow.CreatedPrev is null)
        {
            _createdHead = flow.CreatedNext;
        }
        else
        {
            flow.CreatedPrev.CreatedNext = flow.CreatedNext;
        }
        if (flow.CreatedNext is null)
        {
            _createdTail = flow.CreatedPrev;
        }
        else
        {
            flow.CreatedNext.CreatedPrev = flow.CreatedPrev;
        }

        flow.Reset();
        flow.CreatedNext = _free;
        _free = flow;
    }

    private void Append(Flow flow)
    {
        var list = flow.ExpiryList;
        var tail = _expiryTail[list];
        flow.ExpiryPrev = tail;
        flow.ExpiryNext = null;
        if (tail is null)
        {
            _expiryHead[list] = flow;
        }
        else
        {
            tail.ExpiryNext = flow;
        }
        _expiryTail[list] = flow;
    }

    private void Unlink(Flow flow)
    {
        var list = flow.ExpiryList;
        if (flow.ExpiryPrev is null)
        {
            _expiryHead[list] = flow.ExpiryNext;
        }
        else
        {
            flow.ExpiryPrev.ExpiryNext = flow.ExpiryNext;
        }
        if (flow.ExpiryNext is null)
        {
            _expiryTail[list] = flow.ExpiryPrev;
        }
        else
        {
            flow.ExpiryNext.ExpiryPrev = flow.ExpiryPrev;
        }
        flow.ExpiryPrev = null;
        flow.ExpiryNext = null;
    }

    private void MoveToTail(Flow flow)
    {
        if (_expiryTail[flow.ExpiryList] != flow)
        {
            Unlink(flow);
            Append(flow);
        }
    }
}
