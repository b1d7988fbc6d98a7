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

    /// <summary>
    /// The NULL string reads two ways: a plain string holding a backslash (psycopg2's copy_to sends
    /// <c>NULL AS '\N'</c>) is <c>\N</c> with standard_conforming_strings on and <c>N</c> with it off, and
    /// the gateway does not track the setting. No field is then taken for NULL, so a masked column's
    /// NULLs are masked as its values are; <see cref="Null"/> (the reading with the setting on, PostgreSQL's
    /// default) is what a number masked whole is written as.
    /// </summary>
    public bool NullReadsTwoWays { get; init; }

    /// <summary>Whether an unquoted field is the COPY's NULL.</summary>
    public bool IsNull(ReadOnlySpan<byte> field) => !NullReadsTwoWays && field.SequenceEqual(Null);

    /// <summary>The first row holds the column names.</summary>
    public bool Header { get; init; }

    public bool IsCsv => Format == CopyFormat.Csv;
}
