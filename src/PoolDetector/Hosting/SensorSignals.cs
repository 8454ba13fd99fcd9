using System.Runtime.InteropServices;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PoolDetector.Attribution;
using PoolDetector.Outputs;

namespace PoolDetector.Hosting;

/// <summary>
/// SIGHUP (systemctl reload, logrotate's postrotate): reopen the EVE file and reload the
/// rules and the inventory. SIGTERM and SIGINT are the host's (a clean stop, exit 0).
/// </summary>
internal sealed partial class SensorSignals : IHostedService, IDisposable
{
    private readonly RulesState _rules;
    private readonly EveFileSink _eve;
    private readonly InventoryReloader _inventory;
    private readonly ILogger<SensorSignals> _logger;
    private PosixSignalRegistration? _hangUp;

    public SensorSignals(RulesState rules, EveFileSink eve, InventoryReloader inventory, ILogger<SensorSignals> logger)
    {
        _rules = rules;
        _eve = eve;
        _inventory = inventory;
        _logger = logger;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _hangUp = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
        {
            // Not the default action (terminate): SIGHUP means reload here.
            context.Cancel = true;
            Log.HangUp(_logger);
            _eve.RequestReopen();
            // Rule files are parsed off the signal thread; the engine takes the result.
            _ = Task.Run(_rules.Reload);
            if (_inventory.Configured)
            {
                _ = Task.Run(_inventory.Reload);
            }
        });
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose() => _hangUp?.Dispose();

    private static partial class Log
    {
        [LoggerMessage(EventId = 600, Level = LogLevel.Information, Message = "SIGHUP: reopening the alert file and reloading rules")]
        public static partial void HangUp(ILogger logger);
    }
}
