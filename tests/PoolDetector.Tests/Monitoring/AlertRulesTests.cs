using System.Text.RegularExpressions;
using PoolDetector.Tests.EndToEnd;
using PoolDetector.Tests.Support;

namespace PoolDetector.Tests.Monitoring;

/// <summary>
/// deploy/prometheus/ checked by Prometheus's own promtool (Debian's, /usr/bin/promtool):
/// the rules load, their unit tests (alerts.test.yml) pass and cover every alert both ways,
/// the example configuration loads with the rules it names, and its job is the one the
/// rules and the live test use. The live side is in DashboardAndAlertsEndToEndTests.
/// </summary>
public sealed class AlertRulesTests
{
    private static readonly TimeSpan PromtoolTimeout = TimeSpan.FromSeconds(60);

    [ProgramFact("promtool")]
    public void Promtool_check_rules_accepts_every_alert()
    {
        using var check = Promtool("check", "rules", AlertRules.RulesFile);
        Assert.True(check.ExitCode == 0, check.Describe());
        Assert.Contains($"SUCCESS: {AlertRules.Load().Count} rules found", check.Stdout, StringComparison.Ordinal);
    }

    [ProgramFact("promtool")]
    public void Promtool_unit_tests_of_the_alerts_pass()
    {
        using var test = Promtool("test", "rules", AlertRules.TestsFile);
        Assert.True(test.ExitCode == 0, test.Describe());
        Assert.Contains("SUCCESS", test.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_alert_is_unit_tested_firing_with_its_annotations_and_staying_quiet()
    {
        var expectations = AlertRules.Expectations();
        foreach (var alert in AlertRules.Load())
        {
            var mine = expectations.Where(e => e.AlertName == alert.Name).ToList();
            // promtool compares annotations exactly when they are given: one case with them proves the text.
            Assert.True(mine.Any(e => e.ExpectedAnnotations.Any(a => a.ContainsKey("summary") && a.ContainsKey("description"))),
                $"{alert.Name}: no unit test expects it firing with its summary and description");
            Assert.True(mine.Any(e => e.ExpectedAnnotations.Count == 0), $"{alert.Name}: no unit test expects it quiet");
        }
    }

    [Fact]
    public void Every_alert_has_a_severity_summary_and_description()
    {
        var alerts = AlertRules.Load();
        Assert.Equal(8, alerts.Count);
        Assert.Equal(alerts.Count, alerts.Select(a => a.Name).Distinct().Count());
        foreach (var alert in alerts)
        {
            Assert.True(alert.Labels.TryGetValue("severity", out var severity) && severity is "critical" or "warning", $"{alert.Name}: severity {severity}");
            Assert.False(string.IsNullOrWhiteSpace(alert.Annotations.GetValueOrDefault("summary")), $"{alert.Name}: no summary");
            Assert.False(string.IsNullOrWhiteSpace(alert.Annotations.GetValueOrDefault("description")), $"{alert.Name}: no description");
        }
    }

    [ProgramFact("promtool")]
    public void Promtool_check_config_accepts_the_example_with_its_rules()
    {
        // In place: the example names alerts.yml relative to itself, as it will be beside it when installed.
        using var check = Promtool("check", "config", AlertRules.ConfigFile);
        Assert.True(check.ExitCode == 0, check.Describe());
        Assert.Contains("SUCCESS: 1 rule files found", check.Stdout, StringComparison.Ordinal);
        Assert.Contains("Checking " + AlertRules.RulesFile, check.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Example_job_is_the_one_the_rules_and_the_live_test_expect()
    {
        var job = Assert.Single(AlertRules.ExampleJobNames());
        Assert.Equal(PrometheusServer.JobName, job);
        var jobMatchers = AlertRules.Load().SelectMany(a => PromQl.Selectors(a.Expr).SelectMany(s => s.Matchers).Where(m => m.Label == "job")
            .Select(m => (Alert: a.Name, Matcher: m))).ToList();
        Assert.NotEmpty(jobMatchers); // the sensor-down alerts
        Assert.All(jobMatchers, j => Assert.True(j.Matcher.Operator == "=~" && Regex.IsMatch(job, "^(?:" + j.Matcher.Value + ")$"),
            $"{j.Alert}: {j.Matcher} does not select job {job}"));
    }

    private static ChildProcess Promtool(params string[] args) =>
        ChildProcess.Run(EndToEndPrerequisites.FindProgram("promtool") ?? "promtool", args, PromtoolTimeout);
}
