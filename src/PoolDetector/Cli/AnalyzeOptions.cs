namespace PoolDetector.Cli;

internal enum OutputFormat
{
    Table,
    Jsonl,
    Csv,
}

internal sealed record AnalyzeOptions(IReadOnlyList<string> Inputs, OutputFormat Format, string? RulesDirectory, bool Quiet);
