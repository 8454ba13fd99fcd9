namespace PoolDetector.Core.Protocols;

/// <summary>What the inspectors saw and skipped, cumulative ("weirds" in Zeek's words). One writer.</summary>
public sealed class InspectionCounters
{
    public long JsonMessages;
    /// <summary>Lines that started like JSON but did not parse (or nested too deep).</summary>
    public long MalformedJson;
    /// <summary>Lines longer than the rules' max_line_bytes, skipped.</summary>
    public long LinesTooLong;
    /// <summary>Directions given up: binary, not JSON, or no evidence within the byte budget.</summary>
    public long DirectionsAbandoned;
    public long HttpMessages;
    /// <summary>HTTP headers longer than the limit, or start lines that did not parse.</summary>
    public long HttpMalformed;
}
