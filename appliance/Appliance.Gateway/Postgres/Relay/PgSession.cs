using System.Buffers;
using System.Net.Sockets;
using Appliance.Gateway.Audit;
using Appliance.Gateway.Identity;
using Appliance.Gateway.Postgres.Policy;
using Appliance.Gateway.Postgres.Startup;
using Appliance.Gateway.Postgres.Upstream;
using Appliance.Policy.Configuration;
using Appliance.Policy.Masking;
using Appliance.Policy.Sql;
using Appliance.Wire.Backend;
using Appliance.Wire.Writing;

namespace Appliance.Gateway.Postgres.Relay;

/// <summary>
/// One client session relayed to its upstream backend. The client side reads client messages,
/// judges statements and forwards them; the upstream side reads the answers, masks rows and
/// writes them to the client. They meet in <see cref="_pending"/>, the ordered list of answers
/// the client expects, guarded by <see cref="_gate"/>, which also serialises every write to the
/// client, so the gateway's own answers (refusals, FATALs) land exactly where PostgreSQL would
/// have put them. Both sides run either on an event loop shared with other sessions
/// (PgSession.Loop.cs, plaintext) or on two threads of the session's own with blocking calls
/// (TLS, strict audit, a statement held for review); docs/benchmarks.md has the measurements.
/// </summary>
internal sealed partial class PgSession : IDisposable
{
    private readonly SessionServices _services;
    private readonly Socket _clientSocket;
    private readonly Stream _client;
    private readonly bool _clientTls;
    private readonly UpstreamConnection _upstreamConnection;
    private readonly Stream _upstream;
    private readonly InputBuffer _clientIn = new();
    private readonly InputBuffer _upstreamIn;
    private readonly OutputBuffer _clientOut = new();
    private readonly OutputBuffer _upstreamOut = new();
    private readonly Lock _gate = new();
    private readonly PendingQueue _pending = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly int _maxMessageLength;
    private readonly SqlSession _sql = new();
    private readonly ColumnCatalog _catalog;
    private volatile ConnectionRuntime _runtime;
    private long _policyVersion;
    private readonly TaskCompletionSource<string> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private string? _stopReason;

    /// <summary>Why the gateway is cutting the session (Cut), whoever then stops it first.</summary>
    private volatile string? _cutReason;
    private int _finished;
    private long _grantExpiresAtMs;

    public PgSession(SessionStart start, SessionServices services)
    {
        _services = services;
        _clientSocket = start.ClientSocket;
        _client = start.Client;
        _clientTls = start.ClientTls;
        _upstreamConnection = start.Upstream;
        _upstreamPort = (start.Upstream.Socket.LocalEndPoint as System.Net.IPEndPoint)?.Port ?? 0;
        _clientEncoding = start.Upstream.ClientEncoding;
        _upstream = start.Upstream.Stream;
        _upstreamIn = start.Upstream.Input;
        _catalog = start.Catalog;
        _maxMessageLength = services.Options.MaxMessageLength;
        _lastStatus = start.Upstream.Status;
        Person = start.Access.Person;
        Connection = start.Access.Connection;
        GrantId = start.Access.Grant.Id;
        TokenId = start.Access.TokenId;
        _grantExpiresAtMs = start.Access.Grant.ExpiresAt?.ToUnixTimeMilliseconds() ?? long.MaxValue;
        ClientAddress = start.ClientAddress;
        Application = start.Application;
        _settings = start.Settings;
        _nodeEpoch = services.Node.Epoch;
        _runtime = ConnectionRuntime.For(Connection);

        // Checked against the policy in force at the first message: one reloaded since the login
        // was authenticated (its catalog read by the rules then) is caught like any later one.
        _policyVersion = -1;
        Id = Access.Ids.NewSessionId();
        (ProcessId, SecretKey) = services.Registry.Add(this);
    }

    /// <summary>The startup parameters the client asked the upstream for, masked: recorded with the session's start.</summary>
    private readonly IReadOnlyDictionary<string, string> _settings;

    /// <summary>The gateway's lease epoch at the login (<see cref="GatewayNode"/>).</summary>
    private readonly long _nodeEpoch;

    public string Id { get; }

    public Person Person { get; }

    public ConnectionPolicy Connection { get; }

    public string ConnectionName => Connection.Name;

    public string GrantId { get; }

    /// <summary>The token (personal token or grant credential) the client logged in with.</summary>
    public string TokenId { get; }

