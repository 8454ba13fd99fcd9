using System.Text.RegularExpressions;
using PoolDetector.Core.Detection;
using PoolDetector.Core.Flows;
using PoolDetector.Core.Rules;
using PoolDetector.Core;
using PoolDetector.Core.Intel;
using PoolDetector.Hosting;
using PoolDetector.Metrics;
using PoolDetector.Testing;
using PoolDetector.Tests.Corpus;
using Prometheus;

namespace PoolDetector.Tests.Metrics;

/// <summary>The pooldetector_ metrics as Prometheus scrapes them, from a real capture run through the engine.</summary>
public partial class SensorMetricsTests
{
    private sealed class MetricsSink(ISensorMetrics metrics) : IDetectionSink
    {
        public List<MiningDetection> Detections { get; } = [];

        public void OnDetection(MiningDetection detection)
        {
            Detections.Add(detection);
            metrics.DetectionRaised(detection);
        }
    }

    private sealed record Run(CollectorRegistry Registry, SensorStatus Status, Engine Engine, PrometheusSensorMetrics Metrics, List<(byte[] Frame, long Micros)> Frames);

    /// <summary>
    /// What the daemon does, without libpcap: frames "captured" on <c>lo</c> counted in its
    /// InterfaceStatus and fed to an engine reporting live, detections raised to the metrics.
    /// </summary>
    private static Run CaptureOnLoopback(string capture = "stratum-v1-npm.pcap", RuleSet? rules = null)
    {
        rules ??= CaptureRunner.Rules;
        var registry = Prometheus.Metrics.NewCustomRegistry();
        var status = new SensorStatus(["eth0", "lo"]);
        var metrics = new PrometheusSensorMetrics(registry, status);
        metrics.RulesLoaded(reload: false, success: true, rules.Count);
        var sink = new MetricsSink(metrics);
        var engine = new Engine(rules, new EngineOptions { Reporting = DetectionReporting.OnVerdict }, sink);
        status.Engine = engine;
        var lo = status.Interfaces[1];
        lo.Up = true;
        var frames = new List<(byte[], long)>();
        foreach (var (link, frame, micros) in CaptureRunner.ReadFrames(Path.Combine(RepositoryPaths.Pcaps, capture)))
        {
            lo.PacketsCaptured++;
            lo.BytesCaptured += frame.Length;
            lo.LastPacketMicros = micros;
            lo.PcapReceived++;
            engine.ProcessFrame(link, frame, micros);
            frames.Add((frame, micros));
        }
        engine.Finish();
        status.MiningHosts = 1;
        // What the engine thread does once a second.
        status.Memory.Publish(engine);
        return new Run(registry, status, engine, metrics, frames);
    }

