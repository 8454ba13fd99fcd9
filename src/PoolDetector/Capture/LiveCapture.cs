using PoolDetector.Core.Decoding;
using PoolDetector.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SharpPcap;
using SharpPcap.LibPcap;

namespace PoolDetector.Capture;

/// <summary>
/// One capture thread per configured interface, each reading libpcap with pcap_next_ex
/// (the pointer form: SharpPcap's event API allocates a header object per packet) and
/// copying frames into its ring of the <see cref="FrameHandOff"/>. It never waits on the
/// engine: a full ring is a drop, counted. An interface that fails to open, goes down or
/// disappears is logged, counted, and reopened every <see cref="SensorOptions.InterfaceRetrySeconds"/>;
/// the others keep running.
/// <para>
/// A once-a-second monitor does what the blocked read cannot: Linux libpcap does not return
/// from pcap_next_ex while the link is idle (its poll loop only ends on a packet, an error or
/// pcap_breakloop), and when an interface is merely taken down it deliberately keeps waiting
/// for it to come back. So the monitor reads each open interface's operstate and breaks the
/// read of one that is down, and copies libpcap's counters (pcap_stats), which otherwise would
/// only be refreshed when a packet arrives.
/// </para>
/// </summary>
internal sealed partial class LiveCapture : IHostedService, IDisposable
{
    // pcap_next_ex return codes (pcap/pcap.h).
    private const int PacketRead = 1;
    private const int Timeout = 0;
    private const long StatisticsIntervalMs = 1000;

    private readonly SensorOptions _options;
    private readonly SensorStatus _status;
    private readonly FrameHandOff _handOff;
    private readonly ISensorMetrics _metrics;
    private readonly ILogger<LiveCapture> _logger;
    private readonly ManualResetEventSlim _stopping = new(false);
    private readonly List<Thread> _threads = [];
    // The device each capture thread has open, so StopAsync and the monitor can break its
    // blocking read, its counters, and why the monitor broke the read; guarded by _threads.
    private readonly LibPcapLiveDevice?[] _open;
    private readonly StatisticsTracker?[] _statistics;
    private readonly string?[] _downReason;
    private Timer? _monitor;

    public LiveCapture(SensorOptions options, SensorStatus status, FrameHandOff handOff, ISensorMetrics metrics, ILogger<LiveCapture> logger)
    {
        _options = options;
        _status = status;
        _handOff = handOff;
        _metrics = metrics;
        _logger = logger;
        _open = new LibPcapLiveDevice?[status.Interfaces.Count];
        _statistics = new StatisticsTracker?[status.Interfaces.Count];
        _downReason = new string?[status.Interfaces.Count];
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        for (var i = 0; i < _status.Interfaces.Count; i++)
        {
            var index = i;
            var thread = new Thread(() => CaptureLoop(index))
            {
                Name = "capture " + _status.Interfaces[i].Name,
                IsBackground = true,
            };
            _threads.Add(thread);
            thread.Start();
        }
        _monitor = new Timer(_ => MonitorInterfaces(), null, StatisticsIntervalMs, StatisticsIntervalMs);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _stopping.Set();
        _monitor?.Dispose();
        for (var i = 0; i < _open.Length; i++)
        {
            lock (_threads)
            {
                if (_open[i] is { } device)
                {
                    LibPcapNative.BreakLoop(device);
                }
            }
        }
        var deadline = TimeSpan.FromMilliseconds(_options.ReadTimeoutMilliseconds + 2000);
        foreach (var thread in _threads)
        {
            if (!thread.Join(deadline))
            {
                Log.CaptureThreadStuck(_logger, thread.Name ?? "capture");
            }
        }
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        _monitor?.Dispose();
        _stopping.Dispose();
    }

    private void CaptureLoop(int index)
    {
        var status = _status.Interfaces[index];
        var retry = TimeSpan.FromSeconds(_options.InterfaceRetrySeconds);
        string? lastFailure = null;
        while (!_stopping.IsSet)
        {
            string failure;
            LibPcapLiveDevice? device = null;
            try
            {
                device = Open(status.Name, out var linkType, out failure);
                if (device is not null)
                {
                    lock (_threads)
                    {
                        _statistics[index] = new StatisticsTracker();
                        _downReason[index] = null;
                        _open[index] = device;
                    }
                    status.Up = true;
                    lastFailure = null;
                    Log.InterfaceOpened(_logger, status.Name, linkType, _options.BpfFilter);
                    failure = Pump(device, index, linkType, status);
                }
            }
            catch (PcapException e)
            {
                failure = e.Message;
            }
            finally
            {
                status.Up = false;
                lock (_threads)
                {
                    if (_open[index] is { } open)
                    {
                        _statistics[index]?.CopyFrom(open, status);
                    }
                    _open[index] = null;
                    _statistics[index] = null;
                }
                device?.Dispose();
            }
            if (_stopping.IsSet)
            {
                break;
            }
            // Every failed attempt is counted; the log says it once per reason, not every retry.
            _metrics.InterfaceFailed(status.Name);
            if (failure == lastFailure)
            {
                Log.InterfaceStillFailing(_logger, status.Name, failure, _options.InterfaceRetrySeconds);
            }
            else
            {
                Log.InterfaceFailed(_logger, status.Name, failure, _options.InterfaceRetrySeconds);
            }
            lastFailure = failure;
            _stopping.Wait(retry);
        }
    }

