using PoolDetector.Core.Protocols.JsonRpc;

namespace PoolDetector.Core.Protocols.Stratum;

/// <summary>Parameter checks, in the order of <see cref="MessageShapes.ParamsShapeNames"/>.</summary>
public enum ParamsShape
{
    Subscribe,
    Authorize,
    Submit,
    Notify,
    Difficulty,
    Target,
    Extranonce,
    VersionMask,
    Configure,
    Reconnect,
    Suggest,
    Hello,
    Es2Set,
    CnLogin,
    CnJob,
    CnSubmit,
    CnKeepalive,
    CnGetjob,
    EthLogin,
    EthGetwork,
    EthSubmitwork,
    EthHashrate,
    Getwork,
    Getblocktemplate,
    Submitblock,
    Any,
}

/// <summary>Reply checks, in the order of <see cref="MessageShapes.ReplyShapeNames"/>.</summary>
public enum ReplyShape
{
    SubscribeReply,
    AuthorizeReply,
    ShareReply,
    CnLoginReply,
    CnShareReply,
    CnJobReply,
    EthWorkReply,
    EthBoolReply,
    GetworkReply,
    GetblocktemplateReply,
    AnyResult,
}

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
        "configure", "reconnect", "suggest", "hello", "es2-set", "cn-login", "cn-job", "cn-submit", "cn-keepalive",
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

    /// <summary>Does the request or notification carry the parameters of shape <paramref name="shape"/>?</summary>
    public static bool MatchesParams(ParamsShape shape, in JsonRpcMessage m)
    {
        var p = m.Params;
        return shape switch
        {
            // [agent?, session?, host?, port?]: cgminer sends [], NiceHash ["agent", "EthereumStratum/1.0.0"].
            ParamsShape.Subscribe => IsArray(p, 0, 4) && AllScalarText(m, p, 4),
            // [worker, password?]
            ParamsShape.Authorize => IsArray(p, 1, 3) && p.Element(0).Kind == JsonKind.String,
            // [worker, job_id, extranonce2, ntime, nonce(, version)] and the 3/5-item Ethereum and ZCash forms.
            ParamsShape.Submit => IsArray(p, 3, 8) && p.Element(0).Kind == JsonKind.String && IsText(p.Element(1)) && IsText(p.Element(2)),
            // [job_id, ...hashes..., clean_jobs]: Bitcoin 9 items, ZCash 8, EthereumStratum 4.
            ParamsShape.Notify => IsArray(p, 3, 16) && IsText(p.Element(0))
                && (p.Element(Math.Min(p.Count, JsonElements.Length) - 1).IsBool || CountHex(m, p, 8) >= 2),
            ParamsShape.Difficulty => IsArray(p, 1, 1) && p.Element(0).Kind == JsonKind.Number,
            ParamsShape.Suggest => IsArray(p, 1, 1) && p.Element(0).Kind is JsonKind.Number or JsonKind.String,
            ParamsShape.Target => IsArray(p, 1, 2) && IsHex(m, p.Element(0), 8),
            ParamsShape.Extranonce => IsArray(p, 1, 2) && IsHex(m, p.Element(0), 0),
            ParamsShape.VersionMask => IsArray(p, 1, 1) && IsHex(m, p.Element(0), 1),
            ParamsShape.Configure => IsArray(p, 2, 2) && p.Element(0).Kind == JsonKind.Array && p.Element(1).Kind == JsonKind.Object,
            ParamsShape.Reconnect => IsArray(p, 0, 3) && (p.Count == 0 || p.Element(0).Kind == JsonKind.String),
            ParamsShape.Hello => p.Kind == JsonKind.Object && (p.Key(JsonKey.Proto).Kind == JsonKind.String || p.Key(JsonKey.Agent).Kind == JsonKind.String),
            // XMRig: {"login", "pass", "agent", "algo": [...], "rigid"}; xmr-stak and browsers send fewer.
            // EthereumStratum/2.0.0 session parameters: {"epoch", "target", "algo", "extranonce"}.
            ParamsShape.Es2Set => p.Kind == JsonKind.Object && (IsHex(m, p.Key(JsonKey.Target), 8) || p.Key(JsonKey.Algo).Kind == JsonKind.String),
            ParamsShape.CnLogin => p.Kind == JsonKind.Object && p.Key(JsonKey.Login).Kind == JsonKind.String
                && (p.Has(JsonKey.Pass) || p.Has(JsonKey.Agent)),
            ParamsShape.CnJob => p.Kind == JsonKind.Object && IsCnJob(m, p),
            // {"id": session, "job_id", "nonce": 8 hex, "result": 64 hex}
            ParamsShape.CnSubmit => p.Kind == JsonKind.Object && p.Has(JsonKey.JobId)
                && IsHex(m, p.Key(JsonKey.Nonce), 8) && IsHex(m, p.Key(JsonKey.Result), 64),
            ParamsShape.CnKeepalive or ParamsShape.CnGetjob => p.Kind == JsonKind.Object && p.Key(JsonKey.Id).Kind == JsonKind.String,
            // [wallet(.worker), password?]
            ParamsShape.EthLogin => IsArray(p, 1, 2) && p.Element(0).Kind == JsonKind.String,
            ParamsShape.EthGetwork => p.Kind == JsonKind.None || IsArray(p, 0, 0),
            // [nonce 0x+16 hex, header hash, mix digest]
            ParamsShape.EthSubmitwork => IsArray(p, 3, 3) && IsHex(m, p.Element(0), 16) && IsHex(m, p.Element(1), 64) && IsHex(m, p.Element(2), 64),
            // [hashrate, client id]
            ParamsShape.EthHashrate => IsArray(p, 2, 2) && IsHex(m, p.Element(0), 1) && IsHex(m, p.Element(1), 1),
            // [] to ask for work, [data] to submit it
            ParamsShape.Getwork => p.Kind == JsonKind.None || IsArray(p, 0, 0) || (IsArray(p, 1, 1) && IsHex(m, p.Element(0), 128)),
            ParamsShape.Getblocktemplate => p.Kind == JsonKind.None || IsArray(p, 0, 0) || (IsArray(p, 1, 1) && p.Element(0).Kind == JsonKind.Object),
            ParamsShape.Submitblock => IsArray(p, 1, 2) && IsHex(m, p.Element(0), 160),
            ParamsShape.Any => true,
            _ => false,
        };
    }

    /// <summary>Does the response carry the result of shape <paramref name="shape"/>?</summary>
    public static bool MatchesReply(ReplyShape shape, in JsonRpcMessage m)
    {
        var r = m.Result;
        return shape switch
        {
            // [[["mining.set_difficulty", id], ["mining.notify", id]], extranonce1, extranonce2_size]
            // or NiceHash's [["mining.notify", id, "EthereumStratum/1.0.0"], extranonce].
            ReplyShape.SubscribeReply => IsArray(r, 2, 3) && r.Element(0).Kind == JsonKind.Array && r.Element(1).Kind == JsonKind.String
                && (m.Markers & (JsonMarkers.MiningNotify | JsonMarkers.MiningSetDifficulty | JsonMarkers.EthereumStratum1)) != 0,
            ReplyShape.AuthorizeReply or ReplyShape.ShareReply or ReplyShape.EthBoolReply => r.IsBoolValue(),
            ReplyShape.CnLoginReply => r.Kind == JsonKind.Object && (IsCnJob(m, m.ResultJob) || (r.Key(JsonKey.Status).Kind == JsonKind.String && r.Key(JsonKey.Id).Kind == JsonKind.String && r.Has(JsonKey.Job))),
            ReplyShape.CnJobReply => r.Kind == JsonKind.Object && IsCnJob(m, r),
            ReplyShape.CnShareReply => r.Kind == JsonKind.Object && r.Key(JsonKey.Status).Kind == JsonKind.String,
            // [header hash, seed hash, boundary(, block number)]
            ReplyShape.EthWorkReply => IsArray(r, 3, 4) && IsHex(m, r.Element(0), 64) && IsHex(m, r.Element(1), 64) && IsHex(m, r.Element(2), 16),
            ReplyShape.GetworkReply => r.Kind == JsonKind.Object && IsHex(m, r.Key(JsonKey.Data), 128) && IsHex(m, r.Key(JsonKey.Target), 8),
            ReplyShape.GetblocktemplateReply => r.Kind == JsonKind.Object && IsHex(m, r.Key(JsonKey.PreviousBlockHash), 64)
                && (r.Has(JsonKey.CoinbaseValue) || r.Has(JsonKey.Transactions) || r.Has(JsonKey.Bits)),
            ReplyShape.AnyResult => r.Kind is not (JsonKind.None or JsonKind.Null),
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