    [Fact]
    public async Task A_stratum_capture_shows_up_with_the_engines_counts()
    {
        var run = CaptureOnLoopback();
        var scrape = await Exposition.ScrapeAsync(run.Registry);
        var engine = run.Engine;

        // Raised live and again at flow end (ReportedBefore): one detection.
        Assert.Equal(1, scrape["pooldetector_detections_total{category=\"mining\",dialect=\"stratum-v1\",confidence=\"high\"}"]);
        Assert.Equal(0, scrape["pooldetector_detections_total{category=\"mining\",dialect=\"stratum-v1\",confidence=\"medium\"}"]);

        var stratum = CaptureRunner.Rules.IndexOfDialect("stratum-v1");
        var messages = engine.InspectionCounters.MiningMessages;
        Assert.Equal(messages[(stratum * 2) + (int)FlowDirection.ClientToServer], scrape["pooldetector_stratum_messages_total{dialect=\"stratum-v1\",direction=\"client\"}"]);
        Assert.Equal(messages[(stratum * 2) + (int)FlowDirection.ServerToClient], scrape["pooldetector_stratum_messages_total{dialect=\"stratum-v1\",direction=\"server\"}"]);
        Assert.Equal(4, scrape["pooldetector_stratum_messages_total{dialect=\"stratum-v1\",direction=\"client\"}"]);
        Assert.Equal(7, scrape["pooldetector_stratum_messages_total{dialect=\"stratum-v1\",direction=\"server\"}"]);

        var flows = engine.FlowCounters;
        Assert.Equal(flows.FlowsEndedFin, scrape["pooldetector_flows_ended_total{reason=\"fin\"}"]);
        Assert.Equal(flows.FlowsEndedReset, scrape["pooldetector_flows_ended_total{reason=\"reset\"}"]);
        Assert.Equal(flows.FlowsEndedIdle, scrape["pooldetector_flows_ended_total{reason=\"idle\"}"]);
        Assert.Equal(flows.FlowsEvictedCapacity, scrape["pooldetector_flows_ended_total{reason=\"capacity\"}"]);
        Assert.Equal(flows.FlowsEndedEndOfInput, scrape["pooldetector_flows_ended_total{reason=\"end_of_input\"}"]);
        Assert.Equal(flows.FlowsEvictedWithoutPayload, scrape["pooldetector_flows_evicted_without_payload_total{}"]);
        Assert.Equal(1, flows.FlowsCreated);
        Assert.Equal(1, scrape["pooldetector_flows_created_total{}"]);
        Assert.Equal(1, flows.FlowsEndedFin + flows.FlowsEndedReset + flows.FlowsEndedIdle + flows.FlowsEvictedCapacity + flows.FlowsEndedEndOfInput);
        Assert.Equal(0, scrape["pooldetector_flows_active{}"]);
        Assert.Equal(flows.Gaps, scrape["pooldetector_stream_gaps_total{}"]);
        Assert.Equal(flows.GapBytes, scrape["pooldetector_stream_gap_bytes_total{}"]);

        Assert.Equal(21, engine.Counters.Decoded);
        Assert.Equal(21, scrape["pooldetector_engine_packets_total{outcome=\"decoded\"}"]);
        Assert.Equal(engine.InspectionCounters.JsonMessages, scrape["pooldetector_json_messages_total{result=\"parsed\"}"]);
        Assert.True(scrape["pooldetector_json_messages_total{result=\"parsed\"}"] >= 11);

        Assert.Equal(21, scrape["pooldetector_packets_total{interface=\"lo\",stage=\"captured\"}"]);
        Assert.Equal(21, scrape["pooldetector_pcap_received_packets_total{interface=\"lo\"}"]);
        Assert.Equal(run.Frames.Sum(f => f.Frame.Length), scrape["pooldetector_bytes_total{interface=\"lo\",stage=\"captured\"}"]);
        Assert.Equal(run.Frames[^1].Micros / 1e6, scrape["pooldetector_last_packet_timestamp_seconds{interface=\"lo\"}"], 6);
        Assert.Equal(1, scrape["pooldetector_interface_up{interface=\"lo\"}"]);
        Assert.Equal(0, scrape["pooldetector_interface_up{interface=\"eth0\"}"]);

        Assert.Equal(1, scrape["pooldetector_mining_hosts{}"]);
        Assert.Equal(CaptureRunner.Rules.Count, scrape["pooldetector_rules_loaded{}"]);
        var loadedAt = scrape["pooldetector_rules_last_reload_timestamp_seconds{}"];
        Assert.InRange(loadedAt, DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 600, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1);
        Assert.Single(scrape.Samples, s => s.Key.StartsWith("pooldetector_build_info{version=", StringComparison.Ordinal) && s.Value == 1);
    }