    /// <summary>When the grant ends unless extended (updated when it is).</summary>
    public DateTimeOffset GrantExpiresAt
    {
        get => DateTimeOffset.FromUnixTimeMilliseconds(Volatile.Read(ref _grantExpiresAtMs));
        set => Volatile.Write(ref _grantExpiresAtMs, value.ToUnixTimeMilliseconds());
    }

    public string ClientAddress { get; }

    public string? Application { get; }

    /// <summary>The pid and cancel key this gateway gave the client.</summary>
    public int ProcessId { get; }

    public byte[] SecretKey { get; }

    public UpstreamPolicy Upstream => Connection.Upstream;

    public int UpstreamProcessId => _upstreamConnection.ProcessId;

    /// <summary>The gateway's own port on the upstream leg: with the pid, what names its backend once the socket is closed (a pid alone may be reused).</summary>
    private readonly int _upstreamPort;

    public byte[] UpstreamSecretKey => _upstreamConnection.SecretKey;

    public bool IsStopping => _stopReason is not null;

    /// <summary>
    /// Relays on threads: client to upstream on the calling thread, upstream to client on a
    /// second one, with blocking calls (how TLS sessions and strict-audit sessions always run).
    /// Returns why the session ended.
    /// </summary>
    public string Run(CancellationToken shutdown)
    {
        if (!Greet())
        {
            return Finish();
        }

        using var onShutdown = shutdown.Register(OnShutdown);
        var upstreamThread = new Thread(RunBackend, _services.Options.ThreadStackSize) { IsBackground = true, Name = "pg-upstream" };
        upstreamThread.Start();
        RunFrontend();
        upstreamThread.Join();
        return Finish();
    }

    /// <summary>
    /// Greets the client as PostgreSQL would after a login (AuthenticationOk, the upstream's
    /// ParameterStatus messages, the gateway's own BackendKeyData, ReadyForQuery).
    /// </summary>
    private bool Greet()
    {
        var application = RecordedApplication(Application);
        _recordedApplication = application;
        var info = new SessionInfo(Id, Person.Email, ConnectionName, GrantId, ClientAddress, application, _services.Time.GetUtcNow(), _settings);
        if (!RecordStart(info))
        {
            return false;
        }

        Log.SessionStarted(_services.Logger, Id, Person.Email, ConnectionName, GrantId, ClientAddress);
        try
        {
            BackendWriter.WriteAuthenticationOk(_clientOut);
            foreach (var message in _upstreamConnection.StartupMessages)
            {
                _clientOut.Write(message);
            }

            BackendWriter.WriteBackendKeyData(_clientOut, ProcessId, SecretKey);
            BackendWriter.WriteReadyForQuery(_clientOut, _lastStatus);
            _clientOut.FlushTo(_client);
            return true;
        }
        catch (Exception e) when (IsDisconnect(e))
        {
            Stop("client disconnected");
            return false;
        }
    }

    /// <summary>
    /// Queues the session's start; under <c>audit: strict</c> commits it first, and refuses the
    /// session (FATAL 58000) when the audit log cannot hold it. The start then stays queued, so the
    /// refused attempt is on record once the store is back. A batched session is refused too while
    /// the audit writer's commits are failing: its records would live only in memory, and a stop
    /// would lose them (probe AX: a read-only store let sessions write to the target untraced).
    /// </summary>
    private bool RecordStart(SessionInfo info)
    {
        if (Connection.Audit != Appliance.Policy.Configuration.AuditMode.Strict)
        {
            _services.Recorder.Start(info);
            if (!_services.Recorder.IsFailing)
            {
                return true;
            }

            Log.AuditFailingLoginRefused(_services.Logger, Id);
            return RefuseUnrecorded("the audit log cannot record sessions right now (its store is failing): try again later");
        }

        try
        {
            _services.Recorder.CommitStartAsync(info, _stopping.Token).GetAwaiter().GetResult();
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Log.StrictAuditStartFailed(_services.Logger, Id, e);
            _services.Recorder.Start(info);
            return RefuseUnrecorded("the audit log could not record the session, and this connection's audit is strict: try again later");
        }
    }

    private bool RefuseUnrecorded(string message)
    {
        SendFatal(SystemError, message);
        Stop($"refused: {message}");
        return false;
    }

    private void OnShutdown() => Cut(Appliance.Wire.SqlStates.AdminShutdown, "terminating connection: the gateway is shutting down", "gateway shutdown");

