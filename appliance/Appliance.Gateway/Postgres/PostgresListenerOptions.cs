using System.ComponentModel.DataAnnotations;
using System.Globalization;
using Appliance.Gateway.Hosting;
using Appliance.Wire;

namespace Appliance.Gateway.Postgres;

/// <summary>
/// How the PostgreSQL listener runs. The port and data directory come from the gateway's own
/// settings (<c>APPLIANCE_PG_PORT</c>, <c>APPLIANCE_DATA_DIR</c>); the rest has defaults that
/// match PostgreSQL's (authentication_timeout = 1 min) and rarely needs changing.
/// </summary>
internal sealed class PostgresListenerOptions : IValidatableObject
{
    public int Port { get; set; } = 15432;

    public string DataDir { get; set; } = "data";

    /// <summary>From the first byte to a ready session (TLS, password, upstream login).</summary>
    public TimeSpan StartupTimeout { get; set; } = TimeSpan.FromMinutes(1);

    public TimeSpan UpstreamConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Connections that may be in their handshake at once (each holds a thread until it logs in or times out).</summary>
    public int MaxPendingHandshakes { get; set; } = 256;

    /// <summary>A quarter of <see cref="MaxPendingHandshakes"/> from one client address: one host cannot take them all.</summary>
    public int MaxPendingHandshakesPerAddress => Math.Max(1, MaxPendingHandshakes / 4);

    /// <summary>The largest message buffered in either direction (a row, a query text).</summary>
    public int MaxMessageLength { get; set; } = PgLimits.DefaultMaxMessageLength;

    /// <summary>
    /// Event loops for plaintext sessions (0: every session on its own threads). One per two
    /// processors by default (at least one): each serves many sessions per wake-up, as pgbouncer
    /// does, and the gateway shares the machine with its clients and often the database, so a
    /// loop per processor only meant fewer sessions per wake-up and more wake-ups (on 2 cores one
    /// loop cost 15% less CPU per transaction than two: docs/benchmarks.md).
    /// </summary>
    public int EventLoops { get; set; } = Math.Max(1, Environment.ProcessorCount / 2);

    /// <summary>Stack of each relay thread: the relay recurses nowhere deep, so far below the 1.5 MB default.</summary>
    public int ThreadStackSize { get; set; } = 256 * 1024;

    private readonly List<string> _unreadable = [];

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var unreadable in _unreadable)
        {
            yield return new(unreadable);
        }

        if (StartupTimeout <= TimeSpan.Zero)
        {
            yield return new("APPLIANCE_PG_STARTUP_TIMEOUT must be positive.");
        }

        if (MaxPendingHandshakes is < 1 or > 100_000)
        {
            yield return new("APPLIANCE_PG_MAX_HANDSHAKES must be between 1 and 100000.");
        }

        if (EventLoops is < 0 or > 64)
        {
            yield return new("APPLIANCE_PG_EVENT_LOOP must be between 0 (threads only) and 64.");
        }

        if (MaxMessageLength is < 64 * 1024 or > PgLimits.MaxProtocolMessageLength)
        {
            yield return new($"APPLIANCE_PG_MAX_MESSAGE must be between 65536 and {PgLimits.MaxProtocolMessageLength} bytes.");
        }
    }

    public static void Bind(IConfiguration configuration, PostgresListenerOptions options)
    {
        var gateway = new GatewayOptions();
        GatewayOptions.Bind(configuration, gateway);
        options.Port = gateway.PgPort;
        options.DataDir = gateway.DataDir;
        if (Setting(configuration, "APPLIANCE_PG_STARTUP_TIMEOUT") is { } startupText)
        {
            if (TimeSpan.TryParse(startupText, CultureInfo.InvariantCulture, out var startup))
            {
                options.StartupTimeout = startup;
            }
            else
            {
                options._unreadable.Add($"APPLIANCE_PG_STARTUP_TIMEOUT={startupText} is not a time span: write it as hh:mm:ss, e.g. 00:00:30.");
            }
        }

        ReadInt(configuration, "APPLIANCE_PG_MAX_HANDSHAKES", options, v => options.MaxPendingHandshakes = v);
        ReadInt(configuration, "APPLIANCE_PG_EVENT_LOOP", options, v => options.EventLoops = v);
        ReadInt(configuration, "APPLIANCE_PG_MAX_MESSAGE", options, v => options.MaxMessageLength = v);
    }

    /// <summary>A value given but unreadable stops the start, as an out-of-range one does (probe BB: <c>5s</c> kept the default silently).</summary>
    private static void ReadInt(IConfiguration configuration, string name, PostgresListenerOptions options, Action<int> set)
    {
        if (Setting(configuration, name) is not { } text)
        {
            return;
        }

        if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
        {
            set(value);
        }
        else
        {
            options._unreadable.Add($"{name}={text} is not a whole number.");
        }
    }

    private static string? Setting(IConfiguration configuration, string name) =>
        configuration[name] is { } text && !string.IsNullOrWhiteSpace(text) ? text.Trim() : null;
}
