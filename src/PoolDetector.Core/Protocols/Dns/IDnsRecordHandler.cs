using PoolDetector.Core.Decoding;

namespace PoolDetector.Core.Protocols.Dns;

/// <summary>
/// What <see cref="DnsMessageParser"/> reports from an accepted message: every question, and the
/// A, AAAA and CNAME records of class IN in the answer section of a response. Names are lower-case
/// dotted text valid only for the duration of the call.
/// </summary>
public interface IDnsRecordHandler
{
    void OnQuestion(ReadOnlySpan<char> name, ushort type, ushort questionClass);

    void OnAddress(ReadOnlySpan<char> owner, IpAddress address, uint ttl);

    void OnCname(ReadOnlySpan<char> owner, ReadOnlySpan<char> target, uint ttl);
}
