using System.Data.Common;
using System.Globalization;

namespace Appliance.Wire.Tests.Support;

/// <summary>
/// Where the throwaway PostgreSQL of scripts/test.sh listens. Read straight from
/// APPLIANCE_TEST_PG so the codec's tests need neither Npgsql nor the gateway.
/// </summary>
internal sealed record LivePostgres(string Host, int Port, string Username, string Password)
{
    public static LivePostgres Settings
    {
        get
        {
            var connectionString = Environment.GetEnvironmentVariable("APPLIANCE_TEST_PG");
            if (string.IsNullOrEmpty(connectionString))
            {
                throw new InvalidOperationException("APPLIANCE_TEST_PG is not set: run scripts/test.sh, or start scripts/pg-throwaway.sh and export it.");
            }

            var builder = new DbConnectionStringBuilder { ConnectionString = connectionString };
            string Get(string key, string fallback) => builder.TryGetValue(key, out var value) ? Convert.ToString(value, CultureInfo.InvariantCulture)! : fallback;
            return new LivePostgres(
                Get("Host", "127.0.0.1"),
                int.Parse(Get("Port", "5432"), CultureInfo.InvariantCulture),
                Get("Username", "postgres"),
                Get("Password", ""));
        }
    }
}
