using Microsoft.Extensions.Logging;
using PoolDetector.Core.Detection;
using PoolDetector.Core.Events;
using PoolDetector.Core.Rules;
using PoolDetector.Hosting;

namespace PoolDetector.Outputs;

/// <summary>
/// The daemon's detection sink, on the engine thread. A flow is alerted once, on its first
/// report (<see cref="MiningDetection.ReportedBefore"/> false): EVE file, stdout when asked,
/// metrics, log, and the outputs switched on (syslog, webhook), each of which only queues it.
/// Its flow-end report brings the final counts to the aggregation and, as a <c>flow_end</c>
/// event, to the EVE file and stdout (the report's bytes and shares are the flow's, not the
/// verdict's). With evidence on, the alert names its capture and <see cref="OnEvidence"/>
/// follows once the file is complete.
/// </summary>
internal sealed partial class AlertDispatcher : IDetectionSink
{
    private readonly EveFileSink _eve;
    private readonly EveStdoutSink? _stdout;
    private readonly DetectionAggregator _aggregator;
    private readonly ISensorMetrics _metrics;
    private readonly ILogger _logger;
    private readonly IAlertOutput[] _outputs;

    public AlertDispatcher(EveFileSink eve, EveStdoutSink? stdout, DetectionAggregator aggregator, ISensorMetrics metrics, ILogger logger,
        IEnumerable<IAlertOutput>? outputs = null)
    {
        _eve = eve;
        _stdout = stdout;
        _aggregator = aggregator;
        _metrics = metrics;
        _logger = logger;
        _outputs = outputs is null ? [] : [.. outputs];
    }

    public long Alerts { get; private set; }

    public void OnDetection(MiningDetection detection)
    {
        if (detection.ReportedBefore)
        {
            _aggregator.OnFlowEnd(detection);
            _eve.Write(detection, EveEventType.FlowEnd);
            _stdout?.Write(detection, EveEventType.FlowEnd);
            return;
        }
        Alerts++;
        _eve.Write(detection);
        _stdout?.Write(detection);
        if (_outputs.Length > 0)
        {
            // One string for every output (an allocation per alert, not per packet): the line the EVE file has.
            var json = EveJson.ToJson(detection);
            foreach (var output in _outputs)
            {
                output.Enqueue(detection, json);
            }
        }
        _aggregator.OnFirstReport(detection);
        _metrics.DetectionRaised(detection);
        if (_logger.IsEnabled(LogLevel.Information))
        {
            // Worker names and agents come off the wire: escaped, so they cannot forge log lines.
            // CA1873 does not see the IsEnabled guard around the formatting.
#pragma warning disable CA1873
            Log.Detected(_logger, detection.Category.ToWireName(), detection.Dialect, detection.Confidence.ToWireName(),
                detection.MinerAddress.ToString(), detection.MinerPort, detection.PoolAddress.ToString(), detection.PoolPort,
                LogText.Escape(detection.Worker), LogText.Escape(detection.Agent));
#pragma warning restore CA1873
        }
    }

    /// <summary>
    /// Engine thread: an alerted flow's evidence capture is complete. Its evidence event (the
    /// alert's fields, <c>pcap</c> and <c>pcap_sha256</c> set, <c>event_type</c> <c>evidence</c>)
    /// follows the alert in the EVE file and on stdout.
    /// </summary>
    public void OnEvidence(MiningDetection detection)
    {
        _eve.Write(detection, EveEventType.Evidence);
        _stdout?.Write(detection, EveEventType.Evidence);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 200, Level = LogLevel.Information, Message = "Detected {Category} ({Dialect}, {Confidence}): {Miner}:{MinerPort} -> {Pool}:{PoolPort}, worker {Worker}, agent {Agent}")]
        public static partial void Detected(ILogger logger, string category, string dialect, string confidence, string miner, ushort minerPort, string pool, ushort poolPort, string worker, string agent);
    }
}
