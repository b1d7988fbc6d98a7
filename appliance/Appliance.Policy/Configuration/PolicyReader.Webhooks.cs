using System.Text.RegularExpressions;

namespace Appliance.Policy.Configuration;

/// <summary><c>webhooks:</c> and <c>gateway:</c>.</summary>
internal sealed partial class PolicyReader
{
    private static readonly string[] WebhookKeys = ["url", "secret", "events"];
    private static readonly string[] GatewayKeys = ["publicHost", "publicPort", "tls", "allowLoopbackPlaintext"];
    private static readonly string[] GatewayTlsKeys = ["certificate", "key"];
    private static readonly GatewayPolicy GatewayDefaults = new();

    private List<WebhookPolicy> ReadWebhooks(ConfigMap root)
    {
        var webhooks = new List<WebhookPolicy>();
        foreach (var item in root.Items("webhooks", null, WebhookKeys))
        {
            var url = item.Scalar("url", required: true);
            var secret = item.Text("secret", required: true);
            var events = new List<string>();
            foreach (var pattern in item.List("events"))
            {
                if (!EventPatternSyntax().IsMatch(pattern.Value))
                {
                    reader.Report(pattern.Node, pattern.Path, ConfigErrorKind.InvalidValue,
                        $"'{pattern.Shown}' is not an event pattern such as grant.expired, grant.* or *");
                }
                else if (!events.Contains(pattern.Value))
                {
                    events.Add(pattern.Value);
                }
            }

            Uri? target = null;
            if (url is not null
                && (!Uri.TryCreate(url.Value, UriKind.Absolute, out target)
                    || (target.Scheme != Uri.UriSchemeHttps && target.Scheme != Uri.UriSchemeHttp)))
            {
                reader.Report(url.Node, url.Path, ConfigErrorKind.InvalidValue, $"'{url.Shown}' is not an absolute http(s) URL");
                target = null;
            }

            if (target is not null && secret is not null)
            {
                var webhook = new WebhookPolicy { Url = target, Secret = secret };
                webhooks.Add(item.Has("events") ? webhook with { Events = events } : webhook);
            }
        }

        return webhooks;
    }

    private GatewayPolicy ReadGateway(ConfigMap root)
    {
        if (root.Map("gateway", GatewayKeys) is not { } gateway)
        {
            return GatewayDefaults;
        }

        var host = gateway.Scalar("publicHost");
        if (host is not null && Uri.CheckHostName(host.Value.Trim()) == UriHostNameType.Unknown)
        {
            reader.Report(host.Node, host.Path, ConfigErrorKind.InvalidValue,
                $"'{host.Shown}' is not a host name or IP address (no scheme, no port)");
        }

        var port = gateway.Int("publicPort", 1, 65535);
        var plaintext = gateway.Bool("allowLoopbackPlaintext");
        var tls = gateway.Map("tls", GatewayTlsKeys);
        var certificate = tls?.Text("certificate");
        var key = tls?.Text("key");
        if (tls is not null && key is not null && !tls.Has("certificate"))
        {
            tls.ReportMissing("certificate");
        }

        return new GatewayPolicy
        {
            PublicHost = host?.Value.Trim() ?? GatewayDefaults.PublicHost,
            PublicPort = port ?? GatewayDefaults.PublicPort,
            TlsCertificatePath = string.IsNullOrWhiteSpace(certificate) ? null : certificate,
            TlsKeyPath = string.IsNullOrWhiteSpace(key) ? null : key,
            AllowLoopbackPlaintext = plaintext ?? GatewayDefaults.AllowLoopbackPlaintext,
        };
    }

    [GeneratedRegex(@"^(\*|[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*(\.\*)?)$", RegexOptions.CultureInvariant)]
    private static partial Regex EventPatternSyntax();
}
