using Appliance.Gateway.Hosting;

await GatewayApp.Build(args).RunAsync();

/// <summary>Entry point, visible to WebApplicationFactory in tests.</summary>
public partial class Program;
