namespace PoolDetector.Outputs;

/// <summary>
/// What the alert outputs and the block list counted, read by the metrics at scrape time.
/// Each output counts on its own worker (and, for drops, on the engine thread): every field
/// is changed with <see cref="Interlocked"/> and read with <see cref="Volatile"/>.
/// </summary>
internal sealed class OutputStatus
{
    /// <summary>The outputs, the closed set of <c>output</c> label values.</summary>
    public static readonly IReadOnlyList<string> Names = [SyslogName, WebhookName];

    public const string SyslogName = "syslog";
    public const string WebhookName = "webhook";

    public OutputCounters Syslog { get; } = new();

    public OutputCounters Webhook { get; } = new();

    /// <summary>Hosts on the block list now.</summary>
    public long BlocklistEntries;

    /// <summary>EVE events (alerts, evidence, flow_end) the EVE file could not take: disk full, file unopenable.</summary>
    public long EveFileDropped;

    /// <summary>EVE events dropped on the way to stdout (<c>EveStdout</c>): its queue full, or stdout closed.</summary>
    public long EveStdoutDropped;

    public OutputCounters this[string name] => name switch
    {
        SyslogName => Syslog,
        WebhookName => Webhook,
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "not an output"),
    };
}

/// <summary>
/// One output's alerts: every alert handed to it ends as exactly one of sent, dropped or
/// failed, or is still queued; so a receiver's outage shows as a number, never as silence.
/// </summary>
internal sealed class OutputCounters
{
    /// <summary>Handed to the receiver (a datagram sent, bytes written to the connection, a 2xx answer).</summary>
    public long Sent;

    /// <summary>Pushed out of a full queue (the oldest goes), or still queued at stop.</summary>
    public long Dropped;

    /// <summary>Given up: a datagram the socket refused, a POST that failed every attempt or was refused outright.</summary>
    public long Failed;

    /// <summary>Sent, but cut to the output's size limit first.</summary>
    public long Truncated;

    private Func<int>? _queueDepth;

    /// <summary>Alerts waiting in the queue now (not the one being sent).</summary>
    public int QueueDepth => _queueDepth?.Invoke() ?? 0;

    /// <summary>The output's queue, whose length <see cref="QueueDepth"/> reports.</summary>
    public void AttachQueue(Func<int> depth) => _queueDepth = depth;
}
