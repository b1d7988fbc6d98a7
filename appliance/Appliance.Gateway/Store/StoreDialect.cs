namespace Appliance.Gateway.Store;

internal enum StoreDialect
{
    Postgres,
    Sqlite,
}
