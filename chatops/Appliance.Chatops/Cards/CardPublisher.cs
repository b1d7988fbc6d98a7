using Appliance.Chatops.Gateway;
using Appliance.Chatops.Slack.Web;

namespace Appliance.Chatops.Cards;

/// <summary>
/// Posts a request's card to its connection's channel and keeps it current with
/// <c>chat.update</c>, never replacing a newer version with an older one. Where the card is
/// and what it shows live in the gateway's store, so a restarted or another replica carries on.
/// </summary>
internal sealed partial class CardPublisher(GatewayClient gateway, SlackApiClient slack, TimeProvider time, ILogger<CardPublisher> logger)
{
    /// <summary>How long to wait for a card another handler is posting right now.</summary>
    private static readonly TimeSpan PostWait = TimeSpan.FromSeconds(5);

    // Serialises work on one request's card within this process (events and clicks race).
    private readonly SemaphoreSlim[] _locks = [.. Enumerable.Range(0, 64).Select(_ => new SemaphoreSlim(1, 1))];

    /// <summary>Posts the card if there is none yet, else brings it up to this version.</summary>
    public Task PublishAsync(AccessRequest request, CancellationToken ct) => WithLockAsync(request, post: true, ct);

    /// <summary>
    /// Says <paramref name="text"/> in the card's thread, also shown in the channel: a card's edit
    /// notifies nobody, so an extension waiting on an old card went unseen (probe AW).
    /// </summary>
    public async Task AnnounceAsync(AccessRequest request, string text, CancellationToken ct)
    {
        if (await gateway.GetStateAsync<CardState>(CardState.Key(request.Id), ct) is { } state)
        {
            await slack.PostThreadReplyAsync(state.Channel, state.Ts, text, ct);
        }
    }

    /// <summary>
    /// Brings an existing card up to this version (after a click or a command); never posts a
    /// first card. Best effort: the decision is made, and the event that follows it brings the
    /// card up again, so a Slack failure here must not tell the user their action failed (probe BA).
    /// </summary>
    public async Task RefreshAsync(AccessRequest request, CancellationToken ct)
    {
        try
        {
            await WithLockAsync(request, post: false, ct);
        }
        catch (SlackApiException ex)
        {
            Log.RefreshFailed(logger, request.Id, ex.Error);
        }
    }

    private async Task WithLockAsync(AccessRequest request, bool post, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(request.Channel))
        {
            Log.NoChannel(logger, request.Id, request.Connection);
            return;
        }

        var gate = _locks[(uint)StringComparer.Ordinal.GetHashCode(request.Id) % (uint)_locks.Length];
        await gate.WaitAsync(ct);
        try
        {
            var state = await gateway.GetStateAsync<CardState>(CardState.Key(request.Id), ct);
            if (state is null && post)
            {
                state = await PostOnceAsync(request, ct);
            }

            if (state is not null)
            {
                await UpdateIfNewerAsync(state, request, ct);
            }
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task<CardState?> PostOnceAsync(AccessRequest request, CancellationToken ct)
    {
        var claim = CardState.PostClaim(request.Id);
        if (!await gateway.TryClaimAsync(claim, ct))
        {
            return await WaitForCardAsync(request, ct);
        }

        PostedMessage posted;
        try
        {
            var (text, blocks) = CardRenderer.Render(request);
            posted = await slack.PostMessageAsync(request.Channel!, text, blocks, ct);
        }
        catch
        {
            // Let the gateway's retry of this event post it again.
            await gateway.ReleaseClaimAsync(claim, CancellationToken.None);
            throw;
        }

        var state = new CardState(posted.Channel, posted.Ts, request.Version);
        await gateway.PutStateAsync(CardState.Key(request.Id), state, ct);
        Log.Posted(logger, request.Id, request.Version, posted.Channel, posted.Ts);
        // Already shows this version: nothing newer to render.
        return null;
    }

    /// <summary>Another handler (or replica) holds the post claim: its card reference appears shortly.</summary>
    private async Task<CardState?> WaitForCardAsync(AccessRequest request, CancellationToken ct)
    {
        var deadline = time.GetUtcNow() + PostWait;
        while (time.GetUtcNow() < deadline)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(200), time, ct);
            if (await gateway.GetStateAsync<CardState>(CardState.Key(request.Id), ct) is { } state)
            {
                return state;
            }
        }

        Log.CardMissing(logger, request.Id);
        return null;
    }

    private async Task UpdateIfNewerAsync(CardState state, AccessRequest request, CancellationToken ct)
    {
        if (request.Version <= state.Version)
        {
            Log.Stale(logger, request.Id, request.Version, state.Version);
            return;
        }

        var (text, blocks) = CardRenderer.Render(request);
        try
        {
            await slack.UpdateMessageAsync(state.Channel, state.Ts, text, blocks, ct);
        }
        catch (SlackApiException ex) when (ex.Error is "message_not_found" or "cant_update_message")
        {
            // The card is gone (deleted): post it anew, or every later event of the request, and the
            // DMs that follow each, would fail on it for good (probe BA).
            // Rendered again: the first blocks now belong to the failed call's arguments.
            var (again, againBlocks) = CardRenderer.Render(request);
            var posted = await slack.PostMessageAsync(request.Channel!, again, againBlocks, ct);
            await gateway.PutStateAsync(CardState.Key(request.Id), new CardState(posted.Channel, posted.Ts, request.Version), ct);
            Log.Reposted(logger, request.Id, ex.Error, posted.Channel, posted.Ts);
            return;
        }

        await gateway.PutStateAsync(CardState.Key(request.Id), state with { Version = request.Version }, ct);
        Log.Updated(logger, request.Id, state.Version, request.Version);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 500, Level = LogLevel.Information, Message = "Posted the card of {RequestId} v{Version} to {Channel} at {Ts}")]
        public static partial void Posted(ILogger logger, string requestId, long version, string channel, string ts);

        [LoggerMessage(EventId = 501, Level = LogLevel.Information, Message = "Updated the card of {RequestId} from v{From} to v{To}")]
        public static partial void Updated(ILogger logger, string requestId, long from, long to);

        [LoggerMessage(EventId = 502, Level = LogLevel.Debug, Message = "Card of {RequestId} already shows v{Shown}; v{Version} ignored")]
        public static partial void Stale(ILogger logger, string requestId, long version, long shown);

        [LoggerMessage(EventId = 503, Level = LogLevel.Information, Message = "Request {RequestId} on {Connection} has no channel: no card")]
        public static partial void NoChannel(ILogger logger, string requestId, string connection);

        [LoggerMessage(EventId = 505, Level = LogLevel.Warning, Message = "The card of {RequestId} could not be updated ({Error}): posted anew to {Channel} at {Ts}")]
        public static partial void Reposted(ILogger logger, string requestId, string error, string channel, string ts);

        [LoggerMessage(EventId = 506, Level = LogLevel.Warning, Message = "Refreshing the card of {RequestId} failed ({Error}); its next event brings it up to date")]
        public static partial void RefreshFailed(ILogger logger, string requestId, string error);

        [LoggerMessage(EventId = 504, Level = LogLevel.Warning, Message = "The card of {RequestId} is claimed but was never recorded; not posting it twice")]
        public static partial void CardMissing(ILogger logger, string requestId);
    }
}
