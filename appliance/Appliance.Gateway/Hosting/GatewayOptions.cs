using System.ComponentModel.DataAnnotations;

namespace Appliance.Gateway.Hosting;

/// <summary>
/// The gateway's process settings, read from the environment (the names of product.md §8) or any
/// other configuration source. Validated at start: a bad value stops the host with every problem listed.
/// </summary>
internal sealed class GatewayOptions : IValidatableObject
{
    /// <summary>PostgreSQL connection string of the store; empty = embedded SQLite.</summary>
    public string? Store { get; set; }
    public string DataDir { get; set; } = "data";
    public string? AdminToken { get; set; }
    public string? ChatopsToken { get; set; }
    /// <summary>Chatops' base URL; events are delivered to <c>{ChatopsUrl}/gateway/events</c>.</summary>
    public string? ChatopsUrl { get; set; }
    public int HttpPort { get; set; } = 8080;
    public int PgPort { get; set; } = 15432;

    /// <summary>
    /// The port clients reach the listener on, when it is not the one it binds (a container's
    /// published port): grant credentials name it. The policy's <c>gateway.publicPort</c> wins.
    /// </summary>
    public int? PgPublicPort { get; set; }
    public string? SeqUrl { get; set; }
    /// <summary>How often to look for grant changes made by other gateway processes.</summary>
    public TimeSpan ClusterPollInterval { get; set; } = TimeSpan.FromSeconds(1);

    public bool UsesPostgres => !string.IsNullOrWhiteSpace(Store);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (AdminToken is { Length: > 0 and < 16 })
        {
            yield return new("APPLIANCE_ADMIN_TOKEN must be at least 16 characters long.");
        }

        if (ChatopsToken is { Length: > 0 and < 16 })
        {
            yield return new("APPLIANCE_CHATOPS_TOKEN must be at least 16 characters long.");
        }

        if (!string.IsNullOrEmpty(ChatopsUrl))
        {
            if (!Uri.TryCreate(ChatopsUrl, UriKind.Absolute, out var u) || (u.Scheme != "http" && u.Scheme != "https"))
            {
                yield return new("APPLIANCE_CHATOPS_URL must be an absolute http(s) URL.");
            }

            if (string.IsNullOrEmpty(ChatopsToken))
            {
                yield return new("APPLIANCE_CHATOPS_URL is set but APPLIANCE_CHATOPS_TOKEN is not: events to chatops are signed with it.");
            }
        }

        if (UsesPostgres && !IsConnectionString(Store!))
        {
            // Not the value: it may hold the store's password.
            yield return new("APPLIANCE_STORE is not a PostgreSQL connection string: write it as Host=…;Port=5432;Database=…;Username=…;Password=… (or leave it empty for the embedded store).");
        }

        if (!string.IsNullOrEmpty(SeqUrl) && !Uri.TryCreate(SeqUrl, UriKind.Absolute, out _))
        {
            yield return new("SEQ_URL must be an absolute URL.");
        }

        if (HttpPort is < 0 or > 65535)
        {
            yield return new("APPLIANCE_HTTP_PORT must be between 0 and 65535.");
        }

        if (PgPort is < 0 or > 65535)
        {
            yield return new("APPLIANCE_PG_PORT must be between 0 and 65535.");
        }

        if (PgPublicPort is < 1 or > 65535)
        {
            yield return new("APPLIANCE_PG_PUBLIC_PORT must be between 1 and 65535.");
        }

        if (ClusterPollInterval <= TimeSpan.Zero)
        {
            yield return new("APPLIANCE_CLUSTER_POLL must be a positive time span (hh:mm:ss, e.g. 00:00:01).");
        }
    }

    private static bool IsConnectionString(string store)
    {
        try
        {
            return !string.IsNullOrWhiteSpace(new Npgsql.NpgsqlConnectionStringBuilder(store).Host);
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>
    /// Validates now, before anything is built on the values (Kestrel's endpoints throw on a port
    /// out of range before options validation would run): every problem in one line, no stack trace.
    /// </summary>
    public static void ThrowIfInvalid<T>(T options)
        where T : class, IValidatableObject
    {
        var problems = options.Validate(new ValidationContext(options)).Select(r => r.ErrorMessage ?? "").ToList();
        if (problems.Count > 0)
        {
            throw new Microsoft.Extensions.Options.OptionsValidationException(typeof(T).Name, typeof(T), problems);
        }
    }

    /// <summary>Binds from the flat environment names.</summary>
    public static void Bind(IConfiguration configuration, GatewayOptions options)
    {
        options.Store = configuration["APPLIANCE_STORE"];
        options.DataDir = configuration["APPLIANCE_DATA_DIR"] is { Length: > 0 } dir ? dir : "data";
        options.AdminToken = configuration["APPLIANCE_ADMIN_TOKEN"];
        options.ChatopsToken = configuration["APPLIANCE_CHATOPS_TOKEN"];
        options.ChatopsUrl = configuration["APPLIANCE_CHATOPS_URL"];
        options.SeqUrl = configuration["SEQ_URL"];
        options.HttpPort = ParsePort(configuration["APPLIANCE_HTTP_PORT"], 8080);
        options.PgPort = ParsePort(configuration["APPLIANCE_PG_PORT"], 15432);
        options.PgPublicPort = string.IsNullOrWhiteSpace(configuration["APPLIANCE_PG_PUBLIC_PORT"]) ? null : ParsePort(configuration["APPLIANCE_PG_PUBLIC_PORT"], 0);
        if (!string.IsNullOrWhiteSpace(configuration["APPLIANCE_CLUSTER_POLL"]))
        {
            // Unreadable is invalid, not the default (probe CA).
            options.ClusterPollInterval = TimeSpan.TryParse(configuration["APPLIANCE_CLUSTER_POLL"], System.Globalization.CultureInfo.InvariantCulture, out var poll)
                ? poll : TimeSpan.Zero;
        }
    }

    private static int ParsePort(string? text, int fallback) =>
        string.IsNullOrWhiteSpace(text) ? fallback
        : int.TryParse(text, out var port) ? port
        : -1;
}