    /// <summary>
    /// Once a second, for every open interface: libpcap's counters into its status, and, when
    /// the interface is down, a break of its read (<see cref="Pump"/> then returns the reason).
    /// </summary>
    private void MonitorInterfaces()
    {
        if (_stopping.IsSet)
        {
            return;
        }
        for (var i = 0; i < _open.Length; i++)
        {
            var status = _status.Interfaces[i];
            var down = InterfaceState.DownReason(status.Name);
            lock (_threads)
            {
                if (_open[i] is not { } device)
                {
                    continue;
                }
                _statistics[i]?.CopyFrom(device, status);
                if (down is not null && _downReason[i] is null)
                {
                    _downReason[i] = down;
                    LibPcapNative.BreakLoop(device);
                }
            }
        }
    }

    private LibPcapLiveDevice? Open(string name, out LinkType linkType, out string failure)
    {
        linkType = default;
        var device = CaptureDevices.Find(name);
        if (device is null)
        {
            failure = "no such interface (it may have disappeared)";
            return null;
        }
        // libpcap opens an interface that is down, and would then wait for it silently.
        if (InterfaceState.DownReason(name) is { } down)
        {
            failure = down;
            return null;
        }
        var configuration = new DeviceConfiguration
        {
            Mode = _options.Promiscuous ? DeviceModes.Promiscuous : DeviceModes.None,
            Snaplen = _options.SnapLength,
            ReadTimeout = _options.ReadTimeoutMilliseconds,
            // libpcap's pcap_set_buffer_size: the kernel ring on Linux. (SharpPcap's
            // KernelBufferSize is WinPcap's pcap_setbuff, which fails elsewhere.)
            BufferSize = _options.KernelBufferMiB * 1024 * 1024,
            Immediate = _options.ImmediateMode,
        };
        configuration.ConfigurationFailed += (_, e) => Log.ConfigurationFailed(_logger, name, e.Property, e.Message);
        try
        {
            device.Open(configuration);
            if (!string.IsNullOrWhiteSpace(_options.BpfFilter))
            {
                device.Filter = _options.BpfFilter;
            }
            if (!LinkTypes.TryFromPcap((int)device.LinkType, out linkType))
            {
                failure = $"unsupported link type {(int)device.LinkType} ({device.LinkType})";
                device.Dispose();
                return null;
            }
        }
        catch (PcapException e)
        {
            failure = e.Message;
            device.Dispose();
            return null;
        }
        failure = "";
        return device;
    }

    /// <summary>Reads until the device fails or the service stops; returns why it stopped.</summary>
    private string Pump(LibPcapLiveDevice device, int index, LinkType linkType, InterfaceStatus status)
    {
        nint header = 0;
        nint data = 0;
        while (!_stopping.IsSet)
        {
            var result = device.GetNextPacketPointers(ref header, ref data);
            if (result == PacketRead)
            {
                var caplen = (int)PcapPacketHeader.CaptureLength(header);
                var timestamp = PcapPacketHeader.TimestampMicros(header);
                ReadOnlySpan<byte> frame;
                unsafe
                {
                    frame = new ReadOnlySpan<byte>((void*)data, caplen);
                }
                status.PacketsCaptured++;
                status.BytesCaptured += caplen;
                status.LastPacketMicros = timestamp;
                if (!_handOff.TryWrite(index, linkType, frame, timestamp))
                {
                    status.QueueDropped++;
                }
            }
            else if (result != Timeout)
            {
                // -1: an error with libpcap's reason ("The interface disappeared"); -2:
                // pcap_breakloop, from StopAsync or from the monitor (which says why). Either
                // way the device is done.
                string? reason;
                lock (_threads)
                {
                    reason = _downReason[index];
                }
                if (string.IsNullOrEmpty(reason))
                {
                    reason = device.LastError;
                }
                return string.IsNullOrEmpty(reason) ? $"libpcap status {result}" : reason;
            }
        }
        return "stopped";
    }

    /// <summary>
    /// libpcap's counters are 32-bit and start over when the device is reopened; the status
    /// holds cumulative 64-bit totals (Prometheus counters), so deltas are added, wrap included.
    /// </summary>
    private sealed class StatisticsTracker
    {
        private uint _received;
        private uint _dropped;
        private uint _interfaceDropped;

        public void CopyFrom(LibPcapLiveDevice device, InterfaceStatus status)
        {
            // libpcap's pcap_stats directly: SharpPcap's Statistics misreads the struct (LibPcapNative).
            if (!LibPcapNative.TryGetStatistics(device, out var received, out var dropped, out var interfaceDropped))
            {
                return;
            }
            status.PcapReceived += unchecked(received - _received);
            status.PcapDropped += unchecked(dropped - _dropped);
            status.PcapInterfaceDropped += unchecked(interfaceDropped - _interfaceDropped);
            _received = received;
            _dropped = dropped;
            _interfaceDropped = interfaceDropped;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "Capturing on {Interface} (link type {LinkType}, filter \"{Filter}\")")]
        public static partial void InterfaceOpened(ILogger logger, string @interface, LinkType linkType, string filter);

        [LoggerMessage(EventId = 101, Level = LogLevel.Error, Message = "Interface {Interface} failed: {Reason}; retrying in {RetrySeconds} s, the other interfaces keep capturing")]
        public static partial void InterfaceFailed(ILogger logger, string @interface, string reason, int retrySeconds);

        [LoggerMessage(EventId = 102, Level = LogLevel.Warning, Message = "Interface {Interface}: libpcap did not accept {Property}: {Problem}")]
        public static partial void ConfigurationFailed(ILogger logger, string @interface, string property, string problem);

        [LoggerMessage(EventId = 103, Level = LogLevel.Warning, Message = "Capture thread {Thread} did not stop in time")]
        public static partial void CaptureThreadStuck(ILogger logger, string thread);

        [LoggerMessage(EventId = 104, Level = LogLevel.Debug, Message = "Interface {Interface} still failing: {Reason}; retrying in {RetrySeconds} s")]
        public static partial void InterfaceStillFailing(ILogger logger, string @interface, string reason, int retrySeconds);
    }
}
