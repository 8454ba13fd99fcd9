using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PoolDetector.Hosting;
using PoolDetector.Outputs;
using PoolDetector.Outputs.Blocklist;
using PoolDetector.Outputs.Syslog;
using PoolDetector.Outputs.Webhook;

namespace Microsoft.Extensions.DependencyInjection;

internal static class OutputsServiceCollectionExtensions
{
    /// <summary>
    /// The alert outputs that are switched on (syslog, webhook: each an <see cref="IAlertOutput"/>
    /// the dispatcher feeds and a hosted service sending), and the block list (kept current,
    /// served on the metrics listener, written to <c>BlocklistFile</c> when set). Called by the
    /// sensor before it registers the engine, so these start before it and stop after it: the
    /// alerts of the flows the engine ends at stop still go out, and the last block list has them.
    /// </summary>
    public static IServiceCollection AddPoolDetectorOutputs(this IServiceCollection services, SensorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        services.TryAddSingleton(provider => provider.GetRequiredService<SensorStatus>().Outputs);
        if (OutputOptions.Syslog(options) is { } syslog)
        {
            services.TryAddSingleton(provider => new SyslogOutput(syslog,
                provider.GetRequiredService<OutputStatus>().Syslog, provider.GetRequiredService<ILogger<SyslogOutput>>()));
            services.AddSingleton<IAlertOutput>(provider => provider.GetRequiredService<SyslogOutput>());
            services.AddSingleton<IHostedService>(provider => provider.GetRequiredService<SyslogOutput>());
        }
        if (OutputOptions.WebhookEnabled(options))
        {
            services.TryAddSingleton(provider => new WebhookOutput(OutputOptions.Webhook(options)!,
                provider.GetRequiredService<OutputStatus>().Webhook, provider.GetRequiredService<ILogger<WebhookOutput>>()));
            services.AddSingleton<IAlertOutput>(provider => provider.GetRequiredService<WebhookOutput>());
            services.AddSingleton<IHostedService>(provider => provider.GetRequiredService<WebhookOutput>());
        }
        services.TryAddSingleton(provider => new BlocklistService(
            provider.GetRequiredService<DetectionAggregator>(),
            provider.GetRequiredService<OutputStatus>(),
            TimeSpan.FromMinutes(options.BlocklistTtlMinutes),
            OutputOptions.BlocklistPaths(options),
            provider.GetRequiredService<TimeProvider>(),
            provider.GetRequiredService<ILogger<BlocklistService>>()));
        services.AddSingleton<IHostedService>(provider => provider.GetRequiredService<BlocklistService>());
        services.AddSingleton<IHostedService>(provider => new BlocklistEndpoint(options.MetricsAddress, options.MetricsPort,
            provider.GetRequiredService<BlocklistService>(), provider.GetRequiredService<ILogger<BlocklistEndpoint>>()));
        return services;
    }
}
