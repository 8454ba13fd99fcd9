using System.Globalization;
using PoolDetector.Core.Flows;
using PoolDetector.Core.Protocols;
using PoolDetector.Core.Protocols.NodeP2p;
using PoolDetector.Core.Protocols.StratumV2;
using PoolDetector.Core.Rules;

namespace PoolDetector.Core.Detection;

/// <summary>Turns a flow's evidence into a detection, or none (DESIGN.md: confidence and categories).</summary>
public static class Verdict
{
    /// <summary>Every contact signal, strongest first (Enum.GetValues makes a new array per call).</summary>
    private static readonly ContactSignal[] ContactSignals = Enum.GetValues<ContactSignal>();

    /// <summary>
    /// Mining evidence, if any reaches the thresholds, wins; then node P2P traffic
    /// (<c>crypto-node</c>); then the signals of contact with a pool (<c>pool-contact</c>).
    /// </summary>
    public static MiningDetection? Judge(Flow flow, FlowInspection inspection, RuleSet rules)
    {
        ArgumentNullException.ThrowIfNull(flow);
        ArgumentNullException.ThrowIfNull(inspection);
        ArgumentNullException.ThrowIfNull(rules);
        return JudgeMining(flow, inspection, rules)
            ?? JudgeStratumV2(flow, inspection, rules)
            ?? JudgeNode(flow, inspection, rules)
            ?? JudgeContact(flow, inspection, rules);
    }

    /// <summary>
    /// Pool contact: the strongest signal present names the signature; confidence is that
    /// signal's (DESIGN.md: medium for a pool name or certificate, low for addresses and
    /// shapes), raised from low to medium when a standing signal and another agree. Never high:
    /// the content was not seen. Signals that only support (a client shape, behaviour) report
    /// nothing alone.
    /// </summary>
    private static MiningDetection? JudgeContact(Flow flow, FlowInspection inspection, RuleSet rules)
    {
        var contact = inspection.Contact;
        if (!contact.Any)
        {
            return null;
        }
        DialectRule? dialect = null;
        var confidence = Confidence.Low;
        var standsAlone = false;
        var supporting = 0;
        var signals = 0;
        foreach (var signal in ContactSignals)
        {
            if (!contact.Has(signal))
            {
                continue;
            }
            var rule = ContactEvidence.RuleOf(signal);
            if (!rules.DialectsById.TryGetValue(rule.Dialect, out var candidate))
            {
                // An operator's rules without this signal's dialect: the signal is not used.
                continue;
            }
            dialect ??= candidate;
            signals++;
            standsAlone |= rule.StandsAlone;
            supporting += rule.StandsAlone ? 0 : 1;
            if (rule.Confidence > confidence)
            {
                confidence = rule.Confidence;
            }
        }
        // Supporting signals report only together (XMRig's TLS shape on a flow that behaves like
        // mining), and then as low.
        if (dialect is null || (!standsAlone && supporting < 2))
        {
            return null;
        }
        // Only signals the rules keep count: one switched off does not raise confidence either.
        if (confidence == Confidence.Low && standsAlone && signals >= 2)
        {
            confidence = Confidence.Medium;
        }
        if (inspection.Framing == FlowFraming.Tls)
        {
            TlsSignals.NoteFingerprints(inspection);
        }
        var appProtocol = inspection.Framing switch
        {
            FlowFraming.Tls => "tls",
            FlowFraming.Dns => "dns",
            FlowFraming.Http => "http",
            _ => dialect.AppProtocol,
        };
        return Detection(flow, reversed: false, dialect, confidence, appProtocol, [.. contact.Items], flow.FirstSeenMicros) with
        {
            Worker = contact.InheritedWorker,
            PoolHost = contact.PoolName ?? contact.WeakName,
        };
    }

    private static MiningDetection? JudgeMining(Flow flow, FlowInspection inspection, RuleSet rules)
    {
        var evidence = inspection.Evidence;
        var scoring = rules.Scoring;
        if (evidence.Score < scoring.MediumThreshold)
        {
            return null;
        }
        var dialect = ChooseDialect(evidence, rules);
        if (dialect is null)
        {
            // Weight without any dialect (a miner agent alone): not mining-specific.
            return null;
        }
        var confidence = evidence.Score >= scoring.HighThreshold ? Confidence.High : Confidence.Medium;
        // Orientation came from ports when the SYN was missed; the protocol itself says who mines.
        var reversed = evidence.Reversed;

        var appProtocol = inspection.Framing == FlowFraming.Http ? "http" : dialect.AppProtocol;
        var timestamp = evidence.ThresholdReachedMicros != 0 ? evidence.ThresholdReachedMicros : flow.LastSeenMicros;
        return Detection(flow, reversed, dialect, confidence, appProtocol, [.. Describe(evidence, rules), .. inspection.Contact.Items], timestamp) with
        {
            Agent = evidence.Agent,
            Worker = evidence.Worker,
            Algorithm = evidence.Algorithm,
            PoolHost = evidence.PoolHost ?? inspection.Contact.PoolName ?? inspection.Contact.WeakName,
            SharesSubmitted = evidence.SharesSubmitted,
            SharesAccepted = evidence.SharesAccepted,
        };
    }

