using System.Collections.Concurrent;
using PoolDetector.Capture;
using PoolDetector.Core;
using PoolDetector.Core.Decoding;
using PoolDetector.Core.Detection;
using PoolDetector.Core.Flows;
using PoolDetector.Core.Rules;

namespace PoolDetector.Workers;

/// <summary>
/// One of several engines analysing the same capture (<c>analyze --workers N</c>). It reads
/// every frame: it processes the flows <see cref="FlowShard"/> gives it, sees DNS and DHCP
/// as every engine must (they teach the answers and host names other flows are judged by),
/// and for the rest only moves its clock, so its flows end at the same points of the input
/// as they would in one engine. Its reports are queued with that point, for the merge.
/// </summary>
internal sealed class ShardWorker : IFrameSink, IDetectionSink
{
    private readonly int _index;
    private readonly int _workers;
    private readonly HomeNetworks _home;
    private readonly Engine _engine;
    private readonly ConcurrentQueue<Report> _reports = new();
    private long _frameNumber;
    private long _clock;
    /// <summary>The clock at which the engine last expired flows: the same clock again ends nothing new.</summary>
    private long _expiredAt = long.MinValue;
    private long _sequence;
    private long _framesDone;

    public ShardWorker(int index, int workers, RuleSet rules, EngineOptions options)
    {
        _index = index;
        _workers = workers;
        _home = options.HomeNetworks;
        _engine = new Engine(rules, options, this);
    }

    /// <summary>A detection and where in the input its flow ended; <see cref="Sequence"/> keeps one worker's order.</summary>
    public readonly record struct Report(FlowEndPosition Position, long Sequence, MiningDetection Detection);

    public Engine Engine => _engine;

    /// <summary>Frames fully processed; <see cref="long.MaxValue"/> once the input has ended and every flow is reported.</summary>
    public long FramesDone => Volatile.Read(ref _framesDone);

    public bool TryTakeReport(out Report report) => _reports.TryDequeue(out report);

    public void OnFrame(LinkType linkType, ReadOnlySpan<byte> frame, long timestampMicros)
    {
        var number = ++_frameNumber;
        // One engine's clock: the latest time of any frame so far, whichever worker owns it.
        if (timestampMicros > _clock)
        {
            _clock = timestampMicros;
        }
        var status = PacketDecoder.Decode(linkType, frame, out var packet);
        if (status != DecodeStatus.Ok)
        {
            // Counted once, by the first worker. One engine expires nothing at such a frame either.
            if (_index == 0)
            {
                _engine.ProcessDecoded(status, packet, frame, _clock, number, shadow: false);
            }
        }
        else
        {
            var mine = FlowShard.Owner(packet, _home, _workers) == _index;
            if (mine || Detector.TeachesOtherFlows(packet.Transport, packet.SourcePort, packet.DestinationPort))
            {
                _engine.ProcessDecoded(status, packet, frame, _clock, number, shadow: !mine);
                _expiredAt = _clock;
            }
            else if (_clock != _expiredAt)
            {
                _engine.AdvanceTime(_clock, number);
                _expiredAt = _clock;
            }
        }
        // After the frame's reports are queued: the merge reads this first, then the queue.
        Volatile.Write(ref _framesDone, number);
    }

    /// <summary>The input has ended: open flows end and are reported.</summary>
    public void Finish()
    {
        _engine.Finish();
        Volatile.Write(ref _framesDone, long.MaxValue);
    }

    public void OnDetection(MiningDetection detection) =>
        _reports.Enqueue(new Report(_engine.ReportPosition, _sequence++, detection));
}
