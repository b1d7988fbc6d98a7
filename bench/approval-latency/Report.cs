using System.Globalization;

namespace ApprovalLatency;

/// <summary>Nearest-rank percentiles of the samples, in milliseconds.</summary>
internal static class Report
{
    public static void Print(TextWriter output, IReadOnlyList<ApprovalSample> samples, int warmUp)
    {
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"approval latency, n={samples.Count} (after {warmUp} warm-up rounds), ms: p50 / p95 / min / max"));
        Line(output, "click -> grant honoured: first login let in, done", samples.Select(s => s.LetIn));
        Line(output, "click -> that login started", samples.Select(s => s.LetInLoginStarted));
        Line(output, "click -> chatops' HTTP 200 to Slack", samples.Select(s => s.Ack));
        Line(output, "click -> credential DM posted to Slack", samples.Select(s => s.DmPosted));
        Line(output, "one login let in, on its own (the probe's resolution)", samples.Select(s => s.OneLogin));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  logins refused before the grant was honoured: mean {samples.Average(s => s.RefusedLogins):F1}, max {samples.Max(s => s.RefusedLogins)}"));
    }

    private static void Line(TextWriter output, string what, IEnumerable<TimeSpan> values)
    {
        var sorted = values.Select(v => v.TotalMilliseconds).Order().ToArray();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {what,-56} {Rank(sorted, 0.50),7:F1} {Rank(sorted, 0.95),7:F1} {sorted[0],7:F1} {sorted[^1],7:F1}"));
    }

    private static double Rank(double[] sorted, double quantile) =>
        sorted[Math.Clamp((int)Math.Ceiling(quantile * sorted.Length) - 1, 0, sorted.Length - 1)];
}
