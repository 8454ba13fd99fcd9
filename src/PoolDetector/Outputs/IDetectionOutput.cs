using PoolDetector.Core.Detection;
using PoolDetector.Core.Rules;

namespace PoolDetector.Outputs;

/// <summary>One way of printing the results of <c>analyze</c> on stdout.</summary>
internal interface IDetectionOutput
{
    /// <summary>Called as each detection arrives (on the packet thread), in file order.</summary>
    void Write(string file, MiningDetection detection);

    /// <summary>Called once after the last file.</summary>
    void Complete(AnalysisTotals totals);
}

/// <summary>What the whole run saw, for the summary line.</summary>
internal sealed class AnalysisTotals
{
    public int FilesAnalysed { get; set; }
    public int FilesUnreadable { get; set; }
    public long Packets { get; set; }
    public long Flows { get; set; }
    public int[] DetectionsByCategory { get; } = new int[Enum.GetValues<DetectionCategory>().Length];

    public int Detections(DetectionCategory category) => DetectionsByCategory[(int)category];
}