    [Fact]
    public async Task Known_series_exist_at_zero_before_anything_happens()
    {
        var registry = Prometheus.Metrics.NewCustomRegistry();
        var status = new SensorStatus(["eth0", "any"]);
        _ = new PrometheusSensorMetrics(registry, status);
        status.Engine = new Engine(CaptureRunner.Rules, new EngineOptions(), new CaptureRunner.CollectingSink());
        var scrape = await Exposition.ScrapeAsync(registry);

        foreach (var name in new[] { "eth0", "any" })
        {
            foreach (var stage in new[] { "captured", "queue_dropped", "kernel_dropped", "interface_dropped" })
            {
                Assert.Equal(0, scrape[$"pooldetector_packets_total{{interface=\"{name}\",stage=\"{stage}\"}}"]);
            }
            Assert.Equal(0, scrape[$"pooldetector_bytes_total{{interface=\"{name}\",stage=\"captured\"}}"]);
            Assert.Equal(0, scrape[$"pooldetector_pcap_received_packets_total{{interface=\"{name}\"}}"]);
            Assert.Equal(0, scrape[$"pooldetector_interface_up{{interface=\"{name}\"}}"]);
            Assert.Equal(0, scrape[$"pooldetector_interface_failures_total{{interface=\"{name}\"}}"]);
            Assert.Equal(0, scrape[$"pooldetector_last_packet_timestamp_seconds{{interface=\"{name}\"}}"]);
        }
        foreach (var outcome in new[] { "decoded", "truncated", "unsupported_link_type", "not_ip", "not_tcp_or_udp", "fragment", "malformed" })
        {
            Assert.Equal(0, scrape[$"pooldetector_engine_packets_total{{outcome=\"{outcome}\"}}"]);
        }
        Assert.Equal(7, scrape.Samples.Keys.Count(k => k.StartsWith("pooldetector_engine_packets_total{", StringComparison.Ordinal)));
        foreach (var reason in new[] { "fin", "reset", "idle", "capacity", "end_of_input" })
        {
            Assert.Equal(0, scrape[$"pooldetector_flows_ended_total{{reason=\"{reason}\"}}"]);
        }
        Assert.NotEmpty(CaptureRunner.Rules.Dialects);
        foreach (var dialect in CaptureRunner.Rules.Dialects)
        {
            foreach (var confidence in new[] { "low", "medium", "high" })
            {
                Assert.Equal(0, scrape[$"pooldetector_detections_total{{category=\"{dialect.Category.ToWireName()}\",dialect=\"{dialect.Id}\",confidence=\"{confidence}\"}}"]);
            }
            Assert.Equal(0, scrape[$"pooldetector_stratum_messages_total{{dialect=\"{dialect.Id}\",direction=\"client\"}}"]);
            Assert.Equal(0, scrape[$"pooldetector_stratum_messages_total{{dialect=\"{dialect.Id}\",direction=\"server\"}}"]);
        }
        foreach (var result in new[] { "parsed", "malformed", "too_long" })
        {
            Assert.Equal(0, scrape[$"pooldetector_json_messages_total{{result=\"{result}\"}}"]);
        }
        Assert.Equal(0, scrape["pooldetector_rules_reloads_total{result=\"success\"}"]);
        Assert.Equal(0, scrape["pooldetector_rules_reloads_total{result=\"failure\"}"]);
        Assert.Equal(0, scrape["pooldetector_mining_hosts{}"]);
        Assert.Equal(0, scrape["pooldetector_flows_active{}"]);
        Assert.Equal(0, scrape["pooldetector_stream_gaps_total{}"]);
        foreach (var result in new[] { "parsed", "malformed" })
        {
            Assert.Equal(0, scrape[$"pooldetector_tls_hellos_total{{result=\"{result}\"}}"]);
            Assert.Equal(0, scrape[$"pooldetector_dns_messages_total{{result=\"{result}\"}}"]);
            Assert.Equal(0, scrape[$"pooldetector_dhcp_messages_total{{result=\"{result}\"}}"]);
        }
        foreach (var memory in new[] { "dns_answers", "learned_pools", "host_history", "dhcp_leases" })
        {
            Assert.Equal(0, scrape[$"pooldetector_memory_entries{{memory=\"{memory}\"}}"]);
            Assert.Equal(0, scrape[$"pooldetector_memory_evictions_total{{memory=\"{memory}\"}}"]);
        }
        Assert.Equal(4, scrape.Samples.Keys.Count(k => k.StartsWith("pooldetector_memory_entries{", StringComparison.Ordinal)));
        Assert.Equal(0, scrape["pooldetector_learned_pools{}"]);
        Assert.Equal(0, scrape["pooldetector_allowlisted_total{}"]);
        Assert.Equal(0, scrape["pooldetector_learned_pools_saves_total{result=\"ok\"}"]);
        Assert.Equal(0, scrape["pooldetector_learned_pools_saves_total{result=\"error\"}"]);
    }

