namespace Appliance.Chatops.Cards;

/// <summary>
/// Where a request's card is (channel id + ts, for <c>chat.update</c>) and the version it
/// shows, kept in the gateway's store under <c>card:&lt;request id&gt;</c>.
/// </summary>
internal sealed record CardState(string Channel, string Ts, long Version)
{
    public static string Key(string requestId) => "card:" + requestId;

    /// <summary>Claimed by whoever posts the card, so two handlers never post it twice.</summary>
    public static string PostClaim(string requestId) => "card-post:" + requestId;
}
