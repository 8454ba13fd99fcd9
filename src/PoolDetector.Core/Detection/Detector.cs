using PoolDetector.Core.Decoding;
using PoolDetector.Core.Detection.Memory;
using PoolDetector.Core.Flows;
using PoolDetector.Core.Protocols;
using PoolDetector.Core.Protocols.Dhcp;
using PoolDetector.Core.Protocols.Dns;
using PoolDetector.Core.Protocols.Http;
using PoolDetector.Core.Protocols.Stratum;
using PoolDetector.Core.Protocols.StratumV2;
using PoolDetector.Core.Protocols.Tls;
using PoolDetector.Core.Rules;

namespace PoolDetector.Core.Detection;

/// <summary>
/// The stage after the flow table: routes each flow's payload to the inspector for its
/// framing (JSON lines, HTTP, TLS, DNS), weighs the evidence, and reports one
/// <see cref="MiningDetection"/> per flow whose evidence reaches the rules' thresholds, when
/// the flow ends (so shares are final). It also keeps the memories that outlive flows: DNS
/// answers for pool names, learned pool endpoints, and verdicts per host and pool.
/// </summary>
public sealed class Detector : IFlowConsumer
{
    private readonly IDetectionSink _sink;
    private readonly DetectionReporting _reporting;
    private readonly Stack<FlowInspection> _pool = new();
    private InspectionContext _context;

    /// <param name="homeNetworks">Who is internal (orientation and host attribution); null: nobody is known to be.</param>
    public Detector(RuleSet rules, IDetectionSink sink, DetectionReporting reporting = DetectionReporting.AtFlowEnd, LearnedPools? learned = null,
        HomeNetworks? homeNetworks = null)
    {
        ArgumentNullException.ThrowIfNull(rules);
        ArgumentNullException.ThrowIfNull(sink);
        _sink = sink;
        _reporting = reporting;
        Learned = learned ?? new LearnedPools();
        HomeNetworks = homeNetworks ?? HomeNetworks.None;
        Counters = new InspectionCounters(rules.Dialects.Count);
        _context = new InspectionContext(rules, Counters);
    }

    public InspectionCounters Counters { get; }

    /// <summary>Addresses DNS gave clients for pool names.</summary>
    public DnsAnswerCache DnsAnswers { get; } = new();

    /// <summary>Pool endpoints that served confirmed mining sessions.</summary>
    public LearnedPools Learned { get; }

    /// <summary>Verdicts per (internal host, pool address).</summary>
    public HostPoolHistory History { get; } = new();

    /// <summary>Who held which address under which name, from DHCP.</summary>
    public DhcpLeases Dhcp { get; } = new();

    public HomeNetworks HomeNetworks { get; }

    /// <summary>Detections not reported because the allowlist covers the host, the pool, the name or the wallet.</summary>
    public long Allowlisted { get; private set; }

    /// <summary>Flows reported as detections (each counted once, however often it is reported).</summary>
    public long Detections { get; private set; }

    /// <summary>The rules new flows are inspected with.</summary>
    public RuleSet Rules => _context.Rules;

    /// <summary>
    /// Inspects new flows with <paramref name="rules"/> from now on; flows already open
    /// finish with the rules they started with. Call on the packet thread.
    /// </summary>
    public void ReplaceRules(RuleSet rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        Counters.EnsureDialects(rules.Dialects.Count);
        _context = new InspectionContext(rules, Counters, _context.Buffers);
    }

    public void OnFlowStarted(Flow flow, long timestampMicros)
    {
        ArgumentNullException.ThrowIfNull(flow);
        var inspection = _pool.Count > 0 ? _pool.Pop() : new FlowInspection();
        inspection.Context = _context;
        flow.Attachment = inspection;
        // The answer's TTL bounds when the client may connect by it, not how long it stays
        // connected: a miner's connection outlives the TTL by hours and is judged at its end.
        if (DnsAnswers.Count > 0 && DnsAnswers.TryGet(flow.ClientAddress, flow.ServerAddress, timestampMicros, out var binding))
        {
            inspection.DnsBoundName = binding.Name;
        }
        if (flow.Transport == TransportProtocol.Udp && (flow.ClientPort == DnsPort || flow.ServerPort == DnsPort))
        {
            inspection.Framing = FlowFraming.Dns;
        }
        else if (flow.Transport == TransportProtocol.Udp
            && (DhcpParser.IsV4Ports(flow.ClientPort, flow.ServerPort) || DhcpParser.IsV6Ports(flow.ClientPort, flow.ServerPort)))
        {
            inspection.Framing = FlowFraming.Dhcp;
        }
        else if (flow.Transport != TransportProtocol.Tcp)
        {
            // Other UDP: only Ethereum's discovery protocol is looked for, datagram by datagram.
            inspection.Framing = FlowFraming.None;
        }
    }