    /// <summary>
    /// Stratum V2 by its Noise handshake sizes (64 bytes answered by 234, then records):
    /// mining with medium confidence (DESIGN.md), never high, as the messages are encrypted.
    /// A handshake still standing when the flow ends counts too (a session cut short).
    /// </summary>
    private static MiningDetection? JudgeStratumV2(Flow flow, FlowInspection inspection, RuleSet rules)
    {
        var shape = inspection.StratumV2;
        if (shape.Status is not (StratumV2ShapeStatus.Confirmed or StratumV2ShapeStatus.HandshakeSeen)
            || !rules.DialectsById.TryGetValue("stratum-v2", out var dialect))
        {
            return null;
        }
        var confirmed = shape.Status == StratumV2ShapeStatus.Confirmed;
        string[] evidence = confirmed
            ? ["sv2-noise-handshake:64/234", "sv2-encrypted-records"]
            : ["sv2-noise-handshake:64/234"];
        var contact = inspection.Contact;
        var timestamp = confirmed ? shape.ConfirmedMicros : shape.HandshakeMicros;
        return Detection(flow, reversed: false, dialect, Confidence.Medium, dialect.AppProtocol, [.. evidence, .. contact.Items], timestamp) with
        {
            Worker = contact.InheritedWorker,
            PoolHost = contact.PoolName ?? contact.WeakName,
        };
    }

    /// <summary>
    /// What every detection has: the flow, turned round when the protocol shows the side
    /// taken for the client is the server (<paramref name="reversed"/>), and the dialect's signature.
    /// </summary>
    private static MiningDetection Detection(Flow flow, bool reversed, DialectRule dialect, Confidence confidence, string appProtocol, IReadOnlyList<string> evidence, long timestampMicros)
    {
        var detection = new MiningDetection
        {
            FlowId = flow.Id,
            TimestampMicros = timestampMicros,
            MinerAddress = flow.ClientAddress,
            MinerPort = flow.ClientPort,
            PoolAddress = flow.ServerAddress,
            PoolPort = flow.ServerPort,
            Transport = flow.Transport,
            Vlans = VlansOf(flow),
            AppProtocol = appProtocol,
            Category = dialect.Category,
            Dialect = dialect.Id,
            Confidence = confidence,
            Evidence = evidence,
            SignatureId = dialect.SignatureId,
            SignatureRevision = dialect.Revision,
            Signature = dialect.Signature,
            Severity = dialect.Severity,
            FirstSeenMicros = flow.FirstSeenMicros,
            LastSeenMicros = flow.LastSeenMicros,
            PacketsToServer = flow.PacketsToServer,
            PacketsToClient = flow.PacketsToClient,
            BytesToServer = flow.BytesToServer,
            BytesToClient = flow.BytesToClient,
        };
        return reversed ? detection.TurnedRound() : detection;
    }

    /// <summary>The flow's VLAN ids, outermost first, as the event lists them.</summary>
    private static ushort[] VlansOf(Flow flow) =>
        flow.OuterVlan == 0 ? [] : flow.InnerVlan == 0 ? [flow.OuterVlan] : [flow.OuterVlan, flow.InnerVlan];

    /// <summary>The rules' dialect id each node protocol reports under (rules/dialects.yml).</summary>
    public static string? NodeDialect(NodeProtocol protocol) => protocol switch
    {
        NodeProtocol.Bitcoin => "bitcoin-p2p",
        NodeProtocol.Levin => "monero-levin",
        NodeProtocol.Nano => "nano-node",
        NodeProtocol.Devp2p => "ethereum-devp2p",
        NodeProtocol.Discv4 => "ethereum-discv4",
        _ => null,
    };

    /// <summary>
    /// Node traffic: one direction opening with a node header is medium, the peer answering
    /// with the same protocol and network is high. Never mining, whatever the port. The source
    /// is the flow's client, or the side the protocol shows opened the exchange (RLPx
    /// initiator, discv4 pinger) where that differs, as on a UDP flow oriented by its ports.
    /// </summary>
    private static MiningDetection? JudgeNode(Flow flow, FlowInspection inspection, RuleSet rules)
    {
        var node = inspection.Node;
        var id = NodeDialect(node.Protocol);
        if (id is null || !rules.DialectsById.TryGetValue(id, out var dialect))
        {
            // An operator's rules without the node dialects: node traffic is not reported.
            return null;
        }
        var reversed = node.InitiatorDirection == 1;
        var confidence = node.Confirmed ? Confidence.High : Confidence.Medium;
        var timestamp = node.FirstSeenMicros != 0 ? node.FirstSeenMicros : flow.LastSeenMicros;
        return Detection(flow, reversed, dialect, confidence, dialect.AppProtocol, DescribeNode(node), timestamp);
    }

