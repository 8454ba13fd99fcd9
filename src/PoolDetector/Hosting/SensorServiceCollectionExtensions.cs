using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PoolDetector.Attribution;
using PoolDetector.Capture;
using PoolDetector.Evidence;
using PoolDetector.Hosting;
using PoolDetector.Outputs;

namespace Microsoft.Extensions.DependencyInjection;

internal static class SensorServiceCollectionExtensions
{
    /// <summary>
    /// The sensor: capture → hand-off → engine → sinks, with the validated options and
    /// rules. Registered with TryAdd so a test or Metrics/ can replace any piece.
    /// Hosted services start in this order and stop in reverse: the engine is ready before
    /// capture starts, and capture stops before the engine drains and ends its flows.
    /// </summary>
    public static IServiceCollection AddPoolDetectorSensor(this IServiceCollection services, SensorValidation validation)
    {
        var options = validation.Options;
        services.TryAddSingleton(options);
        services.TryAddSingleton(validation);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(_ => new SensorStatus(options.Interfaces));
        services.TryAddSingleton<ISensorMetrics, NullSensorMetrics>();
        services.TryAddSingleton<RulesState>();
        services.TryAddSingleton(_ => new FrameHandOff(options.Interfaces.Count, options.QueueBufferMiB * 1024 * 1024, options.QueueCapacity));
        services.TryAddSingleton(_ => new DetectionAggregator(options.MaxAggregates, options.MaxFlows));
        services.TryAddSingleton<LearnedPoolsStore>();
        services.TryAddSingleton<InventoryReloader>();
        services.TryAddSingleton(provider => new EveFileSink(options.EveLog, provider.GetRequiredService<ILogger<EveFileSink>>(),
            provider.GetRequiredService<SensorStatus>().Outputs));
        services.TryAddSingleton(provider => new AlertDispatcher(
            provider.GetRequiredService<EveFileSink>(),
            options.EveStdout ? new EveStdoutSink(Console.OpenStandardOutput(), options.StdoutQueueCapacity, provider.GetRequiredService<SensorStatus>().Outputs) : null,
            provider.GetRequiredService<DetectionAggregator>(),
            provider.GetRequiredService<ISensorMetrics>(),
            provider.GetRequiredService<ILogger<AlertDispatcher>>(),
            provider.GetServices<IAlertOutput>()));
        if (!string.IsNullOrWhiteSpace(options.EvidenceDirectory))
        {
            // Between the engine and the alerts: it names the capture before the alert is written.
            services.TryAddSingleton(provider => new EvidenceRecorder(options,
                provider.GetRequiredService<AlertDispatcher>(),
                CaptureFileWriter.Factory,
                provider.GetRequiredService<TimeProvider>(),
                provider.GetRequiredService<ISensorMetrics>(),
                provider.GetRequiredService<ILogger<EvidenceRecorder>>()));
        }
        // Before the engine: the outputs start before it and stop after it.
        services.AddPoolDetectorOutputs(options);
        services.AddHostedService<SensorEngineService>();
        services.AddHostedService<LiveCapture>();
        services.AddHostedService<SensorSignals>();
        return services;
    }
}
