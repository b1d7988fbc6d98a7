using System.Globalization;

namespace Appliance.Policy.Configuration;

/// <summary>
/// One problem found in the policy file, located as precisely as the YAML allows, in the shape
/// compilers use so editors and CI logs link to it:
/// <c>config/appliance.yaml:14:20: connections[db-prod].access.approvers[0]: unknown group 'dbas'</c>.
/// Messages never contain a value that came from the environment: they show <c>${NAME}</c>.
/// </summary>
/// <param name="Source">The file name (or whatever the caller named the text).</param>
/// <param name="Line">1-based line, when known.</param>
/// <param name="Column">1-based column, when known.</param>
/// <param name="Path">Where in the policy: <c>connections[db-prod].access.minApprovals</c>; empty for the whole file.</param>
public sealed record ConfigError(
    string Source, int? Line, int? Column, string Path, ConfigErrorKind Kind, string Message)
{
    public override string ToString()
    {
        var location = Line is { } line
            ? string.Create(CultureInfo.InvariantCulture, $"{Source}:{line}:{Column ?? 1}")
            : Source;
        return Path.Length == 0 ? $"{location}: {Message}" : $"{location}: {Path}: {Message}";
    }
}

public enum ConfigErrorKind
{
    /// <summary>The text is not valid YAML.</summary>
    Syntax,
    /// <summary>The file holds no policy at all.</summary>
    Empty,
    /// <summary>A key the format does not have (often a typo).</summary>
    UnknownKey,
    MissingValue,
    /// <summary>A list where a single value belongs, a value where a mapping belongs, …</summary>
    WrongType,
    InvalidValue,
    InvalidDuration,
    InvalidRegex,
    /// <summary>A value outside a fixed set (action, reason, tls, audit, detectors, roles, …).</summary>
    UnknownOption,
    Duplicate,
    UnknownGroup,
    UnknownGuardrail,
    UnknownMasking,
    /// <summary><c>minApprovals</c> larger than the people who could approve.</summary>
    NotEnoughApprovers,
    /// <summary>A <c>${NAME}</c> whose variable is not set and has no default.</summary>
    MissingVariable,
    /// <summary>A <c>${</c> that is not a well-formed reference.</summary>
    MalformedVariable,
}
