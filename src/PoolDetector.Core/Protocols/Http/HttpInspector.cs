using System.Buffers;
using System.Buffers.Text;
using PoolDetector.Core.Flows;
using PoolDetector.Core.Protocols.JsonRpc;
using PoolDetector.Core.Rules;

namespace PoolDetector.Core.Protocols.Http;

/// <summary>
/// HTTP/1.x as mining uses it: getwork, getblocktemplate and submitblock as JSON-RPC POST
/// bodies, the miner's User-Agent, and the mining headers (<c>X-Mining-Extensions</c> from
/// the miner, <c>X-Stratum</c>, <c>X-Long-Polling</c> from the pool). Bodies go to the same
/// evaluator as Stratum lines.
/// </summary>
public sealed class HttpInspector
{
    /// <summary>Request or status line plus headers; longer heads are not HTTP we care about.</summary>
    public const int MaxHeadBytes = 16 * 1024;

    /// <summary>Body bytes kept for JSON inspection; the rest of a long body (a block template with every transaction) is counted past.</summary>
    public const int MaxBodyBytes = 64 * 1024;

    private readonly MiningMessageEvaluator _evaluator;
    private readonly InspectionCounters _counters;
    private readonly HeaderRule[] _headers;
    private readonly byte[][] _headerNames;
    private readonly int[] _headerDialects;

    private readonly ArrayPool<byte> _buffers;

    /// <param name="buffers">Where heads and bodies are kept: the engine's own pool (see <see cref="Stratum.StratumInspector"/>).</param>
    public HttpInspector(MiningMessageEvaluator evaluator, InspectionCounters counters, ArrayPool<byte> buffers)
    {
        ArgumentNullException.ThrowIfNull(evaluator);
        ArgumentNullException.ThrowIfNull(counters);
        ArgumentNullException.ThrowIfNull(buffers);
        _evaluator = evaluator;
        _counters = counters;
        _buffers = buffers;
        _headers = [.. evaluator.Rules.Headers];
        _headerNames = Array.ConvertAll(_headers, h => System.Text.Encoding.ASCII.GetBytes(h.Name.ToLowerInvariant()));
        _headerDialects = Array.ConvertAll(_headers, h => evaluator.Rules.IndexOfDialect(h.Dialect));
    }

    /// <summary>Does a client's first payload start with an HTTP request line?</summary>
    public static bool LooksLikeRequest(ReadOnlySpan<byte> data) =>
        data.StartsWith("POST "u8) || data.StartsWith("GET "u8) || data.StartsWith("PUT "u8)
        || data.StartsWith("HEAD "u8) || data.StartsWith("OPTIONS "u8);

    /// <summary>Does a server's first payload start with a status line?</summary>
    public static bool LooksLikeResponse(ReadOnlySpan<byte> data) => data.StartsWith("HTTP/1."u8);

