using Appliance.Gateway.Hosting;
using Serilog.Events;
using Serilog.Parsing;

namespace Appliance.Gateway.Tests.Hosting;

/// <summary>Start failures that are the operator's to fix are said in one line; the host's entries around them would bury it.</summary>
public sealed class StartupFailureTests
{
    [Fact]
    public void APortInUse_IsOneLine_AndTheHostsEntryForItIsDropped()
    {
        var inUse = new IOException("Failed to bind to address http://[::]:8080: address already in use.", new Microsoft.AspNetCore.Connections.AddressInUseException("in use"));

        Assert.Equal("The gateway could not start: Failed to bind to address http://[::]:8080: address already in use.", StartupFailure.Describe(inUse));
        Assert.True(StartupFailure.IsHostEntryForOperatorFailure(Entry("Hosting failed to start", inUse)));
        Assert.False(StartupFailure.IsHostEntryForOperatorFailure(Entry("BackgroundService failed", inUse)));
    }

    [Fact]
    public void ABug_KeepsItsStackTrace()
    {
        var bug = new NullReferenceException();

        Assert.Null(StartupFailure.Describe(bug));
        Assert.False(StartupFailure.IsHostEntryForOperatorFailure(Entry("Hosting failed to start", bug)));
    }

    [Fact]
    public async Task AStoppableService_CancelledAtTheStop_EndsQuietly()
    {
        var service = new Forever();
        await service.StartAsync(CancellationToken.None);
        await service.Running.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await service.StopAsync(CancellationToken.None);

        // A cancelled task is what the host logs as "BackgroundService failed" when the start failed.
        Assert.Equal(TaskStatus.RanToCompletion, service.ExecuteTask!.Status);
    }

    private static LogEvent Entry(string template, Exception exception) =>
        new(DateTimeOffset.UtcNow, LogEventLevel.Error, exception, new MessageTemplateParser().Parse(template), []);

    private sealed class Forever : StoppableService
    {
        public TaskCompletionSource Running { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        protected override Task RunAsync(CancellationToken stoppingToken)
        {
            Running.SetResult();
            return Task.Delay(Timeout.Infinite, stoppingToken);
        }
    }
}
