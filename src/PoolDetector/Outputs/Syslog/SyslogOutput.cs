using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace PoolDetector.Outputs.Syslog;

internal enum SyslogTransport
{
    Udp,
    Tcp,
}

/// <summary>Where and how the syslog output sends (validated options, resolved).</summary>
internal sealed record SyslogSettings(IPEndPoint Endpoint, SyslogTransport Transport, int Facility, int MaxMessageBytes, int QueueCapacity)
{
    /// <summary>The HOSTNAME of every message.</summary>
    public string HostName { get; init; } = SyslogMessage.HostName(Environment.MachineName);

    /// <summary>First wait after a failed connection; it doubles per failure in a row up to <see cref="MaxBackoff"/>.</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>A write the receiver does not take within this long ends the connection (the alert is sent again on the next).</summary>
    public TimeSpan WriteTimeout { get; init; } = TimeSpan.FromSeconds(30);
}

/// <summary>
/// Alerts to a syslog receiver as RFC 5424 messages (<see cref="SyslogMessage"/>). UDP: one
/// message per datagram, sent unconnected so an ICMP error for one datagram never fails the
/// next; a datagram the socket refuses is counted as failed. TCP: RFC 6587 octet counting on
/// one connection, reconnected with backoff; the alert being written when the connection
/// breaks is kept and written first on the next one (a receiver may see it twice, never
/// lose it to our side). What TCP cannot tell, a receiver gone after the kernel took the
/// bytes, is syslog's own limit; a peer that closed is noticed before each write.
/// </summary>
internal sealed partial class SyslogOutput : QueuedAlertOutput
{
    private readonly SyslogSettings _settings;
    private readonly int _processId = Environment.ProcessId;
    private readonly string _endpoint;

    public SyslogOutput(SyslogSettings settings, OutputCounters counters, ILogger<SyslogOutput> logger)
        : base(OutputStatus.SyslogName, settings.QueueCapacity, counters, logger)
    {
        _settings = settings;
        _endpoint = settings.Endpoint.ToString();
    }

    protected override Task RunAsync(ChannelReader<QueuedAlert> reader, CancellationToken stopping) =>
        _settings.Transport == SyslogTransport.Udp ? RunUdpAsync(reader, stopping) : RunTcpAsync(reader, stopping);

    private byte[] Format(QueuedAlert alert, bool octetCounting)
    {
        var bytes = SyslogMessage.Format(alert, _settings.Facility, _settings.HostName, _processId, _settings.MaxMessageBytes, octetCounting, out var truncated);
        if (truncated)
        {
            Interlocked.Increment(ref Counters.Truncated);
        }
        return bytes;
    }