    [Fact]
    public async Task The_detectors_memories_and_learned_pool_saves_are_exported()
    {
        var run = CaptureOnLoopback();
        run.Metrics.LearnedPoolsSaved(success: true);
        run.Metrics.LearnedPoolsSaved(success: true);
        run.Metrics.LearnedPoolsSaved(success: false);
        var scrape = await Exposition.ScrapeAsync(run.Registry);

        // The pool of the Stratum session, learned in clear text.
        Assert.Equal(1, run.Engine.Learned.Count);
        Assert.Equal(1, scrape["pooldetector_learned_pools{}"]);
        Assert.Equal(1, scrape["pooldetector_memory_entries{memory=\"learned_pools\"}"]);
        Assert.Equal(run.Engine.History.Count, scrape["pooldetector_memory_entries{memory=\"host_history\"}"]);
        Assert.Equal(1, run.Engine.History.Count);
        Assert.Equal(0, scrape["pooldetector_memory_entries{memory=\"dns_answers\"}"]);
        Assert.Equal(0, scrape["pooldetector_memory_evictions_total{memory=\"learned_pools\"}"]);
        Assert.Equal(2, scrape["pooldetector_learned_pools_saves_total{result=\"ok\"}"]);
        Assert.Equal(1, scrape["pooldetector_learned_pools_saves_total{result=\"error\"}"]);
        Assert.Equal(0, scrape["pooldetector_allowlisted_total{}"]);
    }

    [Fact]
    public async Task Dns_and_tls_inspection_counts_are_exported()
    {
        var run = CaptureOnLoopback("dns-pool-then-tls.pcap");
        var scrape = await Exposition.ScrapeAsync(run.Registry);
        var inspection = run.Engine.InspectionCounters;

        Assert.True(inspection.DnsMessages > 0 && inspection.TlsHellos > 0, "the capture has DNS and TLS");
        Assert.Equal(inspection.DnsMessages, scrape["pooldetector_dns_messages_total{result=\"parsed\"}"]);
        Assert.Equal(inspection.DnsMalformed, scrape["pooldetector_dns_messages_total{result=\"malformed\"}"]);
        Assert.Equal(inspection.TlsHellos, scrape["pooldetector_tls_hellos_total{result=\"parsed\"}"]);
        Assert.Equal(inspection.TlsMalformed, scrape["pooldetector_tls_hellos_total{result=\"malformed\"}"]);
        // The pool name's answer is held for the client.
        Assert.Equal(run.Engine.DnsAnswers.Count, scrape["pooldetector_memory_entries{memory=\"dns_answers\"}"]);
        Assert.True(run.Engine.DnsAnswers.Count > 0);
    }

    [Fact]
    public async Task Dhcp_messages_and_leases_are_exported()
    {
        var run = CaptureOnLoopback("dhcp-then-stratum.pcap");
        var scrape = await Exposition.ScrapeAsync(run.Registry);
        var inspection = run.Engine.InspectionCounters;

        // Eight DHCPv4 and DHCPv6 messages to the lease, three at its release.
        Assert.Equal(11, inspection.DhcpMessages);
        Assert.Equal(inspection.DhcpMessages, scrape["pooldetector_dhcp_messages_total{result=\"parsed\"}"]);
        Assert.Equal(0, scrape["pooldetector_dhcp_messages_total{result=\"malformed\"}"]);
        Assert.Equal(2, scrape["pooldetector_memory_entries{memory=\"dhcp_leases\"}"]);
    }

