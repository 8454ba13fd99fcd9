using PoolDetector.Attribution;
using PoolDetector.Capture;
using PoolDetector.Core;
using PoolDetector.Core.Decoding;
using PoolDetector.Core.Detection;
using PoolDetector.Core.Detection.Memory;
using PoolDetector.Core.Rules;
using PoolDetector.Evidence;
using PoolDetector.Outputs;

namespace PoolDetector.Cli;

/// <summary>
/// One capture file through a fresh engine: flow ids and flow state start over per file. With
/// evidence on, the file's detections are held until its evidence files are written (the file
/// is read a second time for them), then printed in the order they came, naming their files.
/// </summary>
internal sealed class FileAnalysis : IFrameSink, IDetectionSink
{
    private readonly Engine _engine;
    private readonly string _file;
    private readonly IDetectionOutput _output;
    private readonly AnalysisTotals _totals;
    private readonly FileEvidenceWriter? _evidence;
    private readonly List<MiningDetection> _held = [];

    public FileAnalysis(RuleSet rules, string file, IDetectionOutput output, AnalysisTotals totals, AttributionSettings attribution, FileEvidenceWriter? evidence = null)
    {
        _file = file;
        _output = output;
        _totals = totals;
        _evidence = evidence;
        // Every output gets the detection after attribution (inventory, wallet privacy), as the daemon's do.
        _engine = new Engine(rules, new EngineOptions { HomeNetworks = attribution.HomeNetworks }, new AttributingSink(attribution.Attribution, this));
    }

    public void OnFrame(LinkType linkType, ReadOnlySpan<byte> frame, long timestampMicros) =>
        _engine.ProcessFrame(linkType, frame, timestampMicros);

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

    /// <summary>What this file's engine learned (each file learns on its own, so no file changes another's detections).</summary>
    public LearnedPools Learned => _engine.Learned;

    /// <summary>Ends the file: open flows are closed, so their detections are reported too.</summary>
    public void Finish()
    {
        _engine.Finish();
        _totals.Packets += _engine.Counters.Frames;
        _totals.Flows += _engine.FlowCounters.FlowsCreated;
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
