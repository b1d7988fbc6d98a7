using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Appliance.Tests.Common.Slack;

/// <summary>
/// Socket Mode (api.slack.com/apis/socket-mode): apps.connections.open hands out a one-use
/// ws:// URL to this emulator; each connection gets <c>hello</c>; tests push envelopes and
/// <c>disconnect</c>, and read back the acknowledgements and the connection log.
/// </summary>
public sealed partial class SlackEmulator
{
    private readonly ConcurrentDictionary<string, byte> _tickets = new();
    private readonly List<SocketConnection> _sockets = [];
    private readonly List<SocketAck> _acks = [];
    private readonly List<string> _socketLog = [];
    private int _socketNumber;

    public IReadOnlyList<SocketConnection> SocketConnections
    {
        get
        {
            lock (_gate)
            {
                return [.. _sockets];
            }
        }
    }

    public IReadOnlyList<SocketAck> Acks
    {
        get
        {
            lock (_gate)
            {
                return [.. _acks];
            }
        }
    }

    /// <summary>
    /// What happened to the connections, in order: <c>open 1</c>, <c>hello 1</c>,
    /// <c>disconnect 1</c> (sent by the emulator), <c>close 1</c> (closed by the client), <c>drop 1</c>.
    /// </summary>
    public IReadOnlyList<string> SocketLog
    {
        get
        {
            lock (_gate)
            {
                return [.. _socketLog];
            }
        }
    }

    /// <summary>The newest open connection (waits for one).</summary>
    public Task<SocketConnection> WaitForOpenSocketAsync(int number = 0, TimeSpan? timeout = null) =>
        WaitForAsync(
            () => SocketConnections.LastOrDefault(c => c.IsOpen && (number == 0 || c.Number == number) && SocketLog.Contains($"hello {c.Number}")),
            timeout,
            number == 0 ? "an open Socket Mode connection" : $"Socket Mode connection {number}");

    public Task<SocketAck> WaitForAckAsync(string envelopeId, TimeSpan? timeout = null) =>
        WaitForAsync(() => Acks.FirstOrDefault(a => a.EnvelopeId == envelopeId), timeout, $"the ack of {envelopeId}");

    /// <summary>Sends an envelope as Slack does, on <paramref name="via"/> or the newest open connection.</summary>
    public async Task<string> SendEnvelopeAsync(
        string type, JsonObject payload, string? envelopeId = null, bool acceptsResponsePayload = true, SocketConnection? via = null, int retryAttempt = 0)
    {
        var connection = via ?? await WaitForOpenSocketAsync();
        var id = envelopeId ?? Guid.NewGuid().ToString();
        var envelope = new JsonObject
        {
            ["envelope_id"] = id,
            ["type"] = type,
            ["accepts_response_payload"] = acceptsResponsePayload,
            ["retry_attempt"] = retryAttempt,
            ["retry_reason"] = retryAttempt > 0 ? "timeout" : string.Empty,
            ["payload"] = payload.DeepClone(),
        };
        await SendAsync(connection, envelope);
        return id;
    }

    /// <summary>Asks the client to recycle a connection, as Slack does every few hours.</summary>
    public async Task SendDisconnectAsync(SocketConnection? via = null, string reason = "refresh_requested")
    {
        var connection = via ?? await WaitForOpenSocketAsync();
        Log($"disconnect {connection.Number}");
        await SendAsync(connection, new JsonObject
        {
            ["type"] = "disconnect",
            ["reason"] = reason,
            ["debug_info"] = new JsonObject { ["host"] = "slack-emulator" },
        });
    }

    /// <summary>Drops a connection without warning (a network failure).</summary>
    public void DropSocket(SocketConnection connection)
    {
        Log($"drop {connection.Number}");
        connection.Socket.Abort();
    }

    private JsonObject OpenConnection()
    {
        var ticket = Guid.NewGuid().ToString("N");
        _tickets[ticket] = 0;
        var ws = new UriBuilder(BaseUrl) { Scheme = "ws", Path = "/socket-mode/link", Query = "ticket=" + ticket };
        return new JsonObject { ["ok"] = true, ["url"] = ws.Uri.ToString() };
    }

    private async Task HandleSocketAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest || !_tickets.TryRemove(context.Request.Query["ticket"].ToString(), out _))
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            return;
        }

        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        SocketConnection connection;
        lock (_gate)
        {
            connection = new SocketConnection(++_socketNumber, socket);
            _sockets.Add(connection);
        }

        Log($"open {connection.Number}");
        await SendAsync(connection, new JsonObject
        {
            ["type"] = "hello",
            ["num_connections"] = SocketConnections.Count(c => c.IsOpen),
            ["debug_info"] = new JsonObject { ["host"] = "slack-emulator", ["approximate_connection_time"] = 18060 },
            ["connection_info"] = new JsonObject { ["app_id"] = "A0EMULATOR" },
        });
        Log($"hello {connection.Number}");

        await ReceiveAsync(connection);
        connection.ClosedAt = DateTimeOffset.UtcNow;
        connection.Done.TrySetResult();
    }

    private async Task ReceiveAsync(SocketConnection connection)
    {
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        try
        {
            while (true)
            {
                var result = await connection.Socket.ReceiveAsync(buffer, CancellationToken.None);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    Log($"close {connection.Number}");
                    await connection.Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
                    return;
                }

                message.Write(buffer, 0, result.Count);
                if (!result.EndOfMessage)
                {
                    continue;
                }

                RecordAck(connection, Encoding.UTF8.GetString(message.ToArray()));
                message.SetLength(0);
            }
        }
        catch (WebSocketException)
        {
            // Aborted by DropSocket or by the client going away.
        }
        catch (OperationCanceledException)
        {
            // The emulator is shutting down.
        }
    }

    private void RecordAck(SocketConnection connection, string text)
    {
        if (JsonNode.Parse(text) is not JsonObject ack || ack["envelope_id"]?.GetValue<string>() is not { } id)
        {
            return;
        }

        lock (_gate)
        {
            _acks.Add(new SocketAck(connection.Number, id, ack["payload"] as JsonObject, DateTimeOffset.UtcNow));
        }
    }

    private static async Task SendAsync(SocketConnection connection, JsonObject message)
    {
        await connection.SendLock.WaitAsync();
        try
        {
            await connection.Socket.SendAsync(Encoding.UTF8.GetBytes(message.ToJsonString()), WebSocketMessageType.Text, true, CancellationToken.None);
        }
        finally
        {
            connection.SendLock.Release();
        }
    }

    private void Log(string entry)
    {
        lock (_gate)
        {
            _socketLog.Add(entry);
        }
    }
}
