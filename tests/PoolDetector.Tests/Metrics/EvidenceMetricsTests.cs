using PoolDetector.Core.Decoding;
using PoolDetector.Evidence;
using PoolDetector.Hosting;
using PoolDetector.Metrics;
using PoolDetector.Tests.Evidence;

namespace PoolDetector.Tests.Metrics;

/// <summary>The evidence metrics: every series at zero from the start, then what the recorder, writer and retention report.</summary>
public sealed class EvidenceMetricsTests
{
    [Fact]
    public async Task Every_evidence_series_exists_at_zero_from_the_start()
    {
        var registry = Prometheus.Metrics.NewCustomRegistry();
        _ = new PrometheusSensorMetrics(registry, new SensorStatus(["lo"]));
        var scrape = await Exposition.ScrapeAsync(registry);
        foreach (var key in new[]
        {
            "pooldetector_evidence_files_total{result=\"written\"}",
            "pooldetector_evidence_files_total{result=\"error\"}",
            "pooldetector_evidence_bytes_total{}",
            "pooldetector_evidence_dropped_total{item=\"file\"}",
            "pooldetector_evidence_dropped_total{item=\"frames\"}",
            "pooldetector_evidence_deleted_total{reason=\"budget\"}",
            "pooldetector_evidence_deleted_total{reason=\"age\"}",
            "pooldetector_evidence_disk_bytes{}",
            "pooldetector_evidence_buffer_frames_total{outcome=\"stored\"}",
            "pooldetector_evidence_buffer_frames_total{outcome=\"evicted\"}",
            "pooldetector_evidence_buffer_frames_total{outcome=\"expired\"}",
            "pooldetector_evidence_buffer_frames_total{outcome=\"too_large\"}",
            "pooldetector_evidence_buffer_bytes{}",
        })
        {
            Assert.Equal(0, scrape[key]);
        }
    }

    [Fact]
    public async Task What_evidence_reports_is_counted_under_its_closed_labels()
    {
        var registry = Prometheus.Metrics.NewCustomRegistry();
        var status = new SensorStatus(["lo"]);
        ISensorMetrics metrics = new PrometheusSensorMetrics(registry, status);
        var store = new RecentPacketStore(1024, TimeSpan.FromSeconds(1));
        status.EvidenceBuffer = store;
        for (var i = 0; i < 20; i++)
        {
            store.Record(LinkType.Ethernet, EvidenceFrames.Tcp(40000, 3333, true, 100, 1), i * 100_000L);
        }
        store.Record(LinkType.Ethernet, new byte[2000], 2_000_000);
        metrics.EvidenceWritten(1000);
        metrics.EvidenceWritten(500);
        metrics.EvidenceFailed();
        metrics.EvidenceDropped(files: 1, frames: 0);
        metrics.EvidenceDropped(files: 0, frames: 7);
        metrics.EvidenceDeleted(forAge: true, 3);
        metrics.EvidenceDeleted(forAge: false, 2);
        metrics.EvidenceStored(12345);

        var scrape = await Exposition.ScrapeAsync(registry);
        Assert.Equal(2, scrape["pooldetector_evidence_files_total{result=\"written\"}"]);
        Assert.Equal(1, scrape["pooldetector_evidence_files_total{result=\"error\"}"]);
        Assert.Equal(1500, scrape["pooldetector_evidence_bytes_total{}"]);
        Assert.Equal(1, scrape["pooldetector_evidence_dropped_total{item=\"file\"}"]);
        Assert.Equal(7, scrape["pooldetector_evidence_dropped_total{item=\"frames\"}"]);
        Assert.Equal(3, scrape["pooldetector_evidence_deleted_total{reason=\"age\"}"]);
        Assert.Equal(2, scrape["pooldetector_evidence_deleted_total{reason=\"budget\"}"]);
        Assert.Equal(12345, scrape["pooldetector_evidence_disk_bytes{}"]);
        Assert.Equal(20, scrape["pooldetector_evidence_buffer_frames_total{outcome=\"stored\"}"]);
        Assert.Equal(store.Evicted, scrape["pooldetector_evidence_buffer_frames_total{outcome=\"evicted\"}"]);
        Assert.Equal(store.Expired, scrape["pooldetector_evidence_buffer_frames_total{outcome=\"expired\"}"]);
        Assert.True(store.Evicted > 0);
        Assert.Equal(1, scrape["pooldetector_evidence_buffer_frames_total{outcome=\"too_large\"}"]);
        Assert.Equal(store.BytesHeld, scrape["pooldetector_evidence_buffer_bytes{}"]);
    }
}
