using System.Reflection;
using System.Runtime.InteropServices;
using PoolDetector.Core.Decoding;
using PoolDetector.Core.Detection;
using PoolDetector.Core.Flows;
using PoolDetector.Core.Rules;
using PoolDetector.Core;
using PoolDetector.Hosting;
using Prometheus;

namespace PoolDetector.Metrics;

/// <summary>
/// The daemon's Prometheus metrics (README, "Metrics"). Event counters (detections, rule
/// reloads, interface failures) are incremented as the daemon reports them; everything the
/// capture and the engine count themselves is read from <see cref="SensorStatus"/> just before
/// each scrape and mapped onto counters with <see cref="Counter.Child.IncTo"/>.
/// Label values come from closed sets only: configured interface names, the loaded rules'
/// dialect ids, and the fixed words below. Never an address, port, wallet or host name.
/// </summary>
internal sealed class PrometheusSensorMetrics : ISensorMetrics
{
    public const string Prefix = "pooldetector_";

    private static readonly string[] Categories = [.. Enum.GetValues<DetectionCategory>().Select(c => c.ToWireName())];
    private static readonly string[] Confidences = [.. Enum.GetValues<Confidence>().Select(c => c.ToWireName())];
    private static readonly string[] Directions = ["client", "server"];
    /// <summary>The detector's memories, the closed set of <c>memory</c> label values.</summary>
    private static readonly string[] Memories = ["dns_answers", "learned_pools", "host_history", "dhcp_leases"];
    /// <summary>What became of frames in the evidence recent-packet store, the closed set of <c>outcome</c> label values.</summary>
    private static readonly string[] BufferOutcomes = ["stored", "evicted", "expired", "too_large"];

    private readonly SensorStatus _status;
    private readonly Lock _collectLock = new();

    private readonly Counter _packets;
    private readonly Counter _bytes;
    private readonly Counter _pcapReceived;
    private readonly Counter _enginePackets;
    private readonly Gauge _flowsActive;
    private readonly Counter _flowsCreated;
    private readonly Counter _flowsEvictedWithoutPayload;
    private readonly Counter _flowsEnded;
    private readonly Counter _streamGaps;
    private readonly Counter _streamGapBytes;
    private readonly Counter _detections;
    private readonly Gauge _miningHosts;
    private readonly Counter _stratumMessages;
    private readonly Counter _jsonMessages;
    private readonly Counter _tlsHellos;
    private readonly Counter _dnsMessages;
    private readonly Counter _dhcpMessages;
    private readonly Gauge _learnedPools;
    private readonly Gauge _memoryEntries;
    private readonly Counter _memoryEvictions;
    private readonly Counter _allowlisted;
    private readonly Counter _learnedPoolsSaves;
    private readonly Gauge _rulesLoaded;
    private readonly Counter _rulesReloads;
    private readonly Gauge _rulesLastReload;
    private readonly Gauge _interfaceUp;
    private readonly Counter _interfaceFailures;
    private readonly Gauge _lastPacket;
    private readonly Counter _evidenceFiles;
    private readonly Counter _evidenceBytes;
    private readonly Counter _evidenceDropped;
    private readonly Counter _evidenceDeleted;
    private readonly Gauge _evidenceDiskBytes;
    private readonly Counter _evidenceBufferFrames;
    private readonly Gauge _evidenceBufferBytes;
    private readonly Gauge _blocklistEntries;
    private readonly CumulativeSeries _eveFileDropped;
    private readonly CumulativeSeries _eveStdoutDropped;
    private readonly OutputSeries[] _outputs;

