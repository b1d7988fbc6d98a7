using System.Net;
using System.Net.Http.Json;

namespace Appliance.Chatops.Gateway;

/// <summary>
/// Chatops keeps no state of its own: card references and "already handled" marks live in the
/// gateway's store (<c>/api/chatops/state</c> and <c>/api/chatops/claims</c>), so any replica,
/// or a restarted one, carries on where another left off.
/// </summary>
internal sealed partial class GatewayClient
{
    public async Task<T?> GetStateAsync<T>(string key, CancellationToken ct)
        where T : class
    {
        using var response = await _http.GetAsync(StatePath(key), ct);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        await EnsureSuccessAsync(response, "GET", key, ct);
        return await response.Content.ReadFromJsonAsync<T>(Json, ct);
    }

    public async Task PutStateAsync<T>(string key, T value, CancellationToken ct)
    {
        using var response = await _http.PutAsJsonAsync(StatePath(key), value, Json, ct);
        await EnsureSuccessAsync(response, "PUT", key, ct);
    }

    /// <summary>True the first time anyone claims <paramref name="key"/>; false ever after (until released).</summary>
    public async Task<bool> TryClaimAsync(string key, CancellationToken ct)
    {
        using var response = await _http.PostAsync(ClaimPath(key), null, ct);
        if (response.StatusCode == HttpStatusCode.Conflict)
        {
            return false;
        }

        await EnsureSuccessAsync(response, "POST", key, ct);
        return true;
    }

    public async Task ReleaseClaimAsync(string key, CancellationToken ct)
    {
        using var response = await _http.DeleteAsync(ClaimPath(key), ct);
        if (response.StatusCode != HttpStatusCode.NotFound)
        {
            await EnsureSuccessAsync(response, "DELETE", key, ct);
        }
    }

    private static string StatePath(string key) => $"api/chatops/state/{Uri.EscapeDataString(key)}";

    private static string ClaimPath(string key) => $"api/chatops/claims/{Uri.EscapeDataString(key)}";

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, string method, string key, CancellationToken ct)
    {
        if (!response.IsSuccessStatusCode)
        {
            var problem = await ReadProblemAsync(response, ct);
            throw new GatewayException($"{method} chatops state '{key}' failed: {problem.Status} {problem.Message}");
        }
    }
}
