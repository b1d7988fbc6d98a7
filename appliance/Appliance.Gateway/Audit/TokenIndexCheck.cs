using System.Data.Common;
using System.Text.Json;
using Appliance.Gateway.Events;
using Appliance.Gateway.Identity;
using Appliance.Gateway.Store;

namespace Appliance.Gateway.Audit;

/// <summary>
/// The <c>tokens</c> table is what logins read: a row written there outside the gateway logged in
/// while the chain verified (probe ED2). Every token is recorded in the chain when it is made
/// (<c>token.created</c>, with its hash) or was adopted when this version first ran on the store
/// (<c>tokens.adopted</c>); its revocation too. While the verifier walks the chain this keeps
/// those records, then compares the rows: a token the chain never recorded, or one whose owner,
/// kind, grant, hash or expiry differs, or one revoked in the chain but live in the table, is
/// reported. Tokens made before this version are known only through their adoption.
/// </summary>
internal sealed class TokenIndexCheck
{
    private readonly Dictionary<string, (long Seq, TokenChainRecord Record)> _recorded = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _revoked = new(StringComparer.Ordinal);

    public void Add(StoredEvent e)
    {
        switch (e.Type)
        {
            case EventTypes.TokenCreated:
                // Before this version the event held no hash: such a token is known through its adoption.
                if (JsonSerializer.Deserialize<TokenChainRecord>(e.Data, StoreJson.Options) is { Hash: not null and not "" } created)
                {
                    _recorded[created.TokenId] = (e.Seq, created);
                }

                break;
            case EventTypes.TokensAdopted:
                using (var adopted = JsonDocument.Parse(e.Data))
                {
                    foreach (var token in adopted.RootElement.GetProperty("tokens").EnumerateArray())
                    {
                        var record = token.Deserialize<TokenChainRecord>(StoreJson.Options)!;
                        _recorded[record.TokenId] = (e.Seq, record);
                        if (record.RevokedAt is not null)
                        {
                            _revoked[record.TokenId] = e.Seq;
                        }
                    }
                }

                break;
            case EventTypes.TokenRevoked:
                using (var revoked = JsonDocument.Parse(e.Data))
                {
                    _revoked[revoked.RootElement.GetProperty("tokenId").GetString()!] = e.Seq;
                }

                break;
        }
    }

    /// <summary>The first token row that is not what the chain recorded, or null.</summary>
    public async Task<(long? Seq, string Problem)?> CompareAsync(DbConnection connection, DbTransaction transaction)
    {
        foreach (var (info, hash) in await TokenStore.AllAsync(connection, transaction))
        {
            var kind = info.Kind.ToString().ToLowerInvariant();
            if (!_recorded.TryGetValue(info.Id, out var chained))
            {
                return (null, $"token {info.Id} ({kind}, of {info.UserEmail}) is in the tokens table but the chain never recorded it");
            }

            var (seq, record) = chained;
            var differs = new List<string>();
            AddIf(differs, !string.Equals(record.User, info.UserEmail, StringComparison.OrdinalIgnoreCase), "user");
            AddIf(differs, record.Kind != kind, "kind");
            AddIf(differs, record.GrantId != info.GrantId, "grant");
            AddIf(differs, !string.Equals(record.Hash, hash, StringComparison.OrdinalIgnoreCase), "hash");
            AddIf(differs, record.ExpiresAt?.ToUnixTimeMilliseconds() != info.ExpiresAt?.ToUnixTimeMilliseconds(), "expiry");
            if (differs.Count > 0)
            {
                return (seq, $"token {info.Id}'s row is not what the chain recorded (event {seq}): {string.Join(", ", differs)} differ");
            }

            if (info.RevokedAt is null && _revoked.TryGetValue(info.Id, out var revokedIn))
            {
                return (revokedIn, $"token {info.Id} was revoked (event {revokedIn}) but its row is live again");
            }
        }

        return null;
    }

    private static void AddIf(List<string> list, bool condition, string name)
    {
        if (condition)
        {
            list.Add(name);
        }
    }
}
