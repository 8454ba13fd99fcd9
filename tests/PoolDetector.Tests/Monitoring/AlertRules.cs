using PoolDetector.Testing;
using YamlDotNet.RepresentationModel;

namespace PoolDetector.Tests.Monitoring;

/// <summary>One alerting rule of deploy/prometheus/alerts.yml.</summary>
internal sealed record AlertRule(string Name, string Expr, string For, IReadOnlyDictionary<string, string> Labels, IReadOnlyDictionary<string, string> Annotations);

/// <summary>One expectation of a promtool unit test: at what time which alerts (none: an empty list) must be firing.</summary>
internal sealed record AlertExpectation(string AlertName, string EvalTime, IReadOnlyList<IReadOnlyDictionary<string, string>> ExpectedAnnotations);

/// <summary>deploy/prometheus/: the alert rules, their promtool unit tests and the example configuration, read with YamlDotNet.</summary>
internal static class AlertRules
{
    public static string Folder => Path.Combine(RepositoryPaths.Deploy, "prometheus");

    public static string RulesFile => Path.Combine(Folder, "alerts.yml");

    public static string TestsFile => Path.Combine(Folder, "alerts.test.yml");

    public static string ConfigFile => Path.Combine(Folder, "prometheus.yml");

    /// <summary>Every alerting rule, in file order.</summary>
    public static IReadOnlyList<AlertRule> Load() =>
        [.. Sequence(Root(RulesFile), "groups").SelectMany(g => Sequence(g, "rules")).Select(r => new AlertRule(
            Scalar(r, "alert"), Scalar(r, "expr"), Scalar(r, "for"), Map(r, "labels"), Map(r, "annotations")))];

    /// <summary>Every alert_rule_test entry of the promtool unit tests.</summary>
    public static IReadOnlyList<AlertExpectation> Expectations() =>
        [.. Sequence(Root(TestsFile), "tests").SelectMany(t => Sequence(t, "alert_rule_test")).Select(e => new AlertExpectation(
            Scalar(e, "alertname"), Scalar(e, "eval_time"), [.. Sequence(e, "exp_alerts").Select(a => Map(a, "exp_annotations"))]))];

    /// <summary>The job names of the example configuration's scrape configs.</summary>
    public static IReadOnlyList<string> ExampleJobNames() => [.. Sequence(Root(ConfigFile), "scrape_configs").Select(s => Scalar(s, "job_name"))];

    private static YamlMappingNode Root(string path)
    {
        var stream = new YamlStream();
        using (var reader = new StreamReader(path))
        {
            stream.Load(reader);
        }
        return (YamlMappingNode)stream.Documents[0].RootNode;
    }

    private static IEnumerable<YamlMappingNode> Sequence(YamlNode node, string key) =>
        ((YamlMappingNode)node).Children.TryGetValue(new YamlScalarNode(key), out var value) && value is YamlSequenceNode sequence
            ? sequence.Children.Cast<YamlMappingNode>()
            : [];

    private static string Scalar(YamlNode node, string key) =>
        ((YamlMappingNode)node).Children.TryGetValue(new YamlScalarNode(key), out var value) && value is YamlScalarNode scalar ? scalar.Value ?? "" : "";

    private static Dictionary<string, string> Map(YamlNode node, string key) =>
        ((YamlMappingNode)node).Children.TryGetValue(new YamlScalarNode(key), out var value) && value is YamlMappingNode map
            ? map.Children.ToDictionary(c => ((YamlScalarNode)c.Key).Value ?? "", c => ((YamlScalarNode)c.Value).Value ?? "")
            : [];
}
