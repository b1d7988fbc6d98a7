#!/bin/sh
# Seeds the demo-db container on its first start (the postgres image runs the scripts in
# /docker-entrypoint-initdb.d once, on an empty data volume). The same SQL seeds the native demo
# database that scripts/install.sh starts; the reader's name and password come from .env.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v reader_role="$DEMO_DB_USER" -v reader_password="$DEMO_DB_PASSWORD" \
  -f /seed/demo.sql
