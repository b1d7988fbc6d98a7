using System.Globalization;
using ApprovalLatency;

// bench/approval-latency.sh runs this: ApprovalLatency [rounds=50] [log file]
var rounds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 50;
var logPath = args.Length > 1 ? args[1] : Path.Combine(Path.GetTempPath(), "approval-latency.log");
const int WarmUp = 3;

// The gateway and chatops log to the console as in production; the report alone goes to stdout.
var report = Console.Out;
await using var log = new StreamWriter(logPath);
Console.SetOut(log);

await using var stack = await BenchStack.StartAsync();
var token = await stack.Gateway.CreateTokenAsync(BenchStack.Requester);
using var requester = stack.Gateway.Client(token);
using var approvals = new ApprovalRounds(stack, requester, new LoginProbe(stack.PgPort, BenchStack.Requester, token));

await approvals.RunAsync(WarmUp);
var samples = await approvals.RunAsync(rounds);
Report.Print(report, samples, WarmUp);
report.WriteLine($"  gateway and chatops logs: {logPath}");
