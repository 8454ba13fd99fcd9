using System.Text;

namespace PoolDetector.Bench.Generation;

/// <summary>
/// Who is on the capture, all drawn from one seeded <see cref="Random"/>: campus clients in
/// 10.16.0.0/12 (some subnets on tagged VLANs of the trunk) and fd5e:ca4f::/32, the campus
/// resolver, web servers in 198.18.0.0/16 and 2001:db8::/32 (the benchmarking and documentation
/// ranges, which no pool list holds, so only what the traffic says can flag a flow; the pools
/// are in 198.19.200.0/24 and 2001:db8:ffff::/48). Also the bytes bodies are cut from.
/// </summary>
internal sealed class CampusNetwork
{
    private static readonly string[] Words =
    [
        "library", "news", "weather", "maps", "mail", "video", "music", "photos", "docs", "drive", "shop", "travel", "bank",
        "sports", "science", "journal", "archive", "health", "games", "social", "forum", "wiki", "code", "cloud", "learn",
        "courses", "research", "press", "media", "radio", "books", "recipes", "cinema", "tickets", "jobs", "housing",
        "transit", "energy", "climate", "physics", "chemistry", "biology", "history", "art", "design", "market", "finance",
    ];

    private static readonly string[] Prefixes = ["www", "cdn", "api", "static", "img", "login", "assets", "m", "app", "edge"];

    private static readonly string[] Suffixes = ["com", "org", "net", "edu", "io", "de", "co.uk", "fr", "nl", "ch"];

    private readonly Host[] _clients4;
    private readonly Host[] _clients6;
    private int _nextMiner;

    public const int MaxClients = 4096;

    public CampusNetwork(Random random, int clients, int servers)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(clients, MaxClients);
        Random = random;
        _clients4 = new Host[clients];
        for (var i = 0; i < clients; i++)
        {
            // 10.16.0.0/12: sixteen /16s, a /24 per lab or floor (at most 4,096 hosts keeps
            // the addresses distinct); the first four /16s reach the tap on tagged VLANs 120-123.
            var second = (byte)(16 + (i % 16));
            var vlan = second < 20 ? (ushort)(120 + second - 16) : (ushort)0;
            byte[] address = [10, second, (byte)(i / 16), (byte)(2 + (i * 37 % 250))];
            _clients4[i] = new Host(address, Mac(random), vlan, FirstPort(random));
        }
        _clients6 = new Host[Math.Max(clients / 8, 8)];
        for (var i = 0; i < _clients6.Length; i++)
        {
            var address = new byte[16];
            byte[] prefix = [0xfd, 0x5e, 0xca, 0x4f, 0x00, (byte)(i % 16)];
            prefix.CopyTo(address, 0);
            random.NextBytes(address.AsSpan(8));
            _clients6[i] = new Host(address, Mac(random), 0, FirstPort(random));
        }

        Resolver = new Server(new Host([10, 0, 0, 53], Mac(random), 0, 0), "resolver.campus.example.edu");
        Resolver6 = new Server(new Host(Ipv6(0xfd5e_ca4f_0000_0053), Mac(random), 0, 0), "resolver.campus.example.edu");

        ArgumentOutOfRangeException.ThrowIfGreaterThan(servers, 65_000);
        WebServers4 = new Server[servers];
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < servers; i++)
        {
            var n = i + 1;
            byte[] address = [198, 18, (byte)(n >> 8), (byte)n];
            WebServers4[i] = new Server(new Host(address, [], 0, 0), UniqueName(random, names));
        }
        WebServers6 = new Server[Math.Max(servers / 8, 8)];
        for (var i = 0; i < WebServers6.Length; i++)
        {
            var address = Ipv6(0x2001_0db8_0000_0000 + (ulong)(i % 4096 + 1) * 0x1_0000);
            address[15] = (byte)(i % 250 + 1);
            WebServers6[i] = new Server(new Host(address, [], 0, 0), UniqueName(random, names));
        }

        // HTML-like text for HTTP bodies and random bytes for TLS records and compressed
        // content: bodies are slices at random offsets, so nothing is generated per packet.
        var html = new StringBuilder();
        while (html.Length < 256 * 1024)
        {
            html.Append("<div class=\"").Append(Words[random.Next(Words.Length)]).Append("\"><p>")
                .Append(string.Join(' ', Enumerable.Range(0, 12).Select(_ => Words[random.Next(Words.Length)])))
                .Append("</p><a href=\"/").Append(Words[random.Next(Words.Length)]).Append('/').Append(random.Next(100000))
                .Append("\">more</a></div>\n");
        }
        Text = Encoding.ASCII.GetBytes(html.ToString());
        Noise = new byte[1024 * 1024];
        random.NextBytes(Noise);
    }

    public Random Random { get; }

    public Server Resolver { get; }

    public Server Resolver6 { get; }

    public Server[] WebServers4 { get; }

    public Server[] WebServers6 { get; }

    public byte[] Text { get; }

    public byte[] Noise { get; }

    public Host Client(bool ipv6) => ipv6 ? _clients6[Random.Next(_clients6.Length)] : _clients4[Random.Next(_clients4.Length)];

    public Server WebServer(bool ipv6) => ipv6 ? WebServers6[Random.Next(WebServers6.Length)] : WebServers4[Random.Next(WebServers4.Length)];

    /// <summary>A campus host that mines: each miner a different host (from the end of the list, so tagged and untagged subnets both appear).</summary>
    public Host Miner(bool ipv6)
    {
        var hosts = ipv6 ? _clients6 : _clients4;
        return hosts[hosts.Length - 1 - (_nextMiner++ * 7 % hosts.Length)];
    }

    /// <summary><paramref name="length"/> bytes of the random pool (TLS ciphertext, images, compressed bodies).</summary>
    public ReadOnlyMemory<byte> NoiseSlice(int length) => Slice(Noise, length);

    /// <summary><paramref name="length"/> bytes of HTML-like text.</summary>
    public ReadOnlyMemory<byte> TextSlice(int length) => Slice(Text, length);

    /// <summary>Microseconds: exponentially distributed with the given mean.</summary>
    public long Exponential(double mean) => (long)(-mean * Math.Log(1 - Random.NextDouble()));

    /// <summary>A size with a long tail, as web objects have: log-uniform between the bounds.</summary>
    public int LogUniform(int min, int max) => (int)Math.Exp(Math.Log(min) + (Random.NextDouble() * (Math.Log(max) - Math.Log(min))));

    public static byte[] Ipv6(ulong high, ulong low = 0)
    {
        var address = new byte[16];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(address, high);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(address.AsSpan(8), low == 0 ? 1 : low);
        return address;
    }

    private ReadOnlyMemory<byte> Slice(byte[] pool, int length)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, pool.Length);
        return pool.AsMemory(Random.Next(pool.Length - length + 1), length);
    }

    private static string UniqueName(Random random, HashSet<string> taken)
    {
        while (true)
        {
            var name = Prefixes[random.Next(Prefixes.Length)] + "." + Words[random.Next(Words.Length)] +
                       Words[random.Next(Words.Length)] + "." + Suffixes[random.Next(Suffixes.Length)];
            if (taken.Add(name))
            {
                return name;
            }
        }
    }

    private static byte[] Mac(Random random)
    {
        var mac = new byte[6];
        random.NextBytes(mac);
        mac[0] &= 0xfc; // unicast, globally administered, like a NIC's burned-in address
        return mac;
    }

    private static ushort FirstPort(Random random) => (ushort)random.Next(32768, 61000);
}
