using System.Globalization;
using System.Text.Json;

using PoolDetector.Tests.Support;

namespace PoolDetector.Tests.EndToEnd;

/// <summary>One sample of a PromQL instant vector: its labels and value.</summary>
internal sealed record PromSample(IReadOnlyDictionary<string, string> Labels, double Value);

/// <summary>One series of a query's answer: its labels and values (one for an instant vector, one per step for a range).</summary>
internal sealed record PromSeries(IReadOnlyDictionary<string, string> Labels, IReadOnlyList<double> Values);

/// <summary>
/// What /api/v1/query or /api/v1/query_range answered, as it answered it: <c>status</c>
/// <c>success</c> with the series, or <c>error</c> with Prometheus's error type and message
/// (<c>bad_data</c> for an expression that does not parse). <see cref="Body"/> is the raw JSON.
/// </summary>
internal sealed record PromResult(string Status, string ErrorType, string Error, string ResultType, IReadOnlyList<PromSeries> Series, string Body)
{
    public bool Success => Status == "success";
}

/// <summary>A rule as /api/v1/rules reports it: <c>health</c> is <c>ok</c> once it evaluated without error.</summary>
internal sealed record PromRule(string Group, string Name, string Type, string Query, string Health, string LastError);

/// <summary>An active alert from /api/v1/alerts: <c>pending</c> (inside its <c>for:</c>) or <c>firing</c>.</summary>
internal sealed record PromAlert(IReadOnlyDictionary<string, string> Labels, IReadOnlyDictionary<string, string> Annotations, string State)
{
    public string Name => Labels["alertname"];
}

/// <summary>
/// A real Prometheus server (Debian's /usr/bin/prometheus) of the test's own: generated
/// prometheus.yml scraping the targets every second as job <c>pooldetector</c> and evaluating
/// the rule files given every second, a temporary TSDB folder, listening on 127.0.0.1 on a
/// free port. Killed and its folder deleted on Dispose.
/// </summary>
internal sealed class PrometheusServer : IDisposable
{
    /// <summary>The scrape job's name, as in deploy/prometheus/prometheus.yml (its alert rules match it).</summary>
    public const string JobName = "pooldetector";

    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(30);

    private readonly ChildProcess _process;
    private readonly string _directory;
    private readonly HttpClient _http;

