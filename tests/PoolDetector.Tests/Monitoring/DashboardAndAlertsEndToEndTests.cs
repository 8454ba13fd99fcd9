using PoolDetector.Tests.EndToEnd;
using PoolDetector.Tests.Support;
using Xunit.Abstractions;

namespace PoolDetector.Tests.Monitoring;

/// <summary>
/// Issue 6's "Must show", on real parts: every PromQL expression of the Grafana dashboard and
/// of the alert rules evaluated by a real Prometheus scraping real daemons, one of which saw
/// a real Stratum session (<see cref="LiveSensors"/>). Each query parses; every panel returns
/// data, and the right data; every metric and label value they name exists; the alert rules
/// load, evaluate, and the alerts that should be active are, and no other.
/// </summary>
public sealed class DashboardAndAlertsEndToEndTests : IClassFixture<LiveSensors>
{
    private static readonly TimeSpan AlertTimeout = TimeSpan.FromSeconds(30);

    private readonly LiveSensors _live;
    private readonly ITestOutputHelper _output;
    private readonly GrafanaDashboard _dashboard = GrafanaDashboard.Load();

    public DashboardAndAlertsEndToEndTests(LiveSensors live, ITestOutputHelper output)
    {
        _live = live;
        _output = output;
    }

    [EndToEndFact("node", "stratum-npm", "prometheus")]
    public void Instance_variable_lists_the_sensors_that_answer()
    {
        // What Grafana asks for the Sensor list: the dead target exports nothing, so it is not offered.
        var (match, label) = _dashboard.LabelValuesOf("instance");
        var instances = _live.Prometheus.LabelValues(label, match);
        Assert.Equal(new[] { _live.Mining, _live.Idle }.Order(), instances.Order());
    }

    [EndToEndFact("node", "stratum-npm", "prometheus")]
    public void Every_dashboard_query_parses_and_returns_data_for_every_legend()
    {
        var prometheus = _live.Prometheus; // started (on first use) before the range's end is taken
        var end = DateTimeOffset.UtcNow;
        var failures = new List<string>();
        foreach (var query in _dashboard.Queries)
        {
            var promql = GrafanaDashboard.ToPromQl(query.Expr, GrafanaDashboard.AllInstances);
            // As Grafana asks: a range query for a time series, an instant one where the panel says so.
            var result = query.Instant
                ? prometheus.Evaluate(promql)
                : prometheus.QueryRange(promql, _live.Started, end, TimeSpan.FromSeconds(1));
            _output.WriteLine($"{query.Panel}: {(query.Instant ? "instant" : "range")} {promql} -> {result.Status}, {result.Series.Count} series");
            if (!result.Success)
            {
                failures.Add($"'{query.Panel}' {query.RefId}: {result.ErrorType}: {result.Error}\n  {promql}");
                continue;
            }
            if (result.Series.Count == 0 || result.Series.All(s => s.Values.Count == 0))
            {
                failures.Add($"'{query.Panel}' {query.RefId}: no data\n  {promql}");
                continue;
            }
            foreach (var label in GrafanaDashboard.LegendLabels(query.Legend))
            {
                if (result.Series.Any(s => !s.Labels.ContainsKey(label)))
                {
                    failures.Add($"'{query.Panel}' {query.RefId}: legend {{{{{label}}}}} is not a label of every series: {result.Body}");
                }
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures) + "\n" + _live.Describe());
    }

    [EndToEndFact("node", "stratum-npm", "prometheus")]
    public void Every_metric_and_label_value_queried_exists()
    {
        var expressions = _dashboard.Queries.Select(q => GrafanaDashboard.ToPromQl(q.Expr, GrafanaDashboard.AllInstances))
            .Concat(AlertRules.Load().Select(a => a.Expr)).ToList();
        var selectors = expressions.SelectMany(PromQl.Selectors).ToList();
        Assert.True(selectors.Select(s => s.Metric).Distinct().Count() >= 12, string.Join(", ", selectors));
        var missing = selectors.SelectMany(PromQl.ExistenceQueries).Distinct()
            .Where(q => _live.Prometheus.Query(q).Count == 0).ToList();
        Assert.True(missing.Count == 0, "selects nothing the sensors export:\n" + string.Join("\n", missing));
    }

