using PoolDetector.Core.Decoding;
using PoolDetector.Core.Detection;
using PoolDetector.Core.Rules;

namespace PoolDetector.Testing;

/// <summary>Detections built by hand, shared by the tests of every output format.</summary>
internal static class SampleDetections
{
    /// <summary>The example event of DESIGN.md ("Contracts other people depend on").</summary>
    public static MiningDetection DesignExample { get; } = new()
    {
        FlowId = 1234,
        TimestampMicros = 1631606401123456, // 2021-09-14T08:00:01.123456Z
        MinerAddress = IpAddress.Parse("10.1.2.3"),
        MinerPort = 51234,
        PoolAddress = IpAddress.Parse("94.23.199.191"),
        PoolPort = 3333,
        Transport = TransportProtocol.Tcp,
        Vlans = [10],
        AppProtocol = "stratum",
        Category = DetectionCategory.Mining,
        Dialect = "stratum-v1",
        Confidence = Confidence.High,
        Evidence = ["mining.subscribe", "mining.notify"],
        SignatureId = 9000101,
        SignatureRevision = 1,
        Signature = "POOLDETECTOR Stratum V1 mining session",
        Severity = 1,
        Agent = "cgminer/4.10.0",
        Worker = "wallet.rig1",
        Algorithm = null,
        PoolHost = "eu.pool.example",
        SharesSubmitted = 3,
        SharesAccepted = 3,
        FirstSeenMicros = 1631606398000005,
        LastSeenMicros = 1631606700000000,
        PacketsToServer = 12,
        PacketsToClient = 15,
        BytesToServer = 1800,
        BytesToClient = 5400,
    };
}