    private PrometheusServer(ChildProcess process, string directory, int port)
    {
        _process = process;
        _directory = directory;
        Port = port;
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(5) };
    }

    public int Port { get; }

    public string Describe() => _process.Describe();

    /// <summary>Starts Prometheus scraping <paramref name="targets"/> (host:port) and waits for /-/ready.</summary>
    public static PrometheusServer Start(params string[] targets) => Start(targets, []);

    /// <summary>Starts Prometheus scraping <paramref name="targets"/> with <paramref name="ruleFiles"/> (absolute paths) loaded.</summary>
    public static PrometheusServer Start(IReadOnlyList<string> targets, IReadOnlyList<string> ruleFiles)
    {
        var binary = EndToEndPrerequisites.FindProgram("prometheus") ?? "/usr/bin/prometheus";
        var directory = Directory.CreateTempSubdirectory("pooldetector-prometheus-").FullName;
        var config = Path.Combine(directory, "prometheus.yml");
        File.WriteAllText(config,
            "global:\n" +
            "  scrape_interval: 1s\n" +
            "  scrape_timeout: 1s\n" +
            "  evaluation_interval: 1s\n" +
            (ruleFiles.Count == 0 ? "" : "rule_files: [" + string.Join(", ", ruleFiles.Select(f => "'" + f + "'")) + "]\n") +
            "scrape_configs:\n" +
            "  - job_name: " + JobName + "\n" +
            "    static_configs:\n" +
            "      - targets: [" + string.Join(", ", targets.Select(t => "'" + t + "'")) + "]\n");
        var port = Wait.FreeTcpPort();
        var process = ChildProcess.Start(binary,
        [
            "--config.file=" + config,
            "--storage.tsdb.path=" + Path.Combine(directory, "data"),
            "--web.listen-address=127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture),
            "--log.level=warn",
        ], directory);
        var server = new PrometheusServer(process, directory, port);
        try
        {
            if (!Wait.Until(server.IsReady, ReadyTimeout))
            {
                throw new InvalidOperationException("prometheus did not become ready:\n" + process.Describe());
            }
            return server;
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    /// <summary>An instant query through /api/v1/query: the samples of the vector (empty when none); throws unless it succeeds.</summary>
    public IReadOnlyList<PromSample> Query(string promql)
    {
        var result = Evaluate(promql);
        if (!result.Success)
        {
            throw new InvalidOperationException($"prometheus rejected '{promql}': {result.Body}");
        }
        if (result.ResultType != "vector")
        {
            throw new InvalidOperationException($"'{promql}' is not an instant vector: {result.Body}");
        }
        return [.. result.Series.Select(s => new PromSample(s.Labels, s.Values[0]))];
    }

    /// <summary>An instant query through /api/v1/query at the server's now, answered as it was, error or not.</summary>
    public PromResult Evaluate(string promql) => Api("api/v1/query?query=" + Uri.EscapeDataString(promql));

    /// <summary>A range query through /api/v1/query_range, as Grafana's time series panels send it, answered as it was.</summary>
    public PromResult QueryRange(string promql, DateTimeOffset start, DateTimeOffset end, TimeSpan step) =>
        Api("api/v1/query_range?query=" + Uri.EscapeDataString(promql) +
            "&start=" + UnixSeconds(start) + "&end=" + UnixSeconds(end) +
            "&step=" + step.TotalSeconds.ToString(CultureInfo.InvariantCulture));

    /// <summary>The values of <paramref name="label"/> on the series <paramref name="match"/> selects: what Grafana's label_values() lists.</summary>
    public IReadOnlyList<string> LabelValues(string label, string match)
    {
        using var json = JsonDocument.Parse(Get($"api/v1/label/{Uri.EscapeDataString(label)}/values?match[]={Uri.EscapeDataString(match)}"));
        return [.. json.RootElement.GetProperty("data").EnumerateArray().Select(v => v.GetString() ?? "")];
    }

    /// <summary>Every rule of the loaded rule files, with its health.</summary>
    public IReadOnlyList<PromRule> Rules()
    {
        using var json = JsonDocument.Parse(Get("api/v1/rules"));
        var rules = new List<PromRule>();
        foreach (var group in json.RootElement.GetProperty("data").GetProperty("groups").EnumerateArray())
        {
            foreach (var rule in group.GetProperty("rules").EnumerateArray())
            {
                rules.Add(new PromRule(group.GetProperty("name").GetString() ?? "", rule.GetProperty("name").GetString() ?? "",
                    rule.GetProperty("type").GetString() ?? "", rule.GetProperty("query").GetString() ?? "",
                    rule.GetProperty("health").GetString() ?? "",
                    rule.TryGetProperty("lastError", out var error) ? error.GetString() ?? "" : ""));
            }
        }
        return rules;
    }

    /// <summary>The alerts pending or firing now.</summary>
    public IReadOnlyList<PromAlert> Alerts()
    {
        using var json = JsonDocument.Parse(Get("api/v1/alerts"));
        return [.. json.RootElement.GetProperty("data").GetProperty("alerts").EnumerateArray()
            .Select(a => new PromAlert(Strings(a.GetProperty("labels")), Strings(a.GetProperty("annotations")), a.GetProperty("state").GetString() ?? ""))];
    }

    /// <summary>The health of each scrape target as Prometheus sees it (<c>up</c>), for failure messages.</summary>
    public string TargetsSummary()
    {
        try
        {
            return _http.GetStringAsync("api/v1/targets").GetAwaiter().GetResult();
        }
        catch (HttpRequestException e)
        {
            return "targets unavailable: " + e.Message;
        }
    }

    public void Dispose()
    {
        _http.Dispose();
        _process.Signal("TERM");
        if (_process.WaitForExit(TimeSpan.FromSeconds(5)) is null)
        {
            _process.Dispose(); // kills
        }
        _process.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // a file still held by a process being killed: the temp folder is cleaned by the OS
        }
    }

    private PromResult Api(string pathAndQuery)
    {
        // An error (400 for bad_data, 422 for execution) comes with its JSON like a success.
        var (_, body) = Fetch(pathAndQuery);
        using var json = JsonDocument.Parse(body);
        var root = json.RootElement;
        var status = root.GetProperty("status").GetString() ?? "";
        if (status != "success")
        {
            return new PromResult(status, root.TryGetProperty("errorType", out var type) ? type.GetString() ?? "" : "",
                root.TryGetProperty("error", out var error) ? error.GetString() ?? "" : "", "", [], body);
        }
        var data = root.GetProperty("data");
        var resultType = data.GetProperty("resultType").GetString() ?? "";
        var series = new List<PromSeries>();
        if (resultType is "vector" or "matrix")
        {
            foreach (var item in data.GetProperty("result").EnumerateArray())
            {
                var values = resultType == "vector"
                    ? [Number(item.GetProperty("value")[1])]
                    : item.GetProperty("values").EnumerateArray().Select(v => Number(v[1])).ToList();
                series.Add(new PromSeries(Strings(item.GetProperty("metric")), values));
            }
        }
        else
        {
            // a scalar or a string: one unlabelled value
            series.Add(new PromSeries(new Dictionary<string, string>(), [Number(data.GetProperty("result")[1])]));
        }
        return new PromResult(status, "", "", resultType, series, body);
    }

    private string Get(string pathAndQuery)
    {
        var (status, body) = Fetch(pathAndQuery);
        return status == System.Net.HttpStatusCode.OK
            ? body
            : throw new InvalidOperationException($"prometheus answered {(int)status} to {pathAndQuery}: {body}");
    }

    private (System.Net.HttpStatusCode Status, string Body) Fetch(string pathAndQuery)
    {
        using var response = _http.GetAsync(pathAndQuery).GetAwaiter().GetResult();
        return (response.StatusCode, response.Content.ReadAsStringAsync().GetAwaiter().GetResult());
    }

    private static Dictionary<string, string> Strings(JsonElement labels)
    {
        var set = new Dictionary<string, string>();
        foreach (var label in labels.EnumerateObject())
        {
            set[label.Name] = label.Value.GetString() ?? "";
        }
        return set;
    }

    /// <summary>A sample value as Prometheus writes it: a decimal string, or NaN, +Inf, -Inf.</summary>
    private static double Number(JsonElement value) => value.GetString() switch
    {
        "+Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        var text => double.Parse(text!, CultureInfo.InvariantCulture),
    };

    private static string UnixSeconds(DateTimeOffset time) =>
        (time.ToUnixTimeMilliseconds() / 1000.0).ToString("0.###", CultureInfo.InvariantCulture);

    private bool IsReady()
    {
        if (_process.HasExited)
        {
            throw new InvalidOperationException("prometheus exited at start:\n" + _process.Describe());
        }
        try
        {
            using var response = _http.GetAsync("-/ready").GetAwaiter().GetResult();
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
        catch (TaskCanceledException)
        {
            return false;
        }
    }
}
