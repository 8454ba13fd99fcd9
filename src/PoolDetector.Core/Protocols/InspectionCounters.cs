namespace PoolDetector.Core.Protocols;

/// <summary>What the inspectors saw and skipped, cumulative ("weirds" in Zeek's words). One writer.</summary>
public sealed class InspectionCounters
{
    public InspectionCounters(int dialects = 0)
    {
        EnsureDialects(dialects);
    }

    /// <summary>
    /// Mining messages recognised (requests, notifications and matched replies), by dialect
    /// index of the rules and direction: element <c>dialect * 2 + (int)direction</c>.
    /// </summary>
    public long[] MiningMessages { get; private set; } = [];

    /// <summary>Grows the per-dialect counts for a rule set with more dialects (never shrinks: counts are cumulative).</summary>
    public void EnsureDialects(int dialects)
    {
        if (dialects * 2 > MiningMessages.Length)
        {
            var grown = new long[dialects * 2];
            MiningMessages.CopyTo(grown, 0);
            MiningMessages = grown;
        }
    }

    public void CountMiningMessage(int dialect, Flows.FlowDirection direction)
    {
        var index = (dialect * 2) + (int)direction;
        if (dialect >= 0 && index < MiningMessages.Length)
        {
            MiningMessages[index]++;
        }
    }

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
    /// <summary>TLS hellos parsed (client and server).</summary>
    public long TlsHellos;
    /// <summary>Directions that started like TLS but broke its grammar or exceeded the parser's bound.</summary>
    public long TlsMalformed;
    /// <summary>DNS messages parsed (UDP datagrams and TCP messages).</summary>
    public long DnsMessages;
    /// <summary>DNS payloads that did not parse (bad counts, compression loops, truncation).</summary>
    public long DnsMalformed;
    /// <summary>DHCPv4 and DHCPv6 messages parsed (relayed ones included).</summary>
    public long DhcpMessages;
    /// <summary>DHCP datagrams that did not parse (truncated, an option past its end, a bad overload or relay).</summary>
    public long DhcpMalformed;
}
