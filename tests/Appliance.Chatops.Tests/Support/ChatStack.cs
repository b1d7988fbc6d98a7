using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Appliance.Tests.Common.Gateway;
using Appliance.Tests.Common.Slack;

namespace Appliance.Chatops.Tests.Support;

/// <summary>
/// The whole chat path with real parts: the Slack emulator, a real gateway (SQLite store, the
/// test policy) delivering its signed events to a real chatops, which calls the gateway back.
/// Chatops' port is fixed before the gateway starts (the gateway must know where to deliver),
/// so a restarted chatops comes back at the same address.
/// </summary>
internal sealed class ChatStack : IAsyncDisposable
{
    public const string Alice = "UALICE";
    public const string Bob = "UBOB";
    public const string Carol = "UCAROL";
    public const string Dave = "UDAVE";
    public const string Olive = "UOLIVE";
    public const string Audrey = "UAUDREY";
    public const string Mallory = "UMALLORY";
    public const string Faceless = "UFACELESS";

    private readonly bool _httpMode;
    private readonly bool _socketMode;
    private bool _chatopsRunning;

    private ChatStack(SlackEmulator slack, TestGateway gateway, int chatopsPort, bool httpMode, bool socketMode)
    {
        Slack = slack;
        Gateway = gateway;
        ChatopsPort = chatopsPort;
        _httpMode = httpMode;
        _socketMode = socketMode;
    }

    public SlackEmulator Slack { get; }
    public TestGateway Gateway { get; }
    public int ChatopsPort { get; }
    public ChatopsHost Chatops { get; private set; } = null!;

    public string CardChannel => Slack.ChannelId("db-access");

    /// <param name="deliverEvents">False: the gateway does not deliver to chatops (tests post their own signed events).</param>
    /// <param name="policyYaml">The gateway's policy; null: <see cref="TestPolicies.Default"/>.</param>
    public static async Task<ChatStack> StartAsync(bool httpMode = true, bool socketMode = false, bool deliverEvents = true, string? policyYaml = null)
    {
        var slack = await SlackEmulator.StartAsync();
        slack.AddUser(Alice, TestPolicies.Alice, "Alice");
        slack.AddUser(Bob, TestPolicies.Bob, "Bob");
        slack.AddUser(Carol, TestPolicies.Carol, "Carol");
        slack.AddUser(Dave, TestPolicies.Dave, "Dave");
        slack.AddUser(Olive, TestPolicies.Olive, "Olive");
        slack.AddUser(Audrey, TestPolicies.Auditor, "Audrey");
        slack.AddUser(Mallory, "mallory@example.com", "Mallory");
        slack.AddUser(Faceless, null, "No Email");

        var port = FreePort();
        var gateway = await TestGateway.StartAsync(TestGatewayOptions.InTempDir() with
        {
            ChatopsUrl = deliverEvents ? $"http://127.0.0.1:{port}" : null,
            PolicyYaml = policyYaml ?? TestPolicies.Default,
        });
        var stack = new ChatStack(slack, gateway, port, httpMode, socketMode);
        await stack.StartChatopsAsync();
        return stack;
    }

    public async Task StartChatopsAsync()
    {
        Chatops = await ChatopsHost.StartAsync(ChatopsHost.Settings(Slack, Gateway.BaseAddress, _httpMode, _socketMode), port: ChatopsPort);
        _chatopsRunning = true;
    }

    public async Task StopChatopsAsync()
    {
        _chatopsRunning = false;
        await Chatops.DisposeAsync();
    }

    /// <summary>The request as the gateway holds it (read as admin).</summary>
    public async Task<JsonObject> RequestAsync(string id)
    {
        using var admin = Gateway.AdminClient();
        return (await admin.GetFromJsonAsync<JsonObject>($"api/requests/{id}"))!;
    }

    public async Task<JsonArray> AllRequestsAsync()
    {
        using var admin = Gateway.AdminClient();
        return (await admin.GetFromJsonAsync<JsonArray>("api/requests"))!;
    }

    /// <summary>The one card in a channel, once it exists.</summary>
    public Task<SlackMessage> CardAsync(string? channel = null) =>
        SlackEmulator.WaitForAsync(() => Slack.MessagesIn(channel ?? CardChannel).FirstOrDefault(), what: "the approval card");

    /// <summary>Waits until the card shows <paramref name="text"/> (it is updated asynchronously, from events).</summary>
    public Task<SlackMessage> CardShowingAsync(string text, string? channel = null) =>
        SlackEmulator.WaitForAsync(
            () => Slack.MessagesIn(channel ?? CardChannel).FirstOrDefault(m => m.AllText.Contains(text, StringComparison.Ordinal)),
            what: $"the card to show '{text}'");

    public Task<SlackMessage> DirectMessageAsync(string userId, string text) =>
        SlackEmulator.WaitForAsync(
            () => Slack.DirectMessagesTo(userId).FirstOrDefault(m => m.AllText.Contains(text, StringComparison.Ordinal)),
            what: $"a DM to {userId} saying '{text}'");

    /// <summary>A signed click on a card button, as Slack sends it in HTTP mode.</summary>
    public async Task<HttpResponseMessage> ClickAsync(string userId, string action, SlackMessage card, string requestId, Action<Uri>? responseUrl = null)
    {
        var payload = SlackPayloads.BlockAction(Slack, userId, action, requestId, card.Channel, card.Ts, out var url);
        responseUrl?.Invoke(url);
        return await Chatops.Http.SendAsync(Chatops.Signer.Interaction(Chatops.Interactions, payload));
    }

    /// <summary>The request id a card carries on its buttons.</summary>
    public static string RequestIdOf(SlackMessage card) =>
        card.Blocks!.OfType<JsonObject>()
            .Where(b => b["type"]!.GetValue<string>() == "actions")
            .SelectMany(b => b["elements"]!.AsArray().OfType<JsonObject>())
            .Select(e => e["value"]!.GetValue<string>())
            .First();

    public async ValueTask DisposeAsync()
    {
        if (_chatopsRunning)
        {
            await Chatops.DisposeAsync();
        }

        await Gateway.DisposeAsync();
        await Slack.DisposeAsync();
        try
        {
            Directory.Delete(Gateway.Options.DataDir, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open by SQLite's pool; the temp dir is cleaned by the OS eventually.
        }
    }

    /// <summary>
    /// A port free now, below the kernel's ephemeral range: chatops binds it later (and again after
    /// a restart), and a port from the ephemeral range could meanwhile be the local port of one of
    /// the tests' own outgoing connections ("address already in use", seen once in a full run).
    /// </summary>
    private static int FreePort()
    {
        for (var attempt = 0; ; attempt++)
        {
            var port = attempt < 50 ? Random.Shared.Next(20000, 32000) : 0;
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return ((IPEndPoint)listener.LocalEndpoint).Port;
            }
            catch (SocketException) when (port != 0)
            {
                // Taken: try another.
            }
        }
    }
}
