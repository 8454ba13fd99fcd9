namespace PoolDetector.Hosting;

/// <summary>
/// The daemon's configuration: section <c>PoolDetector</c> of the JSON file
/// (default <c>/etc/pooldetector/pooldetector.json</c>), overridden by environment variables
/// (<c>POOLDETECTOR_PoolDetector__MetricsPort=9475</c>) and the command line
/// (<c>--PoolDetector:MetricsPort=9475</c>). Every option is documented in the README.
/// </summary>
internal sealed class SensorOptions
{
    public const string Section = "PoolDetector";

    /// <summary>Interfaces to capture on (<c>any</c> allowed): the closed set of <c>interface</c> label values.</summary>
    public List<string> Interfaces { get; set; } = [];

    /// <summary>A libpcap filter expression; empty captures everything.</summary>
    public string BpfFilter { get; set; } = "";

    public int SnapLength { get; set; } = 65535;

    public bool Promiscuous { get; set; } = true;

    /// <summary>libpcap's kernel buffer, MiB.</summary>
    public int KernelBufferMiB { get; set; } = 32;

    /// <summary>
    /// Deliver packets as they arrive instead of in batches. Off by default: measured with the
    /// live benchmark (README "Performance"), batches lost nothing up to 288,000 packets/s
    /// where immediate mode lost packets from 12,000, at a tenth of the CPU; the price, up to
    /// <see cref="ReadTimeoutMilliseconds"/> of delay, is nothing beside a verdict's seconds.
    /// </summary>
    public bool ImmediateMode { get; set; }

    /// <summary>Frames held between capture and engine; beyond it frames are dropped and counted (stage <c>queue</c>).</summary>
    public int QueueCapacity { get; set; } = 65536;

    /// <summary>Bytes of frames held between capture and engine per interface, MiB: the ring is preallocated, so this is the hand-off's memory.</summary>
    public int QueueBufferMiB { get; set; } = 64;

    /// <summary>How long libpcap waits for packets before handing over a partial batch, milliseconds (also how quickly a capture thread notices shutdown).</summary>
    public int ReadTimeoutMilliseconds { get; set; } = 250;

    /// <summary>The rules folder; empty means the <c>rules</c> folder next to the executable.</summary>
    public string RulesDirectory { get; set; } = "";

    /// <summary>The EVE alert file, appended to and reopened on SIGHUP (logrotate).</summary>
    public string EveLog { get; set; } = "/var/log/pooldetector/eve.json";

    /// <summary>Also write alerts to stdout.</summary>
    public bool EveStdout { get; set; }

    /// <summary>Address of the Prometheus endpoint; loopback unless an operator opens it.</summary>
    public string MetricsAddress { get; set; } = "127.0.0.1";

    public int MetricsPort { get; set; } = 9474;

    /// <summary>Hard cap on concurrent flows.</summary>
    public int MaxFlows { get; set; } = 262_144;

    /// <summary>A miner counts as a current mining host until this long after its last mining packet.</summary>
    public int MiningHostWindowSeconds { get; set; } = 900;

    /// <summary>Cap on (miner, pool, port, dialect) aggregates kept in memory; beyond it the least recently seen is evicted (counted).</summary>
    public int MaxAggregates { get; set; } = 65_536;

    /// <summary>Alerts waiting for a slow stdout before they are dropped (counted), when <see cref="EveStdout"/> is on.</summary>
    public int StdoutQueueCapacity { get; set; } = 4096;

    /// <summary>Wait before reopening an interface that failed or disappeared.</summary>
    public int InterfaceRetrySeconds { get; set; } = 5;

    /// <summary>
    /// Where the pool endpoints learned from confirmed mining sessions are kept across restarts,
    /// in the pool-list format (<c>pooldetector intel export</c> reads it); empty keeps them in memory only.
    /// </summary>
    public string LearnedPoolsFile { get; set; } = LearnedPoolsStore.DefaultPath;

    /// <summary>Learned pools are saved at most this often while new ones arrive, and once at stop.</summary>
    public TimeSpan LearnedPoolsSaveInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Where a pcap of each detected flow is written (README, "Evidence captures"); empty writes none.</summary>
    public string EvidenceDirectory { get; set; } = "/var/lib/pooldetector/evidence";

