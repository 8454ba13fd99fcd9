namespace PoolDetector.Core.Rules;

/// <summary>The three things PoolDetector reports (DESIGN.md, "What counts as mining traffic").</summary>
public enum DetectionCategory
{
    /// <summary><c>mining</c>: a host speaks a mining protocol to a pool or proxy.</summary>
    Mining,
    /// <summary><c>pool-contact</c>: a host talks to a known pool endpoint, content not visible.</summary>
    PoolContact,
    /// <summary><c>crypto-node</c>: blockchain node traffic, reported separately, never mining.</summary>
    CryptoNode,
}

public static class DetectionCategoryNames
{
    /// <summary>The category as events, metrics and <c>rules/dialects.yml</c> spell it.</summary>
    public static string ToWireName(this DetectionCategory category) => category switch
    {
        DetectionCategory.Mining => "mining",
        DetectionCategory.PoolContact => "pool-contact",
        DetectionCategory.CryptoNode => "crypto-node",
        _ => throw new ArgumentOutOfRangeException(nameof(category)),
    };

    public static DetectionCategory? FromWireName(string name) => name switch
    {
        "mining" => DetectionCategory.Mining,
        "pool-contact" => DetectionCategory.PoolContact,
        "crypto-node" => DetectionCategory.CryptoNode,
        _ => null,
    };
}
