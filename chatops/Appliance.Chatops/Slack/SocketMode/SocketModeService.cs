using System.Text.Json;
using System.Text.Json.Nodes;
using Appliance.Chatops.Configuration;
using Appliance.Chatops.Interactions;
using Appliance.Chatops.Operations;
using Appliance.Chatops.Security;
using Appliance.Chatops.Slack.Inbound;
using Appliance.Chatops.Slack.Web;
using Microsoft.Extensions.Options;

namespace Appliance.Chatops.Slack.SocketMode;

/// <summary>
/// Socket Mode (api.slack.com/apis/socket-mode), for appliances Slack cannot reach: chatops
/// dials out with the app-level token. Each envelope is acknowledged within Slack's 3 s
/// (with the command's answer when it is ready), redeliveries are dropped by envelope_id,
/// a <c>disconnect</c> opens the next connection before the old one closes, and errors
/// reconnect with backoff.
/// </summary>
internal sealed partial class SocketModeService(
    SlackApiClient slack,
    SlashCommandProcessor commands,
    InteractionProcessor interactions,
    BackgroundWork work,
    IOptions<ChatopsOptions> options,
    TimeProvider time,
    ILogger<SocketModeService> logger) : BackgroundService
{
    private static readonly TimeSpan HelloTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);

    private readonly RecentKeys _seenEnvelopes = new(time, TimeSpan.FromMinutes(30));
    private SocketModeConnection? _current;
    private int _opened;

    public bool IsConnected => _current?.IsOpen == true;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.SocketModeEnabled)
        {
            return;
        }

        var failures = 0;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    _current ??= await OpenAsync(stoppingToken);
                    failures = 0;
                    var ended = await Task.WhenAny(_current.DisconnectRequested, _current.Completion).WaitAsync(stoppingToken);
                    if (ended == _current.DisconnectRequested)
                    {
                        // The next connection first, so nothing Slack sends meanwhile is lost;
                        // the old one keeps reading (and acking) until it is closed.
                        var next = await OpenAsync(stoppingToken);
                        var old = _current;
                        _current = next;
                        await old.DisposeAsync();
                    }
                    else
                    {
                        Log.Lost(logger, _current.Number);
                        await _current.DisposeAsync();
                        _current = null;
                        await Task.Delay(Backoff(++failures), time, stoppingToken);
                    }
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    Log.OpenFailed(logger, ex, ++failures);
                    await Task.Delay(Backoff(failures), time, stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
        finally
        {
            if (_current is not null)
            {
                await _current.DisposeAsync();
                _current = null;
            }
        }
    }

    private async Task<SocketModeConnection> OpenAsync(CancellationToken ct)
    {
        var url = await slack.OpenSocketConnectionAsync(ct);
        var number = Interlocked.Increment(ref _opened);
        var connection = await SocketModeConnection.OpenAsync(number, url, OnEnvelopeAsync, logger, HelloTimeout, ct);
        Log.Connected(logger, number);
        return connection;
    }

    private Task OnEnvelopeAsync(SocketModeConnection connection, JsonElement envelope) =>
        work.Start("socket mode envelope", ct => HandleEnvelopeAsync(connection, envelope, ct));

    private async Task HandleEnvelopeAsync(SocketModeConnection connection, JsonElement envelope, CancellationToken ct)
    {
        var id = JsonPath.String(envelope, "envelope_id");
        if (string.IsNullOrEmpty(id))
        {
            return;
        }

        var ack = new JsonObject { ["envelope_id"] = id };
        if (!_seenEnvelopes.TryAdd(id))
        {
            // A redelivery: ack it again so Slack stops, but do the work only once.
            Log.Duplicate(logger, id);
            await connection.SendAsync(ack, ct);
            return;
        }

        var payload = envelope.TryGetProperty("payload", out var p) ? p : default;
        JsonObject? reply = null;
        switch (JsonPath.String(envelope, "type"))
        {
            case "slash_commands" when SlashCommand.FromJson(payload) is { } command:
                reply = await commands.AcknowledgeAsync(command);
                break;
            case "interactive":
                reply = await interactions.AcknowledgeAsync(payload);
                break;
        }

        if (reply is not null && envelope.TryGetProperty("accepts_response_payload", out var accepts) && accepts.ValueKind == JsonValueKind.True)
        {
            ack["payload"] = reply;
        }

        await connection.SendAsync(ack, ct);
    }

    private static TimeSpan Backoff(int failures)
    {
        var seconds = Math.Min(MaxBackoff.TotalSeconds, Math.Pow(2, Math.Min(failures, 10) - 1));
        return TimeSpan.FromSeconds(seconds * (0.8 + (Random.Shared.NextDouble() * 0.4)));
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1010, Level = LogLevel.Information, Message = "Socket Mode connection {Number} is open")]
        public static partial void Connected(ILogger logger, int number);

        [LoggerMessage(EventId = 1011, Level = LogLevel.Warning, Message = "Socket Mode connection {Number} was lost; reconnecting")]
        public static partial void Lost(ILogger logger, int number);

        [LoggerMessage(EventId = 1012, Level = LogLevel.Warning, Message = "Opening a Socket Mode connection failed (attempt {Failures}); retrying with backoff")]
        public static partial void OpenFailed(ILogger logger, Exception exception, int failures);

        [LoggerMessage(EventId = 1013, Level = LogLevel.Debug, Message = "Socket Mode envelope {EnvelopeId} was already handled")]
        public static partial void Duplicate(ILogger logger, string envelopeId);
    }
}
