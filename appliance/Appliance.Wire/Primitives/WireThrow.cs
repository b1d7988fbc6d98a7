using System.Diagnostics.CodeAnalysis;

namespace Appliance.Wire.Primitives;

/// <summary>
/// Cold throw paths kept out of the parsers so the hot code stays small and inlinable
/// (the pattern of garnet's RespParsingException.Throw* helpers).
/// </summary>
internal static class WireThrow
{
    [DoesNotReturn]
    public static void Protocol(string message) => throw new PgProtocolException(message);

    [DoesNotReturn]
    public static void Malformed(string messageName, string reason) =>
        throw new PgProtocolException($"Invalid {messageName} message: {reason}.");

    [DoesNotReturn]
    public static T Malformed<T>(string messageName, string reason) =>
        throw new PgProtocolException($"Invalid {messageName} message: {reason}.");

    [DoesNotReturn]
    public static void InvalidLength(int length) =>
        throw new PgProtocolException($"Invalid message length {length}: the length word counts itself, so it is at least 4.");

    [DoesNotReturn]
    public static void TooLongToWrite(long length) =>
        throw new ArgumentOutOfRangeException(nameof(length), length, "The message would exceed the protocol's 1 GB limit.");
}
