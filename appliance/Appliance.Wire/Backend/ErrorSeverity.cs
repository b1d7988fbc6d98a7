namespace Appliance.Wire.Backend;

/// <summary>Severities of ErrorResponse (Error, Fatal, Panic) and NoticeResponse (the others).</summary>
internal enum ErrorSeverity
{
    Error,

    /// <summary>The session ends after this error (authentication failures, admin shutdown).</summary>
    Fatal,
    Panic,
    Warning,
    Notice,
    Debug,
    Info,
    Log,
}

internal static class ErrorSeverityExtensions
{
    /// <summary>The non-localized text sent in both the S and V fields.</summary>
    public static string ToWireText(this ErrorSeverity severity) => severity switch
    {
        ErrorSeverity.Error => "ERROR",
        ErrorSeverity.Fatal => "FATAL",
        ErrorSeverity.Panic => "PANIC",
        ErrorSeverity.Warning => "WARNING",
        ErrorSeverity.Notice => "NOTICE",
        ErrorSeverity.Debug => "DEBUG",
        ErrorSeverity.Info => "INFO",
        ErrorSeverity.Log => "LOG",
        _ => throw new ArgumentOutOfRangeException(nameof(severity), severity, null),
    };
}
