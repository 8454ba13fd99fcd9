using System.Globalization;
using System.Text.Json;

using PoolDetector.Tests.Support;

namespace PoolDetector.Tests.EndToEnd;

/// <summary>One sample of a PromQL instant vector: its labels and value.</summary>
internal sealed record PromSample(IReadOnlyDictionary<string, string> Labels, double Value);

/// <summary>
/// A real Prometheus server (Debian's /usr/bin/prometheus) of the test's own: generated
/// prometheus.yml scraping the targets every second as job <c>pooldetector</c>, a temporary
/// TSDB folder, listening on 127.0.0.1 on a free port. Killed and its folder deleted on Dispose.
/// </summary>
internal sealed class PrometheusServer : IDisposable
{
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
    public static PrometheusServer Start(params string[] targets)
    {
        var binary = EndToEndPrerequisites.FindProgram("prometheus") ?? "/usr/bin/prometheus";
        var directory = Directory.CreateTempSubdirectory("pooldetector-prometheus-").FullName;
        var config = Path.Combine(directory, "prometheus.yml");
        File.WriteAllText(config,
            "global:\n" +
            "  scrape_interval: 1s\n" +
            "  scrape_timeout: 1s\n" +
            "  evaluation_interval: 1s\n" +
            "scrape_configs:\n" +
            "  - job_name: pooldetector\n" +
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

    /// <summary>An instant query through /api/v1/query: the samples of the vector (empty when none).</summary>
    public IReadOnlyList<PromSample> Query(string promql)
    {
        using var response = _http.GetAsync("api/v1/query?query=" + Uri.EscapeDataString(promql)).GetAwaiter().GetResult();
        var body = response.Content.ReadAsStringAsync().GetAwaiter().GetResult();
        using var json = JsonDocument.Parse(body);
        var root = json.RootElement;
        if (root.GetProperty("status").GetString() != "success")
        {
            throw new InvalidOperationException($"prometheus rejected '{promql}': {body}");
        }
        var data = root.GetProperty("data");
        var samples = new List<PromSample>();
        if (data.GetProperty("resultType").GetString() != "vector")
        {
            throw new InvalidOperationException($"'{promql}' is not an instant vector: {body}");
        }
        foreach (var item in data.GetProperty("result").EnumerateArray())
        {
            var labels = new Dictionary<string, string>();
            foreach (var label in item.GetProperty("metric").EnumerateObject())
            {
                labels[label.Name] = label.Value.GetString() ?? "";
            }
            var value = item.GetProperty("value")[1].GetString()!;
            samples.Add(new PromSample(labels, double.Parse(value, CultureInfo.InvariantCulture)));
        }
        return samples;
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
