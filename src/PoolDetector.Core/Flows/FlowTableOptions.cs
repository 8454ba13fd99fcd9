namespace PoolDetector.Core.Flows;

public sealed class FlowTableOptions
{
    /// <summary>
    /// Hard cap on concurrent flows. Beyond it the least recently seen flow that carried no
    /// payload is evicted, else the least recently seen flow.
    /// </summary>
    public int MaxFlows { get; set; } = 262_144;

    public TimeSpan TcpIdleTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Time a TCP flow lingers after FIN in both directions or RST, for late segments.</summary>
    public TimeSpan TcpClosedTimeout { get; set; } = TimeSpan.FromSeconds(10);

    public TimeSpan UdpIdleTimeout { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Out-of-order bytes held per direction while waiting for a missing segment.</summary>
    public int MaxBufferedBytesPerDirection { get; set; } = 16 * 1024;

    /// <summary>Out-of-order segments held per direction.</summary>
    public int MaxBufferedSegmentsPerDirection { get; set; } = 8;

    /// <summary>
    /// Out-of-order bytes held by the whole table. The per-direction cap alone would allow
    /// MaxFlows × 2 × MaxBufferedBytesPerDirection (gigabytes at the defaults) under heavy loss.
    /// </summary>
    public long MaxBufferedBytesTotal { get; set; } = 64L * 1024 * 1024;

    /// <summary>
    /// How long (packet time) out-of-order data waits for the segment before it. A sender
    /// retransmits within about a second (RTO), so a hole older than this was lost by the
    /// capture, not the network, and waiting longer only delays the inspectors.
    /// </summary>
    public TimeSpan OutOfOrderTimeout { get; set; } = TimeSpan.FromSeconds(3);
}
