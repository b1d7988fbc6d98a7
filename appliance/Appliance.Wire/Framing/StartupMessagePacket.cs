namespace Appliance.Wire.Framing;

/// <summary>
/// A StartupMessage: the requested protocol version (3.x; answer NegotiateProtocolVersion if
/// the minor is above what the gateway speaks) and its parameters in order.
/// </summary>
internal sealed record StartupMessagePacket(ProtocolVersion Version, IReadOnlyList<KeyValuePair<string, string>> Parameters)
    : StartupPacket
{
    /// <summary>Protocol options are parameters with this prefix; unknown ones go back in NegotiateProtocolVersion.</summary>
    public const string ProtocolOptionPrefix = "_pq_.";

    public string? User => GetParameter("user");

    /// <summary>As sent; the server defaults it to the user name when absent.</summary>
    public string? Database => GetParameter("database");

    /// <summary>The last value given for <paramref name="name"/>: the server applies parameters in order, so the last one wins.</summary>
    public string? GetParameter(string name)
    {
        string? value = null;
        foreach (var parameter in Parameters)
        {
            if (parameter.Key == name)
            {
                value = parameter.Value;
            }
        }

        return value;
    }

    public IEnumerable<string> ProtocolOptions =>
        Parameters.Where(p => p.Key.StartsWith(ProtocolOptionPrefix, StringComparison.Ordinal)).Select(p => p.Key);
}
