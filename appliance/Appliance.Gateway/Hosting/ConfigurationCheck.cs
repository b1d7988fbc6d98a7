using Appliance.Gateway.Configuration;
using Appliance.Gateway.Store;

namespace Appliance.Gateway.Hosting;

/// <summary>
/// <c>Appliance.Gateway --check</c>: the settings, the policy and the store as a start would meet
/// them, without starting. scripts/install.sh restart runs it before it stops a running gateway
/// (probe DC: an edit that did not load became an outage at the next restart; DG: so did a store
/// password rotated wrongly). The store must exist and take a write; migrating it is the start's.
/// </summary>
internal static class ConfigurationCheck
{
    public const string Argument = "--check";

    public static async Task<string> RunAsync(string[] args)
    {
        // First, before building the host, which opens (and so makes) the embedded store.
        var options = new GatewayOptions();
        GatewayOptions.Bind(new ConfigurationBuilder().AddEnvironmentVariables().Build(), options);
        var file = StoreDatabase.SqlitePath(options.DataDir);
        if (!options.UsesPostgres && !File.Exists(file))
        {
            // Not made here: a start would make it, new and empty, and every token and grant seem gone (probe DK: a mistyped APPLIANCE_DATA_DIR).
            throw new StoreUnusableException(
                $"There is no store at {file}: a start would make a new, empty one. Check APPLIANCE_DATA_DIR (a first start makes it).", new FileNotFoundException(file));
        }

        await using var app = GatewayApp.Build(args);
        app.Services.GetRequiredService<Microsoft.Extensions.Options.IStartupValidator>().Validate();
        var policy = app.Services.GetRequiredService<PolicyProvider>().Current;

        var database = app.Services.GetRequiredService<StoreDatabase>();
        try
        {
            await database.PingAsync(CancellationToken.None);

            // A store that answers but refuses writes (a read-only user, a full disk) stops a start too (probe DK).
            await database.CheckWritableAsync(CancellationToken.None);
        }
        catch (Npgsql.PostgresException ex) when (ex.SqlState == Npgsql.PostgresErrorCodes.UndefinedTable)
        {
            // A database that answers and holds no schema yet: what a move to a new PostgreSQL
            // store looks like, not a permission problem (probe PA2: the message said to check permissions).
            throw new StoreUnusableException(
                $"The store {database.Description} answers but has no schema yet: a start would set it up, new and empty, with no tokens, grants or " +
                "records. If this is the store you mean to move to, start the gateway on it (scripts/install.sh stop, then scripts/install.sh); " +
                "otherwise check APPLIANCE_STORE.", ex);
        }
        catch (Exception ex) when (ex is System.Data.Common.DbException or IOException or UnauthorizedAccessException or InvalidOperationException or TimeoutException)
        {
            throw StoreUnusableException.For(database, ex);
        }

        return $"The settings and the policy load ({policy.Users.Count} users, {policy.Connections.Count} connections, " +
            $"{policy.Guardrails.Count} guardrails), and the store {database.Description} answers.";
    }
}