    public void OnPayload(HttpState state, ReadOnlySpan<byte> data, FlowDirection direction, FlowEvidence evidence, ref PendingRequests pending)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(evidence);
        while (!data.IsEmpty && !state.Abandoned)
        {
            if (state.InBody)
            {
                var take = (int)Math.Min(state.BodyRemaining, data.Length);
                var keep = Math.Min(take, MaxBodyBytes - state.Buffer.Length);
                if (keep > 0)
                {
                    Append(state, data[..keep]);
                }
                state.BodyRemaining -= take;
                state.BodyCut |= keep < take;
                data = data[take..];
                if (state.BodyRemaining == 0)
                {
                    OnBody(state, direction, evidence, ref pending);
                }
                continue;
            }

            // Collecting the head: up to the blank line.
            var before = state.Buffer.Length;
            var room = MaxHeadBytes - state.Buffer.Length;
            var chunk = data[..Math.Min(data.Length, room)];
            Append(state, chunk);
            var end = state.Buffer.Span.IndexOf("\r\n\r\n"u8);
            if (end < 0)
            {
                if (state.Buffer.Length >= MaxHeadBytes)
                {
                    _counters.HttpMalformed++;
                    Abandon(state);
                }
                return;
            }
            var headLength = end + 4;
            var consumed = headLength - before;
            data = data[consumed..];
            if (!OnHead(state, state.Buffer.Span[..headLength], direction, evidence))
            {
                _counters.HttpMalformed++;
                Abandon(state);
                return;
            }
            state.Release();
            if (state.BodyRemaining == 0)
            {
                continue;
            }
            state.InBody = true;
            state.BodyCut = false;
        }
    }

    /// <summary>Bytes were lost: HTTP framing cannot be recovered, so this direction stops.</summary>
    public void OnGap(HttpState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        Abandon(state);
    }

    private bool OnHead(HttpState state, ReadOnlySpan<byte> head, FlowDirection direction, FlowEvidence evidence)
    {
        var lineEnd = head.IndexOf("\r\n"u8);
        var startLine = head[..lineEnd];
        if (direction == FlowDirection.ClientToServer ? !LooksLikeRequest(startLine) : !LooksLikeResponse(startLine))
        {
            return false;
        }
        _counters.HttpMessages++;
        state.BodyRemaining = 0;
        var chunked = false;
        var sender = direction == FlowDirection.ClientToServer ? MessageSender.Client : MessageSender.Server;
        var rest = head[(lineEnd + 2)..];
        while (true)
        {
            var end = rest.IndexOf("\r\n"u8);
            if (end <= 0)
            {
                break;
            }
            var line = rest[..end];
            rest = rest[(end + 2)..];
            var colon = line.IndexOf((byte)':');
            if (colon <= 0)
            {
                continue;
            }
            var name = line[..colon];
            var value = line[(colon + 1)..].Trim((byte)' ');
            if (name.EqualsIgnoreCaseAscii("content-length"u8))
            {
                if (Utf8Parser.TryParse(value, out long length, out var used) && used == value.Length && length >= 0)
                {
                    state.BodyRemaining = length;
                }
            }
            else if (name.EqualsIgnoreCaseAscii("transfer-encoding"u8))
            {
                chunked = value.IndexOf("chunked"u8) >= 0;
            }
            else if (sender == MessageSender.Client && name.EqualsIgnoreCaseAscii("user-agent"u8) && evidence.Agent is null)
            {
                evidence.Agent = Text(value, 256);
                _evaluator.NoteAgent(evidence);
            }
            else if (sender == MessageSender.Client && name.EqualsIgnoreCaseAscii("authorization"u8) && evidence.Worker is null)
            {
                // getwork miners log in with HTTP Basic: the user name is the pool worker.
                evidence.Worker = BasicUser(value);
            }
            else if (sender == MessageSender.Client && name.EqualsIgnoreCaseAscii("host"u8) && evidence.PoolHost is null)
            {
                evidence.NotePoolHost(Text(HostWithoutPort(value), 253));
            }
            else
            {
                NoteHeader(name, sender, evidence);
            }
        }
        if (chunked)
        {
            // Chunked bodies are rare in mining (bitcoind and pools send Content-Length); the
            // head's evidence is kept and the rest of this direction is not followed.
            Abandon(state);
        }
        return true;
    }

    private void NoteHeader(ReadOnlySpan<byte> name, MessageSender sender, FlowEvidence evidence)
    {
        for (var i = 0; i < _headers.Length; i++)
        {
            if (_headers[i].Sender == sender && name.EqualsIgnoreCaseAscii(_headerNames[i]))
            {
                var item = new EvidenceItem(EvidenceKind.Header, i);
                if (!evidence.Contains(item))
                {
                    evidence.Add(item, _headers[i].Weight, _headerDialects[i], reversed: null);
                }
                return;
            }
        }
    }

    private void OnBody(HttpState state, FlowDirection direction, FlowEvidence evidence, ref PendingRequests pending)
    {
        state.InBody = false;
        var body = state.Buffer.Span;
        var message = default(JsonRpcMessage);
        if (JsonRpcScanner.Scan(body, ref message, isFinalBlock: !state.BodyCut) == JsonScanResult.Ok)
        {
            _counters.JsonMessages++;
            _evaluator.Evaluate(message, direction, evidence, ref pending);
        }
        state.Release();
    }

    private void Abandon(HttpState state)
    {
        state.Abandoned = true;
        state.Release();
        _counters.DirectionsAbandoned++;
    }

    private void Append(HttpState state, ReadOnlySpan<byte> data) =>
        state.Buffer.Append(_buffers, data, minimumRent: 2048, maximumRent: MaxHeadBytes + MaxBodyBytes);

    /// <summary>The user of an <c>Authorization: Basic</c> header, or null.</summary>
    private static string? BasicUser(ReadOnlySpan<byte> value)
    {
        if (!value.StartsWith("Basic "u8) || value.Length > 1024)
        {
            return null;
        }
        Span<byte> decoded = stackalloc byte[1024];
        if (Base64.DecodeFromUtf8(value[6..].Trim((byte)' '), decoded, out _, out var written) != System.Buffers.OperationStatus.Done)
        {
            return null;
        }
        var credentials = decoded[..written];
        var colon = credentials.IndexOf((byte)':');
        var user = colon >= 0 ? credentials[..colon] : credentials;
        return user.IsEmpty ? null : Text(user, 256);
    }

    private static ReadOnlySpan<byte> HostWithoutPort(ReadOnlySpan<byte> host)
    {
        if (host.StartsWith("["u8))
        {
            var close = host.IndexOf((byte)']');
            return close > 0 ? host[1..close] : default;
        }
        var colon = host.LastIndexOf((byte)':');
        return colon >= 0 ? host[..colon] : host;
    }

    /// <summary>Header text as a string, non-printable bytes replaced: it ends up in events and logs.</summary>
    private static string Text(ReadOnlySpan<byte> value, int max)
    {
        value = value[..Math.Min(value.Length, max)];
        Span<char> chars = stackalloc char[value.Length];
        for (var i = 0; i < value.Length; i++)
        {
            var b = value[i];
            chars[i] = b is >= 0x20 and < 0x7f ? (char)b : '?';
        }
        return new string(chars);
    }
}

/// <summary>HTTP framing state of one direction of one flow. Pooled with the flow's inspection state.</summary>
public sealed class HttpState
{
    public bool Abandoned;
    public bool InBody;
    public bool BodyCut;
    public long BodyRemaining;
    /// <summary>The head being collected, then the body (up to <see cref="HttpInspector.MaxBodyBytes"/>).</summary>
    public readonly PooledBuffer Buffer = new();

    public void Release() => Buffer.Release();

    public void Reset()
    {
        Release();
        Abandoned = false;
        InBody = false;
        BodyCut = false;
        BodyRemaining = 0;
    }
}

internal static class AsciiExtensions
{
    public static bool EqualsIgnoreCaseAscii(this ReadOnlySpan<byte> text, ReadOnlySpan<byte> lowerCase) =>
        System.Text.Ascii.EqualsIgnoreCase(text, lowerCase);
}
