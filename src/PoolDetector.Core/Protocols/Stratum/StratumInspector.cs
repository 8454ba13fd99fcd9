using System.Buffers;
using PoolDetector.Core.Flows;
using PoolDetector.Core.Protocols.JsonRpc;

namespace PoolDetector.Core.Protocols.Stratum;

/// <summary>
/// Stratum and every other newline-delimited JSON-RPC mining protocol (Stratum V1 and its
/// clones, EthereumStratum, ethproxy, CryptoNote): frames one direction of a stream into
/// lines, however the segments cut them, and hands each line to the evaluator.
/// </summary>
public sealed class StratumInspector
{
    private readonly MiningMessageEvaluator _evaluator;
    private readonly InspectionCounters _counters;
    private readonly int _maxLineBytes;

    /// <summary>Lines that are not JSON objects before a direction is given up (no good line seen yet).</summary>
    public const int MaxBadLinesBeforeGivingUp = 4;

    private readonly ArrayPool<byte> _buffers;

    /// <param name="buffers">
    /// Where partial lines are kept: the engine's own pool, not ArrayPool.Shared, which
    /// trims itself under memory pressure and would then allocate on the packet path.
    /// </param>
    public StratumInspector(MiningMessageEvaluator evaluator, InspectionCounters counters, ArrayPool<byte> buffers)
    {
        ArgumentNullException.ThrowIfNull(evaluator);
        ArgumentNullException.ThrowIfNull(counters);
        ArgumentNullException.ThrowIfNull(buffers);
        _evaluator = evaluator;
        _counters = counters;
        _buffers = buffers;
        _maxLineBytes = evaluator.Rules.Scoring.MaxLineBytes;
    }

    /// <summary>Cheap first-byte check: could this direction carry JSON lines at all?</summary>
    public static bool LooksLikeText(ReadOnlySpan<byte> data)
    {
        var n = Math.Min(data.Length, 16);
        for (var i = 0; i < n; i++)
        {
            var b = data[i];
            // JSON text has no raw control bytes; TLS (0x16), SSH banners aside, binary protocols do.
            if (b < 0x20 && b is not ((byte)'\t' or (byte)'\n' or (byte)'\r'))
            {
                return false;
            }
        }
        return true;
    }

    public void OnPayload(LineState state, ReadOnlySpan<byte> data, FlowDirection direction, FlowEvidence evidence, ref PendingRequests pending)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.Abandoned)
        {
            return;
        }
        if (!state.Started)
        {
            state.Started = true;
            if (!LooksLikeText(data))
            {
                Abandon(state);
                return;
            }
            // A capture that starts mid-session may start mid-line: resynchronise at the next newline.
            var first = FirstNonWhitespace(data);
            state.Discarding = first >= 0 && data[first] != (byte)'{';
        }

        while (!data.IsEmpty && !state.Abandoned)
        {
            var newline = data.IndexOf((byte)'\n');
            if (state.Discarding)
            {
                if (newline < 0)
                {
                    return;
                }
                state.Discarding = false;
                data = data[(newline + 1)..];
                continue;
            }
            if (newline < 0)
            {
                Append(state, data);
                return;
            }
            if (state.Partial.Length > 0)
            {
                if (!Append(state, data[..newline]))
                {
                    // Too long: the rest of this line up to the newline is already skipped.
                    state.Discarding = false;
                    data = data[(newline + 1)..];
                    continue;
                }
                OnLine(state, state.Partial.Span, direction, evidence, ref pending);
                // Back to the pool at once: most lines fit in one segment, so thousands of
                // idle flows should not each hold a buffer.
                state.Release();
            }
            else if (newline > _maxLineBytes)
            {
                _counters.LinesTooLong++;
            }
            else
            {
                OnLine(state, data[..newline], direction, evidence, ref pending);
            }
            data = data[(newline + 1)..];
        }
    }

    /// <summary>Bytes were lost: the partial line is unusable, resume at the next newline.</summary>
    public static void OnGap(LineState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        state.Partial.Release();
        state.Discarding = state.Started;
    }

    private void OnLine(LineState state, ReadOnlySpan<byte> line, FlowDirection direction, FlowEvidence evidence, ref PendingRequests pending)
    {
        line = line.TrimEnd((byte)'\r');
        if (line.IsEmpty || line.IndexOfAnyExcept((byte)' ', (byte)'\t') < 0)
        {
            return;
        }
        var message = default(JsonRpcMessage);
        switch (JsonRpcScanner.Scan(line, ref message))
        {
            case JsonScanResult.Ok:
                _counters.JsonMessages++;
                state.GoodLines++;
                _evaluator.Evaluate(message, direction, evidence, ref pending);
                return;
            case JsonScanResult.Malformed:
                _counters.MalformedJson++;
                break;
        }
        state.BadLines++;
        // Until one good line, a few bad ones end it: a binary or non-JSON protocol on a
        // mining port costs a handful of checks, not a scan of every byte.
        if (state.GoodLines == 0 && state.BadLines >= MaxBadLinesBeforeGivingUp)
        {
            Abandon(state);
        }
        else if (state.BadLines >= MaxBadLinesBeforeGivingUp * 16 && state.BadLines > state.GoodLines)
        {
            Abandon(state);
        }
    }

    private void Abandon(LineState state)
    {
        state.Abandoned = true;
        state.Release();
        _counters.DirectionsAbandoned++;
    }

    /// <summary>Appends to the partial line; false (and the line dropped) past the maximum length.</summary>
    private bool Append(LineState state, ReadOnlySpan<byte> data)
    {
        if (state.Partial.Length + data.Length > _maxLineBytes)
        {
            _counters.LinesTooLong++;
            state.Partial.Release();
            state.Discarding = true;
            return false;
        }
        state.Partial.Append(_buffers, data, minimumRent: 2048, maximumRent: _maxLineBytes);
        return true;
    }

    private static readonly SearchValues<byte> Whitespace = SearchValues.Create(" \t\r\n"u8);

    private static int FirstNonWhitespace(ReadOnlySpan<byte> data) => data.IndexOfAnyExcept(Whitespace);
}

/// <summary>Line framing state of one direction of one flow. Pooled with the flow's inspection state.</summary>
public sealed class LineState
{
    public bool Started;
    public bool Abandoned;
    /// <summary>Skipping to the next newline (mid-session start, after a gap, or an overlong line).</summary>
    public bool Discarding;
    /// <summary>The start of a line whose newline has not arrived yet.</summary>
    public readonly PooledBuffer Partial = new();
    public int GoodLines;
    public int BadLines;

    public void Release() => Partial.Release();

    public void Reset()
    {
        Release();
        Started = false;
        Abandoned = false;
        Discarding = false;
        GoodLines = 0;
        BadLines = 0;
    }
}
