using PoolDetector.Core.Protocols.JsonRpc;

namespace PoolDetector.Core.Protocols.Stratum;

/// <summary>
/// The parameter and reply checks that make a message mining-shaped. A method name alone is
/// cheap to imitate and common names (<c>login</c>, <c>submit</c>) are everywhere; the shapes
/// below are what real miners and pools send (Stratum V1: slush pool's documentation and
/// cgminer/bfgminer; EthereumStratum: NiceHash's specifications; CryptoNote: XMRig and
/// xmr-stak). Rules name them in methods.yml.
/// </summary>
public static class MessageShapes
{
    public static IReadOnlyList<string> ParamsShapeNames { get; } =
    [
        "subscribe", "authorize", "submit", "notify", "difficulty", "target", "extranonce", "version-mask",
        "configure", "reconnect", "suggest", "hello", "cn-login", "cn-job", "cn-submit", "cn-keepalive",
        "cn-getjob", "eth-login", "eth-getwork", "eth-submitwork", "eth-hashrate", "getwork",
        "getblocktemplate", "submitblock", "any",
    ];

    public static IReadOnlyList<string> ReplyShapeNames { get; } =
    [
        "subscribe-reply", "authorize-reply", "share-reply", "cn-login-reply", "cn-share-reply", "cn-job-reply",
        "eth-work-reply", "eth-bool-reply", "getwork-reply", "getblocktemplate-reply", "any-result",
    ];

    public static bool IsKnownParamsShape(string name) => ParamsShapeNames.Contains(name);

    public static bool IsKnownReplyShape(string name) => ReplyShapeNames.Contains(name);

    public static int ParamsShapeIndex(string name) => IndexOf(ParamsShapeNames, name);

    public static int ReplyShapeIndex(string? name) => name is null ? -1 : IndexOf(ReplyShapeNames, name);

    private static int IndexOf(IReadOnlyList<string> names, string name)
    {
        for (var i = 0; i < names.Count; i++)
        {
            if (names[i] == name)
            {
                return i;
            }
        }
        return -1;
    }

