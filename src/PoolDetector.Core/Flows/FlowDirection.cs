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
