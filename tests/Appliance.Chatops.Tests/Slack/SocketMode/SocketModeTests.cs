using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Appliance.Chatops.Tests.Support;
using Appliance.Tests.Common.Http;
using Appliance.Tests.Common.Slack;

namespace Appliance.Chatops.Tests.Slack.SocketMode;

public sealed class SocketModeTests : IAsyncLifetime
{
    private SlackEmulator _slack = null!;
    private RecordingHttpServer _gateway = null!;

    public async Task InitializeAsync()
    {
        _slack = await SlackEmulator.StartAsync();
        _slack.AddUser("U2", "bob@example.com", "Bob");
        _gateway = await RecordingHttpServer.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _slack.DisposeAsync();
    }

    [Fact]
    public async Task Hello_ThenSlashCommand_IsAckedWithTheAnswer()
    {
        await using var chatops = await StartAsync();
        var connection = await _slack.WaitForOpenSocketAsync();

        var id = await _slack.SendEnvelopeAsync("slash_commands", SlackPayloads.SlashCommandJson(_slack, "U2", "help", out _));

        var ack = await _slack.WaitForAckAsync(id);
        Assert.Equal(connection.Number, ack.Connection);
        Assert.Equal("ephemeral", ack.Payload!["response_type"]!.GetValue<string>());
        Assert.Contains("/hoop request <connection>", ack.Payload["text"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(_slack.AppToken, Assert.Single(_slack.CallsTo("apps.connections.open")).Token);
    }

    [Fact]
    public async Task EnvelopeThatTakesNoPayload_IsAckedWithIdOnly()
    {
        await using var chatops = await StartAsync();

        var id = await _slack.SendEnvelopeAsync("events_api", new JsonObject { ["type"] = "event_callback" }, acceptsResponsePayload: false);

        Assert.Null((await _slack.WaitForAckAsync(id)).Payload);
    }

    [Fact]
    public async Task RedeliveredEnvelope_IsAckedAgain_ButHandledOnce()
    {
        await using var chatops = await StartAsync();
        var click = SlackPayloads.BlockAction(_slack, "U2", "deny", "k7m2q9xa", _slack.ChannelId("db-access"), "1.000001", out _);

        var id = await _slack.SendEnvelopeAsync("interactive", click, acceptsResponsePayload: false);
        await _slack.WaitForAckAsync(id);
        await _slack.SendEnvelopeAsync("interactive", click, envelopeId: id, acceptsResponsePayload: false, retryAttempt: 1);
        await SlackEmulator.WaitForAsync(() => _slack.Acks.Count(a => a.EnvelopeId == id) == 2 ? "both" : null, what: "the second ack");

        // The first ack follows its views.open; had the redelivery been handled, its views.open would precede its ack.
        Assert.Single(_slack.CallsTo("views.open"));
    }

    [Fact]
    public async Task Disconnect_OpensTheNewConnectionBeforeClosingTheOld()
    {
        await using var chatops = await StartAsync();
        var first = await _slack.WaitForOpenSocketAsync();

        await _slack.SendDisconnectAsync(first);
        var second = await _slack.WaitForOpenSocketAsync(number: first.Number + 1);
        await SlackEmulator.WaitForAsync(() => _slack.SocketLog.Contains($"close {first.Number}") ? "closed" : null, what: "the old connection to close");

        var log = _slack.SocketLog.ToList();
        Assert.True(log.IndexOf($"hello {second.Number}") < log.IndexOf($"close {first.Number}"), string.Join(", ", log));
        Assert.Equal(2, _slack.CallsTo("apps.connections.open").Count);

        var id = await _slack.SendEnvelopeAsync("slash_commands", SlackPayloads.SlashCommandJson(_slack, "U2", "help", out _), via: second);
        Assert.Equal(second.Number, (await _slack.WaitForAckAsync(id)).Connection);
    }

    [Fact]
    public async Task DroppedConnection_IsReplaced()
    {
        await using var chatops = await StartAsync();
        var first = await _slack.WaitForOpenSocketAsync();

        _slack.DropSocket(first);
        var second = await _slack.WaitForOpenSocketAsync(number: first.Number + 1);

        var id = await _slack.SendEnvelopeAsync("slash_commands", SlackPayloads.SlashCommandJson(_slack, "U2", "help", out _), via: second);
        Assert.NotNull((await _slack.WaitForAckAsync(id)).Payload);
    }

    [Fact]
    public async Task ConnectionsOpenFailing_IsRetriedWithBackoff()
    {
        _slack.FailNext("apps.connections.open", "internal_error");
        _slack.RateLimitNext("apps.connections.open", times: 1, retryAfterSeconds: 0);

        await using var chatops = await StartAsync();
        await _slack.WaitForOpenSocketAsync();

        var calls = _slack.CallsTo("apps.connections.open");
        Assert.Equal("internal_error", calls[0].Response["error"]!.GetValue<string>());
        Assert.True(calls[^1].Ok);
        await HealthSaysAsync(chatops, "connected");
    }

    /// <summary>
    /// What a remote party sends is logged with its control characters escaped: a terminal escape
    /// in it could erase and rewrite a line of the bot's log (probe CN2).
    /// </summary>
    [Fact]
    public async Task AnErrorWithTerminalEscapes_IsLoggedEscaped()
    {
        _slack.FailNext("apps.connections.open", "internal_error\u001b[2K\rAudit chain anchor: forged");

        await using var chatops = await StartAsync();
        await _slack.WaitForOpenSocketAsync();

        for (var i = 0; i < 50 && !chatops.Logs.Entries.Any(e => e.Message.Contains("Audit chain anchor: forged", StringComparison.Ordinal)); i++)
        {
            await Task.Delay(100);
        }

        var entry = Assert.Single(chatops.Logs.Entries, e => e.Message.Contains("Audit chain anchor: forged", StringComparison.Ordinal));
        Assert.Contains(@"internal_error\u001b[2K\u000dAudit chain anchor", entry.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', entry.Message);
    }

    private Task<ChatopsHost> StartAsync() =>
        ChatopsHost.StartAsync(ChatopsHost.Settings(_slack, _gateway.BaseAddress, httpMode: false, socketMode: true));

    private static async Task HealthSaysAsync(ChatopsHost chatops, string socketMode)
    {
        var deadline = DateTimeOffset.UtcNow + SlackEmulator.DefaultWait;
        string? seen;
        do
        {
            var health = await chatops.Http.GetFromJsonAsync<JsonObject>("healthz");
            seen = health!["socketMode"]!.GetValue<string>();
            if (seen == socketMode)
            {
                return;
            }

            await Task.Delay(50);
        }
        while (DateTimeOffset.UtcNow < deadline);

        Assert.Equal(socketMode, seen);
    }
}