    /// <summary>Does the request or notification carry the parameters of shape <paramref name="shape"/> (an index into <see cref="ParamsShapeNames"/>)?</summary>
    public static bool MatchesParams(int shape, in JsonRpcMessage m)
    {
        var p = m.Params;
        return ParamsShapeNames[shape] switch
        {
            // [agent?, session?, host?, port?]: cgminer sends [], NiceHash ["agent", "EthereumStratum/1.0.0"].
            "subscribe" => IsArray(p, 0, 4) && AllScalarText(m, p, 4),
            // [worker, password?]
            "authorize" => IsArray(p, 1, 3) && p.Element(0).Kind == JsonKind.String,
            // [worker, job_id, extranonce2, ntime, nonce(, version)] and the 3/5-item Ethereum and ZCash forms.
            "submit" => IsArray(p, 3, 8) && p.Element(0).Kind == JsonKind.String && IsText(p.Element(1)) && IsText(p.Element(2)),
            // [job_id, ...hashes..., clean_jobs]: Bitcoin 9 items, ZCash 8, EthereumStratum 4.
            "notify" => IsArray(p, 3, 16) && IsText(p.Element(0))
                && (p.Element(Math.Min(p.Count, JsonElements.Length) - 1).IsBool || CountHex(m, p, 8) >= 2),
            "difficulty" => IsArray(p, 1, 1) && p.Element(0).Kind == JsonKind.Number,
            "suggest" => IsArray(p, 1, 1) && p.Element(0).Kind is JsonKind.Number or JsonKind.String,
            "target" => IsArray(p, 1, 2) && IsHex(m, p.Element(0), 8),
            "extranonce" => IsArray(p, 1, 2) && IsHex(m, p.Element(0), 0),
            "version-mask" => IsArray(p, 1, 1) && IsHex(m, p.Element(0), 1),
            "configure" => IsArray(p, 2, 2) && p.Element(0).Kind == JsonKind.Array && p.Element(1).Kind == JsonKind.Object,
            "reconnect" => IsArray(p, 0, 3) && (p.Count == 0 || p.Element(0).Kind == JsonKind.String),
            "hello" => p.Kind == JsonKind.Object && (p.Key(JsonKey.Proto).Kind == JsonKind.String || p.Key(JsonKey.Agent).Kind == JsonKind.String),
            // XMRig: {"login", "pass", "agent", "algo": [...], "rigid"}; xmr-stak and browsers send fewer.
            "cn-login" => p.Kind == JsonKind.Object && p.Key(JsonKey.Login).Kind == JsonKind.String
                && (p.Has(JsonKey.Pass) || p.Has(JsonKey.Agent)),
            "cn-job" => p.Kind == JsonKind.Object && IsCnJob(m, p),
            // {"id": session, "job_id", "nonce": 8 hex, "result": 64 hex}
            "cn-submit" => p.Kind == JsonKind.Object && p.Has(JsonKey.JobId)
                && IsHex(m, p.Key(JsonKey.Nonce), 8) && IsHex(m, p.Key(JsonKey.Result), 64),
            "cn-keepalive" or "cn-getjob" => p.Kind == JsonKind.Object && p.Key(JsonKey.Id).Kind == JsonKind.String,
            // [wallet(.worker), password?]
            "eth-login" => IsArray(p, 1, 2) && p.Element(0).Kind == JsonKind.String,
            "eth-getwork" => p.Kind == JsonKind.None || IsArray(p, 0, 0),
            // [nonce 0x+16 hex, header hash, mix digest]
            "eth-submitwork" => IsArray(p, 3, 3) && IsHex(m, p.Element(0), 16) && IsHex(m, p.Element(1), 64) && IsHex(m, p.Element(2), 64),
            // [hashrate, client id]
            "eth-hashrate" => IsArray(p, 2, 2) && IsHex(m, p.Element(0), 1) && IsHex(m, p.Element(1), 1),
            // [] to ask for work, [data] to submit it
            "getwork" => p.Kind == JsonKind.None || IsArray(p, 0, 0) || (IsArray(p, 1, 1) && IsHex(m, p.Element(0), 128)),
            "getblocktemplate" => p.Kind == JsonKind.None || IsArray(p, 0, 0) || (IsArray(p, 1, 1) && p.Element(0).Kind == JsonKind.Object),
            "submitblock" => IsArray(p, 1, 2) && IsHex(m, p.Element(0), 160),
            "any" => true,
            _ => false,
        };
    }

    /// <summary>Does the response carry the result of shape <paramref name="shape"/> (an index into <see cref="ReplyShapeNames"/>)?</summary>
    public static bool MatchesReply(int shape, in JsonRpcMessage m)
    {
        var r = m.Result;
        return ReplyShapeNames[shape] switch
        {
            // [[["mining.set_difficulty", id], ["mining.notify", id]], extranonce1, extranonce2_size]
            // or NiceHash's [["mining.notify", id, "EthereumStratum/1.0.0"], extranonce].
            "subscribe-reply" => IsArray(r, 2, 3) && r.Element(0).Kind == JsonKind.Array && r.Element(1).Kind == JsonKind.String
                && (m.Markers & (JsonMarkers.MiningNotify | JsonMarkers.MiningSetDifficulty | JsonMarkers.EthereumStratum1)) != 0,
            "authorize-reply" or "share-reply" or "eth-bool-reply" => r.IsBoolValue(),
            "cn-login-reply" => r.Kind == JsonKind.Object && (IsCnJob(m, m.ResultJob) || (r.Key(JsonKey.Status).Kind == JsonKind.String && r.Key(JsonKey.Id).Kind == JsonKind.String && r.Has(JsonKey.Job))),
            "cn-job-reply" => r.Kind == JsonKind.Object && IsCnJob(m, r),
            "cn-share-reply" => r.Kind == JsonKind.Object && r.Key(JsonKey.Status).Kind == JsonKind.String,
            // [header hash, seed hash, boundary(, block number)]
            "eth-work-reply" => IsArray(r, 3, 4) && IsHex(m, r.Element(0), 64) && IsHex(m, r.Element(1), 64) && IsHex(m, r.Element(2), 16),
            "getwork-reply" => r.Kind == JsonKind.Object && IsHex(m, r.Key(JsonKey.Data), 128) && IsHex(m, r.Key(JsonKey.Target), 8),
            "getblocktemplate-reply" => r.Kind == JsonKind.Object && IsHex(m, r.Key(JsonKey.PreviousBlockHash), 64)
                && (r.Has(JsonKey.CoinbaseValue) || r.Has(JsonKey.Transactions) || r.Has(JsonKey.Bits)),
            "any-result" => r.Kind is not (JsonKind.None or JsonKind.Null),
            _ => false,
        };
    }

