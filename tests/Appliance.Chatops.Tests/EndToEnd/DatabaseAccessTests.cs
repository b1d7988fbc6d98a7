using System.Net;
using Appliance.Chatops.Tests.Support;
using Appliance.Gateway.Postgres.Listener;
using Appliance.Tests.Common.Slack;
using Npgsql;

namespace Appliance.Chatops.Tests.EndToEnd;

/// <summary>Slack reaches chatops over HTTP: signed slash commands and signed clicks.</summary>
public sealed class DatabaseAccessOverHttpTests : DatabaseAccessTests
{
    private protected override bool SocketMode => false;

    private protected override async Task<string> CommandAsync(string userId, string text)
    {
        using var ack = await Stack.Chatops.CommandAsync(Stack.Slack, userId, text, out _);
        return await ChatopsHost.AckTextAsync(ack);
    }

    private protected override async Task ClickAsync(string userId, string action, SlackMessage card, string requestId)
    {
        using var click = await Stack.ClickAsync(userId, action, card, requestId);
        Assert.Equal(HttpStatusCode.OK, click.StatusCode);
    }
}

/// <summary>Slack reaches chatops over Socket Mode only: envelopes on the WebSocket chatops opened.</summary>
public sealed class DatabaseAccessOverSocketModeTests : DatabaseAccessTests
{
    private protected override bool SocketMode => true;

    private protected override async Task<string> CommandAsync(string userId, string text)
    {
        var slack = Stack.Slack;
        var envelope = await slack.SendEnvelopeAsync("slash_commands", SlackPayloads.SlashCommandJson(slack, userId, text, out _));
        var ack = await slack.WaitForAckAsync(envelope);
        return ack.Payload!["text"]!.GetValue<string>();
    }

    private protected override async Task ClickAsync(string userId, string action, SlackMessage card, string requestId)
    {
        var slack = Stack.Slack;
        var click = SlackPayloads.BlockAction(slack, userId, action, requestId, card.Channel, card.Ts, out _);
        var ack = await slack.WaitForAckAsync(await slack.SendEnvelopeAsync("interactive", click, acceptsResponsePayload: false));
        Assert.Null(ack.Payload);
    }
}

/// <summary>
/// The whole of product.md §2 with nothing emulated but Slack: a request in chat, an approval
/// click, and then the part people actually want, a database session: Npgsql logs in through
/// the gateway's PostgreSQL listener with exactly what the DM said, reads masked data from a
/// real PostgreSQL, and is cut, with a FATAL naming the grant, when the grant ends.
/// </summary>
public abstract class DatabaseAccessTests : IAsyncLifetime
{
    private UpstreamDatabase _upstream = null!;

    internal ChatStack Stack { get; private set; } = null!;

    private protected abstract bool SocketMode { get; }

    public async Task InitializeAsync()
    {
        _upstream = await UpstreamDatabase.CreateAsync();
        Stack = await ChatStack.StartAsync(httpMode: !SocketMode, socketMode: SocketMode, policyYaml: UpstreamPolicy.For(_upstream));
    }

