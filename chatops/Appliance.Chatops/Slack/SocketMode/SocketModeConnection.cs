using System.Buffers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Appliance.Chatops.Slack.SocketMode;

/// <summary>
/// One Socket Mode WebSocket (api.slack.com/apis/connections/socket-implement): waits for
/// <c>hello</c>, hands each envelope to the service, and reports Slack's <c>disconnect</c>
/// request so the service can open the next connection before closing this one.
/// </summary>
internal sealed partial class SocketModeConnection : IAsyncDisposable
{
    private const int MaxMessageBytes = 4 << 20;

    private readonly ClientWebSocket _socket = new();
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly TaskCompletionSource _hello = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<string> _disconnect = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _closing = new();
    private readonly Func<SocketModeConnection, JsonElement, Task> _onEnvelope;
    private readonly ILogger _logger;
    private Task _receiving = Task.CompletedTask;

    private SocketModeConnection(int number, Func<SocketModeConnection, JsonElement, Task> onEnvelope, ILogger logger)
    {
        Number = number;
        _onEnvelope = onEnvelope;
        _logger = logger;
    }

    public int Number { get; }

    public bool IsOpen => _socket.State == WebSocketState.Open && !_receiving.IsCompleted;

    /// <summary>Completes with Slack's reason when Slack asks to recycle this connection.</summary>
    public Task<string> DisconnectRequested => _disconnect.Task;

    /// <summary>Completes when the connection is gone, for whatever reason.</summary>
    public Task Completion => _receiving;

    public static async Task<SocketModeConnection> OpenAsync(
        int number, Uri url, Func<SocketModeConnection, JsonElement, Task> onEnvelope, ILogger logger, TimeSpan helloTimeout, CancellationToken ct)
    {
        var connection = new SocketModeConnection(number, onEnvelope, logger);
        try
        {
            await connection._socket.ConnectAsync(url, ct);
            connection._receiving = connection.ReceiveLoopAsync();
            // Slack's first message on a good connection is hello; nothing is sent before it.
            await connection._hello.Task.WaitAsync(helloTimeout, ct);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    public async Task SendAsync(JsonObject message, CancellationToken ct)
    {
        var bytes = Encoding.UTF8.GetBytes(message.ToJsonString());
        await _sendLock.WaitAsync(ct);
        try
        {
            await _socket.SendAsync(bytes, WebSocketMessageType.Text, endOfMessage: true, ct);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>Closes politely (close handshake, bounded), then releases everything.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_socket.State == WebSocketState.Open)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            try
            {
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "recycled", timeout.Token);
                await _receiving.WaitAsync(timeout.Token);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or TimeoutException)
            {
                // The peer vanished mid-close: nothing left to be polite to.
            }
        }

        await _closing.CancelAsync();
        await _receiving.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _socket.Dispose();
        _sendLock.Dispose();
        _closing.Dispose();
    }

    private async Task ReceiveLoopAsync()
    {
        await Task.Yield();
        var buffer = new ArrayBufferWriter<byte>(16 * 1024);
        try
        {
            while (_socket.State is WebSocketState.Open or WebSocketState.CloseSent)
            {
                buffer.ResetWrittenCount();
                ValueWebSocketReceiveResult result;
                do
                {
                    result = await _socket.ReceiveAsync(buffer.GetMemory(8 * 1024), _closing.Token);
                    buffer.Advance(result.Count);
                    if (buffer.WrittenCount > MaxMessageBytes)
                    {
                        throw new WebSocketException("Socket Mode message too large");
                    }
                }
                while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }

                Dispatch(buffer.WrittenSpan);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
            if (!_closing.IsCancellationRequested)
            {
                Log.Dropped(_logger, ex, Number);
            }
        }
        finally
        {
            _hello.TrySetException(new WebSocketException("The connection ended before hello"));
            Log.Ended(_logger, Number);
        }
    }

    private void Dispatch(ReadOnlySpan<byte> message)
    {
        JsonElement root;
        try
        {
            var reader = new Utf8JsonReader(message);
            root = JsonElement.ParseValue(ref reader);
        }
        catch (JsonException)
        {
            Log.Unreadable(_logger, Number);
            return;
        }

        var type = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("type", out var t) ? t.GetString() : null;
        switch (type)
        {
            case "hello":
                Log.Hello(_logger, Number);
                _hello.TrySetResult();
                break;
            case "disconnect":
                var reason = root.TryGetProperty("reason", out var r) ? r.GetString() ?? "unknown" : "unknown";
                Log.DisconnectRequested(_logger, Number, reason);
                _disconnect.TrySetResult(reason);
                break;
            default:
                if (root.TryGetProperty("envelope_id", out _))
                {
                    // Never block the socket on the work: the next envelope must be read and acked too.
                    _ = _onEnvelope(this, root);
                }

                break;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1000, Level = LogLevel.Information, Message = "Socket Mode connection {Number}: hello")]
        public static partial void Hello(ILogger logger, int number);

        [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Socket Mode connection {Number}: Slack asks to disconnect ({Reason})")]
        public static partial void DisconnectRequested(ILogger logger, int number, string reason);

        [LoggerMessage(EventId = 1002, Level = LogLevel.Warning, Message = "Socket Mode connection {Number} dropped")]
        public static partial void Dropped(ILogger logger, Exception exception, int number);

        [LoggerMessage(EventId = 1003, Level = LogLevel.Information, Message = "Socket Mode connection {Number} ended")]
        public static partial void Ended(ILogger logger, int number);

        [LoggerMessage(EventId = 1004, Level = LogLevel.Warning, Message = "Socket Mode connection {Number}: a message that is not JSON was ignored")]
        public static partial void Unreadable(ILogger logger, int number);
    }
}
