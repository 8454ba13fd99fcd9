namespace PoolDetector.Core.Rules;

/// <summary>Everything loaded from <c>rules/</c>, immutable once built.</summary>
public sealed class RuleSet
{
}

public static class RuleLoader
{
    /// <summary>Loads and validates every rule file in <paramref name="directory"/>; throws <see cref="RuleLoadException"/> naming file, line and problem.</summary>
    public static RuleSet LoadDirectory(string directory) => throw new NotImplementedException(directory);
}
