using System.Globalization;
using System.Net;
using System.Net.Sockets;
using PoolDetector.Tests.EndToEnd;
using PoolDetector.Tests.Support;

namespace PoolDetector.Tests.Monitoring;

/// <summary>
/// What the dashboard and the alerts are checked against, started once for a test class and
/// only when a test asks (so a class whose tests are skipped starts nothing): a real Prometheus
/// (its own, every second) loading deploy/prometheus/alerts.yml and scraping three targets as
/// job pooldetector: sensor A, the built daemon capturing on lo while a real Stratum miner and
/// pool (npm) exchange shares; sensor B, a second daemon on lo whose filter lets nothing through
/// (an idle sensor); and a dead target where nothing listens (a sensor that is down).
/// </summary>
public sealed class LiveSensors : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly Lazy<Stack> _stack = new(Stack.Start, LazyThreadSafetyMode.ExecutionAndPublication);

    internal PrometheusServer Prometheus => _stack.Value.Prometheus;

    /// <summary>host:port of sensor A, the one that saw mining: its <c>instance</c> label.</summary>
    internal string Mining => _stack.Value.Mining.MetricsTarget;

    /// <summary>host:port of sensor B, idle.</summary>
    internal string Idle => _stack.Value.Idle.MetricsTarget;

    /// <summary>host:port where no sensor answers.</summary>
    internal string Dead => "127.0.0.1:" + ((IPEndPoint)_stack.Value.Dead.LocalEndPoint!).Port.ToString(CultureInfo.InvariantCulture);

    /// <summary>When Prometheus started: the start of the range queries.</summary>
    internal DateTimeOffset Started => _stack.Value.Started;

    /// <summary>The miner's address as the daemon reports it (and puts on its block list).</summary>
    internal static string MinerAddress => "127.0.0.1";

    internal string Describe() => _stack.IsValueCreated
        ? $"targets: {Prometheus.TargetsSummary()}\n--- sensor A ---\n{_stack.Value.Mining.Describe()}"
        : "(not started)";

    public void Dispose()
    {
        if (_stack.IsValueCreated)
        {
            _stack.Value.Dispose();
        }
    }

    /// <param name="Dead">Bound and never listening: connections are refused, and no other program can take the port meanwhile.</param>
    private sealed record Stack(PrometheusServer Prometheus, DaemonProcess Mining, DaemonProcess Idle, Socket Dead, DateTimeOffset Started) : IDisposable
    {
        public static Stack Start()
        {
            var started = DateTimeOffset.UtcNow;
            var poolPort = Wait.FreeTcpPort();
            var (miningPort, idlePort) = (Wait.FreeTcpPort(), Wait.FreeTcpPort());
            var dead = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            dead.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            var deadPort = ((IPEndPoint)dead.LocalEndPoint!).Port;
            var targets = new[] { miningPort, idlePort, deadPort }.Select(p => "127.0.0.1:" + p.ToString(CultureInfo.InvariantCulture)).ToArray();
            // Prometheus and the daemons start together: the first scrapes fail until the daemons answer.
            var prometheusStart = Task.Run(() => PrometheusServer.Start(targets, [AlertRules.RulesFile]));
            DaemonProcess? mining = null;
            DaemonProcess? idle = null;
            try
            {
                mining = DaemonProcess.Start("lo", $"tcp port {poolPort}", metricsPort: miningPort);
                // A port nobody uses: the filter passes nothing, so B captures nothing.
                idle = DaemonProcess.Start("lo", $"tcp port {Wait.FreeTcpPort()}", metricsPort: idlePort);
                var prometheus = prometheusStart.GetAwaiter().GetResult();
                var stack = new Stack(prometheus, mining, idle, dead, started);
                stack.Exchange(poolPort);
                return stack;
            }
            catch
            {
                // Whatever had started, once (a second Dispose of a daemon would throw over the cause).
                mining?.Dispose();
                idle?.Dispose();
                dead.Dispose();
                if (prometheusStart.IsCompletedSuccessfully)
                {
                    prometheusStart.Result.Dispose();
                }
                throw;
            }
        }

        public void Dispose()
        {
            Mining.Dispose();
            Idle.Dispose();
            Prometheus.Dispose();
            Dead.Dispose();
        }

        /// <summary>The mining, once both sensors were scraped before it (so the series rise from a sample at 0), then seen by Prometheus.</summary>
        private void Exchange(int poolPort)
        {
            var instances = $"{Mining.MetricsTarget}|{Idle.MetricsTarget}";
            if (!Wait.Until(() => Prometheus.Query($"up{{instance=~\"{instances}\"}} == 1").Count == 2, Timeout))
            {
                throw new InvalidOperationException("prometheus did not scrape both sensors: " + Prometheus.TargetsSummary());
            }
            var peers = NodePeers.Exchange(poolPort);
            if (!peers.MinerOutput.Contains("share accepted (2)", StringComparison.Ordinal))
            {
                throw new InvalidOperationException("the miner's shares were not accepted:\n" + peers.MinerOutput + peers.ServerOutput);
            }
            // Rates and increases need a sample after the detection beside the ones before it, and
            // a range query's last step (up to a step before its end) must come after that sample:
            // seen 3 s ago, it is in every range the tests ask for from now on.
            var seen = $"increase(pooldetector_detections_total{{instance=\"{Mining.MetricsTarget}\",category=\"mining\"}}[1m] offset 3s) > 0";
            if (!Wait.Until(() => Prometheus.Query(seen).Count > 0 && Prometheus.Query("pooldetector_mining_hosts == 1").Count == 1, Timeout))
            {
                throw new InvalidOperationException("prometheus did not see the detection:\n" + Prometheus.TargetsSummary() + "\n" + Mining.Describe());
            }
        }
    }
}
