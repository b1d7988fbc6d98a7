namespace Appliance.Wire.Backend;

/// <summary>Field codes of ErrorResponse and NoticeResponse (protocol-error-fields).</summary>
internal static class ErrorField
{
    /// <summary>Localized severity (ERROR, FATAL, ...).</summary>
    public const byte Severity = (byte)'S';

    /// <summary>Severity never localized (9.6+); prefer it for decisions.</summary>
    public const byte SeverityNonLocalized = (byte)'V';
    public const byte SqlState = (byte)'C';
    public const byte Message = (byte)'M';
    public const byte Detail = (byte)'D';
    public const byte Hint = (byte)'H';
    public const byte Position = (byte)'P';
    public const byte InternalPosition = (byte)'p';
    public const byte InternalQuery = (byte)'q';
    public const byte Where = (byte)'W';
    public const byte SchemaName = (byte)'s';
    public const byte TableName = (byte)'t';
    public const byte ColumnName = (byte)'c';
    public const byte DataTypeName = (byte)'d';
    public const byte ConstraintName = (byte)'n';
    public const byte File = (byte)'F';
    public const byte Line = (byte)'L';
    public const byte Routine = (byte)'R';
}
