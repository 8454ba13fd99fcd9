namespace PoolDetector.Cli;

internal enum OutputFormat
{
    Table,
    Jsonl,
    Csv,
}

/// <param name="LearnedOut">Where to write the pool endpoints the engine learned from the captures (pool-list format), or null.</param>
internal sealed record AnalyzeOptions(IReadOnlyList<string> Inputs, OutputFormat Format, string? RulesDirectory, bool Quiet, string? LearnedOut = null)
{
    /// <summary>--home-net, as given; empty for the daemon's default home networks.</summary>
    public IReadOnlyList<string> HomeNetworks { get; init; } = [];

    /// <summary>--inventory FILE, or null.</summary>
    public string? Inventory { get; init; }

    /// <summary>--wallets none|mask|hash.</summary>
    public string Wallets { get; init; } = "none";

    /// <summary>--wallet-key, else the environment's POOLDETECTOR_WALLET_KEY, or null.</summary>
    public string? WalletKey { get; init; }
}
