using System.Runtime.CompilerServices;

namespace PoolDetector.Core.Protocols;

public enum EvidenceKind : byte
{
    /// <summary>A mining method with mining-shaped parameters (rule index).</summary>
    Method,
    /// <summary>A mining method name whose parameters did not fit (rule index).</summary>
    MethodNameOnly,
    /// <summary>A mining-shaped response to a mining request (rule index of the request).</summary>
    Reply,
    /// <summary>A miner agent or User-Agent (agent rule index).</summary>
    Agent,
    /// <summary>A Stratum V1 error triple from the server.</summary>
    StratumError,
    /// <summary>A mining HTTP header (header rule index).</summary>
    Header,
}

/// <summary>One distinct piece of evidence: what kind, which rule.</summary>
public readonly record struct EvidenceItem(EvidenceKind Kind, int Rule);

[InlineArray(FlowEvidence.MaxItems)]
public struct EvidenceItems
{
    private EvidenceItem _first;
}

/// <summary>
/// Everything the inspectors learnt about one flow, for the detector to judge. Pooled with
/// the flow's inspection state; strings are captured once per flow, counters are plain.
/// </summary>
public sealed class FlowEvidence
{
    public const int MaxItems = 16;
    public const int MaxDialects = 32;

    private EvidenceItems _items;
    private readonly int[] _dialectWeight = new int[MaxDialects];

    /// <summary>Total evidence weight.</summary>
    public int Score { get; private set; }

    /// <summary>Weight of messages sent the way the flow's orientation expects (client methods from the client).</summary>
    public int OrientedWeight { get; private set; }

    /// <summary>Weight of messages sent the other way: the "client" is really the pool (orientation was guessed from ports).</summary>
    public int ReversedWeight { get; private set; }

    /// <summary>
    /// True when the messages say the flow's orientation is backwards (it was guessed from the
    /// ports when the SYN was missed): the side taken for the client is the pool.
    /// </summary>
    public bool Reversed => ReversedWeight > OrientedWeight;

    /// <summary>Weight contributed by Stratum error triples, capped by the evaluator.</summary>
    public int StratumErrorWeight { get; set; }

    public int ItemCount { get; private set; }

    /// <summary>Packet time at which the score first reached the mining threshold; 0 until then.</summary>
    public long ThresholdReachedMicros { get; set; }

    /// <summary><c>stratum</c> or <c>http</c>: the framing the evidence was found in.</summary>
    public string? AppProtocol { get; set; }
    public string? Agent { get; set; }
    public int AgentRule { get; set; } = -1;
    public string? Worker { get; set; }
    public string? Algorithm { get; set; }
    /// <summary>True once the algorithm came from a job rather than a miner's list of what it can do.</summary>
    public bool AlgorithmFromJob { get; set; }
    public string? PoolHost { get; private set; }

    /// <summary>Keeps the first pool host name seen; IP literals are not names (the event has the address already).</summary>
    public void NotePoolHost(string? host)
    {
        if (PoolHost is null && !string.IsNullOrEmpty(host) && !System.Net.IPAddress.TryParse(host, out _))
        {
            PoolHost = host;
        }
    }
    public long SharesSubmitted { get; set; }
    public long SharesAccepted { get; set; }
    public long SharesRejected { get; set; }

    public ReadOnlySpan<int> DialectWeights => _dialectWeight;

    public EvidenceItem Item(int index) => _items[index];

    /// <summary>
    /// Adds an item's weight, attributing it to a dialect (or -1) and an orientation. Each
    /// distinct item counts once: a generic method repeated is no stronger than once, and
    /// confirmation comes from different messages agreeing. Stratum error triples are the
    /// exception (the evaluator caps their sum), as nothing else may accompany them.
    /// </summary>
    public void Add(in EvidenceItem item, int weight, int dialect, bool? reversed)
    {
        if (item.Kind != EvidenceKind.StratumError && Contains(item))
        {
            return;
        }
        Score += weight;
        if (dialect >= 0 && dialect < MaxDialects)
        {
            _dialectWeight[dialect] += weight;
        }
        if (reversed == true)
        {
            ReversedWeight += weight;
        }
        else if (reversed == false)
        {
            OrientedWeight += weight;
        }
        Note(item);
    }

    public bool Contains(in EvidenceItem item)
    {
        for (var i = 0; i < ItemCount; i++)
        {
            if (_items[i] == item)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Records an item once, in the order first seen; a bounded list.</summary>
    public void Note(in EvidenceItem item)
    {
        for (var i = 0; i < ItemCount; i++)
        {
            if (_items[i] == item)
            {
                return;
            }
        }
        if (ItemCount < MaxItems)
        {
            _items[ItemCount++] = item;
        }
    }

    public void Reset()
    {
        Score = 0;
        OrientedWeight = 0;
        ReversedWeight = 0;
        StratumErrorWeight = 0;
        ItemCount = 0;
        ThresholdReachedMicros = 0;
        AppProtocol = null;
        Agent = null;
        AgentRule = -1;
        Worker = null;
        Algorithm = null;
        AlgorithmFromJob = false;
        PoolHost = null;
        SharesSubmitted = 0;
        SharesAccepted = 0;
        SharesRejected = 0;
        Array.Clear(_dialectWeight);
    }
}
