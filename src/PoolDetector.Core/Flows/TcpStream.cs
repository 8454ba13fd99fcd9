namespace PoolDetector.Core.Flows;

/// <summary>Reassembly state of one TCP direction. Owned by a pooled <see cref="Flow"/> and reset with it.</summary>
internal sealed class TcpStream
{
    /// <summary>False until a SYN or the first data segment fixes where the stream starts.</summary>
    public bool Started;
    /// <summary>The next sequence number to deliver; everything before it was delivered or skipped.</summary>
    public uint NextSeq;

    /// <summary>This side sent a FIN (tracked even when payload is no longer wanted).</summary>
    public bool FinSent;
    /// <summary>Sequence number the FIN occupies; known once its segment went through reassembly.</summary>
    public bool FinSeqKnown;
    public uint FinSeq;

    /// <summary>
    /// The last segment was cut by the snap length, so the bytes after the captured part are
    /// gone: the next segment ahead of <see cref="NextSeq"/> resumes the stream at once.
    /// </summary>
    public bool ResyncPending;

    /// <summary>Out-of-order segments sorted by sequence; allocated on first need and kept with the pooled flow.</summary>
    public BufferedSegment[]? Segments;
    public int Count;
    public int BufferedBytes;

    public void Reset()
    {
        Started = false;
        NextSeq = 0;
        FinSent = false;
        FinSeqKnown = false;
        FinSeq = 0;
        ResyncPending = false;
        Count = 0;
        BufferedBytes = 0;
    }
}

internal struct BufferedSegment
{
    public byte[] Buffer;
    public uint Seq;
    public int Length;
    public long ArrivedMicros;

    public readonly uint End => Seq + (uint)Length;
}

/// <summary>32-bit TCP sequence arithmetic (RFC 1982): comparisons survive wraparound.</summary>
internal static class Seq
{
    public static bool Lt(uint a, uint b) => (int)(a - b) < 0;
    public static bool Le(uint a, uint b) => (int)(a - b) <= 0;
    public static bool Gt(uint a, uint b) => (int)(a - b) > 0;
    public static bool Ge(uint a, uint b) => (int)(a - b) >= 0;
}
