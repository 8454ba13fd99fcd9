namespace PoolDetector.Core.Intel;

/// <summary>Whether a match may raise a detection by itself.</summary>
public enum IntelConfidence
{
    /// <summary>Evidence on its own: a name or address that only a pool uses.</summary>
    Strong,

    /// <summary>
    /// Never evidence alone: shared CDN/cloud ranges, dynamic-DNS names, popular sites and
    /// node ports. It may name a flow that other signals already flag.
    /// </summary>
    Weak,
}

/// <summary>
/// Provenance of intel entries: which list said so, what kind of thing it is, how much
/// it counts. Shared by every entry with the same values, so a million-entry list costs
/// one of these, not a million.
/// </summary>
public sealed class IntelEntry
{
    internal IntelEntry(string file, string source, string kind, string description, IntelConfidence confidence, DateOnly? expires)
    {
        File = file;
        Source = source;
        Kind = kind;
        Description = description;
        Confidence = confidence;
        Expires = expires;
    }

    /// <summary>The file the entry was loaded from.</summary>
    public string File { get; }

    /// <summary><c>meta.source</c>: the upstream list(s), comma-separated.</summary>
    public string Source { get; }

    /// <summary>The first word of <c>meta.desc</c>: pool, pool-website, browser, node; <c>allow</c> for the allowlist.</summary>
    public string Kind { get; }

    /// <summary><c>meta.desc</c> in full (the allowlist's reason).</summary>
    public string Description { get; }

    public IntelConfidence Confidence { get; }

    public bool IsStrong => Confidence == IntelConfidence.Strong;

    /// <summary>Allowlist entries only: the last day the entry applies (UTC).</summary>
    public DateOnly? Expires { get; }

    public override string ToString() => $"{Source} {Kind} {Confidence.ToString().ToLowerInvariant()}";
}

/// <summary>One hit: the indicator as listed (the matching suffix, address or prefix) and its entry.</summary>
public readonly record struct IntelMatch(string Indicator, IntelEntry Entry);
