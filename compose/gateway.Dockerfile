# The gateway image: built with the .NET SDK, run on the ASP.NET Core runtime as a non-root user.
# Build context: the repository root (compose/docker-compose.yml sets it).

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# Restore from the project files alone, so a source edit does not invalidate the package layer.
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY appliance/Appliance.Gateway/Appliance.Gateway.csproj appliance/Appliance.Gateway/
COPY appliance/Appliance.Policy/Appliance.Policy.csproj appliance/Appliance.Policy/
COPY appliance/Appliance.Wire/Appliance.Wire.csproj appliance/Appliance.Wire/
RUN dotnet restore appliance/Appliance.Gateway/Appliance.Gateway.csproj
COPY appliance/ appliance/
COPY shared/ shared/
RUN dotnet publish appliance/Appliance.Gateway/Appliance.Gateway.csproj \
      -c Release --no-restore -o /out -p:UseAppHost=false

FROM mcr.microsoft.com/dotnet/aspnet:10.0
# curl for the health check: the runtime image has no HTTP client.
RUN apt-get update \
 && apt-get install -y --no-install-recommends curl \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /out ./
# The embedded store's directory, used only when APPLIANCE_STORE is empty; owned by the app user.
RUN mkdir -p /var/lib/appliance && chown "$APP_UID" /var/lib/appliance
# The gateway binds its own ports (APPLIANCE_HTTP_PORT, APPLIANCE_PG_PORT): the image's
# ASPNETCORE_HTTP_PORTS default would only produce an "overriding address" warning.
ENV ASPNETCORE_HTTP_PORTS= \
    APPLIANCE_CONFIG=/etc/appliance/appliance.yaml \
    APPLIANCE_DATA_DIR=/var/lib/appliance \
    DOTNET_CLI_TELEMETRY_OPTOUT=1
# $APP_UID: the unprivileged user the .NET images ship (uid 1654).
USER $APP_UID
EXPOSE 8080 15432
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD curl -fsS -o /dev/null http://127.0.0.1:8080/healthz || exit 1
ENTRYPOINT ["dotnet", "Appliance.Gateway.dll"]
