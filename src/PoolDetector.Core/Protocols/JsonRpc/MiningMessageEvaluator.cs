using System.Runtime.CompilerServices;
using PoolDetector.Core.Flows;
using PoolDetector.Core.Protocols.Stratum;
using PoolDetector.Core.Rules;

namespace PoolDetector.Core.Protocols.JsonRpc;

/// <summary>
/// Judges JSON-RPC messages against the mining vocabularies of the rules, whatever framed
/// them (Stratum's newline-delimited stream or an HTTP body), and adds the evidence to the
/// flow's <see cref="FlowEvidence"/>. One instance per rule set, shared by all flows.
/// </summary>
public sealed class MiningMessageEvaluator
{
    private readonly RuleSet _rules;
    private readonly MethodRule[] _methods;
    private readonly ParamsShape[] _methodShape;
    private readonly int[] _methodReply;
    private readonly int[] _methodDialect;
    private readonly int _ethereumStratum1;
    private readonly int _ethereumStratum2;

    private readonly InspectionCounters _counters;

    public MiningMessageEvaluator(RuleSet rules, InspectionCounters counters)
    {
        ArgumentNullException.ThrowIfNull(rules);
        ArgumentNullException.ThrowIfNull(counters);
        _rules = rules;
        _counters = counters;
        _methods = [.. rules.Methods];
        _methodShape = Array.ConvertAll(_methods, m => (ParamsShape)MessageShapes.ParamsShapeIndex(m.Shape));
        _methodReply = Array.ConvertAll(_methods, m => MessageShapes.ReplyShapeIndex(m.Reply));
        _methodDialect = Array.ConvertAll(_methods, m => rules.IndexOfDialect(m.Dialect));
        _ethereumStratum1 = rules.IndexOfDialect("ethereumstratum-v1");
        _ethereumStratum2 = rules.IndexOfDialect("ethereumstratum-v2");
    }

    public RuleSet Rules => _rules;

    /// <summary>Finds the vocabulary entry for a method name; prefers the entry whose sender matches.</summary>
    private int FindMethod(ReadOnlySpan<byte> name, MessageSender sender)
    {
        var fallback = -1;
        for (var i = 0; i < _methods.Length; i++)
        {
            if (name.SequenceEqual(_methods[i].NameUtf8))
            {
                if (_methods[i].Sender == sender)
                {
                    return i;
                }
                fallback = i;
            }
        }
        return fallback;
    }

    /// <summary>
    /// Evaluates one message from <paramref name="direction"/>. <paramref name="pending"/>
    /// remembers the client's requests so responses can be matched to them by id.
    /// </summary>
    public void Evaluate(in JsonRpcMessage message, FlowDirection direction, FlowEvidence evidence, ref PendingRequests pending)
    {
        ArgumentNullException.ThrowIfNull(evidence);
        var sender = direction == FlowDirection.ClientToServer ? MessageSender.Client : MessageSender.Server;
        if (message.IsRequest)
        {
            EvaluateRequest(message, sender, evidence, ref pending);
        }
        else if (message.IsResponse)
        {
            EvaluateResponse(message, sender, evidence, ref pending);
        }
    }

    private void EvaluateRequest(in JsonRpcMessage message, MessageSender sender, FlowEvidence evidence, ref PendingRequests pending)
    {
        var index = FindMethod(message.MethodName, sender);
        if (index < 0)
        {
            return;
        }
        var rule = _methods[index];
        // A method from the "wrong" side means the flow's orientation (guessed from ports
        // when the capture missed the SYN) is reversed: the evidence still counts.
        var reversed = rule.Sender != sender;
        var shaped = MessageShapes.MatchesParams(_methodShape[index], message);
        var dialect = DialectOf(index, message);
        _counters.CountMiningMessage(dialect, sender == MessageSender.Client ? FlowDirection.ClientToServer : FlowDirection.ServerToClient);
        if (shaped)
        {
            evidence.Add(new EvidenceItem(EvidenceKind.Method, index), rule.Weight, dialect, reversed);
            Extract(message, rule, evidence);
        }
        else if (rule.NameWeight > 0)
        {
            evidence.Add(new EvidenceItem(EvidenceKind.MethodNameOnly, index), rule.NameWeight, dialect, reversed);
        }
        var submits = IsShareSubmission(index, message);
        if (submits)
        {
            evidence.SharesSubmitted++;
        }
        if (message.Id.Kind is JsonKind.Number or JsonKind.String)
        {
            pending.Add(message.IdKey, index, reversed, submits);
        }
    }

