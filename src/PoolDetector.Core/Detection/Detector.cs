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
    private readonly RuleSet _rules;
    private readonly IDetectionSink _sink;
    private readonly MiningMessageEvaluator _evaluator;
    private readonly StratumInspector _stratum;
    private readonly HttpInspector _http;
    private readonly Stack<FlowInspection> _pool = new();

    public Detector(RuleSet rules, IDetectionSink sink)
    {
        ArgumentNullException.ThrowIfNull(rules);
        ArgumentNullException.ThrowIfNull(sink);
        _rules = rules;
        _sink = sink;
        _evaluator = new MiningMessageEvaluator(rules);
        _stratum = new StratumInspector(_evaluator, Counters);
        _http = new HttpInspector(_evaluator, Counters);
    }

    public InspectionCounters Counters { get; } = new();

    public long Detections { get; private set; }

    public void OnFlowStarted(Flow flow, long timestampMicros)
    {
        ArgumentNullException.ThrowIfNull(flow);
        if (flow.Transport != TransportProtocol.Tcp)
        {
            // No UDP mining protocol is inspected yet (DNS and friends come with pool intel).
            flow.WantsPayload = false;
            return;
        }
        flow.Attachment = _pool.Count > 0 ? _pool.Pop() : new FlowInspection();
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
        var evidence = inspection.Evidence;
        switch (inspection.Framing)
        {
            case FlowFraming.JsonLines:
                _stratum.OnPayload(inspection.Lines[d], payload, direction, evidence, ref inspection.Pending);
                break;
            case FlowFraming.Http:
                _http.OnPayload(inspection.Http[d], payload, direction, evidence, ref inspection.Pending);
                break;
        }
        inspection.BytesInspected[d] += payload.Length;

        if (evidence.ThresholdReachedMicros == 0 && evidence.Score >= _rules.Scoring.MediumThreshold)
        {
            evidence.ThresholdReachedMicros = timestampMicros;
        }
        // Byte budget: a flow that has shown nothing mining-like in its first bytes is let go.
        // Flows with evidence are followed to the end, to count shares.
        if (evidence.Score == 0 && inspection.BytesInspected[d] > _rules.Scoring.InspectBytesPerDirection && !inspection.DirectionAbandoned(d))
        {
            Abandon(inspection, d);
        }
        if (inspection.DirectionAbandoned(0) && inspection.DirectionAbandoned(1))
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
        switch (inspection.Framing)
        {
            case FlowFraming.JsonLines:
                StratumInspector.OnGap(inspection.Lines[(int)direction]);
                break;
            case FlowFraming.Http:
                _http.OnGap(inspection.Http[(int)direction]);
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
        var detection = Verdict.Judge(flow, inspection, _rules);
        if (detection is not null)
        {
            Detections++;
            _sink.OnDetection(detection);
        }
        inspection.Reset();
        flow.Attachment = null;
        _pool.Push(inspection);
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
