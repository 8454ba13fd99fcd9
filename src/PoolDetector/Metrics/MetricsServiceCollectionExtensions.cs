using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using PoolDetector.Hosting;
using PoolDetector.Metrics;
using Prometheus;

namespace Microsoft.Extensions.DependencyInjection;

internal static class MetricsServiceCollectionExtensions
{
    /// <summary>
    /// The daemon's Prometheus metrics: a private <see cref="CollectorRegistry"/> (the
    /// pooldetector_ set plus prometheus-net's process and .NET runtime metrics, without the
    /// default registry's automatic .NET meter export, whose labels could carry addresses),
    /// <see cref="PrometheusSensorMetrics"/> as the <see cref="ISensorMetrics"/> (replacing any
    /// default), and the hosted service serving <c>/metrics</c>. Needs <see cref="SensorOptions"/>
    /// and <see cref="SensorStatus"/> registered by the sensor; the order of the calls does not matter.
    /// </summary>
    public static IServiceCollection AddPoolDetectorMetrics(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton(_ =>
        {
            var registry = Prometheus.Metrics.NewCustomRegistry();
            DotNetStats.Register(registry);
            return registry;
        });
        services.Replace(ServiceDescriptor.Singleton<ISensorMetrics>(provider => new PrometheusSensorMetrics(
            provider.GetRequiredService<CollectorRegistry>(),
            provider.GetRequiredService<SensorStatus>())));
        services.AddHostedService(provider =>
        {
            var options = provider.GetRequiredService<SensorOptions>();
            // The collectors must exist before the first scrape, even if nothing else asked for them yet.
            provider.GetRequiredService<ISensorMetrics>();
            return new MetricsServerService(options.MetricsAddress, options.MetricsPort,
                provider.GetRequiredService<CollectorRegistry>(),
                provider.GetRequiredService<ILogger<MetricsServerService>>());
        });
        return services;
    }
}