    [EndToEndFact("node", "stratum-npm", "prometheus")]
    public void Mining_panels_show_the_one_miner_on_its_sensor()
    {
        Assert.Equal(1, Assert.Single(Instant("Mining hosts now")).Value);
        // The instance variable narrows every panel: one sensor at a time.
        Assert.Equal(1, Assert.Single(Instant("Mining hosts now", _live.Mining)).Value);
        Assert.Equal(0, Assert.Single(Instant("Mining hosts now", _live.Idle)).Value);
        var perSensor = Instant("Mining hosts per sensor");
        Assert.Equal(1, ValueOf(perSensor, ("instance", _live.Mining)));
        Assert.Equal(0, ValueOf(perSensor, ("instance", _live.Idle)));

        var overTime = Assert.Single(Range("Detections over time by category and dialect"));
        Assert.Equal(("mining", "stratum-v1"), (overTime.Labels["category"], overTime.Labels["dialect"]));
        Assert.True(overTime.Values.Max() > 0);
        var dialect = Assert.Single(Instant("Top dialects"));
        Assert.Equal(("stratum-v1", 1), (dialect.Labels["dialect"], Math.Round(dialect.Value)));
        var confidence = Assert.Single(Instant("Detections by confidence"));
        Assert.Equal(("mining", "high", 1), (confidence.Labels["category"], confidence.Labels["confidence"], Math.Round(confidence.Value)));
        var byCategory = Instant("Detections in range by category");
        Assert.Equal(1, Math.Round(ValueOf(byCategory, ("category", "mining"))));
        Assert.Equal(0, ValueOf(byCategory, ("category", "pool-contact")));
        Assert.Equal(0, ValueOf(byCategory, ("category", "crypto-node")));

        var up = Instant("Sensors up");
        Assert.Equal([1, 1, 0], new[] { _live.Mining, _live.Idle, _live.Dead }.Select(i => ValueOf(up, ("instance", i))));
    }

    [EndToEndFact("node", "stratum-npm", "prometheus")]
    public void Capture_panels_show_each_interface_and_a_zero_drop_ratio_when_idle()
    {
        foreach (var title in new[] { "Packets captured per interface", "Bytes captured per interface" })
        {
            var series = Range(title);
            Assert.True(Series(series, _live.Mining, "lo").Values.Max() > 0, $"'{title}': no traffic on sensor A's lo");
            Assert.All(Series(series, _live.Idle, "lo").Values, v => Assert.Equal(0, v));
        }
        // Every stage of both sensors, 0 and never NaN: the idle sensor's 0/0 is guarded.
        var drops = Range("Drop ratio by stage");
        Assert.Equal(6, drops.Count);
        Assert.Equal(["interface_dropped", "kernel_dropped", "queue_dropped"], drops.Select(s => s.Labels["stage"]).Distinct().Order());
        Assert.All(drops, s => Assert.All(s.Values, v => Assert.Equal(0, v)));

        var up = Instant("Interface up");
        Assert.Equal(1, ValueOf(up, ("instance", _live.Mining), ("interface", "lo")));
        Assert.Equal(1, ValueOf(up, ("instance", _live.Idle), ("interface", "lo")));
        var age = Instant("Last packet age per interface");
        Assert.InRange(ValueOf(age, ("instance", _live.Mining), ("interface", "lo")), 0, 120);
        // Never a packet: the timestamp is 0, shown by the panel's value mapping as "no packet yet" (from 1e9 s).
        Assert.True(ValueOf(age, ("instance", _live.Idle), ("interface", "lo")) >= 1e9);

        Assert.Equal(2, Range("Flows active").Count);
        var evicted = Range("Flows evicted (flow table full)");
        Assert.Equal(2, evicted.Count);
        Assert.All(evicted, s => Assert.All(s.Values, v => Assert.Equal(0, v)));
    }

    [EndToEndFact("node", "stratum-npm", "prometheus")]
    public void Rules_and_build_panels_show_each_sensor()
    {
        var loaded = Instant("Rules loaded");
        Assert.Equal(2, loaded.Count);
        Assert.All(loaded, s => Assert.True(s.Value > 0));
        Assert.Single(loaded.Select(s => s.Value).Distinct()); // the same rules on both
        var failures = Instant("Rule reload failures in range");
        Assert.Equal(2, failures.Count);
        Assert.All(failures, s => Assert.Equal(0, s.Value));
        var loadedAt = Instant("Rules loaded at");
        Assert.All(loadedAt, s => Assert.InRange(s.Value,
            _live.Started.AddSeconds(-5).ToUnixTimeMilliseconds(), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));

        var builds = Instant("Build info per sensor");
        Assert.Equal(new[] { _live.Mining, _live.Idle }.Order(), builds.Select(b => b.Labels["instance"]).Order());
        Assert.All(builds, b =>
        {
            Assert.False(string.IsNullOrEmpty(b.Labels["version"]));
            Assert.StartsWith(".NET", b.Labels["runtime"], StringComparison.Ordinal);
        });
    }

