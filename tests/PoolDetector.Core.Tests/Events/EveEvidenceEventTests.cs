using PoolDetector.Core.Events;
using PoolDetector.Testing;

namespace PoolDetector.Core.Tests.Events;

/// <summary>The daemon's evidence event: the alert it follows, field for field, but for its type and the capture's hash.</summary>
public class EveEvidenceEventTests
{
    [Fact]
    public void Is_the_alert_with_event_type_evidence_and_both_pcap_fields()
    {
        var alerted = SampleDetections.DesignExample with { EvidencePcap = "/var/lib/pooldetector/evidence/2021-09-14/080001-e7905d2bf9d968e3-10.1.2.3.51234-94.23.199.191.3333.pcap" };
        var completed = alerted with { EvidenceSha256 = new string('a', 64) };

        var alert = EveJson.ToJson(alerted);
        var evidence = EveJson.ToJson(completed, EveEventType.Evidence);

        // The live alert names the file before it is complete: its hash is null there.
        Assert.EndsWith(",\"pcap\":\"/var/lib/pooldetector/evidence/2021-09-14/080001-e7905d2bf9d968e3-10.1.2.3.51234-94.23.199.191.3333.pcap\",\"pcap_sha256\":null}}", alert, StringComparison.Ordinal);
        Assert.Contains("\"event_type\":\"alert\"", alert, StringComparison.Ordinal);
        // The evidence event is the same line with its type and the hash.
        Assert.Equal(
            alert.Replace("\"event_type\":\"alert\"", "\"event_type\":\"evidence\"", StringComparison.Ordinal)
                 .Replace("\"pcap_sha256\":null", "\"pcap_sha256\":\"" + new string('a', 64) + "\"", StringComparison.Ordinal),
            evidence);
    }

    [Fact]
    public void Without_evidence_neither_pcap_key_is_written()
    {
        var json = EveJson.ToJson(SampleDetections.DesignExample);
        Assert.DoesNotContain("\"pcap\"", json, StringComparison.Ordinal);
        Assert.DoesNotContain("pcap_sha256", json, StringComparison.Ordinal);
    }
}