    private readonly InterfaceSeries[] _interfaces;
    private readonly CumulativeSeries[] _engineOutcomes;
    private readonly CumulativeSeries[] _flowEnds;
    private readonly CumulativeSeries _flowsCreatedSeries;
    private readonly CumulativeSeries _flowsEvictedWithoutPayloadSeries;
    private readonly CumulativeSeries _gaps;
    private readonly CumulativeSeries _gapBytes;
    private readonly CumulativeSeries _jsonParsed;
    private readonly CumulativeSeries _jsonMalformed;
    private readonly CumulativeSeries _jsonTooLong;
    private readonly CumulativeSeries _tlsParsed;
    private readonly CumulativeSeries _tlsMalformed;
    private readonly CumulativeSeries _dnsParsed;
    private readonly CumulativeSeries _dnsMalformed;
    private readonly CumulativeSeries _dhcpParsed;
    private readonly CumulativeSeries _dhcpMalformed;
    private readonly Gauge.Child[] _memorySizes;
    private readonly CumulativeSeries[] _memoryEvicted;
    private readonly CumulativeSeries _allowlistedSeries;
    /// <summary>The recent-packet store's outcomes: stored, evicted, expired, too_large.</summary>
    private readonly CumulativeSeries[] _evidenceBufferSeries;
    private readonly Dictionary<(string Dialect, int Direction), CumulativeSeries> _stratum = [];
    private readonly HashSet<string> _knownDialects = new(StringComparer.Ordinal);

    public PrometheusSensorMetrics(CollectorRegistry registry, SensorStatus status)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(status);
        _status = status;
        var factory = Prometheus.Metrics.WithCustomRegistry(registry);

