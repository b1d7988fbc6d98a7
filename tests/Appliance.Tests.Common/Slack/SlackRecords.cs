using System.Net.WebSockets;
using System.Text.Json.Nodes;

namespace Appliance.Tests.Common.Slack;

/// <summary>One Web API call the emulator received: method, bearer token, arguments, what it answered.</summary>
public sealed record SlackCall(string Method, string? Token, JsonObject Args, int Status, JsonObject Response, DateTimeOffset At)
{
    public string? Arg(string name) => Args[name]?.GetValueKind() == System.Text.Json.JsonValueKind.String ? Args[name]!.GetValue<string>() : Args[name]?.ToJsonString();

    public bool Ok => Response["ok"]?.GetValue<bool>() == true;
}

/// <summary>A message the bot posted, with its current content (after any chat.update).</summary>
public sealed class SlackMessage(string channel, string ts)
{
    public string Channel { get; } = channel;
    public string Ts { get; } = ts;
    public string? Text { get; internal set; }
    public JsonArray? Blocks { get; internal set; }
    public int Updates { get; internal set; }

    /// <summary>Every text in the message (fallback and blocks), for assertions about what people see.</summary>
    public string AllText => (Text ?? string.Empty) + "\n" + (Blocks?.ToJsonString(Readable) ?? string.Empty);

    /// <summary>Serialized as Slack reads it: &lt; &gt; &amp; as themselves, not \u003C escapes.</summary>
    private static readonly System.Text.Json.JsonSerializerOptions Readable = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}

/// <summary>A body posted to a response_url the emulator issued.</summary>
public sealed record ResponseUrlPost(string Id, JsonObject Body, DateTimeOffset At)
{
    public string Text => Body["text"]?.GetValue<string>() ?? string.Empty;
}

/// <summary>A Socket Mode acknowledgement: which connection it came on, and its payload if any.</summary>
public sealed record SocketAck(int Connection, string EnvelopeId, JsonObject? Payload, DateTimeOffset At);

/// <summary>A Slack user the emulator knows.</summary>
public sealed record SlackTestUser(string Id, string? Email, string Name);

/// <summary>A Socket Mode connection the emulator accepted.</summary>
public sealed class SocketConnection
{
    internal SocketConnection(int number, WebSocket socket)
    {
        Number = number;
        Socket = socket;
    }

    public int Number { get; }
    public DateTimeOffset OpenedAt { get; } = DateTimeOffset.UtcNow;
    public DateTimeOffset? ClosedAt { get; internal set; }
    public bool IsOpen => ClosedAt is null;
    internal WebSocket Socket { get; }
    internal SemaphoreSlim SendLock { get; } = new(1, 1);
    internal TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}
