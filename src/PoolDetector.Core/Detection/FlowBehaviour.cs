using System.Globalization;
using PoolDetector.Core.Flows;

namespace PoolDetector.Core.Detection;

/// <summary>
/// How a mining session looks from outside when its content is encrypted or unknown: long-lived,
/// small messages both ways at a low rate, and the server opening exchanges on its own at a
/// steady cadence (a pool pushes a job every few seconds to a couple of minutes), with the client
/// opening some (shares, keepalives). Web, mail and file transfer are opened by the client or move
/// bulk data; chat and push channels come closest, which is why behaviour only ever supports
/// another signal (<see cref="ContactEvidence.RuleOf"/>).
/// </summary>
public static class FlowBehaviour
{
    public const long MinimumDurationMicros = 120_000_000;

    /// <summary>At least this many exchanges opened by the server (job pushes).</summary>
    public const int MinimumServerExchanges = 4;

    /// <summary>On average one server-opened exchange per this long at least.</summary>
    public const long MaximumPushIntervalMicros = 180_000_000;

    /// <summary>Mining messages are a few hundred bytes; a larger mean is content of another kind.</summary>
    public const long MaximumMeanPayloadBytes = 1_000;

    public const long MaximumBytesPerSecond = 2_000;

    /// <summary>True when every trait holds; <paramref name="description"/> is the evidence text.</summary>
    public static bool LooksLikeMining(Flow flow, out string description)
    {
        ArgumentNullException.ThrowIfNull(flow);
        description = "";
        var duration = flow.LastSeenMicros - flow.FirstSeenMicros;
        if (duration < MinimumDurationMicros
            || flow.ServerOpenedExchanges < MinimumServerExchanges
            || flow.ClientOpenedExchanges < 1
            || duration / flow.ServerOpenedExchanges > MaximumPushIntervalMicros
            || flow.PayloadPacketsToServer == 0
            || flow.PayloadPacketsToClient == 0)
        {
            return false;
        }
        var meanToServer = flow.BytesToServer / flow.PayloadPacketsToServer;
        var meanToClient = flow.BytesToClient / flow.PayloadPacketsToClient;
        var bytesPerSecond = (flow.BytesToServer + flow.BytesToClient) * 1_000_000 / duration;
        if (meanToServer > MaximumMeanPayloadBytes || meanToClient > MaximumMeanPayloadBytes || bytesPerSecond > MaximumBytesPerSecond)
        {
            return false;
        }
        description = string.Create(
            CultureInfo.InvariantCulture,
            $"behaviour:{duration / 1_000_000}s,server-pushes={flow.ServerOpenedExchanges},client-turns={flow.ClientOpenedExchanges},mean-bytes={meanToServer}/{meanToClient},rate={bytesPerSecond}B/s");
        return true;
    }
}