    /// <summary>Stratum V1's error triple <c>[code, "message", traceback]</c>; JSON-RPC 2.0 uses an object instead.</summary>
    public static bool IsStratumErrorTriple(in JsonRpcMessage m) =>
        IsArray(m.Error, 2, 3) && m.Error.Element(0).Kind == JsonKind.Number && m.Error.Element(1).Kind == JsonKind.String;

    /// <summary>Whether a share reply accepted the share: <c>true</c>, or CryptoNote's <c>{"status": "OK"}</c>.</summary>
    public static bool IsAcceptedShare(in JsonRpcMessage m) =>
        m.Result.Kind == JsonKind.True
        || (m.Result.Kind == JsonKind.Object && m.Raw(m.Result.Key(JsonKey.Status)).SequenceEqual("OK"u8));

    private static bool IsBoolValue(this JsonContainer c) => c.Value.IsBool;

    private static bool IsCnJob(in JsonRpcMessage m, in JsonContainer job) =>
        job.Kind == JsonKind.Object && IsHex(m, job.Key(JsonKey.Blob), 76) && IsText(job.Key(JsonKey.JobId)) && IsHex(m, job.Key(JsonKey.Target), 8);

    private static bool IsArray(in JsonContainer c, int min, int max) => c.Kind == JsonKind.Array && c.Count >= min && c.Count <= max;

    private static bool IsText(in JsonValueInfo v) => v.Kind is JsonKind.String or JsonKind.Number;

    private static bool AllScalarText(in JsonRpcMessage m, in JsonContainer c, int max)
    {
        for (var i = 0; i < c.Count && i < max; i++)
        {
            if (c.Element(i).Kind is not (JsonKind.String or JsonKind.Null or JsonKind.Number))
            {
                return false;
            }
        }
        return true;
    }

    private static int CountHex(in JsonRpcMessage m, in JsonContainer c, int minDigits)
    {
        var count = 0;
        for (var i = 0; i < c.Count && i < JsonElements.Length; i++)
        {
            if (IsHex(m, c.Element(i), minDigits))
            {
                count++;
            }
        }
        return count;
    }

    /// <summary>A string of at least <paramref name="minDigits"/> hex digits, with or without <c>0x</c>.</summary>
    public static bool IsHex(in JsonRpcMessage m, in JsonValueInfo v, int minDigits)
    {
        if (v.Kind != JsonKind.String || v.Escaped)
        {
            return false;
        }
        var text = m.Raw(v);
        if (text.Length >= 2 && text[0] == (byte)'0' && (text[1] | 0x20) == (byte)'x')
        {
            text = text[2..];
        }
        if (text.Length < minDigits)
        {
            return false;
        }
        foreach (var b in text)
        {
            if (!char.IsAsciiHexDigit((char)b))
            {
                return false;
            }
        }
        return true;
    }
}
