using PoolDetector.Core.Decoding;
using PoolDetector.Core.Detection.Memory;
using PoolDetector.Core.Intel;
using PoolDetector.Core.Protocols.Dns;

namespace PoolDetector.Core.Detection;

/// <summary>Whether a name is a pool's, by the lists or by what this sensor learned.</summary>
public enum PoolNameMatch : byte
{
    None,
    /// <summary>Only weak intel knows it: it may name a flagged flow, never flag one.</summary>
    Weak,
    Strong,
}

/// <summary>Looks names up in the pool lists, the allowlist and the learned pools, in that order of authority.</summary>
public static class PoolNames
{
    public static PoolNameMatch Match(ReadOnlySpan<char> name, PoolIntel intel, LearnedPools learned, long nowMicros, out IntelMatch match)
    {
        ArgumentNullException.ThrowIfNull(intel);
        ArgumentNullException.ThrowIfNull(learned);
        match = default;
        if (name.IsEmpty || (intel.Allowlist.Count > 0 && intel.Allowlist.IsAllowed(name, Day(nowMicros))))
        {
            return PoolNameMatch.None;
        }
        if (intel.Domains.TryMatch(name, out match))
        {
            return match.Entry.IsStrong ? PoolNameMatch.Strong : PoolNameMatch.Weak;
        }
        // A learned name comes from what a miner sent (a subscribe's host, a Host header): it names
        // flows, but flagging every look-up of it would let one odd miner config ("www.google.com")
        // implicate the whole campus. The learned endpoint is what flags.
        return learned.KnowsName(name) ? PoolNameMatch.Weak : PoolNameMatch.None;
    }

    /// <summary>The UTC day of a packet time, for allowlist expiry.</summary>
    public static DateOnly Day(long micros) => DateOnly.FromDateTime(DateTime.UnixEpoch.AddTicks(micros * TimeSpan.TicksPerMicrosecond));

    /// <summary>How a match reads in the event: <c>intel:pools-domains.tsv:nanopool.org</c>, or <c>learned</c>.</summary>
    public static string Provenance(in IntelMatch match) =>
        match.Entry is null ? "learned" : $"intel:{Path.GetFileName(match.Entry.File)}:{match.Indicator}";
}

/// <summary>
/// Receives one DNS message of a flow (<see cref="DnsMessageParser"/>): questions and answers
/// for pool names become evidence on the DNS flow, and each address answered for a pool name
/// (directly or at the end of a CNAME chain) is bound to the querying client in the
/// <see cref="DnsAnswerCache"/>. Strings are made only for pool names.
/// </summary>
public struct DnsPoolObserver : IDnsRecordHandler
{
    /// <summary>Names of one message's CNAME chains that lead from a pool name; a few suffice.</summary>
    private const int MaxChainNames = 8;

    private readonly ContactEvidence _evidence;
    private readonly PoolIntel _intel;
    private readonly LearnedPools _learned;
    private readonly DnsAnswerCache _cache;
    private readonly IpAddress _client;
    private readonly long _nowMicros;
    private readonly bool _isResponse;
    private List<(string Name, string Root)>? _chain;

    public DnsPoolObserver(ContactEvidence evidence, PoolIntel intel, LearnedPools learned, DnsAnswerCache cache, IpAddress client, bool isResponse, long nowMicros)
    {
        _evidence = evidence;
        _intel = intel;
        _learned = learned;
        _cache = cache;
        _client = client;
        _isResponse = isResponse;
        _nowMicros = nowMicros;
        _chain = null;
    }

    public void OnQuestion(ReadOnlySpan<char> name, ushort type, ushort questionClass)
    {
        var root = Classify(name, "dns-query:");
        if (root is not null)
        {
            Follow(root, root);
        }
    }

    public void OnCname(ReadOnlySpan<char> owner, ReadOnlySpan<char> target, uint ttl)
    {
        var root = RootOf(owner) ?? Classify(owner, "dns-answer:");
        if (root is not null)
        {
            Follow(target.ToString(), root);
            return;
        }
        // An alias of a pool name (a miner's own domain pointing at the pool): the pool's name
        // roots the chain from here on.
        root = Classify(target, "dns-cname:", alias: owner);
        if (root is not null)
        {
            Follow(root, root);
        }
    }

    public void OnAddress(ReadOnlySpan<char> owner, IpAddress address, uint ttl)
    {
        var root = RootOf(owner) ?? Classify(owner, "dns-answer:");
        if (root is null || !_isResponse)
        {
            return;
        }
        _cache.Remember(_client, address, root, ttl, _nowMicros);
        _evidence.Note("dns-answer:" + root + "=" + address);
    }

    /// <summary>A pool name as a string (and evidence), or null for every other name: no allocation then.</summary>
    private readonly string? Classify(ReadOnlySpan<char> name, string label, ReadOnlySpan<char> alias = default)
    {
        var kind = PoolNames.Match(name, _intel, _learned, _nowMicros, out var match);
        if (kind == PoolNameMatch.None)
        {
            return null;
        }
        var text = name.ToString();
        if (kind == PoolNameMatch.Strong)
        {
            _evidence.Add(ContactSignal.PoolDnsName, alias.IsEmpty ? label + text : $"{label}{alias}->{text}", text);
            _evidence.Note(PoolNames.Provenance(match));
            return text;
        }
        // A weak name (shared hosting, dynamic DNS) is remembered, but flags nothing alone.
        _evidence.NoteWeakName(text);
        return null;
    }

    private readonly string? RootOf(ReadOnlySpan<char> owner)
    {
        if (_chain is null)
        {
            return null;
        }
        foreach (var (name, root) in _chain)
        {
            if (owner.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                return root;
            }
        }
        return null;
    }

    private void Follow(string name, string root)
    {
        _chain ??= new List<(string, string)>(2);
        if (_chain.Count < MaxChainNames)
        {
            _chain.Add((name, root));
        }
    }
}