    private const ushort DnsPort = 53;

    /// <summary>
    /// Whether packets between these ports may carry what other flows are judged by: DNS
    /// answers (bound to the client that asked) and DHCP leases (host names). Engines that each
    /// hold some of the flows (<c>analyze --workers</c>) must all see these packets.
    /// </summary>
    public static bool TeachesOtherFlows(TransportProtocol transport, ushort sourcePort, ushort destinationPort) =>
        sourcePort == DnsPort || destinationPort == DnsPort
        || (transport == TransportProtocol.Udp
            && (DhcpParser.IsV4Ports(sourcePort, destinationPort) || DhcpParser.IsV6Ports(sourcePort, destinationPort)));

    public void OnPayload(Flow flow, FlowDirection direction, ReadOnlySpan<byte> payload, long timestampMicros)
    {
        ArgumentNullException.ThrowIfNull(flow);
        if (flow.Attachment is not FlowInspection inspection)
        {
            return;
        }
        var d = (int)direction;
        if (inspection.Framing == FlowFraming.Dhcp)
        {
            OnDhcpDatagram(flow, payload, timestampMicros);
            return;
        }
        if (flow.Transport == TransportProtocol.Udp && inspection.Framing != FlowFraming.Dns)
        {
            OnDatagram(flow, inspection, d, payload, timestampMicros);
            return;
        }
        if (inspection.Framing == FlowFraming.Undecided)
        {
            inspection.Framing = DecideFraming(flow, payload, direction);
        }
        // Node P2P: fixed headers on a direction's first bytes, the RLPx handshake by turns
        // (constant work per chunk, over within each side's first turn).
        inspection.Node.OnPayload(d, payload, timestampMicros);
        var evidence = inspection.Evidence;
        var context = inspection.Context!;
        var scoring = context.Rules.Scoring;
        if (!inspection.StratumV2.Settled)
        {
            // Sizes only: rejected on the first turn that is not 64 bytes for nearly every flow.
            StratumV2ShapeInspector.OnPayload(inspection.StratumV2, d, payload.Length, timestampMicros);
            if (_reporting == DetectionReporting.OnVerdict && !inspection.Reported && inspection.StratumV2.Status == StratumV2ShapeStatus.Confirmed)
            {
                Report(flow, inspection, flowEnded: false);
            }
        }
        switch (inspection.Framing)
        {
            case FlowFraming.JsonLines:
                context.Stratum.OnPayload(inspection.Lines[d], payload, direction, evidence, ref inspection.Pending);
                FindStratumUrl(inspection, payload);
                break;
            case FlowFraming.Http:
                context.Http.OnPayload(inspection.Http[d], payload, direction, evidence, ref inspection.Pending);
                FindStratumUrl(inspection, payload);
                break;
            case FlowFraming.Tls:
                OnTlsPayload(flow, inspection, d, payload, timestampMicros);
                if (inspection.Tls.Status(d) != TlsParseStatus.NotTls)
                {
                    return;
                }
                // A side that answers a ClientHello in clear text: a plain Stratum pool
                // replying with parse errors to a miner that tried TLS on its port.
                context.Stratum.OnPayload(inspection.Lines[d], payload, direction, evidence, ref inspection.Pending);
                break;
            case FlowFraming.Dns:
                OnDnsPayload(flow, inspection, d, payload, timestampMicros);
                return;
        }
        inspection.BytesInspected[d] += payload.Length;
        if (!inspection.Learned && evidence.Score >= scoring.HighThreshold)
        {
            Learn(flow, inspection, timestampMicros);
        }

        if (evidence.ThresholdReachedMicros == 0 && evidence.Score >= scoring.MediumThreshold)
        {
            evidence.ThresholdReachedMicros = timestampMicros;
        }
        if (_reporting == DetectionReporting.OnVerdict && !inspection.Reported && ReadyToReport(evidence, scoring, timestampMicros))
        {
            Report(flow, inspection, flowEnded: false);
        }
        else if (_reporting == DetectionReporting.OnVerdict && !inspection.Reported && evidence.Score == 0 && inspection.Node.Confirmed)
        {
            Report(flow, inspection, flowEnded: false);
        }
        // Byte budget: a flow that has shown nothing mining-like in its first bytes is let go.
        // Flows with evidence are followed to the end, to count shares.
        if (evidence.Score == 0 && inspection.BytesInspected[d] > scoring.InspectBytesPerDirection && !inspection.DirectionAbandoned(d))
        {
            Abandon(inspection, d);
        }
        if (!inspection.WantsMorePayload)
        {
            flow.WantsPayload = false;
        }
    }

