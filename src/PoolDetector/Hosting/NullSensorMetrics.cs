using PoolDetector.Core.Detection;

namespace PoolDetector.Hosting;

/// <summary>
/// Metrics that go nowhere: the default until Metrics/ registers its prometheus-net
/// implementation (registered with TryAdd, so any earlier registration wins).
/// </summary>
internal sealed class NullSensorMetrics : ISensorMetrics
{
    public void DetectionRaised(MiningDetection detection)
    {
    }

    public void RulesLoaded(bool reload, bool success, int rulesInUse)
    {
    }

    public void InterfaceFailed(string interfaceName)
    {
    }

    public void LearnedPoolsSaved(bool success)
    {
    }
}
