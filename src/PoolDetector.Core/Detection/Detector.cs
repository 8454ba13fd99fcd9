using PoolDetector.Core.Decoding;
using PoolDetector.Core.Flows;
using PoolDetector.Core.Protocols;
using PoolDetector.Core.Protocols.Http;
using PoolDetector.Core.Protocols.JsonRpc;
using PoolDetector.Core.Protocols.Stratum;
using PoolDetector.Core.Rules;

namespace PoolDetector.Core.Detection;

/// <summary>
/// The stage after the flow table: routes each flow's payload to the inspector for its
/// framing, weighs the evidence, and reports one <see cref="MiningDetection"/> per flow
/// whose evidence reaches the rules' thresholds, when the flow ends (so shares are final).
/// </summary>
public sealed class Detector : IFlowConsumer
{
    private readonly IDetectionSink _sink;
    private readonly DetectionReporting _reporting;
    private readonly Stack<FlowInspection> _pool = new();
    private InspectionContext _context;

    public Detector(RuleSet rules, IDetectionSink sink, DetectionReporting reporting = DetectionReporting.AtFlowEnd)
    {
        ArgumentNullException.ThrowIfNull(rules);
        ArgumentNullException.ThrowIfNull(sink);
        _sink = sink;
        _reporting = reporting;
        Counters = new InspectionCounters(rules.Dialects.Count);
        _context = new InspectionContext(rules, Counters);
    }

    public InspectionCounters Counters { get; }

    /// <summary>Flows reported as detections (each counted once, however often it is reported).</summary>
    public long Detections { get; private set; }

    /// <summary>The rules new flows are inspected with.</summary>
    public RuleSet Rules => _context.Rules;

    /// <summary>
    /// Inspects new flows with <paramref name="rules"/> from now on; flows already open
    /// finish with the rules they started with. Call on the packet thread.
    /// </summary>
    public void ReplaceRules(RuleSet rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        Counters.EnsureDialects(rules.Dialects.Count);
        _context = new InspectionContext(rules, Counters, _context.Buffers);
    }

    public void OnFlowStarted(Flow flow, long timestampMicros)
    {
        ArgumentNullException.ThrowIfNull(flow);
        if (flow.Transport != TransportProtocol.Tcp)
        {
            // No UDP mining protocol is inspected yet (DNS and friends come with pool intel).
            flow.WantsPayload = false;
            return;
        }
        var inspection = _pool.Count > 0 ? _pool.Pop() : new FlowInspection();
        inspection.Context = _context;
        flow.Attachment = inspection;
    }

    public void OnPayload(Flow flow, FlowDirection direction, ReadOnlySpan<byte> payload, long timestampMicros)
    {
        ArgumentNullException.ThrowIfNull(flow);
        if (flow.Attachment is not FlowInspection inspection)
        {
            return;
        }
        var d = (int)direction;
        if (inspection.Framing == FlowFraming.Undecided)
        {
            inspection.Framing = DecideFraming(payload, direction);
        }
        // Node P2P: fixed headers on a direction's first bytes, the RLPx handshake by turns
        // (constant work per chunk, over within each side's first turn).
        inspection.Node.OnPayload(d, payload, timestampMicros);
        var evidence = inspection.Evidence;
        var context = inspection.Context!;
        var scoring = context.Rules.Scoring;
        switch (inspection.Framing)
        {
            case FlowFraming.JsonLines:
                context.Stratum.OnPayload(inspection.Lines[d], payload, direction, evidence, ref inspection.Pending);
                break;
            case FlowFraming.Http:
                context.Http.OnPayload(inspection.Http[d], payload, direction, evidence, ref inspection.Pending);
                break;
        }
        inspection.BytesInspected[d] += payload.Length;

        if (evidence.ThresholdReachedMicros == 0 && evidence.Score >= scoring.MediumThreshold)
        {
            evidence.ThresholdReachedMicros = timestampMicros;
        }
        if (_reporting == DetectionReporting.OnVerdict && !inspection.Reported && ReadyToReport(evidence, scoring, timestampMicros))
        {
            Report(flow, inspection, flowEnded: false);
        }
        else if (_reporting == DetectionReporting.OnVerdict && !inspection.Reported && evidence.Score == 0 && inspection.Node.Confirmed)
        {
            Report(flow, inspection, flowEnded: false);
        }
        // Byte budget: a flow that has shown nothing mining-like in its first bytes is let go.
        // Flows with evidence are followed to the end, to count shares.
        if (evidence.Score == 0 && inspection.BytesInspected[d] > scoring.InspectBytesPerDirection && !inspection.DirectionAbandoned(d))
        {
            Abandon(inspection, d);
        }
        if (inspection.DirectionAbandoned(0) && inspection.DirectionAbandoned(1) && !inspection.Node.WantsPayload)
        {
            flow.WantsPayload = false;
        }
    }

