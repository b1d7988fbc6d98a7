# The chatops image (the Slack bot): built with the .NET SDK, run on the ASP.NET Core runtime as
# a non-root user. Build context: the repository root (compose/docker-compose.yml sets it).

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# Restore from the project file alone, so a source edit does not invalidate the package layer.
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY chatops/Appliance.Chatops/Appliance.Chatops.csproj chatops/Appliance.Chatops/
RUN dotnet restore chatops/Appliance.Chatops/Appliance.Chatops.csproj
COPY chatops/ chatops/
COPY shared/ shared/
RUN dotnet publish chatops/Appliance.Chatops/Appliance.Chatops.csproj \
      -c Release --no-restore -o /out -p:UseAppHost=false

FROM mcr.microsoft.com/dotnet/aspnet:10.0
# curl for the health check: the runtime image has no HTTP client.
RUN apt-get update \
 && apt-get install -y --no-install-recommends curl \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /out ./
# Chatops binds CHATOPS_HTTP_PORT itself; the image's ASPNETCORE_HTTP_PORTS would compete with it.
ENV ASPNETCORE_HTTP_PORTS= \
    CHATOPS_HTTP_PORT=8081 \
    DOTNET_CLI_TELEMETRY_OPTOUT=1
# $APP_UID: the unprivileged user the .NET images ship (uid 1654).
USER $APP_UID
EXPOSE 8081
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD curl -fsS -o /dev/null http://127.0.0.1:8081/healthz || exit 1
ENTRYPOINT ["dotnet", "Appliance.Chatops.dll"]