    private async Task RunUdpAsync(ChannelReader<QueuedAlert> reader, CancellationToken stopping)
    {
        using var socket = new Socket(_settings.Endpoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        var failing = false;
        while (await reader.WaitToReadAsync(stopping).ConfigureAwait(false))
        {
            while (reader.TryRead(out var alert))
            {
                var datagram = Format(alert, octetCounting: false);
                try
                {
                    await socket.SendToAsync(datagram, SocketFlags.None, _settings.Endpoint, stopping).ConfigureAwait(false);
                    Interlocked.Increment(ref Counters.Sent);
                    if (failing)
                    {
                        failing = false;
                        Log.Recovered(Logger, _endpoint);
                    }
                }
                catch (SocketException e)
                {
                    // No route, no buffer: this one is lost, the next may go. Logged once per run of failures.
                    Interlocked.Increment(ref Counters.Failed);
                    if (!failing)
                    {
                        failing = true;
                        Log.SendFailed(Logger, "udp", _endpoint, e.Message);
                    }
                }
            }
        }
    }

    private async Task RunTcpAsync(ChannelReader<QueuedAlert> reader, CancellationToken stopping)
    {
        Socket? socket = null;
        byte[]? pending = null;
        var failures = 0;
        try
        {
            while (true)
            {
                if (pending is null)
                {
                    if (!reader.TryRead(out var alert))
                    {
                        if (!await reader.WaitToReadAsync(stopping).ConfigureAwait(false))
                        {
                            return;
                        }
                        continue;
                    }
                    pending = Format(alert, octetCounting: true);
                }
                if (socket is not null && PeerClosed(socket))
                {
                    socket.Dispose();
                    socket = null;
                }
                if (socket is null)
                {
                    socket = await ConnectAsync(stopping).ConfigureAwait(false);
                    if (socket is null)
                    {
                        failures++;
                        if (failures == 1)
                        {
                            Log.ConnectFailed(Logger, _endpoint);
                        }
                        await Task.Delay(Backoff(_settings.InitialBackoff, _settings.MaxBackoff, failures), stopping).ConfigureAwait(false);
                        continue;
                    }
                    if (failures > 0)
                    {
                        Log.Recovered(Logger, _endpoint);
                    }
                    failures = 0;
                }
                if (await WriteAsync(socket, pending, stopping).ConfigureAwait(false))
                {
                    Interlocked.Increment(ref Counters.Sent);
                    pending = null;
                }
                else
                {
                    // Written again on the next connection.
                    socket.Dispose();
                    socket = null;
                    failures++;
                    Log.SendFailed(Logger, "tcp", _endpoint, "the connection broke or stalled");
                    await Task.Delay(Backoff(_settings.InitialBackoff, _settings.MaxBackoff, failures), stopping).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            if (pending is not null)
            {
                Interlocked.Increment(ref Counters.Dropped);
            }
        }
        finally
        {
            socket?.Dispose();
        }
    }

    private async Task<Socket?> ConnectAsync(CancellationToken stopping)
    {
        var socket = new Socket(_settings.Endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        try
        {
            await socket.ConnectAsync(_settings.Endpoint, timeout.Token).ConfigureAwait(false);
            return socket;
        }
        catch (Exception e) when (e is SocketException || (e is OperationCanceledException && !stopping.IsCancellationRequested))
        {
            socket.Dispose();
            return null;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>The whole frame written within the write timeout; false when the connection failed or stalled.</summary>
    private async Task<bool> WriteAsync(Socket socket, byte[] frame, CancellationToken stopping)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        timeout.CancelAfter(_settings.WriteTimeout);
        try
        {
            var sent = 0;
            while (sent < frame.Length)
            {
                sent += await socket.SendAsync(frame.AsMemory(sent), SocketFlags.None, timeout.Token).ConfigureAwait(false);
            }
            return true;
        }
        catch (Exception e) when (e is SocketException || (e is OperationCanceledException && !stopping.IsCancellationRequested))
        {
            return false;
        }
    }

    /// <summary>
    /// A syslog receiver never sends: a socket that reads as ready with nothing to read has
    /// been closed by the peer. Writing into it would lose the alert (the kernel takes the
    /// bytes, the reset comes later), so it is replaced first.
    /// </summary>
    private static bool PeerClosed(Socket socket)
    {
        try
        {
            return socket.Poll(0, SelectMode.SelectRead) && socket.Available == 0;
        }
        catch (SocketException)
        {
            return true;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1110, Level = LogLevel.Warning, Message = "Syslog: cannot connect to {Endpoint} over tcp; alerts wait in the queue (the oldest dropped when full) while it is retried with backoff")]
        public static partial void ConnectFailed(ILogger logger, string endpoint);

        [LoggerMessage(EventId = 1111, Level = LogLevel.Warning, Message = "Syslog: sending over {Transport} to {Endpoint} failed: {Reason}")]
        public static partial void SendFailed(ILogger logger, string transport, string endpoint, string reason);

        [LoggerMessage(EventId = 1112, Level = LogLevel.Information, Message = "Syslog: sending to {Endpoint} again")]
        public static partial void Recovered(ILogger logger, string endpoint);
    }
}