    public void OnGap(Flow flow, FlowDirection direction, long missingBytes, long timestampMicros)
    {
        ArgumentNullException.ThrowIfNull(flow);
        if (flow.Attachment is not FlowInspection inspection)
        {
            return;
        }
        inspection.Node.OnGap((int)direction, missingBytes, timestampMicros);
        switch (inspection.Framing)
        {
            case FlowFraming.JsonLines:
                StratumInspector.OnGap(inspection.Lines[(int)direction]);
                break;
            case FlowFraming.Http:
                inspection.Context!.Http.OnGap(inspection.Http[(int)direction]);
                break;
        }
    }

    public void OnFlowEnded(Flow flow, FlowEndReason reason, long timestampMicros)
    {
        ArgumentNullException.ThrowIfNull(flow);
        if (flow.Attachment is not FlowInspection inspection)
        {
            return;
        }
        Report(flow, inspection, flowEnded: true);
        inspection.Reset();
        flow.Attachment = null;
        _pool.Push(inspection);
    }

    /// <summary>
    /// Live, a flow is reported once the protocol is confirmed (high confidence) and the
    /// miner has named its worker (the wallet is what a report needs; the authorize or login
    /// follows the subscribe within a message or two), or <see cref="WorkerWaitMicros"/>
    /// after the verdict without one; a medium verdict is reported after
    /// <see cref="MediumVerdictDelayMicros"/>. Quick enough to alert, late enough that most
    /// alerts are confirmed and complete. Times are packet time.
    /// </summary>
    public const long MediumVerdictDelayMicros = 30_000_000;

    public const long WorkerWaitMicros = 5_000_000;

    private static bool ReadyToReport(FlowEvidence evidence, ScoringRule scoring, long nowMicros)
    {
        if (evidence.ThresholdReachedMicros == 0)
        {
            return false;
        }
        var waited = nowMicros - evidence.ThresholdReachedMicros;
        return evidence.Score >= scoring.HighThreshold
            ? evidence.Worker is not null || waited >= WorkerWaitMicros
            : waited >= MediumVerdictDelayMicros;
    }

    private void Report(Flow flow, FlowInspection inspection, bool flowEnded)
    {
        var detection = Verdict.Judge(flow, inspection, inspection.Context!.Rules);
        if (detection is null)
        {
            return;
        }
        if (!inspection.Reported)
        {
            Detections++;
        }
        _sink.OnDetection(detection with { FlowEnded = flowEnded, ReportedBefore = inspection.Reported });
        inspection.Reported = true;
    }

    private static FlowFraming DecideFraming(ReadOnlySpan<byte> payload, FlowDirection direction)
    {
        if (direction == FlowDirection.ClientToServer ? HttpInspector.LooksLikeRequest(payload) : HttpInspector.LooksLikeResponse(payload))
        {
            return FlowFraming.Http;
        }
        // Everything else gets the JSON line framer, which rejects binary and non-JSON
        // directions within a few bytes or lines; a capture that starts mid-line resyncs.
        return FlowFraming.JsonLines;
    }

    private void Abandon(FlowInspection inspection, int direction)
    {
        inspection.Lines[direction].Abandoned = true;
        inspection.Lines[direction].Release();
        inspection.Http[direction].Abandoned = true;
        inspection.Http[direction].Release();
        Counters.DirectionsAbandoned++;
    }
}