    private void EvaluateResponse(in JsonRpcMessage message, MessageSender sender, FlowEvidence evidence, ref PendingRequests pending)
    {
        if (MessageShapes.IsStratumErrorTriple(message))
        {
            // Stratum's own error shape: evidence of a Stratum server, but never more than a
            // medium verdict on its own (a TLS client greeted with parse errors, say).
            var room = _rules.Scoring.MediumThreshold - evidence.StratumErrorWeight;
            var weight = Math.Min(_rules.Scoring.StratumErrorWeight, Math.Max(room, 0));
            evidence.StratumErrorWeight += weight;
            evidence.Add(new EvidenceItem(EvidenceKind.StratumError, 0), weight, -1, sender == MessageSender.Client);
        }
        if (message.Id.Kind is not (JsonKind.Number or JsonKind.String) || !pending.TryTake(message.IdKey, out var index, out var reversedRequest, out var wasSubmission))
        {
            return;
        }
        var rule = _methods[index];
        var reversed = reversedRequest;
        var replyShape = _methodReply[index];
        _counters.CountMiningMessage(DialectOf(index, message), sender == MessageSender.Client ? FlowDirection.ClientToServer : FlowDirection.ServerToClient);
        if (replyShape >= 0 && MessageShapes.MatchesReply((ReplyShape)replyShape, message))
        {
            evidence.Add(new EvidenceItem(EvidenceKind.Reply, index), rule.ReplyWeight, DialectOf(index, message), reversed);
            ExtractFromReply(message, evidence);
        }
        if (wasSubmission)
        {
            if (MessageShapes.IsAcceptedShare(message))
            {
                evidence.SharesAccepted++;
            }
            else
            {
                evidence.SharesRejected++;
            }
        }
    }

    /// <summary>
    /// Whether the request hands in a share: every submit-role method, and getwork called
    /// with the solved block header as its one parameter (the same method fetches work
    /// when called without).
    /// </summary>
    private bool IsShareSubmission(int index, in JsonRpcMessage message) =>
        _methods[index].Sender == MessageSender.Client
        && (_methods[index].Role == MethodRole.Submit
            || (_methodShape[index] == ParamsShape.Getwork && message.Params.Kind == JsonKind.Array && message.Params.Count == 1));

    /// <summary>A rule's dialect, refined by markers the message itself carries.</summary>
    private int DialectOf(int methodIndex, in JsonRpcMessage message)
    {
        if ((message.Markers & JsonMarkers.EthereumStratum1) != 0 && _ethereumStratum1 >= 0)
        {
            return _ethereumStratum1;
        }
        if ((message.Markers & JsonMarkers.EthereumStratum2) != 0 && _ethereumStratum2 >= 0)
        {
            return _ethereumStratum2;
        }
        return _methodDialect[methodIndex];
    }

    /// <summary>Takes the miner's agent, worker, algorithm and pool host from requests, once per flow.</summary>
    private void Extract(in JsonRpcMessage message, MethodRule rule, FlowEvidence evidence)
    {
        var p = message.Params;
        switch (rule.Role)
        {
            case MethodRole.Subscribe:
                // [agent, session, host, port]
                SetAgent(message, p.Element(0), evidence);
                if (evidence.PoolHost is null && p.Element(2).Kind == JsonKind.String)
                {
                    evidence.NotePoolHost(JsonRpcScanner.DecodeString(message.Line, p.Element(2)));
                }
                break;
            case MethodRole.Hello:
                SetAgent(message, p.Key(JsonKey.Agent), evidence);
                if (evidence.PoolHost is null && p.Key(JsonKey.Host).Kind == JsonKind.String)
                {
                    evidence.NotePoolHost(JsonRpcScanner.DecodeString(message.Line, p.Key(JsonKey.Host)));
                }
                break;
            case MethodRole.Authorize:
                SetWorker(message, p.Element(0), evidence, overwrite: true);
                break;
            case MethodRole.Login when p.Kind == JsonKind.Object:
                SetWorker(message, p.Key(JsonKey.Login), evidence, overwrite: true);
                SetAgent(message, p.Key(JsonKey.Agent), evidence);
                // XMRig lists every algorithm it can mine; a job says which one it mines,
                // and replaces this list when it comes.
                if (evidence.Algorithm is null)
                {
                    SetAlgorithm(message, p.Key(JsonKey.Algo), evidence);
                    evidence.AlgorithmFromJob = false;
                }
                break;
            case MethodRole.Login:
                // ethproxy: [wallet, password] plus a top-level "worker".
                SetWorker(message, p.Element(0), evidence, overwrite: true);
                if (message.Worker.Kind == JsonKind.String && evidence.Worker is not null && !evidence.Worker.Contains('.', StringComparison.Ordinal))
                {
                    var rig = JsonRpcScanner.DecodeString(message.Line, message.Worker);
                    if (rig.Length > 0)
                    {
                        evidence.Worker = evidence.Worker + "." + rig;
                    }
                }
                break;
            case MethodRole.Submit when p.Kind == JsonKind.Array:
                // Mid-session captures never saw the authorize: the submit names the worker too.
                SetWorker(message, p.Element(0), evidence, overwrite: false);
                break;
            case MethodRole.Job when p.Kind == JsonKind.Object:
                SetAlgorithm(message, p.Key(JsonKey.Algo), evidence);
                break;
        }
    }

    private static void ExtractFromReply(in JsonRpcMessage message, FlowEvidence evidence)
    {
        if (message.ResultJob.Kind == JsonKind.Object)
        {
            SetAlgorithm(message, message.ResultJob.Key(JsonKey.Algo), evidence);
        }
    }