    public void OnGap(Flow flow, FlowDirection direction, long missingBytes, long timestampMicros)
    {
        ArgumentNullException.ThrowIfNull(flow);
        if (flow.Attachment is not FlowInspection inspection)
        {
            return;
        }
        inspection.Node.OnGap((int)direction, missingBytes, timestampMicros);
        StratumV2ShapeInspector.OnGap(inspection.StratumV2, (int)direction, missingBytes, timestampMicros);
        switch (inspection.Framing)
        {
            case FlowFraming.JsonLines:
                StratumInspector.OnGap(inspection.Lines[(int)direction]);
                break;
            case FlowFraming.Http:
                inspection.Context!.Http.OnGap(inspection.Http[(int)direction]);
                break;
        }
    }

    public void OnFlowEnded(Flow flow, FlowEndReason reason, long timestampMicros)
    {
        ArgumentNullException.ThrowIfNull(flow);
        if (flow.Attachment is not FlowInspection inspection)
        {
            return;
        }
        Report(flow, inspection, flowEnded: true);
        inspection.Reset();
        flow.Attachment = null;
        _pool.Push(inspection);
    }

    /// <summary>
    /// Live, a flow is reported once the protocol is confirmed (high confidence) and the
    /// miner has named its worker (the wallet is what a report needs; the authorize or login
    /// follows the subscribe within a message or two), or <see cref="WorkerWaitMicros"/>
    /// after the verdict without one; a medium verdict is reported after
    /// <see cref="MediumVerdictDelayMicros"/>. Quick enough to alert, late enough that most
    /// alerts are confirmed and complete. Times are packet time.
    /// </summary>
    public const long MediumVerdictDelayMicros = 30_000_000;

    public const long WorkerWaitMicros = 5_000_000;

    private static bool ReadyToReport(FlowEvidence evidence, ScoringRule scoring, long nowMicros)
    {
        if (evidence.ThresholdReachedMicros == 0)
        {
            return false;
        }
        var waited = nowMicros - evidence.ThresholdReachedMicros;
        return evidence.Score >= scoring.HighThreshold
            ? evidence.Worker is not null || waited >= WorkerWaitMicros
            : waited >= MediumVerdictDelayMicros;
    }

    private void Report(Flow flow, FlowInspection inspection, bool flowEnded)
    {
        if (flow.Shadow)
        {
            // Another engine owns the flow and reports it; this copy only learned from it.
            return;
        }
        if (inspection.Framing == FlowFraming.Dhcp)
        {
            // Address assignment, read for attribution: never mining, even to a pool's address
            // (a router that also runs a pool still hands out addresses).
            return;
        }
        var rules = inspection.Context!.Rules;
        var now = flow.LastSeenMicros;
        AddAddressSignals(flow, inspection, rules, now);
        var detection = Verdict.Judge(flow, inspection, rules);
        if (detection is null)
        {
            return;
        }
        if (IsAllowlisted(detection, rules))
        {
            if (!inspection.Reported)
            {
                Allowlisted++;
            }
            inspection.Reported = true;
            return;
        }
        if (!inspection.Reported)
        {
            Detections++;
        }
        _sink.OnDetection(InternalHost.Attribute(detection, flow, HomeNetworks, Dhcp) with { FlowEnded = flowEnded, ReportedBefore = inspection.Reported });
        inspection.Reported = true;
        if (IsAboutThePool(detection, inspection))
        {
            History.Remember(detection.MinerAddress, detection.PoolAddress, detection.PoolPort, new HostPoolVerdict(
                detection.Category, detection.Dialect, detection.Confidence, detection.PoolHost, detection.Worker, flow.Id, now));
        }
    }

