using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PoolDetector.Attribution;
using PoolDetector.Capture;
using PoolDetector.Core;
using PoolDetector.Core.Decoding;
using PoolDetector.Core.Detection;
using PoolDetector.Core.Flows;
using PoolDetector.Evidence;
using PoolDetector.Outputs;

namespace PoolDetector.Hosting;

/// <summary>
/// The packet thread: takes frames from the hand-off and runs the one <see cref="Engine"/>
/// (live reporting: alerts on verdict). On a quiet link it advances time with the wall
/// clock once a second so idle flows end; it applies reloaded rules and reopens the EVE
/// file between frames, saves the learned pools when due (they belong to this thread), and
/// publishes the engine, the mining-host count and the memories' sizes to
/// <see cref="SensorStatus"/>. With evidence on, each frame also goes to the
/// <see cref="EvidenceRecorder"/> (after the engine, so a detection it raised has taken the
/// flow's earlier frames) and finished captures come back here for their evidence event. A
/// dedicated thread, not the thread pool: it runs for the process's life and must not wait
/// behind other work.
/// </summary>
internal sealed partial class SensorEngineService : BackgroundService, IFrameSink
{
    private const int FramesPerTurn = 256;
    private static readonly TimeSpan Tick = TimeSpan.FromSeconds(1);
    /// <summary>At stop, how long the evidence writer may take to finish the captures still open.</summary>
    private static readonly TimeSpan EvidenceStopTimeout = TimeSpan.FromSeconds(10);

    private readonly SensorOptions _options;
    private readonly SensorStatus _status;
    private readonly FrameHandOff _handOff;
    private readonly RulesState _rules;
    private readonly AlertDispatcher _alerts;
    private readonly EveFileSink _eve;
    private readonly DetectionAggregator _aggregator;
    private readonly LearnedPoolsStore _learned;
    private readonly AttributionSettings _attribution;
    private readonly TimeProvider _time;
    private readonly ILogger<SensorEngineService> _logger;
    private readonly EvidenceRecorder? _evidence;
    private readonly Action<MiningDetection> _publishEvidence;
    private Engine? _engine;

    /// <param name="evidence">Registered only when <c>EvidenceDirectory</c> is set.</param>
    public SensorEngineService(SensorOptions options, SensorStatus status, FrameHandOff handOff, RulesState rules,
        AlertDispatcher alerts, EveFileSink eve, DetectionAggregator aggregator, LearnedPoolsStore learned, TimeProvider time,
        ILogger<SensorEngineService> logger, SensorValidation validation, EvidenceRecorder? evidence = null)
    {
        _evidence = evidence;
        _publishEvidence = alerts.OnEvidence;
        _options = options;
        _status = status;
        _handOff = handOff;
        _rules = rules;
        _alerts = alerts;
        _eve = eve;
        _aggregator = aggregator;
        _learned = learned;
        _attribution = validation.Attribution;
        _time = time;
        _logger = logger;
        _rules.Reloaded += _handOff.Wake;
    }

    public void OnFrame(LinkType linkType, ReadOnlySpan<byte> frame, long timestampMicros)
    {
        _engine!.ProcessFrame(linkType, frame, timestampMicros);
        _evidence?.Record(linkType, frame, timestampMicros);
    }

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        // Before capture starts (it is registered after this service): the engine exists
        // before the first frame, and a bad EVE path stops the start. The learned pools are
        // read here, before the engine thread exists, and are that thread's from then on.
        // Every alert passes the attribution step (inventory, wallet privacy) before any output.
        _engine = new Engine(_rules.Current, new EngineOptions
        {
            Reporting = DetectionReporting.OnVerdict,
            Flows = new FlowTableOptions { MaxFlows = _options.MaxFlows },
            HomeNetworks = _attribution.HomeNetworks,
            // Attribution first, so the evidence events (written by the recorder) show wallets as every other output does.
        }, new AttributingSink(_attribution.Attribution, (IDetectionSink?)_evidence ?? _alerts), _learned.Load());
        _status.Engine = _engine;
        _status.EvidenceBuffer = _evidence?.Store;
        _status.Memory.Publish(_engine);
        try
        {
            _eve.Open();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Said as a configuration problem (exit 2), not a crash: a user without write access, say.
            throw new SensorStartupException($"PoolDetector:EveLog: cannot open {_eve.FilePath}: {e.Message}", e);
        }
        _evidence?.Start(_handOff.Wake);
        _rules.ReportInitial();
        return base.StartAsync(cancellationToken);
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                Run(stoppingToken);
                done.SetResult();
            }
            catch (Exception e)
            {
                Log.EngineFailed(_logger, e);
                done.SetException(e);
            }
        })
        {
            Name = "engine",
            IsBackground = true,
        };
        thread.Start();
        return done.Task;
    }

    private void Run(CancellationToken stoppingToken)
    {
        var engine = _engine!;
        using var wake = stoppingToken.Register(_handOff.Wake);
        var windowMicros = _options.MiningHostWindowSeconds * 1_000_000L;
        var nextTick = _time.GetTimestamp();
        var framesSinceTick = 0L;
        while (!stoppingToken.IsCancellationRequested)
        {
            if (_rules.TakePending() is { } rules)
            {
                engine.ReplaceRules(rules);
            }
            _eve.ReopenIfRequested();
            _eve.RetryHeld();
            _evidence?.PublishCompleted(_publishEvidence);

            var frames = _handOff.Drain(this, FramesPerTurn);
            framesSinceTick += frames;
            var now = _time.GetTimestamp();
            if (now >= nextTick)
            {
                var wallMicros = WallMicros();
                // Packets drive time while they flow; a quiet link needs the clock, or the
                // flows on it would never end.
                if (framesSinceTick == 0)
                {
                    engine.AdvanceTime(wallMicros);
                }
                framesSinceTick = 0;
                _status.MiningHosts = _aggregator.CountMiningHosts(wallMicros, windowMicros);
                _status.Memory.Publish(engine);
                _learned.SaveIfDue(engine.Learned);
                _evidence?.Tick();
                nextTick = now + (long)(Tick.TotalSeconds * _time.TimestampFrequency);
            }
            if (frames == 0)
            {
                var wait = _time.GetElapsedTime(now, nextTick);
                _handOff.WaitForFrames(wait > TimeSpan.Zero ? wait : TimeSpan.Zero);
            }
        }

        // Capture has stopped (it stops first): finish what it handed over, then end every
        // flow so the aggregation gets final counts.
        while (_handOff.Drain(this, FramesPerTurn) > 0)
        {
        }
        engine.Finish();
        if (_evidence is not null)
        {
            // The flows just ended finished their captures; their evidence events are the last lines.
            _evidence.Stop(EvidenceStopTimeout);
            _evidence.PublishCompleted(_publishEvidence);
        }
        _status.MiningHosts = _aggregator.CountMiningHosts(WallMicros(), windowMicros);
        _status.Memory.Publish(engine);
        _learned.SaveAtStop(engine.Learned);
        Log.Stopped(_logger, engine.Counters.Frames, engine.Detections, _alerts.Alerts);
    }

    private long WallMicros() => _time.GetUtcNow().ToUnixTimeMilliseconds() * 1000;

    public override void Dispose()
    {
        _rules.Reloaded -= _handOff.Wake;
        base.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 500, Level = LogLevel.Critical, Message = "The engine thread failed")]
        public static partial void EngineFailed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 501, Level = LogLevel.Information, Message = "Engine stopped after {Frames} frames, {Detections} detection reports, {Alerts} alerts")]
        public static partial void Stopped(ILogger logger, long frames, long detections, long alerts);
    }
}
