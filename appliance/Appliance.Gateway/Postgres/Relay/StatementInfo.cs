namespace Appliance.Gateway.Postgres.Relay;

/// <summary>A prepared statement as the client thread knows it: the text it was parsed from.</summary>
internal sealed class StatementInfo(byte[] text)
{
    /// <summary>A Bind or Execute of a statement the gateway never saw parsed (the upstream will refuse it).</summary>
    public static readonly StatementInfo Unknown = new([]);

    public byte[] Text { get; } = text;

    /// <summary>The masked text for the audit log, computed once per statement.</summary>
    public string? MaskedSql { get; set; }
}