    [Fact]
    public async Task Detections_the_allowlist_suppressed_are_counted()
    {
        var allowlist = IntelLoader.Load(
            [("allowlist.tsv", "#fields\tindicator\tindicator_type\treason\texpires\n127.0.0.1\tADDR\tthe test pool\tnever\n")],
            DateTimeOffset.UtcNow);
        Assert.Empty(allowlist.Errors);
        var yaml = Directory.GetFiles(RepositoryPaths.Rules, "*.yml").Order(StringComparer.Ordinal).Select(f => (f, File.ReadAllText(f))).ToList();
        var rules = RuleLoader.Load(yaml, allowlist.Intel);

        var run = CaptureOnLoopback(rules: rules);
        var scrape = await Exposition.ScrapeAsync(run.Registry);

        Assert.Equal(0, run.Engine.Detections);
        Assert.Equal(1, run.Engine.Allowlisted);
        Assert.Equal(1, scrape["pooldetector_allowlisted_total{}"]);
        // An allowlisted pool is not learned either.
        Assert.Equal(0, scrape["pooldetector_learned_pools{}"]);
    }

    [Fact]
    public async Task Events_are_counted_and_unknown_names_never_become_labels()
    {
        var registry = Prometheus.Metrics.NewCustomRegistry();
        var status = new SensorStatus(["eth0"]);
        var metrics = new PrometheusSensorMetrics(registry, status);

        metrics.RulesLoaded(reload: false, success: true, 40);
        metrics.RulesLoaded(reload: true, success: false, 40);
        metrics.RulesLoaded(reload: true, success: true, 42);
        metrics.InterfaceFailed("eth0");
        metrics.InterfaceFailed("eth0");
        metrics.InterfaceFailed("192.0.2.7");
        var detection = Assert.Single(CaptureRunner.Run(Path.Combine(RepositoryPaths.Pcaps, "stratum-v1-npm.pcap")));
        metrics.DetectionRaised(detection with { Dialect = "Stratum V1 at 192.0.2.7:3333" });
        metrics.DetectionRaised(detection with { Category = DetectionCategory.PoolContact, Confidence = Confidence.Low });
        metrics.DetectionRaised(detection with { ReportedBefore = true });

        var scrape = await Exposition.ScrapeAsync(registry);
        Assert.Equal(1, scrape["pooldetector_rules_reloads_total{result=\"failure\"}"]);
        Assert.Equal(1, scrape["pooldetector_rules_reloads_total{result=\"success\"}"]);
        Assert.Equal(42, scrape["pooldetector_rules_loaded{}"]);
        Assert.Equal(2, scrape["pooldetector_interface_failures_total{interface=\"eth0\"}"]);
        Assert.Single(scrape.Samples.Keys, k => k.StartsWith("pooldetector_interface_failures_total{", StringComparison.Ordinal));
        Assert.Equal(1, scrape["pooldetector_detections_total{category=\"mining\",dialect=\"other\",confidence=\"high\"}"]);
        Assert.Equal(1, scrape["pooldetector_detections_total{category=\"pool-contact\",dialect=\"stratum-v1\",confidence=\"low\"}"]);
        Assert.DoesNotContain("192.0.2.7", scrape.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Counters_restarted_underneath_never_go_backwards()
    {
        var registry = Prometheus.Metrics.NewCustomRegistry();
        var status = new SensorStatus(["eth0"]);
        _ = new PrometheusSensorMetrics(registry, status);
        var eth0 = status.Interfaces[0];

        eth0.PcapDropped = 10;
        Assert.Equal(10, (await Exposition.ScrapeAsync(registry))["pooldetector_packets_total{interface=\"eth0\",stage=\"kernel_dropped\"}"]);
        // The interface was reopened: libpcap counts from zero again.
        eth0.PcapDropped = 3;
        Assert.Equal(13, (await Exposition.ScrapeAsync(registry))["pooldetector_packets_total{interface=\"eth0\",stage=\"kernel_dropped\"}"]);
        eth0.PcapDropped = 5;
        Assert.Equal(15, (await Exposition.ScrapeAsync(registry))["pooldetector_packets_total{interface=\"eth0\",stage=\"kernel_dropped\"}"]);
    }

    [Fact]
    public async Task No_label_value_is_an_address_or_a_port_and_names_follow_the_conventions()
    {
        var run = CaptureOnLoopback("stratum-v1-npm-ipv6.pcap");
        run.Metrics.InterfaceFailed("lo");
        var scrape = await Exposition.ScrapeAsync(run.Registry);
        var detection = Assert.Single(CaptureRunner.Run(Path.Combine(RepositoryPaths.Pcaps, "stratum-v1-npm-ipv6.pcap")));

        Assert.NotEmpty(scrape.Series);
        foreach (var (name, labels) in scrape.Series)
        {
            Assert.Matches("^pooldetector_[a-z0-9_]+$", name);
            foreach (var (label, value) in labels)
            {
                Assert.Matches("^[a-z]+$", label);
                Assert.DoesNotMatch(Ipv4(), value);
                Assert.DoesNotMatch(Ipv6(), value);
                Assert.DoesNotMatch("^[0-9]+$", value);
            }
        }
        foreach (var text in new[] { detection.MinerAddress.ToString(), detection.PoolAddress.ToString(), detection.MinerPort.ToString(), detection.PoolPort.ToString() })
        {
            Assert.DoesNotContain(text, scrape.Text, StringComparison.Ordinal);
        }

        var types = scrape.Types.Where(t => t.Key.StartsWith("pooldetector_", StringComparison.Ordinal)).ToList();
        Assert.Equal(41, types.Count);
        foreach (var (name, type) in types)
        {
            Assert.Contains(type, new[] { "counter", "gauge" });
            if (type == "counter")
            {
                Assert.EndsWith("_total", name, StringComparison.Ordinal);
            }
            else
            {
                Assert.False(name.EndsWith("_total", StringComparison.Ordinal), name + " is a gauge named like a counter");
            }
        }
    }

    [Fact]
    public async Task The_readme_lists_every_metric_exposed()
    {
        var run = CaptureOnLoopback();
        var scrape = await Exposition.ScrapeAsync(run.Registry);
        var readme = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "README.md"));
        var start = readme.IndexOf("\n## Metrics", StringComparison.Ordinal);
        Assert.True(start >= 0, "README.md has no Metrics section");
        var end = readme.IndexOf("\n## ", start + 1, StringComparison.Ordinal);
        var section = end < 0 ? readme[start..] : readme[start..end];
        var documented = MetricName().Matches(section).Select(m => m.Value).ToHashSet(StringComparer.Ordinal);
        var exposed = scrape.Types.Keys.Where(k => k.StartsWith("pooldetector_", StringComparison.Ordinal)).ToHashSet(StringComparer.Ordinal);
        Assert.Equal(exposed.Order(StringComparer.Ordinal), documented.Order(StringComparer.Ordinal));
    }

    [GeneratedRegex(@"^\d{1,3}(\.\d{1,3}){3}$")]
    private static partial Regex Ipv4();

    [GeneratedRegex(@"^\[?[0-9a-fA-F]*:[0-9a-fA-F:.]*\]?$")]
    private static partial Regex Ipv6();

    [GeneratedRegex(@"pooldetector_[a-z0-9_]+")]
    private static partial Regex MetricName();
}