    [EndToEndFact("node", "stratum-npm", "prometheus")]
    public void Alert_rules_load_and_evaluate_against_the_sensors()
    {
        var names = AlertRules.Load().Select(a => a.Name).Order().ToList();
        IReadOnlyList<PromRule> rules = [];
        Wait.Until(() => (rules = _live.Prometheus.Rules()).Count == names.Count && rules.All(r => r.Health == "ok"), AlertTimeout);
        Assert.Equal(names, rules.Select(r => r.Name).Order());
        Assert.All(rules, r =>
        {
            Assert.Equal("alerting", r.Type);
            Assert.True(r.Health == "ok", $"{r.Name}: {r.Health} {r.LastError}\n  {r.Query}");
        });
    }

    [EndToEndFact("node", "stratum-npm", "prometheus")]
    public void The_alerts_active_are_the_new_miner_the_idle_interface_and_the_dead_sensor()
    {
        // Those with a `for:` are pending while the sensors are younger than it (minutes: the
        // unit tests check when they fire); the new mining host fires at once.
        var expected = new[]
        {
            $"PoolDetectorInterfaceSilent {_live.Idle} lo",
            $"PoolDetectorMiningHostsPersist {_live.Mining}",
            $"PoolDetectorNewMiningHost {_live.Mining}",
            $"PoolDetectorSensorDown {_live.Dead}",
        };
        IReadOnlyList<PromAlert> alerts = [];
        List<string> Active() => [.. (alerts = _live.Prometheus.Alerts()).Select(Describe).Order(StringComparer.Ordinal)];
        Wait.Until(() => Active().SequenceEqual(expected) && alerts.Any(a => a.State == "firing"), AlertTimeout);
        Assert.Equal(expected, Active());

        var newMiner = Assert.Single(alerts, a => a.Name == "PoolDetectorNewMiningHost");
        Assert.Equal(("firing", "warning", PrometheusServer.JobName), (newMiner.State, newMiner.Labels["severity"], newMiner.Labels["job"]));
        Assert.Equal($"New cryptocurrency mining host seen by sensor {_live.Mining}", newMiner.Annotations["summary"]);
        // The description sends the operator to the sensor's block list: it names the miner.
        var url = $"http://{_live.Mining}/blocklist.json";
        Assert.Contains(url, newMiner.Annotations["description"], StringComparison.Ordinal);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        Assert.Contains($"\"ip\": \"{LiveSensors.MinerAddress}\"", http.GetStringAsync(new Uri(url)).GetAwaiter().GetResult(), StringComparison.Ordinal);
    }

    private static string Describe(PromAlert alert) =>
        string.Join(' ', new[] { alert.Name, alert.Labels["instance"], alert.Labels.GetValueOrDefault("interface") }.Where(p => p is not null));

    /// <summary>The panel's one query at this moment, for all sensors or one (<paramref name="instance"/>).</summary>
    private IReadOnlyList<PromSample> Instant(string title, string? instance = null)
    {
        var query = Assert.Single(_dashboard.QueriesOf(title));
        return _live.Prometheus.Query(GrafanaDashboard.ToPromQl(query.Expr,
            instance is null ? GrafanaDashboard.AllInstances : GrafanaDashboard.Selecting(instance)));
    }

    /// <summary>The panel's one query over the sensors' life so far, a step a second.</summary>
    private IReadOnlyList<PromSeries> Range(string title)
    {
        var query = Assert.Single(_dashboard.QueriesOf(title));
        var promql = GrafanaDashboard.ToPromQl(query.Expr, GrafanaDashboard.AllInstances);
        var result = _live.Prometheus.QueryRange(promql, _live.Started, DateTimeOffset.UtcNow, TimeSpan.FromSeconds(1));
        Assert.True(result.Success, result.Body);
        return result.Series;
    }

    private static double ValueOf(IReadOnlyList<PromSample> samples, params (string Label, string Value)[] labels) =>
        Assert.Single(samples, s => labels.All(l => s.Labels.TryGetValue(l.Label, out var v) && v == l.Value)).Value;

    private static PromSeries Series(IReadOnlyList<PromSeries> series, string instance, string iface) =>
        Assert.Single(series, s => s.Labels["instance"] == instance && s.Labels["interface"] == iface);
}
