using Appliance.Gateway.Access;
using Appliance.Gateway.Store;
using Dapper;

namespace Appliance.Gateway.Identity;

internal enum TokenKind
{
    Personal,
    Grant,
}

internal sealed record TokenInfo(
    string Id, TokenKind Kind, string UserEmail, string? Name, string? GrantId,
    DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt, DateTimeOffset? RevokedAt);

/// <summary>A token row and its hash.</summary>
internal sealed record StoredToken(TokenInfo Info, string Hash);

/// <summary>
/// What the chain records of a token when it is made (<c>token.created</c>) or adopted
/// (<c>tokens.adopted</c>): enough for the audit verifier to tell a row written outside the
/// gateway (probe ED2: a token row inserted into the store logged in, and the chain verified).
/// </summary>
internal sealed record TokenChainRecord(
    string TokenId, string User, string Kind, string? Name, string? GrantId, string Hash, DateTimeOffset? ExpiresAt, DateTimeOffset? RevokedAt = null)
{
    public static TokenChainRecord From(TokenInfo info, string hash) => new(
        info.Id, info.UserEmail, info.Kind.ToString().ToLowerInvariant(), info.Name, info.GrantId, hash, info.ExpiresAt, info.RevokedAt);
}

/// <summary>Personal access tokens and grant credentials: created once, stored hashed, revocable.</summary>
internal sealed class TokenStore(StoreDatabase database, TimeProvider time)
{
    /// <summary>
    /// Makes a token and records it in the chain (<c>token.created</c>), in one transaction: a
    /// gateway killed between the two left a row the chain never recorded, and verify failed on an
    /// honest store for good (probe EL2).
    /// </summary>
    public async Task<(TokenInfo Info, string Token)> CreateAsync(
        TokenKind kind, string email, string? name, string? grantId, DateTimeOffset? expiresAt, string actor, Events.EventLog events,
        CancellationToken cancellationToken)
    {
        var (info, token) = New(kind, email, name, grantId, expiresAt);
        await database.InTransactionAsync(
            async (connection, transaction) =>
            {
                await InsertAsync(connection, transaction, info, token);
                return await events.AppendAsync(connection, transaction,
                    [new Events.NewEvent(Events.EventTypes.TokenCreated, info.CreatedAt, StoreJson.Serialize(TokenChainRecord.From(info, TokenHasher.Hash(token))), actor)]);
            },
            cancellationToken);
        return (info, token);
    }

    /// <summary>The row alone: a token made without its <c>token.created</c> event fails the audit verification.</summary>
    public async Task<(TokenInfo Info, string Token)> InsertAsync(
        TokenKind kind, string email, string? name, string? grantId, DateTimeOffset? expiresAt, CancellationToken cancellationToken)
    {
        var (info, token) = New(kind, email, name, grantId, expiresAt);
        await using var connection = await database.OpenAsync(cancellationToken);
        await InsertAsync(connection, null, info, token);
        return (info, token);
    }

    private (TokenInfo Info, string Token) New(TokenKind kind, string email, string? name, string? grantId, DateTimeOffset? expiresAt) =>
        (new TokenInfo(Ids.NewTokenId(), kind, email, name, grantId, time.GetUtcNow(), expiresAt, null),
            TokenHasher.NewToken(kind == TokenKind.Personal ? TokenHasher.PersonalPrefix : TokenHasher.GrantPrefix));

    private static async Task InsertAsync(System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction? transaction, TokenInfo info, string token)
    {
        await connection.ExecuteAsync(
            "INSERT INTO tokens (id, kind, user_email, name, hash, grant_id, created_at, expires_at) " +
            "VALUES (@Id, @Kind, @UserEmail, @Name, @Hash, @GrantId, @CreatedAt, @ExpiresAt)",
            new
            {
                info.Id,
                Kind = info.Kind.ToString().ToLowerInvariant(),
                info.UserEmail,
                info.Name,
                Hash = TokenHasher.Hash(token),
                info.GrantId,
                CreatedAt = info.CreatedAt.ToUnixMs(),
                ExpiresAt = info.ExpiresAt.ToUnixMs(),
            },
            transaction);
    }