    /// <summary>
    /// Ends the session from outside (grant ended, gateway stopping): a FATAL ErrorResponse to
    /// the client at the next message boundary, then both legs closed.
    /// </summary>
    public void Cut(string sqlState, string message, string reason)
    {
        if (IsStopping)
        {
            return;
        }

        // Declared before the FATAL goes out: a client that reads it and hangs up at once stops the
        // session from its side, and the record said "client disconnected" instead of who and why.
        _cutReason = reason;
        Log.SessionCut(_services.Logger, Id, reason);
        var fatal = LocalMessages.Fatal(sqlState, message);
        if (!_gate.TryEnter(TimeSpan.FromMilliseconds(200)))
        {
            // The upstream thread holds the client, relaying a long result: it sends the FATAL
            // after the message it is on and ends the session (probe AO1: the FATAL was skipped and
            // the socket closed inside a DataRow, with no word of why). A client that reads no
            // more is cut without it.
            _fatalAtBoundary = fatal;
            _ = StopAfterBoundaryAsync(reason, busy: true);
            return;
        }

        bool busy;
        bool unsent;
        try
        {
            busy = !_pending.IsEmpty;
            WriteToClient(fatal);
            _clientCut = true;
            unsent = !OnThreads && _clientOut.Pending > 0;
        }
        finally
        {
            _gate.Exit();
        }

        if (unsent)
        {
            // On an event loop the socket took what it could: the rest goes out as the client reads
            // (OnClientEvents), and then the session ends. Closed now, it was lost (probe AO1).
            _stopWhenSent = reason;
            _loop!.Post(WatchClientOutput);
            _ = StopAfterBoundaryAsync(reason, busy);
            return;
        }

        Stop(reason);
        if (busy)
        {
            // Closing the socket alone would let a running statement go on to its end upstream.
            _services.CutBackends.Enqueue(CancelUpstream, TerminateUpstream);
        }
    }

    /// <summary>A FATAL the upstream thread sends after the message it is relaying (<see cref="Cut"/>), then ends the session.</summary>
    private volatile byte[]? _fatalAtBoundary;

    /// <summary>The FATAL of a cut is written: nothing the upstream sends goes after it.</summary>
    private volatile bool _clientCut;

    /// <summary>On an event loop: the session ends once the client has taken the FATAL of a cut (why: <see cref="Cut"/>).</summary>
    private volatile string? _stopWhenSent;

    private async Task StopAfterBoundaryAsync(string reason, bool busy)
    {
        for (var waited = 0; waited < 20 && !IsStopping; waited++)
        {
            await Task.Delay(50);
        }

        Stop(reason);
        if (busy)
        {
            _services.CutBackends.Enqueue(CancelUpstream, TerminateUpstream);
        }
    }

    /// <summary>
    /// A cut session's statement does not run on upstream: cancelled, then its backend ended
    /// (<see cref="TerminateUpstream"/>), as code may catch the cancel and PostgreSQL notices the
    /// closed socket only at its next write (probe BI1: a DO block that caught the cancel committed
    /// rows for 8 s after the revocation).
    /// </summary>
    private void CancelUpstream()
    {
        try
        {
            _services.Connector.Cancel(Upstream, UpstreamProcessId, UpstreamSecretKey);
        }
        catch (Exception e) when (e is UpstreamLoginException or IOException or SocketException or ObjectDisposedException)
        {
            Log.CancelFailed(_services.Logger, Id, e.Message);
        }
    }

    /// <summary>Ends the cut session's backend, which may have caught the cancel (<see cref="CancelUpstream"/>).</summary>
    private void TerminateUpstream()
    {
        try
        {
            if (_services.Connector.Terminate(Upstream, UpstreamProcessId, _upstreamPort))
            {
                Log.UpstreamBackendTerminated(_services.Logger, Id, UpstreamProcessId);
            }
        }
        catch (Exception e) when (e is UpstreamLoginException or IOException or SocketException or ObjectDisposedException or Appliance.Wire.PgProtocolException)
        {
            Log.UpstreamTerminateFailed(_services.Logger, Id, UpstreamProcessId, e.Message);
        }
    }

    public void Dispose()
    {
        _clientIn.Dispose();
        _clientOut.Dispose();
        _upstreamOut.Dispose();
        _upstreamConnection.Dispose();
        _client.Dispose();
        _stopping.Dispose();
    }

