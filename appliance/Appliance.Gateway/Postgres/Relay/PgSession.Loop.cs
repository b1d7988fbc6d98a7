using Appliance.Gateway.Postgres.Loop;

namespace Appliance.Gateway.Postgres.Relay;

/// <summary>
/// Running on an <see cref="EventLoop"/>: the same message handling as on threads, driven by
/// readiness instead of blocking reads. Reads go into the same buffers, writes go out as far as
/// the socket takes them, and a side whose output waits is not read from until it has drained,
/// so memory stays bounded by what one chunk can produce. A statement held for review blocks,
/// which a loop must not: the session then moves to threads for good (<see cref="Migrate"/>).
/// </summary>
internal sealed partial class PgSession : ILoopHandler
{
    private const int ClientTag = 0;
    private const int UpstreamTag = 1;

    private EventLoop? _loop;
    private int _clientSlot = -1;
    private int _upstreamSlot = -1;
    private uint _clientEvents;
    private uint _upstreamEvents;
    private bool _detached;
    private volatile bool _migrated;

    /// <summary>Whether this session may run on an event loop: TLS and strict audit block, so they run on threads.</summary>
    public bool CanRunOnLoop => !_clientTls && !_upstreamConnection.IsTls
        && Connection.Audit != Appliance.Policy.Configuration.AuditMode.Strict;

    /// <summary>Blocking calls are made (threads from the start, or after a move off the loop).</summary>
    private bool OnThreads => _loop is null || _migrated;

    /// <summary>Greets the client, then hands the session to <paramref name="loop"/>; completes with why it ended.</summary>
    public Task<string> RunOnLoop(EventLoop loop, CancellationToken shutdown)
    {
        if (!Greet())
        {
            Finish();
            return _completion.Task;
        }

        _loop = loop;
        var onShutdown = shutdown.Register(OnShutdown);
        _ = _completion.Task.ContinueWith(_ => onShutdown.Dispose(), TaskScheduler.Default);
        _clientSocket.Blocking = false;
        _upstreamConnection.Socket.Blocking = false;
        loop.Post(Attach);
        return _completion.Task;
    }

    public void OnEvents(int tag, uint events)
    {
        if (_detached || _migrated)
        {
            return;
        }

        try
        {
            if (tag == ClientTag)
            {
                OnClientEvents(events);
            }
            else
            {
                OnUpstreamEvents(events);
            }
        }
        catch (MigrationRequired)
        {
            Migrate();
            return;
        }

        if (IsStopping)
        {
            Detach();
        }
        else
        {
            UpdateInterests();
            ReleaseIdleBuffers();
        }
    }

    /// <summary>Between messages a session on a loop holds no buffers: 500 idle sessions cost little.</summary>
    private void ReleaseIdleBuffers()
    {
        _clientIn.ReleaseIfEmpty();
        _upstreamIn.ReleaseIfEmpty();
        if (_upstreamOut.Pending == 0)
        {
            _upstreamOut.ReleaseIfEmpty();
        }

        lock (_gate)
        {
            if (_clientOut.Pending == 0)
            {
                _clientOut.ReleaseIfEmpty();
            }
        }
    }

    private void Attach()
    {
        if (IsStopping)
        {
            _detached = true;
            Finish();
            return;
        }

        _clientEvents = Epoll.In;
        _upstreamEvents = Epoll.In;
        _clientSlot = _loop!.Register((int)_clientSocket.Handle, _clientEvents, this, ClientTag);
        _upstreamSlot = _loop.Register((int)_upstreamConnection.Socket.Handle, _upstreamEvents, this, UpstreamTag);

        // Bytes the upstream sent along with the end of the login are already buffered.
        if (_upstreamIn.Length > 0)
        {
            OnEvents(UpstreamTag, 0);
        }
    }