    /// <summary>The token's record when it exists, is not revoked and has not expired.</summary>
    public async Task<TokenInfo?> ValidateAsync(string token, CancellationToken cancellationToken)
    {
        if (!token.StartsWith(TokenHasher.PersonalPrefix, StringComparison.Ordinal)
            && !token.StartsWith(TokenHasher.GrantPrefix, StringComparison.Ordinal))
        {
            return null;
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<TokenRow>(
            "SELECT id, kind, user_email, name, grant_id, created_at, expires_at, revoked_at FROM tokens WHERE hash = @hash",
            new { hash = TokenHasher.Hash(token) });
        var info = row?.ToInfo();
        var now = time.GetUtcNow();
        return info is null || info.RevokedAt is not null || info.ExpiresAt <= now ? null : info;
    }

    public async Task<IReadOnlyList<TokenInfo>> ListAsync(string email, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<TokenRow>(
            "SELECT id, kind, user_email, name, grant_id, created_at, expires_at, revoked_at FROM tokens " +
            "WHERE lower(user_email) = lower(@email) AND kind = 'personal' ORDER BY created_at DESC",
            new { email });
        return rows.Select(r => r.ToInfo()).ToList();
    }

    public async Task<TokenInfo?> GetAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<TokenRow>(
            "SELECT id, kind, user_email, name, grant_id, created_at, expires_at, revoked_at FROM tokens WHERE id = @id", new { id });
        return row?.ToInfo();
    }

    /// <summary>Every token row as stored, hash included: what the audit verifier compares with the chain.</summary>
    public static async Task<IReadOnlyList<StoredToken>> AllAsync(System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction? transaction) =>
        [.. (await connection.QueryAsync<TokenRow>(
            "SELECT id, kind, user_email, name, hash, grant_id, created_at, expires_at, revoked_at FROM tokens ORDER BY created_at, id",
            transaction: transaction)).Select(r => new StoredToken(r.ToInfo(), r.Hash))];

    public async Task<bool> RevokeAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(
            "UPDATE tokens SET revoked_at = @now WHERE id = @id AND revoked_at IS NULL",
            new { id, now = time.GetUtcNow().ToUnixMs() }) == 1;
    }

    /// <summary>Which of <paramref name="ids"/> can no longer log in: revoked, expired or gone.</summary>
    public async Task<IReadOnlySet<string>> DeadAsync(IReadOnlyCollection<string> ids, CancellationToken cancellationToken)
    {
        if (ids.Count == 0)
        {
            return new HashSet<string>();
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        var live = await connection.QueryAsync<string>(
            new CommandDefinition(
                $"SELECT id FROM tokens WHERE {database.IsAnyOf("id", "ids")} AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > @now)",
                new { ids = ids.ToArray(), now = time.GetUtcNow().ToUnixMs() },
                cancellationToken: cancellationToken));
        var dead = new HashSet<string>(ids, StringComparer.Ordinal);
        dead.ExceptWith(live);
        return dead;
    }

    private sealed class TokenRow
    {
        public string Id { get; set; } = "";
        public string Kind { get; set; } = "";
        public string UserEmail { get; set; } = "";
        public string? Name { get; set; }
        public string? GrantId { get; set; }
        public string Hash { get; set; } = "";
        public long CreatedAt { get; set; }
        public long? ExpiresAt { get; set; }
        public long? RevokedAt { get; set; }

        public TokenInfo ToInfo() => new(
            Id, Enum.Parse<TokenKind>(Kind, ignoreCase: true), UserEmail, Name, GrantId,
            StoreJson.FromUnixMs(CreatedAt), StoreJson.FromUnixMs(ExpiresAt), StoreJson.FromUnixMs(RevokedAt));
    }
}
