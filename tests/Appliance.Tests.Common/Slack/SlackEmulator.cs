using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Appliance.Tests.Common.Slack;

/// <summary>
/// A loopback stand-in for Slack that speaks the documented shapes of the Web API methods
/// chatops uses, Socket Mode, and response_url posts. It checks bearer tokens, records every
/// call for assertions, and can be told to rate limit (429 + Retry-After) or fail (ok:false).
/// Chatops runs unchanged against it; only SLACK_API_URL points here.
/// </summary>
public sealed partial class SlackEmulator : IAsyncDisposable
{
    public const string DefaultBotToken = "xoxb-emulator-bot-token";
    public const string DefaultAppToken = "xapp-emulator-app-token";
    public static readonly TimeSpan DefaultWait = TimeSpan.FromSeconds(15);

    /// <summary>How long a trigger_id stays usable for views.open (Slack: about 3 s).</summary>
    public static readonly TimeSpan TriggerLifetime = TimeSpan.FromSeconds(3);

    private readonly WebApplication _app;
    private readonly object _gate = new();
    private readonly List<SlackCall> _calls = [];
    private readonly List<ResponseUrlPost> _responses = [];
    private readonly ConcurrentDictionary<string, SlackTestUser> _users = new();
    private readonly ConcurrentDictionary<string, string> _channelIds = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SlackMessage> _messages = new();
    private readonly ConcurrentDictionary<string, DateTimeOffset> _triggers = new();
    private readonly ConcurrentDictionary<string, Queue<Fault>> _faults = new();
    private long _sequence;

    private SlackEmulator(WebApplication app, string botToken, string appToken)
    {
        _app = app;
        BotToken = botToken;
        AppToken = appToken;
    }

    public string BotToken { get; }
    public string AppToken { get; }
    public Uri BaseUrl { get; private set; } = null!;

    /// <summary>What SLACK_API_URL should be set to.</summary>
    public Uri ApiUrl => new(BaseUrl, "api/");

    public static async Task<SlackEmulator> StartAsync(string botToken = DefaultBotToken, string appToken = DefaultAppToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var emulator = new SlackEmulator(app, botToken, appToken);
        app.UseWebSockets();
        app.MapPost("/api/{method}", emulator.HandleApiAsync);
        app.MapPost("/response/{id}", emulator.HandleResponseUrlAsync);
        app.Map("/socket-mode/link", emulator.HandleSocketAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        emulator.BaseUrl = new Uri(address.EndsWith('/') ? address : address + "/");
        return emulator;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var connection in SocketConnections.Where(c => c.IsOpen))
        {
            connection.Socket.Abort();
        }

        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    public SlackTestUser AddUser(string id, string? email, string? name = null)
    {
        var user = new SlackTestUser(id, email, name ?? id);
        _users[id] = user;
        return user;
    }

    /// <summary>The channel id for a name (#db-access → C…), created on first use as Slack would already have it.</summary>
    public string ChannelId(string name) =>
        _channelIds.GetOrAdd(name.TrimStart('#'), _ => "C" + Interlocked.Increment(ref _sequence).ToString("D8", System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>The bot's DM channel with a user, as conversations.open returns it.</summary>
    public static string DirectChannelId(string userId) => "D" + userId;

    /// <summary>A trigger_id as Slack puts in a command or click; views.open accepts it for 3 s.</summary>
    public string NewTriggerId()
    {
        var id = $"{Interlocked.Increment(ref _sequence)}.{Random.Shared.NextInt64():x}";
        _triggers[id] = DateTimeOffset.UtcNow;
        return id;
    }

    /// <summary>A response_url as Slack puts in a command or click; posts to it are recorded.</summary>
    public Uri NewResponseUrl() => new(BaseUrl, "response/" + Guid.NewGuid().ToString("N"));

    public IReadOnlyList<SlackCall> Calls
    {
        get
        {
            lock (_gate)
            {
                return [.. _calls];
            }
        }
    }

    public IReadOnlyList<SlackCall> CallsTo(string method) => [.. Calls.Where(c => c.Method == method)];

    public IReadOnlyList<ResponseUrlPost> ResponseUrlPosts
    {
        get
        {
            lock (_gate)
            {
                return [.. _responses];
            }
        }
    }

    public IReadOnlyList<ResponseUrlPost> ResponsesTo(Uri responseUrl) =>
        [.. ResponseUrlPosts.Where(r => responseUrl.AbsolutePath.EndsWith("/" + r.Id, StringComparison.Ordinal))];

    /// <summary>The current state of every message posted to a channel (by id), oldest first.</summary>
    public IReadOnlyList<SlackMessage> MessagesIn(string channelId) =>
        [.. _messages.Values.Where(m => m.Channel == channelId).OrderBy(m => m.Ts, StringComparer.Ordinal)];

    /// <summary>The bot's DMs to a Slack user, oldest first.</summary>
    public IReadOnlyList<SlackMessage> DirectMessagesTo(string userId) => MessagesIn(DirectChannelId(userId));

    /// <summary>The next <paramref name="times"/> calls to <paramref name="method"/> get HTTP 429 with Retry-After.</summary>
    public void RateLimitNext(string method, int times, int retryAfterSeconds) =>
        AddFaults(method, times, new Fault(null, retryAfterSeconds));

    /// <summary>The next <paramref name="times"/> calls to <paramref name="method"/> get <c>{"ok":false,"error":…}</c>.</summary>
    public void FailNext(string method, string error, int times = 1) => AddFaults(method, times, new Fault(error, null));

    /// <summary>Waits until <paramref name="condition"/> holds (the emulator is asynchronous to its callers).</summary>
    public static async Task<T> WaitForAsync<T>(Func<T?> probe, TimeSpan? timeout = null, string? what = null)
        where T : class
    {
        var deadline = DateTimeOffset.UtcNow + (timeout ?? DefaultWait);
        while (true)
        {
            if (probe() is { } found)
            {
                return found;
            }

            if (DateTimeOffset.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out waiting for {what ?? "a condition"}.");
            }

            await Task.Delay(20);
        }
    }

    public Task<SlackCall> WaitForCallAsync(string method, Func<SlackCall, bool>? match = null, TimeSpan? timeout = null) =>
        WaitForAsync(() => Calls.FirstOrDefault(c => c.Method == method && (match?.Invoke(c) ?? true)), timeout, $"a call to {method}");

    public Task<ResponseUrlPost> WaitForResponseAsync(Uri responseUrl, Func<ResponseUrlPost, bool>? match = null, TimeSpan? timeout = null) =>
        WaitForAsync(() => ResponsesTo(responseUrl).FirstOrDefault(r => match?.Invoke(r) ?? true), timeout, $"a post to {responseUrl}");

    private void AddFaults(string method, int times, Fault fault)
    {
        var queue = _faults.GetOrAdd(method, _ => new Queue<Fault>());
        lock (queue)
        {
            for (var i = 0; i < times; i++)
            {
                queue.Enqueue(fault);
            }
        }
    }

    private Fault? TakeFault(string method)
    {
        if (!_faults.TryGetValue(method, out var queue))
        {
            return null;
        }

        lock (queue)
        {
            return queue.Count > 0 ? queue.Dequeue() : null;
        }
    }

    private void Record(SlackCall call)
    {
        lock (_gate)
        {
            _calls.Add(call);
        }
    }

    private string NextTs() =>
        $"{DateTimeOffset.UtcNow.ToUnixTimeSeconds()}.{Interlocked.Increment(ref _sequence):D6}";

    private sealed record Fault(string? Error, int? RetryAfterSeconds);
}
