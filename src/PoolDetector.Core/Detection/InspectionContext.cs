using PoolDetector.Core.Protocols;
using PoolDetector.Core.Protocols.Http;
using PoolDetector.Core.Protocols.JsonRpc;
using PoolDetector.Core.Protocols.Stratum;
using PoolDetector.Core.Rules;

namespace PoolDetector.Core.Detection;

/// <summary>
/// One rule set and the inspectors built from it. A flow keeps the context it started
/// with, so a rules reload never changes the meaning of evidence already gathered.
/// </summary>
public sealed class InspectionContext
{
    public InspectionContext(RuleSet rules, InspectionCounters counters)
    {
        ArgumentNullException.ThrowIfNull(rules);
        ArgumentNullException.ThrowIfNull(counters);
        Rules = rules;
        Evaluator = new MiningMessageEvaluator(rules, counters);
        Stratum = new StratumInspector(Evaluator, counters);
        Http = new HttpInspector(Evaluator, counters);
    }

    public RuleSet Rules { get; }
    public MiningMessageEvaluator Evaluator { get; }
    public StratumInspector Stratum { get; }
    public HttpInspector Http { get; }
}