    /// <summary>
    /// The node evidence as it reads in the event: <c>bitcoin-magic:f9beb4d9</c>,
    /// <c>bitcoin-command:version</c>, <c>levin-signature</c>, <c>rlpx-auth-eip8</c>,
    /// <c>discv4-hash-ok</c>, <c>discv4-ping</c>, ...
    /// </summary>
    public static string[] DescribeNode(NodeP2pState node)
    {
        ArgumentNullException.ThrowIfNull(node);
        var items = new List<string>(6);
        if (node.Protocol == NodeProtocol.Discv4)
        {
            // The hash is what makes a datagram discv4; then every packet type seen.
            items.Add("discv4-hash-ok");
            for (var type = 1; type <= 6; type++)
            {
                if ((node.Discv4PacketTypes & (1 << type)) != 0)
                {
                    items.Add("discv4-" + EthereumP2p.Discv4PacketName(type));
                }
            }
        }
        // The initiator's message first (the auth before the ack).
        for (var i = 0; i < 2; i++)
        {
            var d = i ^ node.InitiatorDirection;
            ref readonly var message = ref node.Direction(d);
            var texts = message.Protocol switch
            {
                NodeProtocol.Bitcoin => new[]
                {
                    "bitcoin-magic:" + message.Magic.ToString("x8", CultureInfo.InvariantCulture),
                    "bitcoin-network:" + NodeP2pInspector.BitcoinNetwork(message.Magic),
                    "bitcoin-command:" + message.BitcoinCommandText(),
                },
                NodeProtocol.Levin => new[]
                {
                    "levin-signature",
                    "levin-command:" + message.Command.ToString(CultureInfo.InvariantCulture),
                },
                NodeProtocol.Nano => new[]
                {
                    "nano-magic:R" + (char)message.Magic,
                    "nano-network:" + NodeP2pInspector.NanoNetwork(message.Magic),
                    "nano-message:" + NodeP2pInspector.NanoMessageType(message.Command),
                },
                NodeProtocol.Devp2p => new[]
                {
                    EthereumP2p.RlpxHandshakeName((RlpxHandshake)message.Command)!,
                    "ecies-key-on-secp256k1",
                },
                _ => [],
            };
            foreach (var text in texts)
            {
                if (!items.Contains(text))
                {
                    items.Add(text);
                }
            }
        }
        if (node.Confirmed)
        {
            items.Add("peer-answered");
        }
        return [.. items];
    }

    /// <summary>
    /// The dialect with the most weight, counting for each dialect the weight of the
    /// dialects it refines: NiceHash's EthereumStratum/1.0.0 uses Stratum V1's method names,
    /// and its own marker then tips the balance to it.
    /// </summary>
    public static DialectRule? ChooseDialect(FlowEvidence evidence, RuleSet rules)
    {
        var weights = evidence.DialectWeights;
        DialectRule? best = null;
        var bestWeight = 0;
        for (var i = 0; i < rules.Dialects.Count && i < weights.Length; i++)
        {
            if (weights[i] <= 0)
            {
                continue;
            }
            var dialect = rules.Dialects[i];
            var total = weights[i];
            for (var refined = dialect.Refines; refined is not null; refined = rules.DialectsById[refined].Refines)
            {
                var index = rules.IndexOfDialect(refined);
                total += index >= 0 && index < weights.Length ? weights[index] : 0;
            }
            if (total > bestWeight || (total == bestWeight && best is not null && dialect.Refines == best.Id))
            {
                best = dialect;
                bestWeight = total;
            }
        }
        if (best is null && evidence.StratumErrorWeight > 0)
        {
            // Only Stratum V1 answers with [code, "message", traceback] error triples.
            rules.DialectsById.TryGetValue("stratum-v1", out best);
        }
        return best;
    }

    private static string[] Describe(FlowEvidence evidence, RuleSet rules)
    {
        var items = new string[evidence.ItemCount];
        for (var i = 0; i < items.Length; i++)
        {
            items[i] = Describe(evidence.Item(i), rules);
        }
        return items;
    }

    /// <summary>How one piece of evidence reads in the event: a method, <c>method:reply</c>, <c>agent:XMRig</c>, ...</summary>
    public static string Describe(EvidenceItem item, RuleSet rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        return item.Kind switch
        {
            EvidenceKind.Method => rules.Methods[item.Rule].Name,
            EvidenceKind.MethodNameOnly => rules.Methods[item.Rule].Name + ":name-only",
            EvidenceKind.Reply => rules.Methods[item.Rule].Name + ":reply",
            EvidenceKind.Agent => "agent:" + rules.Agents[item.Rule].Software,
            EvidenceKind.StratumError => "stratum-error-triple",
            EvidenceKind.Header => "http-header:" + rules.Headers[item.Rule].Name,
            _ => item.Kind.ToString(),
        };
    }
}