    /// <summary>
    /// A notice about the statement being handled, after the answers still owed to earlier ones,
    /// as PostgreSQL orders them: a held second Query's notice came before the first's rows (probe QC2).
    /// </summary>
    private void SendNoticeInTurn(string message, string hint)
    {
        var notice = LocalMessages.Notice(message, hint);
        lock (_gate)
        {
            if (!_pending.IsEmpty)
            {
                _pending.Enqueue(new PendingEntry { Kind = PendingKind.Local, Local = notice });
                return;
            }
        }

        SendBetweenMessages(notice);
    }

    /// <summary>A FATAL to the client, after whatever whole messages are still waiting to go out.</summary>
    private void SendFatal(string sqlState, string message) => SendBetweenMessages(LocalMessages.Fatal(sqlState, message));

    /// <summary>
    /// A message of the gateway's own to the client between whole messages; skipped when the
    /// upstream thread holds the client for long, and when the client is already gone.
    /// </summary>
    private void SendBetweenMessages(byte[] message)
    {
        if (!_gate.TryEnter(TimeSpan.FromMilliseconds(500)))
        {
            return;
        }

        try
        {
            WriteToClient(message);
        }
        finally
        {
            _gate.Exit();
        }
    }

    /// <summary>A message of the gateway's own, now; callers hold <see cref="_gate"/>.</summary>
    private void WriteToClient(byte[] message)
    {
        try
        {
            _clientOut.Write(message);
            SendClient();
        }
        catch (Exception e) when (IsDisconnect(e) || e is InvalidOperationException or NotSupportedException)
        {
            // The client is already gone.
        }
    }

    /// <summary>First caller wins the reason; both sockets are shut so the blocked thread wakes up.</summary>
    private void Stop(string reason)
    {
        if (Interlocked.CompareExchange(ref _stopReason, _cutReason ?? reason, null) is not null)
        {
            return;
        }

        _stopping.Cancel();
        Shutdown(_clientSocket);
        Shutdown(_upstreamConnection.Socket);
    }

    private static void Shutdown(Socket socket)
    {
        try
        {
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already closed.
        }
    }

    /// <summary>Once, whichever way the session ran: unlisted, recorded as ended, and awaited no more.</summary>
    private string Finish()
    {
        var reason = _stopReason ?? "ended";
        if (Interlocked.Exchange(ref _finished, 1) == 0)
        {
            _services.Registry.Remove(this);
            OnTransactionSessionEnd();
            RecordUnanswered(reason);
            _services.Recorder.End(Id, RecordedEndReason(reason));
            Log.SessionEnded(_services.Logger, Id, reason);
            _completion.TrySetResult(reason);
        }

        return reason;
    }

    /// <summary>
    /// Statements forwarded whose answer never came (the client left, the session was cut, a
    /// result was over the limit) are recorded too: every statement that may have run has a record.
    /// </summary>
    private void RecordUnanswered(string reason)
    {
        var failed = $"the session ended ({reason}) before the upstream's answer was relayed; the statement may have run";
        lock (_gate)
        {
            while (!_pending.IsEmpty)
            {
                DequeueUnanswered(failed);
            }
        }
    }

    /// <summary>A write to the client failed: it went away (the upstream side writes too, and must not take the blame).</summary>
    private volatile bool _clientGone;

    /// <summary>
    /// Writes what waits for the client: blocking on threads; on an event loop, what the socket
    /// takes now, the rest when it is writable. Callers hold <see cref="_gate"/>.
    /// </summary>
    private void SendClient()
    {
        try
        {
            if (OnThreads)
            {
                _clientOut.FlushTo(_client);
            }
            else
            {
                _clientOut.TrySendTo(_clientSocket);
            }
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
            // Not ObjectDisposed or a cancellation: those come from the gateway's own shutdown.
            _clientGone = true;
            throw;
        }
    }

    private void SendUpstream()
    {
        if (OnThreads)
        {
            _upstreamOut.FlushTo(_upstream);
        }
        else
        {
            _upstreamOut.TrySendTo(_upstreamConnection.Socket);
        }
    }

    private static bool IsDisconnect(Exception e) =>
        e is IOException or SocketException or ObjectDisposedException or OperationCanceledException;

    /// <summary>A per-session scratch for masked values; the masker writes, the row rewriter copies.</summary>
    private readonly ArrayBufferWriter<byte> _scratch = new(256);
}
