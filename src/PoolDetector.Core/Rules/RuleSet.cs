using PoolDetector.Core.Intel;

namespace PoolDetector.Core.Rules;

/// <summary>Who sends a message in a mining protocol.</summary>
public enum MessageSender
{
    Client,
    Server,
}

/// <summary>
/// What a mining message does. The detector uses roles, not method names, so a new
/// dialect is a rules change: shares are counted on <see cref="Submit"/>, workers taken
/// from <see cref="Authorize"/> and <see cref="Login"/>, and so on.
/// </summary>
public enum MethodRole
{
    Subscribe,
    Authorize,
    Login,
    Submit,
    Job,
    Difficulty,
    Extranonce,
    Configure,
    Reconnect,
    Keepalive,
    GetJob,
    Hashrate,
    Hello,
    Other,
}

/// <summary>
/// A mining protocol family: the signature that reports it and what it refines. A dialect
/// that <see cref="Refines"/> another wins over it when both have evidence (NiceHash
/// EthereumStratum/1.0.0 uses Stratum V1 method names, but says so in its subscribe).
/// <see cref="Category"/> is what its detections report as: the signals of pool contact
/// (a pool's SNI, a DNS look-up) and node traffic are dialects too, with their own signatures.
/// </summary>
public sealed record DialectRule(
    string Id,
    string AppProtocol,
    int SignatureId,
    int Revision,
    string Signature,
    int Severity,
    string? Refines,
    DetectionCategory Category = DetectionCategory.Mining);

/// <summary>
/// One method of a mining vocabulary. <see cref="Shape"/> names the parameter check that
/// makes it mining-shaped (code in Protocols/Stratum/MessageShapes.cs); only then does it
/// carry <see cref="Weight"/>. A bare method name carries <see cref="NameWeight"/>.
/// <see cref="Reply"/> names the check on the matching response, worth <see cref="ReplyWeight"/>.
/// </summary>
public sealed record MethodRule(
    string Name,
    string Dialect,
    MessageSender Sender,
    MethodRole Role,
    string Shape,
    int Weight,
    int NameWeight,
    string? Reply,
    int ReplyWeight)
{
    /// <summary>The method name as UTF-8, compared against the bytes on the wire.</summary>
    public byte[] NameUtf8 { get; } = System.Text.Encoding.UTF8.GetBytes(Name);
}

public enum AgentMatch
{
    Prefix,
    Contains,
}

/// <summary>A miner software pattern, matched case-insensitively against agents and User-Agent headers.</summary>
public sealed record AgentRule(string Pattern, string Software, AgentMatch Match, int Weight);

/// <summary>A mining-specific HTTP header (getwork and getblocktemplate miners and pools send them).</summary>
public sealed record HeaderRule(string Name, MessageSender Sender, string Dialect, int Weight);

/// <summary>Thresholds and the weights of evidence that no single method carries.</summary>
public sealed record ScoringRule(
    int MediumThreshold,
    int HighThreshold,
    int StratumErrorWeight,
    int MaxLineBytes,
    int InspectBytesPerDirection);

/// <summary>A client TLS fingerprint (JA4 or JA3) of mining software, and where it was seen.</summary>
public sealed record TlsFingerprintRule(string Fingerprint, string Software, string Source);

/// <summary>Everything loaded from <c>rules/</c>, immutable once built.</summary>
public sealed class RuleSet
{
    public RuleSet(
        IReadOnlyList<DialectRule> dialects,
        IReadOnlyList<MethodRule> methods,
        IReadOnlyList<AgentRule> agents,
        IReadOnlyList<HeaderRule> headers,
        ScoringRule scoring,
        IReadOnlyList<string> files,
        PoolIntel? intel = null,
        IReadOnlyList<TlsFingerprintRule>? tlsFingerprints = null)
    {
        Intel = intel ?? PoolIntel.Empty;
        TlsFingerprints = (tlsFingerprints ?? []).ToDictionary(f => f.Fingerprint, StringComparer.OrdinalIgnoreCase);
        Dialects = dialects;
        Methods = methods;
        Agents = agents;
        Headers = headers;
        Scoring = scoring;
        Files = files;
        DialectsById = dialects.ToDictionary(d => d.Id, StringComparer.Ordinal);
        _dialectIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < dialects.Count; i++)
        {
            _dialectIndex[dialects[i].Id] = i;
        }
    }

    private readonly Dictionary<string, int> _dialectIndex;

    /// <summary>The position of a dialect in <see cref="Dialects"/>, or -1.</summary>
    public int IndexOfDialect(string id) => _dialectIndex.TryGetValue(id, out var index) ? index : -1;

    public IReadOnlyList<DialectRule> Dialects { get; }
    public IReadOnlyDictionary<string, DialectRule> DialectsById { get; }
    public IReadOnlyList<MethodRule> Methods { get; }
    public IReadOnlyList<AgentRule> Agents { get; }
    public IReadOnlyList<HeaderRule> Headers { get; }
    public ScoringRule Scoring { get; }
    /// <summary>The files these rules came from, for logs and metrics.</summary>
    public IReadOnlyList<string> Files { get; }

    /// <summary>Miner TLS fingerprints by JA4 or JA3 (<c>rules/tls.yml</c>).</summary>
    public IReadOnlyDictionary<string, TlsFingerprintRule> TlsFingerprints { get; }

    /// <summary>Known pools and the operator's allowlist (<c>rules/intel/</c>), loaded and reloaded with the rules.</summary>
    public PoolIntel Intel { get; }

    /// <summary>The number of individual rules, for the <c>rules loaded</c> metric.</summary>
    public int Count => Dialects.Count + Methods.Count + Agents.Count + Headers.Count + TlsFingerprints.Count;
}
