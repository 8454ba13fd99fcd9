using PoolDetector.Attribution;
using PoolDetector.Capture;
using PoolDetector.Core;
using PoolDetector.Core.Decoding;
using PoolDetector.Core.Detection;
using PoolDetector.Core.Detection.Memory;
using PoolDetector.Core.Rules;
using PoolDetector.Outputs;

namespace PoolDetector.Cli;

/// <summary>One capture file through a fresh engine: flow ids and flow state start over per file.</summary>
internal sealed class FileAnalysis : IFrameSink, IDetectionSink
{
    private readonly Engine _engine;
    private readonly string _file;
    private readonly IDetectionOutput _output;
    private readonly AnalysisTotals _totals;

    public FileAnalysis(RuleSet rules, string file, IDetectionOutput output, AnalysisTotals totals, AttributionSettings attribution)
    {
        _file = file;
        _output = output;
        _totals = totals;
        // Every output gets the detection after attribution (inventory, wallet privacy), as the daemon's do.
        _engine = new Engine(rules, new EngineOptions { HomeNetworks = attribution.HomeNetworks }, new AttributingSink(attribution.Attribution, this));
    }

    public void OnFrame(LinkType linkType, ReadOnlySpan<byte> frame, long timestampMicros) =>
        _engine.ProcessFrame(linkType, frame, timestampMicros);

    public void OnDetection(MiningDetection detection)
    {
        _totals.DetectionsByCategory[(int)detection.Category]++;
        _output.Write(_file, detection);
    }

    /// <summary>What this file's engine learned (each file learns on its own, so no file changes another's detections).</summary>
    public LearnedPools Learned => _engine.Learned;

    /// <summary>Ends the file: open flows are closed, so their detections are reported too.</summary>
    public void Finish()
    {
        _engine.Finish();
        _totals.Packets += _engine.Counters.Frames;
        _totals.Flows += _engine.FlowCounters.FlowsCreated;
    }
}