    /// <summary>
    /// Whether a detection says its server is a pool, so later flows from the host to it may
    /// inherit the verdict: mining, or pool contact through a signal about the server itself.
    /// A verdict that rests on history alone is not remembered again, so that one mistake does
    /// not live on by feeding itself.
    /// </summary>
    private static bool IsAboutThePool(MiningDetection detection, FlowInspection inspection)
    {
        if (detection.Confidence < Confidence.Medium || detection.Category == DetectionCategory.CryptoNode)
        {
            return false;
        }
        if (detection.Category == DetectionCategory.Mining)
        {
            return true;
        }
        var strongest = inspection.Contact.Strongest();
        return strongest is { } signal && signal != ContactSignal.HostHistory && ContactEvidence.RuleOf(signal).AboutServer;
    }

    /// <summary>
    /// The signals that depend on who the server is rather than on what the flow said: a listed
    /// pool address, a learned endpoint, this host's history with the address, an HTTP Host of a
    /// pool. Looked up when the flow is judged, so a flow learns from everything seen before.
    /// </summary>
    private void AddAddressSignals(Flow flow, FlowInspection inspection, RuleSet rules, long nowMicros)
    {
        var contact = inspection.Contact;
        var intel = rules.Intel;
        // An address DNS gave this client for a pool name: usually just before the connection
        // (held since the flow started), sometimes just after it (a capture that starts
        // mid-connection, a client refreshing).
        var boundName = inspection.DnsBoundName;
        if (boundName is null && DnsAnswers.TryGet(flow.ClientAddress, flow.ServerAddress, nowMicros, out var binding))
        {
            boundName = binding.Name;
        }
        if (boundName is not null)
        {
            contact.Add(ContactSignal.DnsBoundAddress, "dns-bound:" + boundName + "=" + flow.ServerAddress, boundName);
        }
        if (intel.Addresses.TryMatch(flow.ServerAddress, flow.ServerPort, out var listed))
        {
            if (listed.Entry.IsStrong)
            {
                contact.Add(ContactSignal.ListedAddress, "listed-address:" + listed.Indicator);
                contact.Note(PoolNames.Provenance(listed));
            }
        }
        if (Learned.TryMatch(flow.ServerAddress, flow.ServerPort, out var learned, out var samePort)
            && !(inspection.Learned && samePort))
        {
            contact.Add(
                ContactSignal.LearnedEndpoint,
                (samePort ? "learned-endpoint:" : "learned-address:") + learned.Address.ToEndpointString(learned.Port) + "/" + learned.Dialect,
                learned.Name);
        }
        if (History.TryGet(flow.ClientAddress, flow.ServerAddress, flow.ServerPort, nowMicros, out var earlier) && earlier.FlowId != flow.Id)
        {
            contact.Add(ContactSignal.HostHistory, "host-history:" + earlier.Category.ToWireName() + "/" + earlier.Dialect, earlier.PoolName);
            contact.InheritedWorker ??= earlier.Worker;
        }
        // Behaviour, for TCP flows whose content is encrypted or unknown.
        if (flow.Transport == TransportProtocol.Tcp
            && inspection.Framing is FlowFraming.Tls or FlowFraming.JsonLines or FlowFraming.None
            && inspection.Evidence.Score == 0
            && FlowBehaviour.LooksLikeMining(flow, out var behaviour))
        {
            contact.Add(ContactSignal.Behaviour, behaviour);
        }
        if (inspection.Framing == FlowFraming.Http && inspection.Evidence.PoolHost is { } host)
        {
            var kind = PoolNames.Match(host, intel, Learned, nowMicros, out var match);
            if (kind == PoolNameMatch.Strong)
            {
                contact.Add(ContactSignal.PoolHttpHost, "http-host:" + host, host);
                contact.Note(PoolNames.Provenance(match));
            }
            else if (kind == PoolNameMatch.Weak)
            {
                contact.NoteWeakName(host);
            }
        }
    }

