using System.Text;

namespace PoolDetector.Bench.Generation;

/// <summary>
/// What fills a campus link besides the miners: web browsing over TLS and plain HTTP/1.1
/// (keep-alive connections used in bursts, then left idle until one side closes or the browser
/// resets them) and DNS look-ups, most of them followed by the connection they were for.
/// Each method is a script: it writes one frame per step and yields the microseconds to the next.
/// </summary>
internal static class BackgroundTraffic
{
    private static readonly string[] UserAgents =
    [
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 Safari/537.36",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Safari/605.1.15",
        "Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0",
        "Debian APT-HTTP/1.3 (2.6.1)",
        "Microsoft-Delivery-Optimization/10.0",
    ];

    private static readonly (string Type, bool Text)[] ContentTypes =
    [
        ("text/html; charset=utf-8", true), ("text/css", true), ("application/javascript", true), ("image/jpeg", false),
        ("image/png", false), ("application/octet-stream", false), ("image/webp", false),
    ];

    /// <summary>A browsing connection: an optional look-up, the handshake, bursts of requests, idle time, the end.</summary>
    public static IEnumerable<long> Web(FrameWriter writer, CampusNetwork network, bool tls)
    {
        var random = network.Random;
        var ipv6 = random.NextDouble() < 0.12;
        var client = network.Client(ipv6);
        var server = network.WebServer(ipv6);
        if (random.NextDouble() < 0.5)
        {
            foreach (var step in Lookup(writer, network, client, server.Name, server.Host.Address))
            {
                yield return step;
            }
        }

        var roundTrip = Math.Min(1_000 + network.Exponential(20_000), 300_000);
        var connection = new TcpConnection(writer, client, client.NextEphemeralPort(), server, tls ? (ushort)443 : (ushort)80, random, roundTrip);
        foreach (var step in connection.Handshake())
        {
            yield return step;
        }
        if (tls)
        {
            foreach (var step in connection.Message(fromClient: true, TlsMessages.ClientHello(random, server.Name), acknowledged: false))
            {
                yield return step;
            }
            yield return roundTrip + 2_000;
            foreach (var step in connection.Send(fromClient: false, TlsMessages.ServerFlight(random, network.LogUniform(2_500, 6_000))))
            {
                yield return step;
            }
            foreach (var step in connection.Message(fromClient: true, TlsMessages.ClientFinished(random), acknowledged: false))
            {
                yield return step;
            }
        }

        var bursts = 1 + Geometric(random, 0.45, 6);
        for (var burst = 0; burst < bursts; burst++)
        {
            var requests = 1 + random.Next(4);
            for (var i = 0; i < requests; i++)
            {
                var request = tls ? TlsMessages.ApplicationData(network.Noise, random.Next(network.Noise.Length), random.Next(250, 900)) : HttpRequest(random, server.Name);
                foreach (var step in connection.Message(fromClient: true, request, acknowledged: false))
                {
                    yield return step;
                }
                yield return roundTrip + 500 + network.Exponential(8_000);
                var bodyLength = network.LogUniform(200, 120_000);
                var response = tls
                    ? TlsMessages.ApplicationData(network.Noise, random.Next(network.Noise.Length), bodyLength + 120)
                    : HttpResponse(network, bodyLength);
                foreach (var step in connection.Send(fromClient: false, response, gap: 15 + random.Next(120)))
                {
                    yield return step;
                }
                yield return 200 + network.Exponential(30_000);
            }
            yield return network.Exponential(4_000_000);
        }

        // Idle keep-alive until the end: the server's timeout (plain HTTP), the browser
        // closing (TLS), or the browser dropping the connection with a reset.
        var ending = random.NextDouble();
        if (ending < 0.1)
        {
            foreach (var step in connection.Reset(byClient: true))
            {
                yield return step;
            }
            yield break;
        }
        foreach (var step in connection.Close(byClient: tls || ending < 0.3))
        {
            yield return step;
        }
    }

    /// <summary>A host looking up one to three names it does not then connect to (or not yet).</summary>
    public static IEnumerable<long> LookupsOnly(FrameWriter writer, CampusNetwork network)
    {
        var random = network.Random;
        var client = network.Client(random.NextDouble() < 0.12);
        var lookups = 1 + random.Next(3);
        for (var i = 0; i < lookups; i++)
        {
            var server = network.WebServer(client.IsIpv6);
            foreach (var step in Lookup(writer, network, client, server.Name, server.Host.Address))
            {
                yield return step;
            }
            yield return network.Exponential(1_000_000);
        }
    }

    /// <summary>One query to the campus resolver and its answer (A or AAAA by the address's family; a third of them through a CNAME).</summary>
    public static IEnumerable<long> Lookup(FrameWriter writer, CampusNetwork network, Host client, string name, byte[] address)
    {
        var random = network.Random;
        var resolver = client.IsIpv6 ? network.Resolver6 : network.Resolver;
        var port = client.NextEphemeralPort();
        var id = (ushort)random.Next(65536);
        var type = address.Length == 16 ? DnsMessages.TypeAaaa : DnsMessages.TypeA;
        writer.WriteUdp(client, resolver.Host, fromClient: true, port, 53, (ushort)random.Next(65536), DnsMessages.Query(id, name, type));
        // Cached answers come back in a fraction of a millisecond, others after a recursion.
        yield return random.NextDouble() < 0.7 ? 150 + random.Next(400) : 5_000 + network.Exponential(30_000);
        var canonical = random.NextDouble() < 0.33 ? "edge-" + random.Next(100, 999) + ".cdn.example.net" : null;
        var ttl = (uint)(random.NextDouble() < 0.5 ? 300 : 60 + random.Next(3600));
        writer.WriteUdp(client, resolver.Host, fromClient: false, 53, port, (ushort)random.Next(65536), DnsMessages.Answer(id, name, type, address, canonical, ttl));
        yield return 100 + random.Next(900);
    }

    private static byte[] HttpRequest(Random random, string host)
    {
        var path = "/" + random.Next(1_000_000).ToString("x") + "/" + (random.Next(3) == 0 ? "index.html" : "asset-" + random.Next(10_000) + ".js");
        return Encoding.ASCII.GetBytes(
            "GET " + path + " HTTP/1.1\r\n" +
            "Host: " + host + "\r\n" +
            "User-Agent: " + UserAgents[random.Next(UserAgents.Length)] + "\r\n" +
            "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8\r\n" +
            "Accept-Language: en-US,en;q=0.9\r\n" +
            "Accept-Encoding: gzip, deflate\r\n" +
            "Connection: keep-alive\r\n" +
            "\r\n");
    }

    private static byte[] HttpResponse(CampusNetwork network, int bodyLength)
    {
        var (type, text) = ContentTypes[network.Random.Next(ContentTypes.Length)];
        var header = Encoding.ASCII.GetBytes(
            "HTTP/1.1 200 OK\r\n" +
            "Date: Mon, 16 Sep 2024 08:00:00 GMT\r\n" +
            "Server: nginx/1.24.0\r\n" +
            "Content-Type: " + type + "\r\n" +
            "Content-Length: " + bodyLength + "\r\n" +
            "Cache-Control: max-age=3600\r\n" +
            "Connection: keep-alive\r\n" +
            "\r\n");
        var body = text ? network.TextSlice(bodyLength) : network.NoiseSlice(bodyLength);
        return [.. header, .. body.Span];
    }

    private static int Geometric(Random random, double stop, int max)
    {
        var count = 0;
        while (count < max && random.NextDouble() > stop)
        {
            count++;
        }
        return count;
    }
}
