namespace PoolDetector.Core.Detection;

/// <summary>
/// What says a flow reaches a mining pool when its content does not show mining (DESIGN.md,
/// <c>pool-contact</c>). Listed strongest first: the first one present names the signature.
/// </summary>
public enum ContactSignal : byte
{
    /// <summary>TLS SNI of a listed or learned pool name.</summary>
    PoolTlsName,
    /// <summary>A DNS query or answer for a listed or learned pool name.</summary>
    PoolDnsName,
    /// <summary>An HTTP Host header of a pool name.</summary>
    PoolHttpHost,
    /// <summary>A <c>stratum+tcp://</c>-style URL in clear text: only miners and pools write them.</summary>
    StratumUrl,
    /// <summary>The certificate xmrig and xmrig-proxy generate when none is configured.</summary>
    XmrigProxyCertificate,
    /// <summary>A client TLS fingerprint (JA4 or JA3) listed as mining software's in rules/tls.yml.</summary>
    MinerTlsFingerprint,
    /// <summary>This internal host was seen mining with this pool address before (reconnect, failover, TLS).</summary>
    HostHistory,
    /// <summary>The server address came from a DNS answer for a pool name, to this client.</summary>
    DnsBoundAddress,
    /// <summary>The server endpoint served a confirmed mining session before (learned intel).</summary>
    LearnedEndpoint,
    /// <summary>The server address (and port) is in a pool list.</summary>
    ListedAddress,
    /// <summary>XMRig's default ClientHello (no SNI, no ALPN) to a port that is not a web port.</summary>
    XmrigTlsClient,
    /// <summary>Long-lived, small, server-pushed exchange: how a miner behind encryption looks.</summary>
    Behaviour,
}

/// <summary>
/// How a signal reports: under which dialect (rules/dialects.yml), how strong, whether it may
/// report alone, and whether it is about the flow's server (a DNS look-up's server is the
/// resolver, a URL in a web page names some other host: those say nothing of the server).
/// </summary>
public readonly record struct ContactSignalRule(string Dialect, Confidence Confidence, bool StandsAlone, bool AboutServer = true);

/// <summary>
/// The pool-contact evidence of one flow, pooled with its inspection state. Texts are built
/// only when a signal fires, which is rare; a flow with none costs a zero mask.
/// </summary>
public sealed class ContactEvidence
{
    public const int MaxItems = 16;

    private readonly List<string> _items = new(4);
    private uint _signals;

    /// <summary>
    /// Each signal's dialect and strength. Medium: one strong, pool-specific signal (DESIGN.md);
    /// low: an address or a shape, which lists and chance get wrong more often. The XMRig client
    /// shape and behaviour are common enough in other software that they only support others:
    /// the benign captures in ../shared/pcaps have long-lived P2P and instrument-control flows
    /// (gnutella, HiSLIP) that behave like a pool session.
    /// </summary>
    public static ContactSignalRule RuleOf(ContactSignal signal) => signal switch
    {
        ContactSignal.PoolTlsName => new("pool-tls-sni", Confidence.Medium, true),
        ContactSignal.PoolDnsName => new("pool-dns", Confidence.Medium, true, AboutServer: false),
        ContactSignal.PoolHttpHost => new("pool-http-host", Confidence.Medium, true),
        ContactSignal.StratumUrl => new("stratum-url", Confidence.Medium, true, AboutServer: false),
        ContactSignal.XmrigProxyCertificate => new("xmrig-proxy-certificate", Confidence.Medium, true),
        ContactSignal.MinerTlsFingerprint => new("miner-tls-fingerprint", Confidence.Medium, true),
        ContactSignal.HostHistory => new("pool-host-history", Confidence.Medium, true),
        ContactSignal.DnsBoundAddress => new("pool-address-dns", Confidence.Low, true),
        ContactSignal.LearnedEndpoint => new("pool-address-learned", Confidence.Low, true),
        ContactSignal.ListedAddress => new("pool-address", Confidence.Low, true),
        ContactSignal.XmrigTlsClient => new("xmrig-tls-client", Confidence.Low, false),
        ContactSignal.Behaviour => new("mining-behaviour", Confidence.Low, false),
        _ => throw new ArgumentOutOfRangeException(nameof(signal)),
    };

    public bool Any => _signals != 0;

    public bool Has(ContactSignal signal) => (_signals & (1u << (int)signal)) != 0;

    /// <summary>The pool's name as the flow revealed it (SNI, DNS, Host, URL, or a DNS answer bound to its address).</summary>
    public string? PoolName { get; private set; }

    /// <summary>A name only weak intel knows (a shared or dynamic-DNS name): names a flagged flow, never flags one.</summary>
    public string? WeakName { get; private set; }

    /// <summary>Worker (wallet) inherited from this host's earlier mining session with the pool.</summary>
    public string? InheritedWorker { get; set; }

    /// <summary>The evidence texts, in the order seen.</summary>
    public IReadOnlyList<string> Items => _items;

    public void Add(ContactSignal signal, string text, string? poolName = null)
    {
        _signals |= 1u << (int)signal;
        Note(text);
        PoolName ??= poolName;
    }

    /// <summary>A fact worth showing in the event (a fingerprint, a weak match) that is not a signal by itself.</summary>
    public void Note(string text)
    {
        if (_items.Count < MaxItems && !_items.Contains(text))
        {
            _items.Add(text);
        }
    }

    public void NoteWeakName(string name) => WeakName ??= name;

    /// <summary>The strongest signal present, or null.</summary>
    public ContactSignal? Strongest()
    {
        if (_signals == 0)
        {
            return null;
        }
        return (ContactSignal)System.Numerics.BitOperations.TrailingZeroCount(_signals);
    }

    public void Reset()
    {
        _signals = 0;
        _items.Clear();
        PoolName = null;
        WeakName = null;
        InheritedWorker = null;
    }
}
