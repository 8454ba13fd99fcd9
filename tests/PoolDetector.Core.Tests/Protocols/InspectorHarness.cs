using System.Text;
using PoolDetector.Core.Detection;
using PoolDetector.Core.Flows;
using PoolDetector.Core.Protocols;
using PoolDetector.Core.Protocols.Http;
using PoolDetector.Core.Protocols.JsonRpc;
using PoolDetector.Core.Protocols.Stratum;
using PoolDetector.Core.Rules;
using PoolDetector.Testing;

namespace PoolDetector.Core.Tests.Protocols;

/// <summary>Drives the inspectors of one flow directly, with the repository's own rules.</summary>
internal sealed class InspectorHarness
{
    public static readonly RuleSet Rules = RuleLoader.LoadDirectory(RepositoryPaths.Rules);

    private readonly LineState[] _lines = [new(), new()];
    private readonly HttpState[] _http = [new(), new()];
    private PendingRequests _pending;

    public InspectorHarness()
    {
        var context = new InspectionContext(Rules, Counters);
        Evaluator = context.Evaluator;
        Stratum = context.Stratum;
        Http = context.Http;
    }

    public MiningMessageEvaluator Evaluator { get; }
    public StratumInspector Stratum { get; }
    public HttpInspector Http { get; }
    public InspectionCounters Counters { get; } = new(Rules.Dialects.Count);
    public FlowEvidence Evidence { get; } = new();

    public InspectorHarness Client(string text) => Lines(FlowDirection.ClientToServer, text);

    public InspectorHarness Server(string text) => Lines(FlowDirection.ServerToClient, text);

    public InspectorHarness Lines(FlowDirection direction, string text) => LinesBytes(direction, Encoding.UTF8.GetBytes(text));

    public InspectorHarness LinesBytes(FlowDirection direction, ReadOnlySpan<byte> bytes)
    {
        Stratum.OnPayload(_lines[(int)direction], bytes, direction, Evidence, ref _pending);
        return this;
    }

    public InspectorHarness HttpText(FlowDirection direction, string text)
    {
        Http.OnPayload(_http[(int)direction], Encoding.UTF8.GetBytes(text), direction, Evidence, ref _pending);
        return this;
    }

    public LineState LineState(FlowDirection direction) => _lines[(int)direction];

    /// <summary>Evidence items as the event shows them.</summary>
    public IReadOnlyList<string> EvidenceNames()
    {
        var names = new List<string>();
        for (var i = 0; i < Evidence.ItemCount; i++)
        {
            names.Add(Verdict.Describe(Evidence.Item(i), Rules));
        }
        return names;
    }

    /// <summary>The dialect the verdict would report.</summary>
    public string? Dialect() => Verdict.ChooseDialect(Evidence, Rules)?.Id;
}
