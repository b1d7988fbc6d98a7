using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Appliance.Tests.Common.Slack;

/// <summary>
/// The Web API methods (api.slack.com/methods): HTTP 200 with <c>ok</c> true or
/// <c>{"ok":false,"error":…}</c>, HTTP 429 with Retry-After when told to rate limit.
/// </summary>
public sealed partial class SlackEmulator
{
    private async Task HandleApiAsync(HttpContext context, string method)
    {
        var args = await ReadArgsAsync(context.Request);
        var auth = context.Request.Headers.Authorization.ToString();
        var token = auth.StartsWith("Bearer ", StringComparison.Ordinal) ? auth["Bearer ".Length..] : null;

        int status = 200;
        JsonObject response;
        if (TakeFault(method) is { } fault)
        {
            if (fault.RetryAfterSeconds is { } seconds)
            {
                status = 429;
                context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                response = Error("ratelimited");
            }
            else
            {
                response = Error(fault.Error!);
            }
        }
        else
        {
            var expected = method == "apps.connections.open" ? AppToken : BotToken;
            response = token is null ? Error("not_authed") : token != expected ? Error("invalid_auth") : Dispatch(method, args);
        }

        Record(new SlackCall(method, token, args, status, response, DateTimeOffset.UtcNow));
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        await context.Response.WriteAsync(response.ToJsonString());
    }

    private JsonObject Dispatch(string method, JsonObject args) => method switch
    {
        "chat.postMessage" => PostMessage(args),
        "chat.update" => UpdateMessage(args),
        "chat.postEphemeral" => PostEphemeral(args),
        "views.open" => OpenView(args),
        "users.info" => UserInfo(args),
        "users.lookupByEmail" => LookupByEmail(args),
        "conversations.open" => OpenConversation(args),
        "apps.connections.open" => OpenConnection(),
        _ => Error("unknown_method"),
    };

    private JsonObject PostMessage(JsonObject args)
    {
        if (Str(args, "channel") is not { Length: > 0 } channel)
        {
            return Error("channel_not_found");
        }

        if (Str(args, "text") is null && args["blocks"] is null)
        {
            return Error("no_text");
        }

        var id = ResolveChannel(channel);
        var message = new SlackMessage(id, NextTs()) { Text = Str(args, "text"), Blocks = Blocks(args) };
        _messages[Key(id, message.Ts)] = message;
        return new JsonObject
        {
            ["ok"] = true,
            ["channel"] = id,
            ["ts"] = message.Ts,
            ["message"] = new JsonObject { ["type"] = "message", ["text"] = message.Text, ["ts"] = message.Ts, ["bot_id"] = "B0EMULATOR" },
        };
    }

    private JsonObject UpdateMessage(JsonObject args)
    {
        var channel = Str(args, "channel") ?? string.Empty;
        var ts = Str(args, "ts") ?? string.Empty;
        if (!_messages.TryGetValue(Key(channel, ts), out var message))
        {
            // chat.update needs the channel id, never a name.
            return Error(_channelIds.Values.Contains(channel) || channel.StartsWith('D') ? "message_not_found" : "channel_not_found");
        }

        lock (message)
        {
            message.Text = Str(args, "text") ?? message.Text;
            message.Blocks = Blocks(args) ?? message.Blocks;
            message.Updates++;
        }

        return new JsonObject { ["ok"] = true, ["channel"] = channel, ["ts"] = ts, ["text"] = message.Text };
    }

    private JsonObject PostEphemeral(JsonObject args)
    {
        if (Str(args, "channel") is not { Length: > 0 } || Str(args, "user") is not { Length: > 0 } user)
        {
            return Error("channel_not_found");
        }

        return _users.ContainsKey(user) ? new JsonObject { ["ok"] = true, ["message_ts"] = NextTs() } : Error("user_not_in_channel");
    }

