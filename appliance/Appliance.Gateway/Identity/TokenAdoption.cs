using Appliance.Gateway.Events;
using Appliance.Gateway.Store;

namespace Appliance.Gateway.Identity;

/// <summary>
/// Tokens made before this version have no (or a thin) <c>token.created</c> event, grant
/// credentials none at all. When this version first runs on such a store (the migration that
/// came with it is applied now, to a store that existed), the tokens it holds are written to the
/// chain in one <c>tokens.adopted</c> event; from then on the verifier expects every token row to
/// be one the chain recorded. Only then: a row inserted later is never adopted.
/// </summary>
internal sealed partial class TokenAdoption(MigrationRunner migrations, StoreDatabase database, EventLog events, TimeProvider time, ILogger<TokenAdoption> logger)
    : IHostedService
{
    /// <summary>The migration that came with the token chain (0002_token_chain.sql).</summary>
    public const int Migration = 2;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (migrations.CreatedNow || !migrations.AppliedNow.Contains(Migration))
        {
            return;
        }

        IReadOnlyList<StoredToken> tokens;
        await using (var connection = await database.OpenAsync(cancellationToken))
        {
            tokens = await TokenStore.AllAsync(connection, null);
        }

        var records = tokens.Select(t => TokenChainRecord.From(t.Info, t.Hash)).ToList();
        await events.AppendAsync(
            [new NewEvent(EventTypes.TokensAdopted, time.GetUtcNow(), StoreJson.Serialize(new { tokens = records }), "system")], cancellationToken);
        Log.Adopted(logger, records.Count);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static partial class Log
    {
        [LoggerMessage(3101, LogLevel.Information, "Recorded the {Count} tokens of this store in the audit chain (tokens.adopted): from now on every token must be one the chain recorded")]
        public static partial void Adopted(ILogger logger, int count);
    }
}
