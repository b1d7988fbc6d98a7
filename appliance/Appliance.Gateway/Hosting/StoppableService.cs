namespace Appliance.Gateway.Hosting;

/// <summary>
/// A background loop whose cancellation at the stop ends it quietly. The host logs a cancelled
/// service as failed when the stop comes from a failed start (a port in use), which buried the
/// one line saying why under a stack trace per service.
/// </summary>
internal abstract class StoppableService : BackgroundService
{
    protected sealed override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await RunAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    protected abstract Task RunAsync(CancellationToken stoppingToken);
}