    /// <summary>Disk budget of the evidence directory, MiB: beyond it the oldest files are deleted.</summary>
    public int EvidenceMaxMiB { get; set; } = 10_240;

    /// <summary>Evidence files older than this are deleted.</summary>
    public int EvidenceMaxAgeDays { get; set; } = 90;

    /// <summary>Memory holding the last frames, MiB, so a capture starts at its flow's first packet although the verdict comes later.</summary>
    public int EvidenceBufferMiB { get; set; } = 64;

    /// <summary>How long a frame is held there, seconds of packet time (the memory may run out first on a busy link).</summary>
    public int EvidenceBufferSeconds { get; set; } = 120;

    /// <summary>After the verdict, the flow's frames are added for this long (or until it ends, or <see cref="EvidenceFollowPackets"/>).</summary>
    public int EvidenceFollowSeconds { get; set; } = 30;

    /// <summary>After the verdict, at most this many more frames of the flow are added.</summary>
    public int EvidenceFollowPackets { get; set; } = 1000;

    /// <summary>
    /// Who is internal (CIDR ranges, IPv4 and IPv6): a detection's source is turned to the side
    /// inside them, and only hosts inside them get a MAC and DHCP name; <c>none</c> alone for no ranges.
    /// </summary>
    public List<string> HomeNetworks { get; set; } = [.. Core.Detection.HomeNetworks.Defaults];

    /// <summary>CSV <c>cidr,department,owner,contact</c> naming the unit responsible per network; empty for none. Reloaded on SIGHUP.</summary>
    public string InventoryFile { get; set; } = "";

    /// <summary><c>none</c>, <c>mask</c> or <c>hash</c>: how wallet addresses appear in every output.</summary>
    public string WalletPrivacy { get; set; } = "none";

    /// <summary>The HMAC key for <see cref="WalletPrivacy"/> <c>hash</c> (16 characters or more); keep it the same so hashes link across reports.</summary>
    public string WalletHashKey { get; set; } = "";

    /// <summary>Syslog receiver for alerts (RFC 5424), an IP literal; empty switches the syslog output off.</summary>
    public string SyslogAddress { get; set; } = "";

    public int SyslogPort { get; set; } = 514;

    /// <summary><c>udp</c> (one message per datagram) or <c>tcp</c> (RFC 6587 octet counting, reconnected with backoff).</summary>
    public string SyslogProtocol { get; set; } = "udp";

    /// <summary>The facility of the PRI: a name (<c>local0</c>, <c>auth</c>, ...) or its number (0-23).</summary>
    public string SyslogFacility { get; set; } = "local0";

    /// <summary>Longest syslog message sent, bytes; a longer one is cut (counted).</summary>
    public int SyslogMaxMessageBytes { get; set; } = 8192;

    /// <summary>Alerts waiting for the syslog receiver; when full the oldest is dropped (counted).</summary>
    public int SyslogQueueCapacity { get; set; } = 4096;

    /// <summary>Where alerts are POSTed (http or https); empty switches the webhook off.</summary>
    public string WebhookUrl { get; set; } = "";

    /// <summary>The HMAC-SHA256 key of the signature header; or <see cref="WebhookSecretFile"/>, exactly one.</summary>
    public string WebhookSecret { get; set; } = "";

    /// <summary>A file holding the key (a trailing newline is ignored): keeps it out of the configuration.</summary>
    public string WebhookSecretFile { get; set; } = "";

    /// <summary>Time allowed for one POST, seconds.</summary>
    public int WebhookTimeoutSeconds { get; set; } = 10;

    /// <summary>POSTs of one alert before it is given up (counted as failed).</summary>
    public int WebhookMaxAttempts { get; set; } = 5;

    /// <summary>Alerts waiting for the webhook; when full the oldest is dropped (counted).</summary>
    public int WebhookQueueCapacity { get; set; } = 1024;

    /// <summary>Where the block list of current offenders is also written (the plain list; the JSON beside it); empty: HTTP only.</summary>
    public string BlocklistFile { get; set; } = "";

    /// <summary>An offender leaves the block list this long after its last mining activity.</summary>
    public int BlocklistTtlMinutes { get; set; } = 60;
}
