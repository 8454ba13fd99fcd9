using System.Text.Json;

namespace PoolDetector.Tests.Monitoring;

/// <summary>
/// deploy/grafana/pooldetector.json as a file: importable (one datasource variable, no
/// import inputs), several sensors at once (the instance variable, in every query), every
/// panel titled, only macros the live test knows how to substitute. What the queries return
/// is DashboardAndAlertsEndToEndTests' part, against a real Prometheus.
/// </summary>
public sealed class DashboardTests
{
    /// <summary>The panels issue 6 asks for, by title: the live test checks what each returns.</summary>
    internal static readonly string[] RequiredPanels =
    [
        "Mining hosts now",
        "Detections over time by category and dialect",
        "Top dialects",
        "Detections by confidence",
        "Packets captured per interface",
        "Bytes captured per interface",
        "Drop ratio by stage",
        "Flows active",
        "Flows evicted (flow table full)",
        "Rules loaded",
        "Rule reload failures in range",
        "Last packet age per interface",
        "Build info per sensor",
    ];

    private readonly GrafanaDashboard _dashboard = GrafanaDashboard.Load();

    [Fact]
    public void Dashboard_is_a_grafana_dashboard_model_with_a_fixed_uid()
    {
        var root = _dashboard.Root;
        Assert.Equal(39, root.GetProperty("schemaVersion").GetInt32());
        Assert.Equal("pooldetector", root.GetProperty("uid").GetString());
        Assert.Equal("PoolDetector", root.GetProperty("title").GetString());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("id").ValueKind); // Grafana assigns it on import
        // One approach to the datasource: a variable, not import inputs (which file provisioning cannot fill).
        Assert.False(root.TryGetProperty("__inputs", out _), "__inputs: the dashboard picks its datasource with the datasource variable");
    }

    [Fact]
    public void Datasource_variable_offers_the_prometheus_datasources()
    {
        var datasource = _dashboard.Variable("datasource");
        Assert.Equal("datasource", datasource.GetProperty("type").GetString());
        Assert.Equal("prometheus", datasource.GetProperty("query").GetString());
    }

    [Fact]
    public void Instance_variable_lists_the_sensors_and_selects_several()
    {
        var instance = _dashboard.Variable("instance");
        Assert.Equal("query", instance.GetProperty("type").GetString());
        Assert.Equal("${datasource}", instance.GetProperty("datasource").GetProperty("uid").GetString());
        Assert.Equal("label_values(pooldetector_build_info, instance)", instance.GetProperty("query").GetString());
        Assert.Equal(("pooldetector_build_info", "instance"), _dashboard.LabelValuesOf("instance"));
        Assert.Equal("label_values(pooldetector_build_info, instance)", instance.GetProperty("definition").GetString());
        Assert.True(instance.GetProperty("multi").GetBoolean());
        Assert.True(instance.GetProperty("includeAll").GetBoolean());
        Assert.Equal(GrafanaDashboard.AllInstances, instance.GetProperty("allValue").GetString());
        Assert.Equal(2, instance.GetProperty("refresh").GetInt32()); // on time range change: new sensors appear
    }

    [Fact]
    public void Every_panel_has_a_unique_title_id_and_the_datasource_variable()
    {
        Assert.NotEmpty(_dashboard.Panels);
        foreach (var panel in _dashboard.Panels)
        {
            var title = GrafanaDashboard.Title(panel);
            Assert.False(string.IsNullOrWhiteSpace(title), $"panel {panel.GetProperty("id")} has no title");
            AssertDatasourceVariable(panel.GetProperty("datasource"), title);
            var targets = panel.GetProperty("targets").EnumerateArray().ToList();
            Assert.True(targets.Count > 0, $"'{title}' has no query");
            foreach (var target in targets)
            {
                AssertDatasourceVariable(target.GetProperty("datasource"), title);
            }
            Assert.Equal(targets.Count, targets.Select(t => t.GetProperty("refId").GetString()).Distinct().Count());
        }
        var titles = _dashboard.Panels.Select(GrafanaDashboard.Title).ToList();
        Assert.Equal(titles.Count, titles.Distinct().Count());
        var all = _dashboard.Root.GetProperty("panels").EnumerateArray().ToList();
        Assert.Equal(all.Count, all.Select(p => p.GetProperty("id").GetInt32()).Distinct().Count());
    }

    [Fact]
    public void Panels_fit_the_24_column_grid()
    {
        foreach (var panel in _dashboard.Root.GetProperty("panels").EnumerateArray())
        {
            var grid = panel.GetProperty("gridPos");
            var (x, w, h) = (grid.GetProperty("x").GetInt32(), grid.GetProperty("w").GetInt32(), grid.GetProperty("h").GetInt32());
            Assert.True(x >= 0 && w > 0 && x + w <= 24 && h > 0, $"'{GrafanaDashboard.Title(panel)}' gridPos {grid}");
        }
    }

    [Fact]
    public void The_panels_the_issue_names_are_there()
    {
        var titles = _dashboard.Panels.Select(GrafanaDashboard.Title).ToHashSet();
        Assert.All(RequiredPanels, title => Assert.Contains(title, titles));
    }

    [Fact]
    public void Every_query_filters_by_instance_and_uses_only_known_macros()
    {
        Assert.NotEmpty(_dashboard.Queries);
        foreach (var query in _dashboard.Queries)
        {
            var selectors = PromQl.Selectors(query.Expr);
            Assert.True(selectors.Count > 0, $"'{query.Panel}': no PoolDetector metric in {query.Expr}");
            Assert.All(selectors, s => Assert.True(s.Matchers.Contains(new PromMatcher("instance", "=~", "$instance")),
                $"'{query.Panel}': {s} is not filtered by instance=~\"$instance\""));
            var promql = GrafanaDashboard.ToPromQl(query.Expr, GrafanaDashboard.AllInstances); // throws on an unknown $name
            Assert.DoesNotContain("$", promql, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Substitution_puts_concrete_durations_and_the_sensor_regex_in_place()
    {
        Assert.Equal("rate(x{instance=~\".*\"}[1m]) / increase(x[6h])",
            GrafanaDashboard.ToPromQl("rate(x{instance=~\"$instance\"}[$__rate_interval]) / increase(x[${__range}])", GrafanaDashboard.AllInstances));
        Assert.Equal("127\\\\.0\\\\.0\\\\.1:9474", GrafanaDashboard.Selecting("127.0.0.1:9474"));
        Assert.Throws<InvalidOperationException>(() => GrafanaDashboard.ToPromQl("x[$__interval]", GrafanaDashboard.AllInstances));
    }

    [Fact]
    public void Selectors_are_read_with_every_matcher()
    {
        var selectors = PromQl.Selectors(
            "sum by (stage) (increase(pooldetector_packets_total{instance=~\"$instance\",stage=~\"a|b\"}[1m])) / ignoring (stage) group_left up{job=\"x\"} + pooldetector_mining_hosts");
        Assert.Equal(["pooldetector_packets_total{instance=~\"$instance\",stage=~\"a|b\"}", "up{job=\"x\"}", "pooldetector_mining_hosts"],
            selectors.Select(s => s.ToString()));
        Assert.Equal(["a", "b"], selectors[0].Matchers[1].Literals);
        Assert.Equal(["count(up)", "count(up{job=\"x\"})"], PromQl.ExistenceQueries(selectors[1]));
        Assert.Equal(["count(up)", "count(up{job=~\"pool.*\"})"], PromQl.ExistenceQueries(new PromSelector("up", [new PromMatcher("job", "=~", "pool.*")])));
    }

    private static void AssertDatasourceVariable(JsonElement datasource, string title)
    {
        Assert.True(datasource.GetProperty("type").GetString() == "prometheus" && datasource.GetProperty("uid").GetString() == "${datasource}",
            $"'{title}': datasource {datasource} is not {{\"type\":\"prometheus\",\"uid\":\"${{datasource}}\"}}");
    }
}