        _packets = factory.CreateCounter(Prefix + "packets_total",
            "Packets per capture interface and stage: captured, queue_dropped (hand-off to the engine full), kernel_dropped (libpcap ps_drop), interface_dropped (libpcap ps_ifdrop).",
            "interface", "stage");
        _bytes = factory.CreateCounter(Prefix + "bytes_total", "Bytes per capture interface and stage (captured).", "interface", "stage");
        _pcapReceived = factory.CreateCounter(Prefix + "pcap_received_packets_total", "Packets libpcap reports received (ps_recv), per interface.", "interface");
        _enginePackets = factory.CreateCounter(Prefix + "engine_packets_total",
            "Frames the engine processed, by outcome: decoded to TCP/UDP, or why not.", "outcome");
        _flowsActive = factory.CreateGauge(Prefix + "flows_active", "Flows in the flow table now.");
        _flowsCreated = factory.CreateCounter(Prefix + "flows_created_total", "Flows created in the flow table.");
        _flowsEnded = factory.CreateCounter(Prefix + "flows_ended_total",
            "Flows ended, by reason: fin, reset, idle, capacity (evicted because the table was full), end_of_input.", "reason");
        _flowsEvictedWithoutPayload = factory.CreateCounter(Prefix + "flows_evicted_without_payload_total",
            "The part of flows_ended_total{reason=\"capacity\"} that had carried no payload (SYN-only, scans, bare handshakes): evicted first, before any flow with payload.");
        _streamGaps = factory.CreateCounter(Prefix + "stream_gaps_total", "TCP stream gaps skipped (bytes never seen: loss, drops, snap length).");
        _streamGapBytes = factory.CreateCounter(Prefix + "stream_gap_bytes_total", "Bytes covered by skipped TCP stream gaps.");
        _detections = factory.CreateCounter(Prefix + "detections_total",
            "Flows reported for the first time, by category, dialect and confidence.", "category", "dialect", "confidence");
        _miningHosts = factory.CreateGauge(Prefix + "mining_hosts", "Hosts with a mining flow within the configured window.");
        _stratumMessages = factory.CreateCounter(Prefix + "stratum_messages_total",
            "Mining protocol messages recognised, by dialect and direction (client: miner to pool, server: pool to miner).", "dialect", "direction");
        _jsonMessages = factory.CreateCounter(Prefix + "json_messages_total",
            "JSON lines and bodies inspected, by result: parsed, malformed, too_long (skipped: over the rules' line limit).", "result");
        _tlsHellos = factory.CreateCounter(Prefix + "tls_hellos_total",
            "TLS inspected, by result: parsed (client and server hellos), malformed (directions that started like TLS but broke its grammar or the parser's bound).", "result");
        _dnsMessages = factory.CreateCounter(Prefix + "dns_messages_total",
            "DNS messages inspected (UDP datagrams and TCP messages), by result: parsed, malformed (bad counts, compression loops, truncation).", "result");
        _dhcpMessages = factory.CreateCounter(Prefix + "dhcp_messages_total",
            "DHCPv4 and DHCPv6 messages read for host names, by result: parsed, malformed (truncated, an option past its end, a bad overload or relay).", "result");
        _learnedPools = factory.CreateGauge(Prefix + "learned_pools", "Pool endpoints learned from confirmed mining sessions, held now (kept across restarts).");
        _memoryEntries = factory.CreateGauge(Prefix + "memory_entries",
            "Entries held by the detector's bounded memories: dns_answers (pool addresses DNS gave clients), learned_pools, host_history (verdicts per host and pool), dhcp_leases (who held which address, from DHCP).", "memory");
        _memoryEvictions = factory.CreateCounter(Prefix + "memory_evictions_total",
            "Entries the detector's memories forgot to stay within their capacity (least recently used first), per memory.", "memory");
        _allowlisted = factory.CreateCounter(Prefix + "allowlisted_total", "Detections the operator's allowlist kept from being reported.");
        _learnedPoolsSaves = factory.CreateCounter(Prefix + "learned_pools_saves_total",
            "Saves of the learned pools file, by result: ok, error (retried at the next interval).", "result");
        _rulesLoaded = factory.CreateGauge(Prefix + "rules_loaded", "Rules in use (dialects, methods, agents, headers).");
        _rulesReloads = factory.CreateCounter(Prefix + "rules_reloads_total", "Rule reloads (SIGHUP), by result; on failure the previous rules stay.", "result");
        _rulesLastReload = factory.CreateGauge(Prefix + "rules_last_reload_timestamp_seconds", "When the rules in use were loaded (start or successful reload), Unix seconds.");
        _interfaceUp = factory.CreateGauge(Prefix + "interface_up", "1 while the interface is capturing, 0 while it is down or being retried.", "interface");
        _interfaceFailures = factory.CreateCounter(Prefix + "interface_failures_total", "Times an interface failed to open, went down or disappeared.", "interface");
        _lastPacket = factory.CreateGauge(Prefix + "last_packet_timestamp_seconds", "Capture time of the interface's last packet, Unix seconds; 0 before any.", "interface");
        _evidenceFiles = factory.CreateCounter(Prefix + "evidence_files_total",
            "Evidence captures finished, by result: written (complete and hashed), error (could not be written; removed).", "result");
        _evidenceBytes = factory.CreateCounter(Prefix + "evidence_bytes_total", "Bytes of evidence captures written.");
        _evidenceDropped = factory.CreateCounter(Prefix + "evidence_dropped_total",
            "Evidence lost to a full evidence queue, by item: file (a detection got no capture), frames (frames left out of a capture).", "item");
        _evidenceDeleted = factory.CreateCounter(Prefix + "evidence_deleted_total",
            "Evidence files deleted by retention, by reason: age (past EvidenceMaxAgeDays), budget (over EvidenceMaxMiB, oldest first).", "reason");
        _evidenceDiskBytes = factory.CreateGauge(Prefix + "evidence_disk_bytes", "Bytes of evidence files in the evidence directory (after the last write or sweep).");
        _evidenceBufferFrames = factory.CreateCounter(Prefix + "evidence_buffer_frames_total",
            "Frames through the recent-packet store evidence captures start from, by outcome: stored, evicted (pushed out for room before their age: raise EvidenceBufferMiB), expired (older than EvidenceBufferSeconds), too_large.", "outcome");
        _evidenceBufferBytes = factory.CreateGauge(Prefix + "evidence_buffer_bytes", "Bytes of frames held in the recent-packet store now.");
        var outputEvents = factory.CreateCounter(Prefix + "output_events_total",
            "Alerts handed to an output, by output (syslog, webhook) and result: sent, dropped (pushed out of its full queue, or queued at stop), failed (given up).", "output", "result");
        var outputQueue = factory.CreateGauge(Prefix + "output_queue_depth", "Alerts waiting in an output's queue now, by output.", "output");
        var outputTruncated = factory.CreateCounter(Prefix + "output_truncated_total", "Alerts sent cut to the output's size limit (SyslogMaxMessageBytes), by output.", "output");
        _blocklistEntries = factory.CreateGauge(Prefix + "blocklist_entries", "Hosts on the block list now (/blocklist.txt).");
        _outputs = [.. PoolDetector.Outputs.OutputStatus.Names.Select(name => new OutputSeries(
            status.Outputs[name], outputEvents, outputQueue.WithLabels(name), name == PoolDetector.Outputs.OutputStatus.SyslogName ? outputTruncated.WithLabels(name) : null, name))];
        _blocklistEntries.Set(0);
        var eveDropped = factory.CreateCounter(Prefix + "eve_events_dropped_total",
            "EVE events (alerts, evidence, flow_end) that could not be written, by output: file (the EVE file could not be opened or written: disk full), stdout (its queue full, or stdout closed).", "output");
        _eveFileDropped = new(eveDropped.WithLabels("file"));
        _eveStdoutDropped = new(eveDropped.WithLabels("stdout"));
        var buildInfo = factory.CreateGauge(Prefix + "build_info", "Always 1: the running version and .NET runtime as labels.", "version", "runtime");
        buildInfo.WithLabels(Version, RuntimeInformation.FrameworkDescription).Set(1);

