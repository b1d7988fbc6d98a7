'use strict';
// node-postgres through the gateway: one scenario per run, driven by NodePostgresTests.cs.
//   node probe.js SCENARIO PORT USER DATABASE SSLMODE [TABLE]
// The password comes from PROBE_PASSWORD; SSLMODE is require (TLS, certificate not checked) or
// disable. Output: one fact a line, fields separated by '|' (a backslash, '|' or line break inside
// a field escaped as \\, \| and \n), NULL as <null>. An error that ends the scenario prints
// "error|SQLSTATE|message" and exits 3.
const { Client } = require('pg');

const [scenario, port, user, database, sslmode, table] = process.argv.slice(2);

function print(...fields) {
  console.log(fields.map((f) => (f === null || f === undefined ? '<null>' : String(f).replace(/[\\|]/g, '\\$&').replace(/\r?\n/g, '\\n'))).join('|'));
}

// node-postgres makes a date a Date at local midnight; back to PostgreSQL's text.
function localDate(date) {
  const pad = (n) => String(n).padStart(2, '0');
  return date === null ? null : `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

const scenarios = {
  // Simple Query messages: one statement, several in one message, a masked table.
  async simple(client) {
    print('tls', client.connection.stream.encrypted === true);
    const upstream = await client.query('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
    print('upstream-tls', upstream.rows[0].ssl);
    const one = await client.query('SELECT 40 + 2 AS answer, current_user AS who');
    print('answer', one.rows[0].answer, one.rows[0].who);
    const several = await client.query("SELECT 1 AS a; SELECT 'two' AS b");
    print('several', several.length, several[0].rows[0].a, several[1].rows[0].b);
    const customers = await client.query(`SELECT id, email, card, ssn, card_number, amount, born, note FROM ${table} ORDER BY id`);
    for (const row of customers.rows) {
      print('row', row.id, row.email, row.card, row.ssn, row.card_number, row.amount, localDate(row.born), row.note);
    }
  },

  // The extended protocol: an unnamed statement with parameters, then a named prepared one
  // (`name:`), parsed once and bound again with other values.
  async params(client) {
    const sum = await client.query({ text: 'SELECT $1::int + 1 AS n, $2::text AS s', values: [41, 'a text parameter'] });
    print('unnamed', sum.rows[0].n, sum.rows[0].s);
    const byId = `SELECT id, email, ssn, card_number, note FROM ${table} WHERE id = $1`;
    for (const id of [1, 2, 1]) {
      const result = await client.query({ name: 'customer-by-id', text: byId, values: [id] });
      const row = result.rows[0];
      print('named', id, row.email, row.ssn, row.card_number, row.note);
    }

    const prepared = await client.query('SELECT name, statement FROM pg_prepared_statements ORDER BY name');
    for (const row of prepared.rows) {
      print('server-statement', row.name, row.statement);
    }
  },

  // A blocked statement in a simple Query and in a named Parse; the connection goes on.
  async blocked(client) {
    for (const [kind, query] of [['simple', `DROP TABLE ${table}`], ['extended', { name: 'wipe', text: `TRUNCATE ${table}` }]]) {
      try {
        await client.query(query);
        print('not-blocked', kind);
      } catch (e) {
        print('blocked', kind, e.code, e.message);
      }
    }

    await client.query({ text: `INSERT INTO ${table} VALUES ($1)`, values: [7] });
    const after = await client.query(`SELECT count(*)::int AS n, max(id) AS id FROM ${table}`);
    print('after', after.rows[0].n, after.rows[0].id);
  },

  async connect(client) {
    const result = await client.query('SELECT 1 AS one');
    print('connected', result.rows[0].one);
  },
};

async function main() {
  const run = scenarios[scenario];
  if (!run) {
    throw new Error(`unknown scenario ${scenario}`);
  }

  const client = new Client({
    host: '127.0.0.1',
    port: Number(port),
    user,
    database,
    password: process.env.PROBE_PASSWORD,
    ssl: sslmode === 'require' ? { rejectUnauthorized: false } : false,
    connectionTimeoutMillis: 10000,
    query_timeout: 60000,
  });
  try {
    await client.connect();
    await run(client);
  } catch (e) {
    print('error', e.code, e.message);
    process.exitCode = 3;
  } finally {
    await client.end();
  }
}

main();