    /// <summary>
    /// The operator's exceptions: the internal host, the server, the pool's name or the wallet,
    /// as of the detection's day (an entry that lapsed since loading no longer applies).
    /// </summary>
    private static bool IsAllowlisted(MiningDetection detection, RuleSet rules)
    {
        var allow = rules.Intel.Allowlist;
        if (allow.Count == 0)
        {
            return false;
        }
        var day = PoolNames.Day(detection.TimestampMicros);
        if (allow.IsAllowed(detection.MinerAddress, day) || allow.IsAllowed(detection.PoolAddress, day))
        {
            return true;
        }
        if (detection.PoolHost is { } host && allow.IsAllowed(host, day))
        {
            return true;
        }
        if (detection.Worker is { } worker)
        {
            // Workers are "WALLET", "WALLET.rig", "WALLET+difficulty" or "WALLET/email".
            var wallet = worker.AsSpan();
            var end = wallet.IndexOfAny('.', '+', '/');
            return allow.IsWalletAllowed(wallet, day) || (end > 0 && allow.IsWalletAllowed(wallet[..end], day));
        }
        return false;
    }

    /// <summary>Remembers the server endpoint of a flow confirmed as mining in clear text.</summary>
    private void Learn(Flow flow, FlowInspection inspection, long timestampMicros)
    {
        inspection.Learned = true;
        var rules = inspection.Context!.Rules;
        var dialect = Verdict.ChooseDialect(inspection.Evidence, rules);
        if (dialect is null || dialect.Category != DetectionCategory.Mining)
        {
            return;
        }
        var reversed = inspection.Evidence.Reversed;
        var pool = reversed ? flow.ClientAddress : flow.ServerAddress;
        var port = reversed ? flow.ClientPort : flow.ServerPort;
        if (rules.Intel.Allowlist.IsAllowed(pool, PoolNames.Day(timestampMicros)))
        {
            return;
        }
        Learned.Learn(pool, port, inspection.Evidence.PoolHost ?? inspection.Contact.PoolName, dialect.Id, timestampMicros);
    }

    private void OnTlsPayload(Flow flow, FlowInspection inspection, int direction, ReadOnlySpan<byte> payload, long timestampMicros)
    {
        var tls = inspection.Tls;
        var hadClient = tls.ClientHello is not null;
        var hadServer = tls.ServerHello is not null;
        TlsInspector.OnPayload(tls, direction, payload, inspection.Context!.Buffers, Counters);
        if (!hadClient && tls.ClientHello is { } hello)
        {
            TlsSignals.OnClientHello(flow, inspection, hello, Learned);
        }
        if (!hadServer && tls.ServerHello is { } server)
        {
            TlsSignals.OnServerHello(inspection, server);
        }
        if (tls.Finished && tls.Status(0) != TlsParseStatus.NotTls && tls.Status(1) != TlsParseStatus.NotTls)
        {
            // Everything after the handshake is encrypted: only the packet counts go on.
            flow.WantsPayload = inspection.WantsMorePayload;
            if (_reporting == DetectionReporting.OnVerdict && !inspection.Reported && inspection.Contact.Any)
            {
                Report(flow, inspection, flowEnded: false);
            }
        }
    }

    /// <summary>
    /// A UDP datagram outside DNS: every datagram of a discv4 exchange is a discv4 packet, so
    /// the first one that is not lets the flow go (its packets are still counted).
    /// </summary>
    private void OnDatagram(Flow flow, FlowInspection inspection, int direction, ReadOnlySpan<byte> datagram, long timestampMicros)
    {
        if (!inspection.Node.OnDatagram(direction, datagram, timestampMicros))
        {
            flow.WantsPayload = false;
            return;
        }
        if (_reporting == DetectionReporting.OnVerdict && !inspection.Reported && inspection.Node.Confirmed)
        {
            Report(flow, inspection, flowEnded: false);
        }
    }

    /// <summary>One DHCP message per datagram; what it says about addresses goes to <see cref="Dhcp"/>.</summary>
    private void OnDhcpDatagram(Flow flow, ReadOnlySpan<byte> datagram, long timestampMicros)
    {
        var status = DhcpParser.IsV6Ports(flow.ClientPort, flow.ServerPort)
            ? DhcpParser.ParseV6(datagram, out var message)
            : DhcpParser.ParseV4(datagram, out message);
        if (status != DhcpParseStatus.Ok)
        {
            Counters.DhcpMalformed++;
            return;
        }
        Counters.DhcpMessages++;
        Dhcp.Observe(message, timestampMicros);
    }

