using Microsoft.Extensions.Logging;
using PoolDetector.Core.Rules;

namespace PoolDetector.Hosting;

/// <summary>
/// The rules in use and the reload (SIGHUP). A reload loads on the caller's thread; good
/// rules are handed to the engine thread through <see cref="TakePending"/> (the engine is
/// single-threaded: only its own thread may replace them). Bad rules change nothing.
/// </summary>
internal sealed partial class RulesState
{
    private readonly string _directory;
    private readonly ISensorMetrics _metrics;
    private readonly ILogger<RulesState> _logger;
    private readonly Lock _reloadLock = new();
    private RuleSet? _pending;

    public RulesState(SensorValidation validation, ISensorMetrics metrics, ILogger<RulesState> logger)
    {
        _directory = validation.RulesDirectory;
        Current = validation.Rules!;
        _metrics = metrics;
        _logger = logger;
    }

    /// <summary>The last good rules: the ones new flows get (once the engine has taken them).</summary>
    public RuleSet Current { get; private set; }

    /// <summary>Raised after a successful reload, so the engine thread wakes up to take the rules.</summary>
    public event Action? Reloaded;

    /// <summary>At start: the rules validation loaded.</summary>
    public void ReportInitial()
    {
        _metrics.RulesLoaded(reload: false, success: true, Current.Count);
        Log.Loaded(_logger, Current.Count, Current.Files.Count, _directory);
    }

    /// <summary>Loads the directory again; true when the new rules will be used.</summary>
    public bool Reload()
    {
        lock (_reloadLock)
        {
            var errors = new List<string>();
            var rules = SensorOptionsValidator.LoadRules(_directory, errors);
            if (rules is null)
            {
                Log.ReloadFailed(_logger, _directory, errors.Count, Current.Count);
                foreach (var error in errors)
                {
                    Log.RuleError(_logger, error);
                }
                _metrics.RulesLoaded(reload: true, success: false, Current.Count);
                return false;
            }
            Current = rules;
            Volatile.Write(ref _pending, rules);
            _metrics.RulesLoaded(reload: true, success: true, rules.Count);
            Log.Reloaded(_logger, rules.Count, rules.Files.Count, _directory);
            Reloaded?.Invoke();
            return true;
        }
    }

    /// <summary>Engine thread: rules loaded since the last call, or null.</summary>
    public RuleSet? TakePending() => Volatile.Read(ref _pending) is null ? null : Interlocked.Exchange(ref _pending, null);

    private static partial class Log
    {
        [LoggerMessage(EventId = 400, Level = LogLevel.Information, Message = "Loaded {Rules} rules from {Files} files in {Directory}")]
        public static partial void Loaded(ILogger logger, int rules, int files, string directory);

        [LoggerMessage(EventId = 401, Level = LogLevel.Information, Message = "Reloaded rules: {Rules} rules from {Files} files in {Directory}; new flows use them")]
        public static partial void Reloaded(ILogger logger, int rules, int files, string directory);

        [LoggerMessage(EventId = 402, Level = LogLevel.Error, Message = "Rules reload failed: {Errors} problem(s) in {Directory}; keeping the last good rules ({Rules} rules)")]
        public static partial void ReloadFailed(ILogger logger, string directory, int errors, int rules);

        [LoggerMessage(EventId = 403, Level = LogLevel.Error, Message = "Rules reload: {Error}")]
        public static partial void RuleError(ILogger logger, string error);
    }
}
