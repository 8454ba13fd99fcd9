namespace PoolDetector.Cli;

internal enum OutputFormat
{
    Table,
    Jsonl,
    Csv,
}

/// <param name="LearnedOut">Where to write the pool endpoints the engine learned from the captures (pool-list format), or null.</param>
/// <param name="Evidence">Where to write a pcap of each detected flow (events then name it and its SHA-256), or null.</param>
/// <param name="EvidenceMaxPackets">At most this many packets per evidence file.</param>
/// <param name="EvidenceMaxMiB">At most this many MiB of frames per evidence file.</param>
internal sealed record AnalyzeOptions(IReadOnlyList<string> Inputs, OutputFormat Format, string? RulesDirectory, bool Quiet, string? LearnedOut = null,
    string? Evidence = null, int EvidenceMaxPackets = AnalyzeOptions.DefaultEvidenceMaxPackets, int EvidenceMaxMiB = AnalyzeOptions.DefaultEvidenceMaxMiB)
{
    public const int DefaultEvidenceMaxPackets = 10_000;
    public const int DefaultEvidenceMaxMiB = 16;

    /// <summary>--home-net, as given; empty for the daemon's default home networks.</summary>
    public IReadOnlyList<string> HomeNetworks { get; init; } = [];

    /// <summary>--inventory FILE, or null.</summary>
    public string? Inventory { get; init; }

    /// <summary>--wallets none|mask|hash.</summary>
    public string Wallets { get; init; } = "none";

    /// <summary>--wallet-key, else the environment's POOLDETECTOR_WALLET_KEY, or null.</summary>
    public string? WalletKey { get; init; }

    /// <summary>--stats: a line of what the run cost (packets, time, allocations, collections) on stderr at the end.</summary>
    public bool Stats { get; init; }

    /// <summary>--workers N: engines analysing each file side by side, each on its own share of the flows.</summary>
    public int Workers { get; init; } = 1;

    /// <summary>More would only add threads that wait for a core; a bound, like everything else.</summary>
    public const int MaxWorkers = 64;
}
