using System.Globalization;
using System.Text.RegularExpressions;
using Prometheus;

namespace PoolDetector.Tests.Metrics;

/// <summary>One scrape of a registry, parsed from the text exposition format.</summary>
internal sealed partial class Exposition
{
    private Exposition(string text)
    {
        Text = text;
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var parts = line.Split(' ');
                Types[parts[2]] = parts[3];
                continue;
            }
            if (line.StartsWith('#'))
            {
                continue;
            }
            var match = SampleLine().Match(line);
            Assert.True(match.Success, "unparsed exposition line: " + line);
            var labels = new List<(string Name, string Value)>();
            foreach (Match label in LabelPair().Matches(match.Groups["labels"].Value))
            {
                labels.Add((label.Groups["name"].Value, label.Groups["value"].Value));
            }
            var key = match.Groups["name"].Value + "{" + string.Join(',', labels.Select(l => $"{l.Name}=\"{l.Value}\"")) + "}";
            Samples[key] = double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture);
            Series.Add((match.Groups["name"].Value, labels));
        }
    }

    public string Text { get; }

    /// <summary>Metric name → counter, gauge, ...</summary>
    public Dictionary<string, string> Types { get; } = new(StringComparer.Ordinal);

    /// <summary><c>name{a="x",b="y"}</c> (labels in exposition order; <c>name{}</c> without labels) → value.</summary>
    public Dictionary<string, double> Samples { get; } = new(StringComparer.Ordinal);

    public List<(string Name, List<(string Name, string Value)> Labels)> Series { get; } = [];

    public static async Task<Exposition> ScrapeAsync(CollectorRegistry registry)
    {
        using var stream = new MemoryStream();
        await registry.CollectAndExportAsTextAsync(stream);
        return Parse(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
    }

    public static Exposition Parse(string text) => new(text);

    public double this[string key] => Samples.TryGetValue(key, out var value)
        ? value
        : throw new Xunit.Sdk.XunitException($"series {key} not exposed; exposed:\n{string.Join('\n', Samples.Keys.Where(k => k.StartsWith(key[..key.IndexOf('{', StringComparison.Ordinal)], StringComparison.Ordinal)))}");

    [GeneratedRegex("""^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})? (?<value>\S+)( \d+)?$""")]
    private static partial Regex SampleLine();

    [GeneratedRegex("""(?<name>[a-zA-Z_][a-zA-Z0-9_]*)="(?<value>(?:[^"\\]|\\.)*)",?""")]
    private static partial Regex LabelPair();
}
