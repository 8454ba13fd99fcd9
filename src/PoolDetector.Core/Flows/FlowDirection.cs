namespace PoolDetector.Core.Flows;

public enum FlowDirection : byte
{
    ClientToServer = 0,
    ServerToClient = 1,
}

public enum FlowEndReason : byte
{
    /// <summary>Both sides sent FIN (or one FIN and the flow then went idle briefly).</summary>
    Fin,
    Reset,
    /// <summary>No packet for the idle timeout, measured on packet time.</summary>
    Idle,
    /// <summary>The table was full and this was the least recently seen flow.</summary>
    Capacity,
    /// <summary>The input ended (offline analysis) with the flow still open.</summary>
    EndOfInput,
}

/// <summary>What the flow table was doing when it ended a flow, in the order it does them for one frame.</summary>
public enum FlowEndStep : byte
{
    /// <summary>Ending flows idle at the frame's time, before looking at the frame.</summary>
    Expiry,
    /// <summary>Handling the frame itself (a SYN reusing a closed flow's ports, a capacity eviction).</summary>
    Frame,
    /// <summary>The input ended.</summary>
    EndOfInput,
}

/// <summary>
/// Where in the input a flow ended: the frame being processed, the step, and within expiry the
/// flow's last frame (within the end of input, its first). Ordered as one flow table ends flows.
/// </summary>
public readonly record struct FlowEndPosition(long Frame, FlowEndStep Step, long FlowFrame)
{
    public static int Compare(FlowEndPosition a, FlowEndPosition b)
    {
        var c = a.Frame.CompareTo(b.Frame);
        if (c == 0)
        {
            c = a.Step.CompareTo(b.Step);
        }
        return c != 0 ? c : a.FlowFrame.CompareTo(b.FlowFrame);
    }
}