    private void SetAgent(in JsonRpcMessage message, in JsonValueInfo value, FlowEvidence evidence)
    {
        if (evidence.Agent is not null || value.Kind != JsonKind.String)
        {
            return;
        }
        evidence.Agent = NonEmpty(JsonRpcScanner.DecodeString(message.Line, value));
        NoteAgent(evidence);
    }

    /// <summary>Matches the flow's agent against the agent rules, adding its weight once.</summary>
    public void NoteAgent(FlowEvidence evidence)
    {
        ArgumentNullException.ThrowIfNull(evidence);
        if (evidence.Agent is null || evidence.AgentRule >= 0)
        {
            return;
        }
        var agents = _rules.Agents;
        for (var i = 0; i < agents.Count; i++)
        {
            var rule = agents[i];
            var hit = rule.Match == AgentMatch.Prefix
                ? evidence.Agent.StartsWith(rule.Pattern, StringComparison.OrdinalIgnoreCase)
                : evidence.Agent.Contains(rule.Pattern, StringComparison.OrdinalIgnoreCase);
            if (hit)
            {
                evidence.AgentRule = i;
                evidence.Add(new EvidenceItem(EvidenceKind.Agent, i), rule.Weight, -1, null);
                return;
            }
        }
    }

    private static void SetWorker(in JsonRpcMessage message, in JsonValueInfo value, FlowEvidence evidence, bool overwrite)
    {
        if (value.Kind != JsonKind.String || (!overwrite && evidence.Worker is not null))
        {
            return;
        }
        var worker = NonEmpty(JsonRpcScanner.DecodeString(message.Line, value));
        if (worker is not null && worker != evidence.Worker)
        {
            evidence.Worker = worker;
        }
    }

    /// <summary>Sets the algorithm once from a job (the pool's word), or from a login's list until a job names it.</summary>
    private static void SetAlgorithm(in JsonRpcMessage message, in JsonValueInfo value, FlowEvidence evidence)
    {
        if (evidence.AlgorithmFromJob || value.Kind is not (JsonKind.String or JsonKind.Array))
        {
            return;
        }
        evidence.AlgorithmFromJob = true;
        if (value.Kind == JsonKind.String)
        {
            evidence.Algorithm = NonEmpty(JsonRpcScanner.DecodeString(message.Line, value, 64));
        }
        else if (value.Kind == JsonKind.Array && value.Count > 0)
        {
            evidence.Algorithm = NonEmpty(AlgorithmList(message, value));
        }
    }

    /// <summary>The strings of a JSON array of algorithm names, comma-separated, bounded.</summary>
    private static string AlgorithmList(in JsonRpcMessage message, in JsonValueInfo array)
    {
        // The scanner records containers by start only; re-read this one small array.
        var reader = new System.Text.Json.Utf8JsonReader(message.Line[array.Start..]);
        var builder = new System.Text.StringBuilder();
        try
        {
            if (!reader.Read() || reader.TokenType != System.Text.Json.JsonTokenType.StartArray)
            {
                return "";
            }
            while (reader.Read() && reader.TokenType != System.Text.Json.JsonTokenType.EndArray && builder.Length < 128)
            {
                if (reader.TokenType == System.Text.Json.JsonTokenType.String)
                {
                    if (builder.Length > 0)
                    {
                        builder.Append(',');
                    }
                    builder.Append(reader.GetString());
                }
                else
                {
                    reader.Skip();
                }
            }
        }
        catch (System.Text.Json.JsonException)
        {
            // The line was valid JSON when scanned; only a cut HTTP body ends here.
        }
        return builder.ToString();
    }

    private static string? NonEmpty(string text) => text.Length == 0 ? null : text;
}

[InlineArray(PendingRequests.Capacity)]
internal struct PendingSlots
{
    private long _first;
}

/// <summary>
/// The last few client requests (id and method rule), so responses can be matched by id.
/// A small ring: pools answer within a few messages, and a flood of requests only
/// forgets the oldest.
/// </summary>
public struct PendingRequests
{
    public const int Capacity = 8;
    private PendingSlots _ids;
    private PendingSlots _methods;
    private int _next;

    private const long ReversedBit = 1L << 32;
    private const long SubmissionBit = 1L << 33;

    public void Add(long id, int method, bool reversed, bool submission)
    {
        _ids[_next] = id;
        _methods[_next] = (long)(uint)(method + 1) | (reversed ? ReversedBit : 0L) | (submission ? SubmissionBit : 0L);
        _next = (_next + 1) % Capacity;
    }

    public bool TryTake(long id, out int method, out bool reversed, out bool submission)
    {
        for (var i = 0; i < Capacity; i++)
        {
            var slot = (_next - 1 - i + Capacity * 2) % Capacity;
            if (_methods[slot] != 0 && _ids[slot] == id)
            {
                method = (int)(_methods[slot] & 0xFFFFFFFF) - 1;
                reversed = (_methods[slot] & ReversedBit) != 0;
                submission = (_methods[slot] & SubmissionBit) != 0;
                _methods[slot] = 0;
                return true;
            }
        }
        method = -1;
        reversed = false;
        submission = false;
        return false;
    }

    public void Clear() => this = default;
}
