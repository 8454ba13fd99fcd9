namespace PoolDetector.Cli;

internal enum OutputFormat
{
    Table,
    Jsonl,
    Csv,
}

/// <param name="LearnedOut">Where to write the pool endpoints the engine learned from the captures (pool-list format), or null.</param>
internal sealed record AnalyzeOptions(IReadOnlyList<string> Inputs, OutputFormat Format, string? RulesDirectory, bool Quiet, string? LearnedOut = null);
