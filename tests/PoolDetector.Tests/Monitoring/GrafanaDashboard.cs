using System.Text.Json;
using System.Text.RegularExpressions;
using PoolDetector.Testing;

namespace PoolDetector.Tests.Monitoring;

/// <summary>One query of a dashboard panel as the JSON has it: PromQL with Grafana's variables in it.</summary>
internal sealed record DashboardQuery(string Panel, string RefId, string Expr, string Legend, bool Instant);

/// <summary>
/// deploy/grafana/pooldetector.json read as Grafana reads it: its panels (those inside rows
/// too), their queries and the template variables; and its PromQL made into what Grafana
/// sends to Prometheus, by substituting what Grafana substitutes first.
/// </summary>
internal sealed partial class GrafanaDashboard
{
    /// <summary>
    /// The Grafana macros the dashboard may use and what the tests put in their place:
    /// <c>$__rate_interval</c> as Grafana computes it for Prometheus's default 15 s scrape
    /// interval (4 × 15 s), <c>$__range</c> as the dashboard's default time range (now-6h).
    /// Any other <c>$</c> name is an error, so a new macro gets a substitution on purpose.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> Macros = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["__rate_interval"] = "1m",
        ["__range"] = "6h",
    };

    /// <summary>What Grafana puts in <c>instance=~"$instance"</c> when All is selected (the variable's allValue).</summary>
    public const string AllInstances = ".*";

    private GrafanaDashboard(JsonElement root)
    {
        Root = root;
        var panels = new List<JsonElement>();
        Flatten(root.GetProperty("panels"), panels);
        Panels = panels;
        Queries = [.. panels.Where(p => p.TryGetProperty("targets", out _)).SelectMany(p => p.GetProperty("targets").EnumerateArray().Select(t =>
            new DashboardQuery(Title(p), t.GetProperty("refId").GetString() ?? "", t.GetProperty("expr").GetString() ?? "",
                t.TryGetProperty("legendFormat", out var legend) ? legend.GetString() ?? "" : "",
                t.TryGetProperty("instant", out var instant) && instant.GetBoolean())))];
    }

    public static string FilePath => Path.Combine(RepositoryPaths.Deploy, "grafana", "pooldetector.json");

    public JsonElement Root { get; }

    /// <summary>Every panel that shows something: rows left out, the panels of collapsed rows included.</summary>
    public IReadOnlyList<JsonElement> Panels { get; }

    public IReadOnlyList<DashboardQuery> Queries { get; }

    public static GrafanaDashboard Load()
    {
        using var json = JsonDocument.Parse(File.ReadAllText(FilePath));
        return new GrafanaDashboard(json.RootElement.Clone());
    }

    public static string Title(JsonElement panel) => panel.TryGetProperty("title", out var title) ? title.GetString() ?? "" : "";

    /// <summary>The queries of the panel titled <paramref name="title"/>; fails the test when there is none.</summary>
    public IReadOnlyList<DashboardQuery> QueriesOf(string title)
    {
        var queries = Queries.Where(q => q.Panel == title).ToList();
        Assert.True(queries.Count > 0, $"no panel titled '{title}' with queries in {FilePath}");
        return queries;
    }

    /// <summary>The template variable named <paramref name="name"/>.</summary>
    public JsonElement Variable(string name) =>
        Root.GetProperty("templating").GetProperty("list").EnumerateArray().Single(v => v.GetProperty("name").GetString() == name);

    /// <summary>
    /// What the query variable <paramref name="name"/> asks Prometheus for: its
    /// <c>label_values(SELECTOR, LABEL)</c>, which Grafana sends to /api/v1/label/LABEL/values?match[]=SELECTOR.
    /// </summary>
    public (string Match, string Label) LabelValuesOf(string name)
    {
        var query = Variable(name).GetProperty("query").GetString() ?? "";
        var match = LabelValuesCall().Match(query);
        Assert.True(match.Success, $"variable {name}: '{query}' is not label_values(selector, label)");
        return (match.Groups["match"].Value, match.Groups["label"].Value);
    }

    /// <summary>
    /// The PromQL Grafana sends for <paramref name="expr"/>: <see cref="Macros"/> replaced and
    /// <c>$instance</c> replaced by <paramref name="instanceRegex"/> (a regex as it must appear
    /// inside a PromQL string: <see cref="AllInstances"/>, or <see cref="Selecting"/> one sensor).
    /// </summary>
    public static string ToPromQl(string expr, string instanceRegex) =>
        VariableReference().Replace(expr, match =>
        {
            var name = match.Groups["name"].Value;
            if (name == "instance")
            {
                return instanceRegex;
            }
            return Macros.TryGetValue(name, out var value)
                ? value
                : throw new InvalidOperationException($"'{match.Value}' in '{expr}' has no substitution: add it to GrafanaDashboard.Macros");
        });

    /// <summary>One sensor as Grafana writes a single value of a regex variable: escaped, then escaped again for the PromQL string.</summary>
    public static string Selecting(string instance) => Regex.Escape(instance).Replace("\\", "\\\\", StringComparison.Ordinal);

    /// <summary>The <c>{{label}}</c> names a legend format shows.</summary>
    public static IReadOnlyList<string> LegendLabels(string legend) => [.. LegendLabel().Matches(legend).Select(m => m.Groups[1].Value)];

    private static void Flatten(JsonElement panels, List<JsonElement> into)
    {
        foreach (var panel in panels.EnumerateArray())
        {
            if (panel.GetProperty("type").GetString() != "row")
            {
                into.Add(panel);
            }
            if (panel.TryGetProperty("panels", out var inner))
            {
                Flatten(inner, into);
            }
        }
    }

    [GeneratedRegex(@"\$(?:\{(?<name>\w+)\}|(?<name>\w+))")]
    private static partial Regex VariableReference();

    [GeneratedRegex(@"^label_values\((?<match>.+),\s*(?<label>\w+)\)$")]
    private static partial Regex LabelValuesCall();

    [GeneratedRegex(@"\{\{\s*(\w+)\s*\}\}")]
    private static partial Regex LegendLabel();
}
