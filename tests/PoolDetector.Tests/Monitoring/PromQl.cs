using System.Text.RegularExpressions;

namespace PoolDetector.Tests.Monitoring;

/// <summary>A label matcher of a selector: <c>stage=~"a|b"</c>; the value as written between the quotes.</summary>
internal sealed partial record PromMatcher(string Label, string Operator, string Value)
{
    /// <summary>The label values an equality or a plain alternation (<c>a|b|c</c>) names; empty for a pattern or a negative matcher.</summary>
    public IReadOnlyList<string> Literals => Operator switch
    {
        "=" => [Value],
        "=~" when LiteralAlternation().IsMatch(Value) => Value.Split('|'),
        _ => [],
    };

    public override string ToString() => $"{Label}{Operator}\"{Value}\"";

    [GeneratedRegex(@"^[A-Za-z0-9_\-]+(\|[A-Za-z0-9_\-]+)*$")]
    private static partial Regex LiteralAlternation();
}

/// <summary>A metric selector of a PromQL expression: the metric and its label matchers.</summary>
internal sealed record PromSelector(string Metric, IReadOnlyList<PromMatcher> Matchers)
{
    public override string ToString() => Matchers.Count == 0 ? Metric : $"{Metric}{{{string.Join(",", Matchers)}}}";
}

/// <summary>Enough PromQL reading for the project's own expressions: which metrics and label values they select.</summary>
internal static partial class PromQl
{
    /// <summary>The selectors of the sensor's metrics (<c>pooldetector_*</c>) and of <c>up</c> in <paramref name="expr"/>.</summary>
    public static IReadOnlyList<PromSelector> Selectors(string expr) =>
        [.. Selector().Matches(expr).Select(m => new PromSelector(m.Groups["metric"].Value,
            [.. Matcher().Matches(m.Groups["matchers"].Value).Select(l => new PromMatcher(l.Groups["label"].Value, l.Groups["op"].Value, l.Groups["value"].Value))]))];

    /// <summary>
    /// Instant queries that each return a series only if what <paramref name="selector"/> names
    /// exists: the metric, then each label value it names one by one (so one misspelt value of
    /// an alternation is caught), or a pattern as a whole.
    /// </summary>
    public static IReadOnlyList<string> ExistenceQueries(PromSelector selector)
    {
        var queries = new List<string> { $"count({selector.Metric})" };
        foreach (var matcher in selector.Matchers.Where(m => m.Operator is "=" or "=~"))
        {
            var literals = matcher.Literals;
            queries.AddRange(literals.Count > 0
                ? literals.Select(v => $"count({selector.Metric}{{{matcher.Label}=\"{v}\"}})")
                : [$"count({selector.Metric}{{{matcher}}})"]);
        }
        return queries;
    }

    [GeneratedRegex(@"(?<![\w:])(?<metric>pooldetector_[a-z0-9_]+|up)(?![\w:(])(?:\s*\{(?<matchers>[^}]*)\})?")]
    private static partial Regex Selector();

    [GeneratedRegex(@"(?<label>[a-zA-Z_]\w*)\s*(?<op>=~|!~|!=|=)\s*""(?<value>(?:[^""\\]|\\.)*)""")]
    private static partial Regex Matcher();
}