    private void OnClientEvents(uint events)
    {
        if ((events & Epoll.Out) != 0)
        {
            lock (_gate)
            {
                SendClient();
                if (_stopWhenSent is { } cut && _clientOut.Pending == 0)
                {
                    Stop(cut);
                    return;
                }
            }
        }

        if ((events & (Epoll.In | Epoll.HangUp | Epoll.Error)) == 0)
        {
            return;
        }

        if (_clientTerminated)
        {
            // Waiting for the upstream's last answers after a Terminate: a client that sends more
            // or hangs up meanwhile wants nothing more.
            Stop("client terminated the session");
            return;
        }

        try
        {
            var read = _clientIn.Receive(_clientSocket);
            if (read == 0)
            {
                Stop("client disconnected");
            }
            else if (read > 0 && !ProcessClientInput() && !_answersOwedAtTerminate)
            {
                Stop("client terminated the session");
            }
        }
        catch (MigrationRequired)
        {
            throw;
        }
        catch (Exception e)
        {
            Stop(ClientFault(e) ?? "client disconnected");
        }
    }

    private void OnUpstreamEvents(uint events)
    {
        if (_clientCut)
        {
            // The client's last message is a cut's FATAL: the upstream waits, unread, for the session's end.
            return;
        }

        try
        {
            if ((events & Epoll.Out) != 0)
            {
                SendUpstream();
            }

            var read = (events & (Epoll.In | Epoll.HangUp | Epoll.Error)) != 0 ? _upstreamIn.Receive(_upstreamConnection.Socket) : 1;
            if (read < 0)
            {
                return;
            }

            lock (_gate)
            {
                ProcessUpstreamInput();
                SendClient();
            }

            if (_upstreamFatal)
            {
                Stop(_cutBecause ?? "upstream ended the session");
            }
            else if (read == 0)
            {
                UpstreamClosed();
                Stop(EndReason("upstream closed the connection"));
            }
        }
        catch (MigrationRequired)
        {
            throw;
        }
        catch (Exception e)
        {
            Stop(UpstreamFault(e) ?? EndReason("upstream closed the connection"));
        }
    }

    /// <summary>
    /// Reads a side only while the other side's output has drained (backpressure), and asks to
    /// hear about writability only while output waits.
    /// </summary>
    /// <summary>Posted by a cut whose FATAL waits in the client's output: the loop watches for the socket to take it.</summary>
    private void WatchClientOutput()
    {
        if (!_detached && !_migrated)
        {
            UpdateInterests();
        }
    }

    private void UpdateInterests()
    {
        var clientPending = _clientOut.Pending > 0;
        var upstreamPending = _upstreamOut.Pending > 0;
        var client = (upstreamPending || _clientTerminated ? 0 : Epoll.In) | (clientPending ? Epoll.Out : 0);
        var upstream = (clientPending ? 0 : Epoll.In) | (upstreamPending ? Epoll.Out : 0);
        if (client != _clientEvents)
        {
            _loop!.Update((int)_clientSocket.Handle, _clientSlot, client);
            _clientEvents = client;
        }

        if (upstream != _upstreamEvents)
        {
            _loop!.Update((int)_upstreamConnection.Socket.Handle, _upstreamSlot, upstream);
            _upstreamEvents = upstream;
        }
    }

    private void Detach()
    {
        if (_detached)
        {
            return;
        }

        _detached = true;
        Unregister();
        Finish();
    }

    private void Unregister()
    {
        _loop!.Unregister((int)_clientSocket.Handle, _clientSlot);
        _loop.Unregister((int)_upstreamConnection.Socket.Handle, _upstreamSlot);
    }

    /// <summary>
    /// Leaves the loop for two threads of its own, in the middle of a message: the message that
    /// needs to block is still at the head of the client buffer, with its verdict kept, and is
    /// handled again on the client thread; whatever waited to be sent goes out first.
    /// </summary>
    private void Migrate()
    {
        _migrated = true;
        Unregister();
        _clientSocket.Blocking = true;
        _upstreamConnection.Socket.Blocking = true;
        var upstreamThread = new Thread(RunBackend, _services.Options.ThreadStackSize) { IsBackground = true, Name = "pg-upstream" };
        var clientThread = new Thread(() =>
        {
            RunFrontend();
            upstreamThread.Join();
            Finish();
        }, _services.Options.ThreadStackSize)
        {
            IsBackground = true,
            Name = "pg-client",
        };
        upstreamThread.Start();
        clientThread.Start();
    }

    /// <summary>Thrown on the loop's thread when a message needs a blocking call; see <see cref="Migrate"/>.</summary>
    private sealed class MigrationRequired : Exception
    {
        public MigrationRequired()
            : base("The session must leave the event loop to block.")
        {
        }
    }
}
