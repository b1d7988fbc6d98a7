using Appliance.Gateway.Events;
using Appliance.Gateway.Store;

namespace Appliance.Gateway.Identity;

/// <summary>
/// Tokens made before this version have no (or a thin) <c>token.created</c> event, grant
/// credentials none at all. When this version's migration is applied to a store that existed, the
/// tokens it holds are written to the chain in one <c>tokens.adopted</c> event, in the migration's
/// own transaction; from then on the verifier expects every token row to be one the chain
/// recorded. Only then: a row inserted later is never adopted.
/// </summary>
internal sealed partial class TokenAdoption(EventLog events, TimeProvider time, ILogger<TokenAdoption> logger) : IMigrationStep
{
    /// <summary>The migration that came with the token chain (0002_token_chain.sql).</summary>
    public int Version => 2;

    public async Task RunAsync(System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction transaction, bool createdNow)
    {
        if (createdNow)
        {
            return;
        }

        var records = (await TokenStore.AllAsync(connection, transaction)).Select(t => TokenChainRecord.From(t.Info, t.Hash)).ToList();
        await events.AppendAsync(connection, transaction,
            [new NewEvent(EventTypes.TokensAdopted, time.GetUtcNow(), StoreJson.Serialize(new { tokens = records }), "system")]);
        Log.Adopted(logger, records.Count);
    }

    private static partial class Log
    {
        [LoggerMessage(3101, LogLevel.Information, "Recorded the {Count} tokens of this store in the audit chain (tokens.adopted): from now on every token must be one the chain recorded")]
        public static partial void Adopted(ILogger logger, int count);
    }
}
