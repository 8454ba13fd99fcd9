using PoolDetector.Core.Detection.Memory;
using PoolDetector.Core.Flows;
using PoolDetector.Core.Protocols.Tls;

namespace PoolDetector.Core.Detection;

/// <summary>What a TLS handshake says about pool contact: the SNI, XMRig's client shape, xmrig-proxy's certificate.</summary>
public static class TlsSignals
{
    /// <summary>
    /// Ports where a ClientHello without SNI and ALPN is ordinary (web and mail clients that
    /// connect by address). XMRig's shape on them means nothing; elsewhere it supports other signals.
    /// </summary>
    private static readonly ushort[] WebPorts = [443, 8443, 4443, 9443, 10443, 465, 587, 993, 995, 853];

    public static void OnClientHello(Flow flow, FlowInspection inspection, TlsClientHello hello, LearnedPools learned)
    {
        ArgumentNullException.ThrowIfNull(flow);
        ArgumentNullException.ThrowIfNull(inspection);
        ArgumentNullException.ThrowIfNull(hello);
        ArgumentNullException.ThrowIfNull(learned);
        var contact = inspection.Contact;
        if (hello.ServerName is { } name)
        {
            var kind = PoolNames.Match(name, inspection.Context!.Rules.Intel, learned, flow.LastSeenMicros, out var match);
            if (kind == PoolNameMatch.Strong)
            {
                contact.Add(ContactSignal.PoolTlsName, "tls-sni:" + name, name);
                contact.Note(PoolNames.Provenance(match));
            }
            else if (kind == PoolNameMatch.Weak)
            {
                contact.NoteWeakName(name);
            }
        }
        var fingerprints = inspection.Context!.Rules.TlsFingerprints;
        if (fingerprints.Count > 0)
        {
            // Computed only when the rules list fingerprints: an MD5 and a SHA-256 per TLS flow.
            if (fingerprints.TryGetValue(inspection.Tls.Ja4!, out var rule) || fingerprints.TryGetValue(inspection.Tls.Ja3!, out rule))
            {
                contact.Add(ContactSignal.MinerTlsFingerprint, $"tls-fingerprint:{rule.Fingerprint}={rule.Software}");
            }
        }
        if (TlsShapes.IsXmrigDefaultShape(hello) && Array.IndexOf(WebPorts, flow.ServerPort) < 0)
        {
            contact.Add(ContactSignal.XmrigTlsClient, "tls-client:no-sni-no-alpn");
        }
    }

    public static void OnServerHello(FlowInspection inspection, TlsServerHello hello)
    {
        ArgumentNullException.ThrowIfNull(inspection);
        ArgumentNullException.ThrowIfNull(hello);
        if (hello.Certificate is { } certificate && TlsShapes.IsXmrigProxyCertificate(certificate))
        {
            inspection.Contact.Add(ContactSignal.XmrigProxyCertificate, "tls-certificate:xmrig-default(CN=localhost,serial=1,3650d)");
        }
    }

    /// <summary>The fingerprints an operator pivots on, added to the evidence of a flagged TLS flow.</summary>
    public static void NoteFingerprints(FlowInspection inspection)
    {
        ArgumentNullException.ThrowIfNull(inspection);
        if (inspection.Tls.ClientHello is not null)
        {
            inspection.Contact.Note("ja4:" + inspection.Tls.Ja4);
            inspection.Contact.Note("ja3:" + inspection.Tls.Ja3);
        }
        if (inspection.Tls.ServerHello is { } server)
        {
            inspection.Contact.Note("ja3s:" + TlsFingerprints.Ja3s(server));
        }
    }
}
