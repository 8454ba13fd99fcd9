using System.Buffers;

namespace PoolDetector.Core.Protocols.Tls;

/// <summary>
/// A flow's TLS handshake as far as it is visible: the ClientHello and the ServerHello (with
/// the certificate for TLS 1.2 and below). Each direction's first bytes are gathered until its
/// message parses or cannot; then the buffer goes back to the pool.
/// </summary>
public sealed class TlsState
{
    private readonly PooledBuffer[] _buffers = [new(), new()];
    private readonly TlsParseStatus[] _status = [TlsParseStatus.NeedMore, TlsParseStatus.NeedMore];

    public TlsClientHello? ClientHello { get; internal set; }

    public TlsServerHello? ServerHello { get; internal set; }

    private string? _ja3;
    private string? _ja4;

    /// <summary>The ClientHello's JA3, computed once when first asked for (null without a hello).</summary>
    public string? Ja3 => ClientHello is null ? null : _ja3 ??= TlsFingerprints.Ja3(ClientHello);

    /// <summary>The ClientHello's JA4, computed once when first asked for (null without a hello).</summary>
    public string? Ja4 => ClientHello is null ? null : _ja4 ??= TlsFingerprints.Ja4(ClientHello);

    /// <summary>Where a direction's parse ended: NeedMore while still gathering.</summary>
    public TlsParseStatus Status(int direction) => _status[direction];

    /// <summary>True once neither direction waits for more bytes.</summary>
    public bool Finished => _status[0] != TlsParseStatus.NeedMore && _status[1] != TlsParseStatus.NeedMore;

    internal PooledBuffer Buffer(int direction) => _buffers[direction];

    internal void SetStatus(int direction, TlsParseStatus status)
    {
        _status[direction] = status;
        if (status != TlsParseStatus.NeedMore)
        {
            _buffers[direction].Release();
        }
    }

    public void Reset()
    {
        ClientHello = null;
        ServerHello = null;
        _ja3 = null;
        _ja4 = null;
        _status[0] = TlsParseStatus.NeedMore;
        _status[1] = TlsParseStatus.NeedMore;
        _buffers[0].Release();
        _buffers[1].Release();
    }
}

/// <summary>
/// Feeds a flow's in-order payload to <see cref="TlsHandshakeParser"/>. A hello that arrives in
/// one segment (the common case) is parsed in place; otherwise the direction's bytes are
/// gathered, up to the parser's bound, and parsed again as each segment arrives (a handful at
/// most). The parsed hellos are allocated once per TLS flow, never per packet.
/// </summary>
public static class TlsInspector
{
    public static void OnPayload(TlsState state, int direction, ReadOnlySpan<byte> payload, ArrayPool<byte> pool, InspectionCounters counters)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentNullException.ThrowIfNull(counters);
        if (state.Status(direction) != TlsParseStatus.NeedMore)
        {
            return;
        }
        var buffer = state.Buffer(direction);
        ReadOnlySpan<byte> stream = payload;
        var bound = direction == 0 ? TlsHandshakeParser.MaxClientBytes : TlsHandshakeParser.MaxServerBytes;
        if (buffer.Length > 0)
        {
            buffer.Append(pool, payload[..Math.Min(payload.Length, bound - buffer.Length)], 4096, bound);
            stream = buffer.Span;
        }
        TlsParseStatus status;
        if (direction == 0)
        {
            status = TlsHandshakeParser.ParseClientHello(stream, out var hello);
            state.ClientHello = hello;
        }
        else
        {
            status = TlsHandshakeParser.ParseServerHello(stream, out var hello);
            state.ServerHello = hello;
        }
        if (status == TlsParseStatus.NeedMore && stream.Length >= bound)
        {
            status = TlsParseStatus.TooLarge;
        }
        if (status == TlsParseStatus.NeedMore)
        {
            if (buffer.Length == 0)
            {
                buffer.Append(pool, payload[..Math.Min(payload.Length, bound)], 4096, bound);
            }
            return;
        }
        state.SetStatus(direction, status);
        if (status == TlsParseStatus.Complete)
        {
            counters.TlsHellos++;
        }
        else if (status is TlsParseStatus.Malformed or TlsParseStatus.TooLarge)
        {
            counters.TlsMalformed++;
        }
    }
}