    private JsonObject OpenView(JsonObject args)
    {
        var trigger = Str(args, "trigger_id");
        if (trigger is null || !_triggers.TryRemove(trigger, out var issued))
        {
            return Error("invalid_trigger_id");
        }

        if (DateTimeOffset.UtcNow - issued > TriggerLifetime)
        {
            return Error("expired_trigger_id");
        }

        var view = args["view"] is JsonObject v ? (JsonObject)v.DeepClone() : null;
        if (view?["type"]?.GetValue<string>() != "modal")
        {
            return Error("invalid_arguments");
        }

        view["id"] = "V" + Interlocked.Increment(ref _sequence).ToString(System.Globalization.CultureInfo.InvariantCulture);
        return new JsonObject { ["ok"] = true, ["view"] = view };
    }

    private JsonObject UserInfo(JsonObject args) =>
        Str(args, "user") is { } id && _users.TryGetValue(id, out var user) ? new JsonObject { ["ok"] = true, ["user"] = UserJson(user) } : Error("user_not_found");

    private JsonObject LookupByEmail(JsonObject args)
    {
        var email = Str(args, "email");
        var user = _users.Values.FirstOrDefault(u => u.Email is not null && string.Equals(u.Email, email, StringComparison.OrdinalIgnoreCase));
        return user is null ? Error("users_not_found") : new JsonObject { ["ok"] = true, ["user"] = UserJson(user) };
    }

    private JsonObject OpenConversation(JsonObject args)
    {
        var users = Str(args, "users");
        if (users is null || users.Contains(',', StringComparison.Ordinal) || !_users.ContainsKey(users))
        {
            return Error("user_not_found");
        }

        return new JsonObject { ["ok"] = true, ["channel"] = new JsonObject { ["id"] = DirectChannelId(users) } };
    }

    private static JsonObject UserJson(SlackTestUser user)
    {
        var profile = new JsonObject { ["real_name"] = user.Name, ["display_name"] = user.Name };
        if (user.Email is not null)
        {
            profile["email"] = user.Email;
        }

        return new JsonObject { ["id"] = user.Id, ["name"] = user.Name, ["real_name"] = user.Name, ["profile"] = profile };
    }

    private string ResolveChannel(string channel)
    {
        if (channel.StartsWith('D') || _channelIds.Values.Contains(channel))
        {
            return channel;
        }

        return ChannelId(channel);
    }

    private async Task HandleResponseUrlAsync(HttpContext context, string id)
    {
        var body = await JsonNode.ParseAsync(context.Request.Body) as JsonObject ?? [];
        lock (_gate)
        {
            _responses.Add(new ResponseUrlPost(id, body, DateTimeOffset.UtcNow));
        }

        await context.Response.WriteAsync("ok");
    }

    /// <summary>Arguments from a JSON body, a form body and the query string, as Slack accepts all three.</summary>
    private static async Task<JsonObject> ReadArgsAsync(HttpRequest request)
    {
        var args = new JsonObject();
        foreach (var (key, value) in request.Query)
        {
            args[key] = value.ToString();
        }

        if (request.HasFormContentType)
        {
            var form = await request.ReadFormAsync();
            foreach (var (key, value) in form)
            {
                args[key] = value.ToString();
            }
        }
        else if (request.ContentType?.StartsWith("application/json", StringComparison.Ordinal) == true)
        {
            if (await JsonNode.ParseAsync(request.Body) is JsonObject json)
            {
                foreach (var (key, value) in json.ToList())
                {
                    json.Remove(key);
                    args[key] = value;
                }
            }
        }

        return args;
    }

    private static JsonArray? Blocks(JsonObject args) => args["blocks"] switch
    {
        JsonArray array => (JsonArray)array.DeepClone(),
        JsonValue value when value.GetValueKind() == JsonValueKind.String => JsonNode.Parse(value.GetValue<string>()) as JsonArray,
        _ => null,
    };

    private static string? Str(JsonObject args, string name) =>
        args[name] is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;

    private static string Key(string channel, string ts) => channel + "/" + ts;

    private static JsonObject Error(string error) => new() { ["ok"] = false, ["error"] = error };
}