        // Every series of a known closed set exists from the start, at zero.
        _interfaces = [.. status.Interfaces.Select(i => new InterfaceSeries(this, i))];
        _engineOutcomes = new CumulativeSeries[Enum.GetValues<DecodeStatus>().Length];
        _engineOutcomes[(int)DecodeStatus.Ok] = new(_enginePackets.WithLabels("decoded"));
        foreach (var status2 in Enum.GetValues<DecodeStatus>().Where(s => s != DecodeStatus.Ok))
        {
            _engineOutcomes[(int)status2] = new(_enginePackets.WithLabels(OutcomeName(status2)));
        }
        _flowEnds =
        [
            new(_flowsEnded.WithLabels("fin")),
            new(_flowsEnded.WithLabels("reset")),
            new(_flowsEnded.WithLabels("idle")),
            new(_flowsEnded.WithLabels("capacity")),
            new(_flowsEnded.WithLabels("end_of_input")),
        ];
        _flowsCreatedSeries = new(_flowsCreated);
        _flowsEvictedWithoutPayloadSeries = new(_flowsEvictedWithoutPayload);
        _gaps = new(_streamGaps);
        _gapBytes = new(_streamGapBytes);
        _jsonParsed = new(_jsonMessages.WithLabels("parsed"));
        _jsonMalformed = new(_jsonMessages.WithLabels("malformed"));
        _jsonTooLong = new(_jsonMessages.WithLabels("too_long"));
        _tlsParsed = new(_tlsHellos.WithLabels("parsed"));
        _tlsMalformed = new(_tlsHellos.WithLabels("malformed"));
        _dnsParsed = new(_dnsMessages.WithLabels("parsed"));
        _dnsMalformed = new(_dnsMessages.WithLabels("malformed"));
        _dhcpParsed = new(_dhcpMessages.WithLabels("parsed"));
        _dhcpMalformed = new(_dhcpMessages.WithLabels("malformed"));
        _memorySizes = [.. Memories.Select(m => _memoryEntries.WithLabels(m))];
        _memoryEvicted = [.. Memories.Select(m => new CumulativeSeries(_memoryEvictions.WithLabels(m)))];
        _allowlistedSeries = new(_allowlisted);
        _evidenceFiles.WithLabels("written");
        _evidenceFiles.WithLabels("error");
        _evidenceDropped.WithLabels("file");
        _evidenceDropped.WithLabels("frames");
        _evidenceDeleted.WithLabels("budget");
        _evidenceDeleted.WithLabels("age");
        _evidenceDiskBytes.Set(0);
        _evidenceBufferSeries = [.. BufferOutcomes.Select(o => new CumulativeSeries(_evidenceBufferFrames.WithLabels(o)))];
        _evidenceBufferBytes.Set(0);
        _learnedPoolsSaves.WithLabels("ok");
        _learnedPoolsSaves.WithLabels("error");
        _learnedPools.Set(0);
        foreach (var size in _memorySizes)
        {
            size.Set(0);
        }
        _rulesReloads.WithLabels("success");
        _rulesReloads.WithLabels("failure");
        _flowsActive.Set(0);
        _miningHosts.Set(0);
        _rulesLoaded.Set(0);
        _rulesLastReload.Set(0);

