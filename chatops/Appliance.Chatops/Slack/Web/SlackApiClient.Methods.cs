using System.Text.Json;
using System.Text.Json.Nodes;

namespace Appliance.Chatops.Slack.Web;

/// <summary>The typed methods chatops uses; argument names are Slack's.</summary>
internal sealed partial class SlackApiClient
{
    /// <summary><c>chat.postMessage</c>; <paramref name="channel"/> may be a name or an id.</summary>
    public async Task<PostedMessage> PostMessageAsync(string channel, string text, JsonArray? blocks, CancellationToken ct)
    {
        var result = await CallAsync("chat.postMessage", Message(new JsonObject { ["channel"] = channel }, text, blocks), ct);
        return new PostedMessage(result.GetProperty("channel").GetString()!, result.GetProperty("ts").GetString()!);
    }

    /// <summary>A reply in the thread of message <paramref name="threadTs"/>, also shown in the channel (Slack notifies on it; edits notify nobody).</summary>
    public Task PostThreadReplyAsync(string channel, string threadTs, string text, CancellationToken ct) =>
        CallAsync("chat.postMessage", Message(new JsonObject { ["channel"] = channel, ["thread_ts"] = threadTs, ["reply_broadcast"] = true }, text, null), ct);

    public Task UpdateMessageAsync(string channel, string ts, string text, JsonArray? blocks, CancellationToken ct) =>
        CallAsync("chat.update", Message(new JsonObject { ["channel"] = channel, ["ts"] = ts }, text, blocks), ct);

    public Task PostEphemeralAsync(string channel, string user, string text, JsonArray? blocks, CancellationToken ct) =>
        CallAsync("chat.postEphemeral", Message(new JsonObject { ["channel"] = channel, ["user"] = user }, text, blocks), ct);

    /// <summary><c>views.open</c>: the trigger id lives about 3 s, so call this before any slow work.</summary>
    public Task OpenViewAsync(string triggerId, JsonObject view, CancellationToken ct) =>
        CallAsync("views.open", new JsonObject { ["trigger_id"] = triggerId, ["view"] = view }, ct);

    /// <summary><c>users.info</c>; the email needs the <c>users:read.email</c> scope. Null when Slack has no such user.</summary>
    public async Task<SlackUser?> GetUserAsync(string userId, CancellationToken ct)
    {
        try
        {
            var result = await CallFormAsync("users.info", new Dictionary<string, string> { ["user"] = userId }, ct);
            return ReadUser(result);
        }
        catch (SlackApiException ex) when (ex.Error == "user_not_found")
        {
            return null;
        }
    }

    /// <summary><c>users.lookupByEmail</c>; null when no Slack user has that email.</summary>
    public async Task<SlackUser?> LookupUserByEmailAsync(string email, CancellationToken ct)
    {
        try
        {
            var result = await CallFormAsync("users.lookupByEmail", new Dictionary<string, string> { ["email"] = email }, ct);
            return ReadUser(result);
        }
        catch (SlackApiException ex) when (ex.Error == "users_not_found")
        {
            return null;
        }
    }

    /// <summary><c>conversations.open</c> with one user: the id of the bot's DM channel with them.</summary>
    public async Task<string> OpenDirectMessageAsync(string userId, CancellationToken ct)
    {
        var result = await CallAsync("conversations.open", new JsonObject { ["users"] = userId }, ct);
        return result.GetProperty("channel").GetProperty("id").GetString()!;
    }

    private static JsonObject Message(JsonObject args, string text, JsonArray? blocks)
    {
        // text is the notification and accessibility fallback; Slack shows blocks when given.
        args["text"] = text;
        if (blocks is not null)
        {
            args["blocks"] = blocks;
        }

        return args;
    }

    private static SlackUser ReadUser(JsonElement result)
    {
        var user = result.GetProperty("user");
        string? email = null;
        string? name = null;
        if (user.TryGetProperty("profile", out var profile))
        {
            email = profile.TryGetProperty("email", out var e) ? e.GetString() : null;
            name = profile.TryGetProperty("real_name", out var n) ? n.GetString() : null;
        }

        name ??= user.TryGetProperty("name", out var handle) ? handle.GetString() : null;
        return new SlackUser(user.GetProperty("id").GetString()!, string.IsNullOrWhiteSpace(email) ? null : email, name);
    }
}