    public async Task DisposeAsync()
    {
        await Stack.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    /// <summary><c>/hoop {text}</c> typed by <paramref name="userId"/>; returns the private answer.</summary>
    private protected abstract Task<string> CommandAsync(string userId, string text);

    /// <summary>A click on the card's button <paramref name="action"/> (approve, revoke) by <paramref name="userId"/>.</summary>
    private protected abstract Task ClickAsync(string userId, string action, SlackMessage card, string requestId);

    private Task ClickApproveAsync(string userId, SlackMessage card, string requestId) => ClickAsync(userId, "approve", card, requestId);

    [Fact]
    public async Task ApprovedInChat_TheDmdCredentialConnects_ResultsAreMasked_AndExpiryCutsTheSession()
    {
        Assert.Contains("is waiting for approval in #db-access", await CommandAsync(ChatStack.Alice, "request demo 6s checking a card payment"), StringComparison.Ordinal);
        var card = await Stack.CardAsync();
        var id = ChatStack.RequestIdOf(card);

        await ClickApproveAsync(ChatStack.Bob, card, id);

        await Stack.CardShowingAsync("Approved* by bob@example.com");
        var credential = await DmdCredentialAsync(id);
        await using var session = new NpgsqlConnection(credential.ConnectionString);
        await session.OpenAsync();
        await AssertMaskedAsync(session);
        Assert.Equal(1, await _upstream.SessionsAsync());

        await Stack.CardShowingAsync("Expired* at");
        await Stack.DirectMessageAsync(ChatStack.Alice, "has expired; open sessions were closed");
        await AssertCutAsync(session, $"grant {id} expired at");
        await AssertRefusedAsync(credential);
    }

    [Fact]
    public async Task DoneInChat_CutsTheLiveSession_AndTheCredentialDiesWithTheGrant()
    {
        var (id, credential, session) = await ApprovedSessionAsync("checking a card payment");
        await using var _ = session;
        await AssertMaskedAsync(session);
        Assert.Equal(1, await _upstream.SessionsAsync());

        Assert.Contains($"Ended `{id}`", await CommandAsync(ChatStack.Alice, "done"), StringComparison.Ordinal);

        await Stack.CardShowingAsync("Revoked* by alice@example.com");
        await AssertCutAsync(session, $"grant {id} was revoked by alice@example.com");
        await AssertRefusedAsync(credential);
    }

    /// <summary>An approver ends alice's grant from its card (probe AW: there was no way to revoke from chat).</summary>
    [Fact]
    public async Task RevokedFromTheCard_CutsTheLiveSession_NamingWhoRevoked()
    {
        var (id, credential, session) = await ApprovedSessionAsync("checking a card payment");
        await using var _ = session;
        var active = await Stack.CardShowingAsync("Approved* by bob@example.com");
        Assert.Contains("\"action_id\":\"revoke\"", active.AllText, StringComparison.Ordinal);

        await ClickAsync(ChatStack.Bob, "revoke", active, id);

        await Stack.CardShowingAsync("Revoked* by bob@example.com");
        await AssertCutAsync(session, $"grant {id} was revoked by bob@example.com");
        await AssertRefusedAsync(credential);
    }

    /// <summary><c>/hoop revoke</c> by an approver, with a reason the cut session reads.</summary>
    [Fact]
    public async Task RevokeCommand_CutsTheLiveSession_WithItsReason()
    {
        var (id, _, session) = await ApprovedSessionAsync("checking a card payment");
        await using var _ = session;

        Assert.Contains($"Revoked `{id}`", await CommandAsync(ChatStack.Bob, $"revoke {id} incident over"), StringComparison.Ordinal);

        await AssertCutAsync(session, $"grant {id} was revoked by bob@example.com: incident over");
    }

    /// <summary>
    /// A statement held for review is allowed from its card in chat and runs; the card then says
    /// it ran, not that it expired "by" its approver (probe AW).
    /// </summary>
    [Fact]
    public async Task HeldStatement_AllowedInChat_Runs_AndItsCardSaysItRan()
    {
        var (_, _, session) = await ApprovedSessionAsync("cleaning up test rows");
        await using var _ = session;

        await using var delete = new NpgsqlCommand("DELETE FROM customers", session);
        var held = delete.ExecuteNonQueryAsync();
        var reviewCard = await Stack.CardShowingAsync("DELETE FROM customers");
        Assert.False(held.IsCompleted);
        var reviewId = ChatStack.RequestIdOf(reviewCard);
        await ClickApproveAsync(ChatStack.Bob, reviewCard, reviewId);

        Assert.Equal(1, await held.WaitAsync(TimeSpan.FromSeconds(15)));
        var ran = await Stack.CardShowingAsync("Ran* at");
        Assert.Equal(reviewCard.Ts, ran.Ts);
        Assert.Contains("· allowed by bob@example.com", ran.AllText, StringComparison.Ordinal);
        Assert.DoesNotContain("Expired", ran.AllText, StringComparison.Ordinal);
        await Stack.DirectMessageAsync(ChatStack.Alice, "was allowed by bob@example.com");

        // "done" ends grants: given the review's id it says so, and ends nothing (probe CB).
        Assert.Contains($"`{reviewId}` is a statement review, not a grant", await CommandAsync(ChatStack.Alice, $"done {reviewId}"), StringComparison.Ordinal);
        Assert.Equal(1, await new NpgsqlCommand("SELECT 1", session).ExecuteScalarAsync());
    }

    /// <summary>
    /// A held statement too long for Slack to show whole is not allowed from chat, by command
    /// either (probe EP2: the card offered only Deny, "/hoop approve" allowed it unread).
    /// </summary>
    [Fact]
    public async Task HeldStatementTooLongToShow_IsNotAllowedByCommand()
    {
        var (_, _, session) = await ApprovedSessionAsync("cleaning up test rows");
        await using var _ = session;
        var padding = string.Concat(Enumerable.Repeat("-- a comment line to make the statement long <&>\n", 900));

        await using var delete = new NpgsqlCommand($"DELETE FROM customers\n{padding}", session);
        var held = delete.ExecuteNonQueryAsync();
        var reviewCard = await Stack.CardShowingAsync("too long to show here whole");
        var reviewId = ChatStack.RequestIdOf(reviewCard);

        Assert.Contains("not allowed from here", await CommandAsync(ChatStack.Bob, $"approve {reviewId}"), StringComparison.Ordinal);
        Assert.False(held.IsCompleted);
        Assert.Contains($"Denied `{reviewId}`", await CommandAsync(ChatStack.Bob, $"deny {reviewId} too long to read here"), StringComparison.Ordinal);
        await Assert.ThrowsAsync<PostgresException>(() => held.WaitAsync(TimeSpan.FromSeconds(15)));
    }

    /// <summary>Alice asks in chat for an hour, bob approves on the card, and she opens a session with the DM'd credential.</summary>
    private async Task<(string Id, DmCredential Credential, NpgsqlConnection Session)> ApprovedSessionAsync(string reason)
    {
        await CommandAsync(ChatStack.Alice, $"request demo 1h {reason}");
        var card = await Stack.CardAsync();
        var id = ChatStack.RequestIdOf(card);
        await ClickApproveAsync(ChatStack.Bob, card, id);
        var credential = await DmdCredentialAsync(id);
        var session = new NpgsqlConnection(credential.ConnectionString);
        await session.OpenAsync();
        return (id, credential, session);
    }

    /// <summary>The credential DM, read as a user copies it; its fields and its URI must agree, and name the listener.</summary>
    private async Task<DmCredential> DmdCredentialAsync(string grantId)
    {
        var dm = await Stack.DirectMessageAsync(ChatStack.Alice, "Password");
        Assert.Contains($"(`{grantId}`)", dm.Text, StringComparison.Ordinal);
        var credential = DmCredential.Parse(dm.Text!);

        Assert.Equal(Stack.Gateway.Service<PostgresListenerInfo>().Port, credential.Port);
        Assert.Equal("alice@example.com", credential.User);
        Assert.Equal("demo", credential.Database);
        Assert.StartsWith("agc_", credential.Password, StringComparison.Ordinal);
        // No allowLoopbackPlaintext in the policy: the listener takes passwords over TLS only.
        Assert.Equal(SslMode.Require, credential.SslMode);
        Assert.Contains($"*Host* `{credential.Host}`", dm.Text, StringComparison.Ordinal);
        Assert.Contains($"*Port* `{credential.Port}`", dm.Text, StringComparison.Ordinal);
        Assert.Contains($"*Password* `{credential.Password}`", dm.Text, StringComparison.Ordinal);
        return credential;
    }

    /// <summary>The card number and SSN come back masked through the gateway, while PostgreSQL holds them in the clear.</summary>
    private async Task AssertMaskedAsync(NpgsqlConnection session)
    {
        await using (var command = new NpgsqlCommand("SELECT name, card, ssn FROM customers WHERE id = 1", session))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            Assert.True(await reader.ReadAsync());
            Assert.Equal("Ann", reader.GetString(0));
            Assert.DoesNotContain(UpstreamDatabase.Card, reader.GetString(1), StringComparison.Ordinal);
            Assert.EndsWith("1111", reader.GetString(1), StringComparison.Ordinal);
            Assert.Equal("****", reader.GetString(2));
        }

        await using var direct = new NpgsqlConnection(_upstream.DirectConnectionString);
        await direct.OpenAsync();
        await using var check = new NpgsqlCommand("SELECT card FROM customers WHERE id = 1", direct);
        Assert.Equal(UpstreamDatabase.Card, await check.ExecuteScalarAsync());
    }

    /// <summary>
    /// The gateway closed the session's upstream leg, and the next statement on the client's side
    /// fails with the gateway's FATAL (57P01 admin_shutdown) saying why.
    /// </summary>
    private async Task AssertCutAsync(NpgsqlConnection session, string why)
    {
        Assert.Equal(0, await _upstream.SessionsLeftAfterAsync(TimeSpan.FromSeconds(10)));
        await using var command = new NpgsqlCommand("SELECT 1", session);
        var cut = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteScalarAsync());
        Assert.Equal("FATAL", cut.InvariantSeverity);
        Assert.Equal(PostgresErrorCodes.AdminShutdown, cut.SqlState);
        Assert.Contains(why, cut.MessageText, StringComparison.Ordinal);
    }

    /// <summary>A new login with the ended grant's credential is refused (class 28: invalid authorization).</summary>
    private static async Task AssertRefusedAsync(DmCredential credential)
    {
        await using var again = new NpgsqlConnection(credential.ConnectionString);
        var refused = await Assert.ThrowsAsync<PostgresException>(() => again.OpenAsync());
        Assert.StartsWith("28", refused.SqlState, StringComparison.Ordinal);
    }
}