    private void OnDnsPayload(Flow flow, FlowInspection inspection, int direction, ReadOnlySpan<byte> payload, long timestampMicros)
    {
        if (flow.Transport == TransportProtocol.Udp)
        {
            ParseDns(flow, inspection, payload, timestampMicros);
            return;
        }
        if (inspection.DnsAbandoned[direction])
        {
            return;
        }
        var buffer = inspection.DnsStream[direction];
        ReadOnlySpan<byte> stream = payload;
        if (buffer.Length > 0)
        {
            buffer.Append(inspection.Context!.Buffers, payload, 512, DnsTcpFraming.PrefixLength + ushort.MaxValue);
            stream = buffer.Span;
        }
        DnsTcpFrameStatus status;
        var consumed = 0;
        while ((status = DnsTcpFraming.TryRead(stream[consumed..], out var message, out var used)) == DnsTcpFrameStatus.Complete)
        {
            ParseDns(flow, inspection, message, timestampMicros);
            consumed += used;
        }
        if (status == DnsTcpFrameStatus.Invalid)
        {
            inspection.DnsAbandoned[direction] = true;
            buffer.Release();
            Counters.DnsMalformed++;
            flow.WantsPayload = inspection.WantsMorePayload;
            return;
        }
        // Keep what is left of a message split across segments.
        if (buffer.Length > 0)
        {
            buffer.Consume(consumed);
        }
        else if (consumed < payload.Length)
        {
            buffer.Append(inspection.Context!.Buffers, payload[consumed..], 512, DnsTcpFraming.PrefixLength + ushort.MaxValue);
        }
    }

    private void ParseDns(Flow flow, FlowInspection inspection, ReadOnlySpan<byte> message, long timestampMicros)
    {
        var isResponse = message.Length >= DnsHeader.Length && (message[2] & 0x80) != 0;
        var observer = new DnsPoolObserver(inspection.Contact, inspection.Context!.Rules.Intel, Learned, DnsAnswers, flow.ClientAddress, isResponse, timestampMicros);
        var status = DnsMessageParser.Parse(message, ref observer, out _);
        if (status == DnsParseStatus.Ok)
        {
            Counters.DnsMessages++;
        }
        else
        {
            Counters.DnsMalformed++;
        }
    }

    /// <summary>
    /// A <c>stratum+tcp://host:port</c> URL (or +ssl, +tls, ...) in clear text: miner
    /// configurations, pool pages and reconnect messages carry them, nothing else does.
    /// </summary>
    private static void FindStratumUrl(FlowInspection inspection, ReadOnlySpan<byte> payload)
    {
        if (inspection.Contact.Has(ContactSignal.StratumUrl))
        {
            return;
        }
        // Every "stratum" in the segment, not just the first: "stratum2+tcp://" is a scheme too,
        // and a page may mention the word before it gives the URL.
        int at;
        while ((at = payload.IndexOf("stratum"u8)) >= 0)
        {
            payload = payload[at..];
            if (StratumUrl.TryRead(payload, out var url, out var host))
            {
                inspection.Contact.Add(ContactSignal.StratumUrl, "stratum-url:" + url, host);
                return;
            }
            payload = payload["stratum".Length..];
        }
    }

    private static FlowFraming DecideFraming(Flow flow, ReadOnlySpan<byte> payload, FlowDirection direction)
    {
        if (payload[0] == 0x16 && TlsHandshakeParser.MayBeTls(payload))
        {
            return FlowFraming.Tls;
        }
        if (direction == FlowDirection.ClientToServer ? HttpInspector.LooksLikeRequest(payload) : HttpInspector.LooksLikeResponse(payload))
        {
            return FlowFraming.Http;
        }
        // TCP port 53 is DNS unless it opens with JSON: pools listen on 53 too, to get past
        // firewalls, and the port is a prior, never the detector.
        if ((flow.ClientPort == DnsPort || flow.ServerPort == DnsPort) && payload[0] != (byte)'{')
        {
            return FlowFraming.Dns;
        }
        // Everything else gets the JSON line framer, which rejects binary and non-JSON
        // directions within a few bytes or lines; a capture that starts mid-line resyncs.
        return FlowFraming.JsonLines;
    }

    private void Abandon(FlowInspection inspection, int direction)
    {
        inspection.Lines[direction].Abandoned = true;
        inspection.Lines[direction].Release();
        inspection.Http[direction].Abandoned = true;
        inspection.Http[direction].Release();
        Counters.DirectionsAbandoned++;
    }
}
