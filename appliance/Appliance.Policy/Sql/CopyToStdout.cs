namespace Appliance.Policy.Sql;

internal enum CopyFormat : byte
{
    Text,
    Csv,
    Binary,
}

/// <summary>
/// A <c>COPY … TO STDOUT</c> the gateway can follow: a query with the same result columns (to
/// describe upstream without running anything) and how PostgreSQL writes each row of it
/// (the manual's COPY page, "File Formats"; copyto.c <c>CopyAttributeOutText</c> and <c>CopyAttributeOutCSV</c>).
/// </summary>
internal sealed record CopyToStdout
{
    /// <summary><c>SELECT cols FROM table</c> for the table form, the inner query for <c>COPY (query)</c>.</summary>
    public required string ProbeQuery { get; init; }

    public CopyFormat Format { get; init; }

    public byte Delimiter { get; init; }

    /// <summary>CSV only.</summary>
    public byte Quote { get; init; }

    /// <summary>CSV only: the character written before a quote or escape character inside a quoted value.</summary>
    public byte Escape { get; init; }

    /// <summary>What a NULL is written as (UTF-8), unescaped and, in CSV, unquoted.</summary>
    public required byte[] Null { get; init; }

    /// <summary>The first row holds the column names.</summary>
    public bool Header { get; init; }

    public bool IsCsv => Format == CopyFormat.Csv;
}
