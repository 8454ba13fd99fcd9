namespace PoolDetector.Bench.Running;

/// <summary>
/// One replay of the capture into the daemon: what tcpreplay sent and how fast, what reached
/// libpcap, what each stage lost, what the engine processed and how fast, and the mining flows
/// alerted. Every count is from a daemon started for this run alone.
/// </summary>
/// <param name="Sent">tcpreplay's successful packets.</param>
/// <param name="SendSeconds">tcpreplay's sending time (after it loaded the file): its packets over its packets per second.</param>
/// <param name="PcapReceived">libpcap's ps_recv: packets the kernel handed to the capture, dropped ones included.</param>
/// <param name="KernelDropped">libpcap's ps_drop: the kernel ring was full.</param>
/// <param name="InterfaceDropped">libpcap's ps_ifdrop (the interface's rx_dropped).</param>
/// <param name="QueueDropped">The daemon's hand-off from the capture thread to the engine was full.</param>
/// <param name="EngineProcessed">Frames the engine took, every outcome (decoded or not).</param>
/// <param name="DrainSeconds">From tcpreplay's exit until the first read of /metrics (every 0.1 s) that showed the engine's final count: an upper bound.</param>
/// <param name="DaemonPacketsPerSecond">Engine-processed frames over send time plus drain time.</param>
/// <param name="DaemonCpuSeconds">The daemon's CPU time over the replay (process_cpu_seconds_total, after its start).</param>
internal sealed record LiveRun(
    int Run,
    double LoadAverageBefore,
    long Sent,
    long SendFailed,
    double SendSeconds,
    double SentPacketsPerSecond,
    double SentMbps,
    double TcpreplayCpuSeconds,
    long PcapReceived,
    long Captured,
    long KernelDropped,
    long InterfaceDropped,
    long QueueDropped,
    long EngineProcessed,
    double DrainSeconds,
    double DaemonPacketsPerSecond,
    double DaemonCpuSeconds,
    int? DaemonExitCode,
    MiningMatch Mining,
    bool Lossless)
{
    /// <summary>Sent but never seen by libpcap (the veth, the kernel's backlog).</summary>
    public long LostBeforeCapture => Math.Max(0, Sent - PcapReceived);

    /// <summary>Sent but never processed, every stage together.</summary>
    public long Lost => Math.Max(0, Sent - EngineProcessed);

    public double LostFraction => Sent == 0 ? 0 : (double)Lost / Sent;
}

/// <summary>One rate's runs; lossless only when every run was.</summary>
internal sealed record LiveRate(
    string Rate,
    string TcpreplayOption,
    string Step,
    IReadOnlyList<LiveRun> Runs,
    bool Lossless,
    double MedianSentPacketsPerSecond,
    double MedianSentMbps,
    double MedianDaemonPacketsPerSecond)
{
    /// <summary>A constant rate (packets per second or full speed), as opposed to the capture's own timing scaled.</summary>
    public bool Constant => !TcpreplayOption.StartsWith("--multiplier", StringComparison.Ordinal);
}

/// <summary>
/// The live mode's outcome: the rates tried, and the highest constant rate at which no stage lost
/// a packet, below every rate that lost some.
/// </summary>
internal sealed record LiveResults(
    string Mode,
    DateTimeOffset Measured,
    MachineInfo Machine,
    CaptureDescription Capture,
    int Repeat,
    IReadOnlyDictionary<string, string> DaemonSettings,
    IReadOnlyList<LiveRate> Rates,
    LiveRate? HighestLossless,
    IReadOnlyList<string> Notes);
