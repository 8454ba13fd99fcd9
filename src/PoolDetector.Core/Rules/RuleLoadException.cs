namespace PoolDetector.Core.Rules;

/// <summary>One problem in one rule file, located for the operator who has to fix it.</summary>
public sealed record RuleError(string File, int Line, string Problem)
{
    public override string ToString() => Line > 0 ? $"{File}:{Line}: {Problem}" : $"{File}: {Problem}";
}

/// <summary>Thrown when the rules directory cannot be loaded; carries every problem found, not just the first.</summary>
public sealed class RuleLoadException : Exception
{
    public RuleLoadException(IReadOnlyList<RuleError> errors)
        : base(string.Join(Environment.NewLine, errors))
    {
        Errors = errors;
    }

    public RuleLoadException()
        : this([])
    {
    }

    public RuleLoadException(string message)
        : base(message)
    {
        Errors = [new RuleError("", 0, message)];
    }

    public RuleLoadException(string message, Exception innerException)
        : base(message, innerException)
    {
        Errors = [new RuleError("", 0, message)];
    }

    public IReadOnlyList<RuleError> Errors { get; } = [];
}
