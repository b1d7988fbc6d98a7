using System.Net.Http.Headers;
using System.Net.Http.Json;
using Appliance.Gateway.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Appliance.Tests.Common.Gateway;

/// <summary>
/// A real gateway, built by the same <see cref="GatewayApp"/> as production, listening on
/// loopback ports chosen by the OS, with its own policy file and its own store (a fresh
/// PostgreSQL database or a fresh SQLite directory).
/// </summary>
public sealed class TestGateway : IAsyncDisposable
{
    public const string AdminToken = "test-admin-token-0123456789abcdef";
    public const string ChatopsToken = "test-chatops-token-0123456789abcdef";

    private readonly WebApplication _app;

    private TestGateway(WebApplication app, TestGatewayOptions options, Uri baseAddress)
    {
        _app = app;
        Options = options;
        BaseAddress = baseAddress;
    }

    public TestGatewayOptions Options { get; }
    public Uri BaseAddress { get; }
    public IServiceProvider Services => _app.Services;

    public static async Task<TestGateway> StartAsync(TestGatewayOptions options)
    {
        Directory.CreateDirectory(options.DataDir);
        var configPath = options.ConfigPath ?? Path.Combine(options.DataDir, "appliance.yaml");
        if (options.ConfigPath is null)
        {
            await File.WriteAllTextAsync(configPath, options.PolicyYaml);
        }

        var settings = new Dictionary<string, string?>
        {
            ["APPLIANCE_CONFIG"] = configPath,
            ["APPLIANCE_DATA_DIR"] = options.DataDir,
            ["APPLIANCE_STORE"] = options.StoreConnectionString ?? "",
            ["APPLIANCE_ADMIN_TOKEN"] = AdminToken,
            ["APPLIANCE_CHATOPS_TOKEN"] = ChatopsToken,
            ["APPLIANCE_CHATOPS_URL"] = options.ChatopsUrl ?? "",
            ["APPLIANCE_HTTP_PORT"] = "0",
            ["APPLIANCE_PG_PORT"] = "0",
            ["APPLIANCE_WEBHOOK_BACKOFF"] = options.WebhookBackoff,
            ["APPLIANCE_CLUSTER_POLL"] = "00:00:00.250",
            ["SEQ_URL"] = options.SeqUrl ?? "",
        };
        foreach (var (key, value) in options.Settings)
        {
            settings[key] = value;
        }

        var app = GatewayApp.Build([], builder =>
        {
            builder.Configuration.AddInMemoryCollection(settings);
            builder.Logging.SetMinimumLevel(LogLevel.Debug);
            builder.Logging.AddProvider(options.Logs);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var port = new Uri(address.Replace("[::]", "localhost", StringComparison.Ordinal)).Port;
        return new TestGateway(app, options with { ConfigPath = configPath }, new Uri($"http://127.0.0.1:{port}/"));
    }

    /// <summary>An HTTP client for the API, authenticated with <paramref name="token"/> when given.</summary>
    public HttpClient Client(string? token = null, string? onBehalfOf = null)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        if (onBehalfOf is not null)
        {
            client.DefaultRequestHeaders.Add("X-Appliance-On-Behalf-Of", onBehalfOf);
        }

        return client;
    }

    public HttpClient AdminClient() => Client(AdminToken);

    /// <summary>Creates a personal access token for <paramref name="email"/> through the API, as an admin would.</summary>
    public async Task<string> CreateTokenAsync(string email)
    {
        using var admin = AdminClient();
        using var response = await admin.PostAsJsonAsync($"api/users/{Uri.EscapeDataString(email)}/tokens", new { name = "test" });
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<Dictionary<string, object>>();
        return body!["token"].ToString()!;
    }

    public T Service<T>() where T : notnull => _app.Services.GetRequiredService<T>();

    public async Task StopAsync() => await _app.StopAsync();

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _app.StopAsync();
        }
        catch (ObjectDisposedException)
        {
            // Already stopped by the test.
        }

        await _app.DisposeAsync();
    }
}

public sealed record TestGatewayOptions
{
    public required string DataDir { get; init; }
    public string PolicyYaml { get; init; } = TestPolicies.Default;
    /// <summary>An existing policy file to use instead of writing <see cref="PolicyYaml"/>.</summary>
    public string? ConfigPath { get; init; }
    public string? StoreConnectionString { get; init; }
    public string? ChatopsUrl { get; init; }
    public string? SeqUrl { get; init; }
    public string WebhookBackoff { get; init; } = "00:00:00.200";
    public IReadOnlyDictionary<string, string?> Settings { get; init; } = new Dictionary<string, string?>();
    public Logging.CapturingLoggerProvider Logs { get; init; } = new();

    public static TestGatewayOptions InTempDir(string? store = null) => new()
    {
        DataDir = Path.Combine(Path.GetTempPath(), "appliance-test-" + Guid.NewGuid().ToString("N")),
        StoreConnectionString = store,
    };
}
