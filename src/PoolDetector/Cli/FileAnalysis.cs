using PoolDetector.Attribution;
using PoolDetector.Capture;
using PoolDetector.Core;
using PoolDetector.Core.Decoding;
using PoolDetector.Core.Detection;
using PoolDetector.Core.Detection.Memory;
using PoolDetector.Core.Rules;
using PoolDetector.Evidence;
using PoolDetector.Outputs;
using PoolDetector.Workers;

namespace PoolDetector.Cli;

/// <summary>
/// One capture file through a fresh engine (or, with <c>--workers N</c>, N engines side by side,
/// see <see cref="ShardedAnalysis"/>): flow state starts over per file, and flow ids are frame
/// numbers of the file. With evidence on, the file's detections are held until its evidence
/// files are written (the file is read a second time for them), then printed in the order they
/// came, naming their files.
/// </summary>
internal sealed class FileAnalysis : IFrameSink, IDetectionSink
{
    private readonly Engine? _engine;
    private readonly ShardedAnalysis? _sharded;
    private readonly IDetectionSink _attributed;
    private readonly string _file;
    private readonly IDetectionOutput _output;
    private readonly AnalysisTotals _totals;
    private readonly FileEvidenceWriter? _evidence;
    private readonly List<MiningDetection> _held = [];

    public FileAnalysis(RuleSet rules, string file, IDetectionOutput output, AnalysisTotals totals, AttributionSettings attribution,
        FileEvidenceWriter? evidence = null, int workers = 1)
    {
        _file = file;
        _output = output;
        _totals = totals;
        _evidence = evidence;
        // Every output gets the detection after attribution (inventory, wallet privacy), as the daemon's do.
        _attributed = new AttributingSink(attribution.Attribution, this);
        var options = new EngineOptions { HomeNetworks = attribution.HomeNetworks };
        if (workers > 1)
        {
            _sharded = new ShardedAnalysis(workers, rules, options);
        }
        else
        {
            _engine = new Engine(rules, options, _attributed);
        }
    }

    private IReadOnlyList<Engine> Engines => _sharded?.Engines ?? [_engine!];

    /// <summary>Reads the whole file into the engine (or engines); <paramref name="progress"/> is called as it goes.</summary>
    public CaptureReadResult Read(CaptureFileReader reader, Action<CaptureReadResult>? progress) =>
        _sharded is null
            ? ReadAhead.ReadAll(reader, this, progress)
            : _sharded.Run(reader, _attributed, progress);

    public void OnFrame(LinkType linkType, ReadOnlySpan<byte> frame, long timestampMicros) =>
        _engine!.ProcessFrame(linkType, frame, timestampMicros);

    public void OnDetection(MiningDetection detection)
    {
        _totals.DetectionsByCategory[(int)detection.Category]++;
        if (_evidence is null)
        {
            _output.Write(_file, detection);
        }
        else
        {
            _held.Add(detection);
        }
    }

    /// <summary>What went wrong writing evidence (each fatal to the run's exit code), and what is worth a warning.</summary>
    public List<string> EvidenceProblems { get; } = [];

    public List<string> EvidenceWarnings { get; } = [];

    /// <summary>What this file's engines learned (each file learns on its own, so no file changes another's detections).</summary>
    public IEnumerable<LearnedPools> Learned => Engines.Select(e => e.Learned);

    /// <summary>Ends the file: open flows are closed, so their detections are reported too.</summary>
    public void Finish()
    {
        // The workers have ended their flows when Read returned.
        _engine?.Finish();
        foreach (var engine in Engines)
        {
            _totals.Packets += engine.Counters.Frames;
            _totals.Flows += engine.FlowCounters.FlowsCreated;
        }
        if (_evidence is not null)
        {
            foreach (var detection in _evidence.Write(_file, _held, EvidenceProblems, EvidenceWarnings))
            {
                _output.Write(_file, detection);
            }
            _held.Clear();
        }
    }
}
