using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Appliance.Tests.Common.Slack;

namespace ApprovalLatency;

/// <summary>
/// What one approval took, from the click: its acknowledgement; the start and the end of the first
/// login the gateway let in (the grant was honoured in between); the credential DM posted to Slack;
/// and the probe's own cost, one login on its own.
/// </summary>
internal sealed record ApprovalSample(TimeSpan Ack, TimeSpan LetInLoginStarted, TimeSpan LetIn, TimeSpan DmPosted, TimeSpan OneLogin, int RefusedLogins);

/// <summary>
/// Rounds of: the requester asks (API), the card appears, the approver's signed click is posted
/// to chatops (the clock starts), the probe logs in until the gateway lets it in (the clock
/// stops); then the grant is revoked and the round waits until chat and the gateway have settled,
/// so no round's aftermath runs into the next one's measurement.
/// </summary>
internal sealed class ApprovalRounds(BenchStack stack, HttpClient requester, LoginProbe probe) : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private readonly HttpClient _slack = new() { Timeout = Wait };

    public async Task<IReadOnlyList<ApprovalSample>> RunAsync(int rounds)
    {
        var samples = new List<ApprovalSample>(rounds);
        for (var i = 0; i < rounds; i++)
        {
            samples.Add(await RoundAsync());
        }

        return samples;
    }

    public void Dispose() => _slack.Dispose();

    private async Task<ApprovalSample> RoundAsync()
    {
        var id = await RequestAsync();
        var channel = stack.Slack.ChannelId(BenchStack.Channel);
        var card = await SlackEmulator.WaitForAsync(
            () => stack.Slack.MessagesIn(channel).FirstOrDefault(m => m.AllText.Contains(id, StringComparison.Ordinal)), Wait, $"the card of {id}");
        if (await probe.TryLoginAsync())
        {
            throw new InvalidOperationException($"the gateway let the requester in before {id} was approved");
        }

        var payload = SlackPayloads.BlockAction(stack.Slack, BenchStack.ApproverSlackId, "approve", id, card.Channel, card.Ts, out _);
        using var click = stack.Signer.Interaction(stack.Interactions, payload);

        var clickedAt = DateTimeOffset.UtcNow;
        var start = Stopwatch.GetTimestamp();
        using (var response = await _slack.SendAsync(click))
        {
            response.EnsureSuccessStatusCode();
        }

        var ack = Stopwatch.GetElapsedTime(start);
        var letIn = await probe.WaitUntilLetInAsync(Wait);

        var login = Stopwatch.GetTimestamp();
        await probe.TryLoginAsync();
        var oneLogin = Stopwatch.GetElapsedTime(login);

        var dm = await DirectMessageAsync(id, "Password");
        await SettleAsync(id, card);
        return new ApprovalSample(
            ack, Stopwatch.GetElapsedTime(start, letIn.StartedAt), Stopwatch.GetElapsedTime(start, letIn.EndedAt), dm.At - clickedAt, oneLogin, letIn.Refused);
    }

    private async Task<string> RequestAsync()
    {
        using var response = await requester.PostAsJsonAsync("api/requests", new { connection = "demo", duration = "1h", reason = "approval latency" });
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<JsonObject>();
        return body!["id"]!.GetValue<string>();
    }

    /// <summary>The grant revoked, honoured no more, and its end told on the card and to the requester.</summary>
    private async Task SettleAsync(string id, SlackMessage card)
    {
        using (var revoked = await requester.PostAsJsonAsync($"api/requests/{id}/revoke", new { reason = "round over" }))
        {
            revoked.EnsureSuccessStatusCode();
        }

        await SlackEmulator.WaitForAsync(() => card.AllText.Contains("Revoked*", StringComparison.Ordinal) ? card : null, Wait, $"the card of {id} to say revoked");
        await DirectMessageAsync(id, "has ended");
        if (await probe.TryLoginAsync())
        {
            throw new InvalidOperationException($"the gateway still lets the requester in after {id} was revoked");
        }
    }

    /// <summary>The Web API call that posted the requester a DM about <paramref name="id"/> saying <paramref name="text"/> (its time is when Slack got it).</summary>
    private Task<SlackCall> DirectMessageAsync(string id, string text) =>
        stack.Slack.WaitForCallAsync(
            "chat.postMessage",
            c => c.Ok && c.Arg("channel") == SlackEmulator.DirectChannelId(BenchStack.RequesterSlackId) &&
                 c.Arg("text") is { } said && said.Contains(id, StringComparison.Ordinal) && said.Contains(text, StringComparison.Ordinal),
            Wait);
}