        registry.AddBeforeCollectCallback(Collect);
    }

    /// <summary>The informational version (with its commit when built from git), else the assembly version.</summary>
    public static string Version { get; } =
        typeof(PrometheusSensorMetrics).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(PrometheusSensorMetrics).Assembly.GetName().Version?.ToString(3)
        ?? "unknown";

    /// <summary><see cref="DecodeStatus"/> in snake_case: <c>NotTcpOrUdp</c> → <c>not_tcp_or_udp</c>.</summary>
    public static string OutcomeName(DecodeStatus status)
    {
        if (status == DecodeStatus.Ok)
        {
            return "decoded";
        }
        var name = status.ToString();
        var text = new System.Text.StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0)
            {
                text.Append('_');
            }
            text.Append(char.ToLowerInvariant(name[i]));
        }
        return text.ToString();
    }

    public void DetectionRaised(MiningDetection detection)
    {
        ArgumentNullException.ThrowIfNull(detection);
        if (detection.ReportedBefore)
        {
            // The end-of-flow report of a flow already counted live.
            return;
        }
        _detections.WithLabels(detection.Category.ToWireName(), DialectLabel(detection.Dialect), detection.Confidence.ToWireName()).Inc();
    }

    public void RulesLoaded(bool reload, bool success, int rulesInUse)
    {
        if (reload)
        {
            _rulesReloads.WithLabels(success ? "success" : "failure").Inc();
        }
        if (success)
        {
            _rulesLastReload.SetToCurrentTimeUtc();
        }
        _rulesLoaded.Set(rulesInUse);
    }

    public void InterfaceFailed(string interfaceName)
    {
        foreach (var series in _interfaces)
        {
            if (string.Equals(series.Name, interfaceName, StringComparison.Ordinal))
            {
                series.Failures.Inc();
                return;
            }
        }
        // Not a configured interface: not a label value. Nothing to count it under.
    }

    public void LearnedPoolsSaved(bool success) => _learnedPoolsSaves.WithLabels(success ? "ok" : "error").Inc();

    public void EvidenceWritten(long bytes)
    {
        _evidenceFiles.WithLabels("written").Inc();
        _evidenceBytes.Inc(bytes);
    }

    public void EvidenceFailed() => _evidenceFiles.WithLabels("error").Inc();

    public void EvidenceDropped(long files, long frames)
    {
        if (files > 0)
        {
            _evidenceDropped.WithLabels("file").Inc(files);
        }
        if (frames > 0)
        {
            _evidenceDropped.WithLabels("frames").Inc(frames);
        }
    }

    public void EvidenceDeleted(bool forAge, int files) => _evidenceDeleted.WithLabels(forAge ? "age" : "budget").Inc(files);

    public void EvidenceStored(long bytes) => _evidenceDiskBytes.Set(bytes);

    /// <summary>Before each scrape: copies what capture and the engine counted into the collectors.</summary>
    private void Collect()
    {
        lock (_collectLock)
        {
            foreach (var series in _interfaces)
            {
                series.Update();
            }
            _miningHosts.Set(_status.MiningHosts);
            foreach (var output in _outputs)
            {
                output.Update();
            }
            _blocklistEntries.Set(Volatile.Read(ref _status.Outputs.BlocklistEntries));
            _eveFileDropped.Update(Volatile.Read(ref _status.Outputs.EveFileDropped));
            _eveStdoutDropped.Update(Volatile.Read(ref _status.Outputs.EveStdoutDropped));
            CollectMemories(_status.Memory);
            if (_status.Engine is { } engine)
            {
                CollectEngine(engine);
            }
            if (_status.EvidenceBuffer is { } buffer)
            {
                // The engine thread's counters, read as they are (aligned 64-bit fields).
                _evidenceBufferSeries[0].Update(Volatile.Read(ref buffer.Stored));
                _evidenceBufferSeries[1].Update(Volatile.Read(ref buffer.Evicted));
                _evidenceBufferSeries[2].Update(Volatile.Read(ref buffer.Expired));
                _evidenceBufferSeries[3].Update(Volatile.Read(ref buffer.TooLarge));
                _evidenceBufferBytes.Set(buffer.BytesHeld);
            }
        }
    }

    /// <summary>The copies the engine thread published (the memories themselves are that thread's alone).</summary>
    private void CollectMemories(MemoryStatus memory)
    {
        // In the order of Memories.
        var learned = Volatile.Read(ref memory.LearnedPools);
        _learnedPools.Set(learned);
        _memorySizes[0].Set(Volatile.Read(ref memory.DnsAnswers));
        _memorySizes[1].Set(learned);
        _memorySizes[2].Set(Volatile.Read(ref memory.HostHistory));
        _memoryEvicted[0].Update(Volatile.Read(ref memory.DnsAnswersEvicted));
        _memoryEvicted[1].Update(Volatile.Read(ref memory.LearnedPoolsEvicted));
        _memoryEvicted[2].Update(Volatile.Read(ref memory.HostHistoryEvicted));
        _memorySizes[3].Set(Volatile.Read(ref memory.DhcpLeases));
        _memoryEvicted[3].Update(Volatile.Read(ref memory.DhcpLeasesEvicted));
    }

    private void CollectEngine(Engine engine)
    {
        var counters = engine.Counters;
        _engineOutcomes[(int)DecodeStatus.Ok].Update(counters.Decoded);
        for (var i = 0; i < counters.NotDecoded.Length && i < _engineOutcomes.Length; i++)
        {
            if (i != (int)DecodeStatus.Ok)
            {
                _engineOutcomes[i].Update(counters.NotDecoded[i]);
            }
        }

        var flows = engine.FlowCounters;
        _flowsActive.Set(engine.ActiveFlows);
        _flowsCreatedSeries.Update(flows.FlowsCreated);
        _flowEnds[0].Update(flows.FlowsEndedFin);
        _flowEnds[1].Update(flows.FlowsEndedReset);
        _flowEnds[2].Update(flows.FlowsEndedIdle);
        _flowEnds[3].Update(flows.FlowsEvictedCapacity);
        _flowEnds[4].Update(flows.FlowsEndedEndOfInput);
        _flowsEvictedWithoutPayloadSeries.Update(flows.FlowsEvictedWithoutPayload);
        _gaps.Update(flows.Gaps);
        _gapBytes.Update(flows.GapBytes);

        var inspection = engine.InspectionCounters;
        _jsonParsed.Update(inspection.JsonMessages);
        _jsonMalformed.Update(inspection.MalformedJson);
        _jsonTooLong.Update(inspection.LinesTooLong);
        _tlsParsed.Update(inspection.TlsHellos);
        _tlsMalformed.Update(inspection.TlsMalformed);
        _dnsParsed.Update(inspection.DnsMessages);
        _dnsMalformed.Update(inspection.DnsMalformed);
        _dhcpParsed.Update(inspection.DhcpMessages);
        _dhcpMalformed.Update(inspection.DhcpMalformed);
        _allowlistedSeries.Update(engine.Allowlisted);

        // The rules' dialects are the closed set of dialect label values; a reload may add some.
        var dialects = engine.Rules.Dialects;
        foreach (var dialect in dialects)
        {
            if (_knownDialects.Add(dialect.Id))
            {
                foreach (var confidence in Confidences)
                {
                    _detections.WithLabels(Categories[(int)dialect.Category], dialect.Id, confidence);
                }
                for (var direction = 0; direction < Directions.Length; direction++)
                {
                    _stratum[(dialect.Id, direction)] = new(_stratumMessages.WithLabels(dialect.Id, Directions[direction]));
                }
            }
        }
        var messages = inspection.MiningMessages;
        for (var d = 0; d < dialects.Count && (d * 2) + 1 < messages.Length; d++)
        {
            for (var direction = 0; direction < Directions.Length; direction++)
            {
                _stratum[(dialects[d].Id, direction)].Update(messages[(d * 2) + direction]);
            }
        }
    }

    /// <summary>
    /// A detection's dialect is a rules id by construction; anything that does not look like
    /// one (never expected) is counted as <c>other</c> rather than becoming a label value.
    /// </summary>
    private static string DialectLabel(string dialect)
    {
        if (dialect.Length is 0 or > 64)
        {
            return "other";
        }
        foreach (var c in dialect)
        {
            if (!(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '_' or '.'))
            {
                return "other";
            }
        }
        return dialect;
    }

    /// <summary>
    /// One series fed from a cumulative count kept elsewhere. A count that goes down was
    /// restarted (an interface reopened, libpcap's counters with it): what it had counted
    /// before is kept, so the Prometheus counter never goes backwards.
    /// </summary>
    private sealed class CumulativeSeries(ICounter child)
    {
        private long _last;
        private long _base;

        public void Update(long raw)
        {
            if (raw < _last)
            {
                _base += _last;
            }
            _last = raw;
            child.IncTo(_base + raw);
        }
    }

    /// <summary>One output's counts (kept by the output itself) as series; every result exists from the start.</summary>
    private sealed class OutputSeries
    {
        private readonly PoolDetector.Outputs.OutputCounters _counters;
        private readonly CumulativeSeries _sent;
        private readonly CumulativeSeries _dropped;
        private readonly CumulativeSeries _failed;
        private readonly CumulativeSeries? _truncated;
        private readonly Gauge.Child _queueDepth;

        public OutputSeries(PoolDetector.Outputs.OutputCounters counters, Counter events, Gauge.Child queueDepth, Counter.Child? truncated, string name)
        {
            _counters = counters;
            _sent = new(events.WithLabels(name, "sent"));
            _dropped = new(events.WithLabels(name, "dropped"));
            _failed = new(events.WithLabels(name, "failed"));
            _truncated = truncated is null ? null : new(truncated);
            _queueDepth = queueDepth;
            _queueDepth.Set(0);
        }

        public void Update()
        {
            _sent.Update(Volatile.Read(ref _counters.Sent));
            _dropped.Update(Volatile.Read(ref _counters.Dropped));
            _failed.Update(Volatile.Read(ref _counters.Failed));
            _truncated?.Update(Volatile.Read(ref _counters.Truncated));
            _queueDepth.Set(_counters.QueueDepth);
        }
    }

    private sealed class InterfaceSeries
    {
        private readonly InterfaceStatus _status;
        private readonly CumulativeSeries _captured;
        private readonly CumulativeSeries _queueDropped;
        private readonly CumulativeSeries _kernelDropped;
        private readonly CumulativeSeries _interfaceDropped;
        private readonly CumulativeSeries _bytes;
        private readonly CumulativeSeries _pcapReceived;
        private readonly Gauge.Child _up;
        private readonly Gauge.Child _lastPacket;

        public InterfaceSeries(PrometheusSensorMetrics metrics, InterfaceStatus status)
        {
            _status = status;
            var name = status.Name;
            _captured = new(metrics._packets.WithLabels(name, "captured"));
            _queueDropped = new(metrics._packets.WithLabels(name, "queue_dropped"));
            _kernelDropped = new(metrics._packets.WithLabels(name, "kernel_dropped"));
            _interfaceDropped = new(metrics._packets.WithLabels(name, "interface_dropped"));
            _bytes = new(metrics._bytes.WithLabels(name, "captured"));
            _pcapReceived = new(metrics._pcapReceived.WithLabels(name));
            _up = metrics._interfaceUp.WithLabels(name);
            _lastPacket = metrics._lastPacket.WithLabels(name);
            Failures = metrics._interfaceFailures.WithLabels(name);
            _up.Set(0);
            _lastPacket.Set(0);
        }

        public string Name => _status.Name;

        public Counter.Child Failures { get; }

        public void Update()
        {
            _captured.Update(Volatile.Read(ref _status.PacketsCaptured));
            _queueDropped.Update(Volatile.Read(ref _status.QueueDropped));
            _kernelDropped.Update(Volatile.Read(ref _status.PcapDropped));
            _interfaceDropped.Update(Volatile.Read(ref _status.PcapInterfaceDropped));
            _bytes.Update(Volatile.Read(ref _status.BytesCaptured));
            _pcapReceived.Update(Volatile.Read(ref _status.PcapReceived));
            _up.Set(_status.Up ? 1 : 0);
            _lastPacket.Set(Volatile.Read(ref _status.LastPacketMicros) / 1_000_000.0);
        }
    }
}
