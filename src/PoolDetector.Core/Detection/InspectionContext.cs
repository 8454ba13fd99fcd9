using System.Buffers;
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
    /// <summary>Largest buffer the inspection pool keeps (a longer line limit in the rules is served unpooled).</summary>
    private const int MaxPooledBuffer = 1024 * 1024;

    public InspectionContext(RuleSet rules, InspectionCounters counters, ArrayPool<byte>? buffers = null)
    {
        ArgumentNullException.ThrowIfNull(rules);
        ArgumentNullException.ThrowIfNull(counters);
        Rules = rules;
        Buffers = buffers ?? CreateBufferPool();
        Evaluator = new MiningMessageEvaluator(rules, counters);
        Stratum = new StratumInspector(Evaluator, counters, Buffers);
        Http = new HttpInspector(Evaluator, counters, Buffers);
    }

    /// <summary>
    /// A pool of the engine's own for partial lines and HTTP messages. ArrayPool.Shared
    /// trims itself when the process is under memory pressure, and the next rent then
    /// allocates on the packet path; a pool the engine owns keeps what it was given.
    /// </summary>
    public static ArrayPool<byte> CreateBufferPool() => ArrayPool<byte>.Create(MaxPooledBuffer, maxArraysPerBucket: 256);

    /// <summary>Buffers for framing, shared by every context of one detector (open flows keep theirs across a reload).</summary>
    public ArrayPool<byte> Buffers { get; }

    public RuleSet Rules { get; }
    public MiningMessageEvaluator Evaluator { get; }
    public StratumInspector Stratum { get; }
    public HttpInspector Http { get; }
}
