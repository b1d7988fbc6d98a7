-- The demo database: invented customers and their orders, with the kinds of values the
-- gateway masks (names, e-mail addresses, US social security numbers, payment card numbers in
-- several formats) so masking and guardrails show on the first query.
--
-- Nothing here is real. E-mail domains are reserved for examples (RFC 2606), phone numbers are
-- in the fictional 555-01xx range, card numbers are the card networks' published test numbers
-- or generated with a valid Luhn check digit, SSNs are generated with a valid area, group and
-- serial. The data is computed, not random, so every demo database holds the same rows.
--
-- Loaded once into an empty database by psql, with two variables:
--   psql -d demo -v reader_role=demo_reader -v reader_password=... -f demo.sql
-- by scripts/install.sh (native demo database) and compose/demo-db/init-demo.sh (the demo-db
-- container's first start).
\set ON_ERROR_STOP on

BEGIN;

-- The gateway's upstream login for the demo connection: it may read, nothing else.
CREATE ROLE :"reader_role" LOGIN PASSWORD :'reader_password';

-- Appends the Luhn check digit: from the right, every other digit of the payload is doubled.
CREATE FUNCTION pg_temp.with_check_digit(payload text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT payload || ((10 - sum(CASE WHEN i % 2 = 1 THEN (2 * d) / 10 + (2 * d) % 10 ELSE d END) % 10) % 10)::text
  FROM (SELECT i, substr(payload, length(payload) - i + 1, 1)::int AS d
        FROM generate_series(1, length(payload)) AS i) AS digits
$$;

-- The digits 0-9 drawn from a seed: md5 hex with a-f folded onto digits.
CREATE FUNCTION pg_temp.digits(seed text, n int) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT left(translate(md5(seed) || md5(seed || '/'), 'abcdef', '012345'), n)
$$;

-- Groups a card number the way people type it: 4-4-4-4 (Amex 4-6-5) with spaces or dashes, or bare.
CREATE FUNCTION pg_temp.formatted(card text, style int) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE
    WHEN style = 0 THEN card
    WHEN length(card) = 15 THEN concat_ws(CASE style WHEN 1 THEN ' ' ELSE '-' END,
                                          substr(card, 1, 4), substr(card, 5, 6), substr(card, 11, 5))
    ELSE concat_ws(CASE style WHEN 1 THEN ' ' ELSE '-' END,
                   substr(card, 1, 4), substr(card, 5, 4), substr(card, 9, 4), substr(card, 13))
  END
$$;

CREATE TABLE customers (
  id           integer PRIMARY KEY,
  full_name    text NOT NULL,
  email        text NOT NULL UNIQUE,
  phone        text NOT NULL,
  ssn          text NOT NULL,
  card_number  text NOT NULL,
  card_brand   text NOT NULL,
  city         text NOT NULL,
  created_at   timestamptz NOT NULL
);

CREATE TABLE orders (
  id           integer PRIMARY KEY,
  customer_id  integer NOT NULL REFERENCES customers (id),
  placed_at    timestamptz NOT NULL,
  status       text NOT NULL,
  total        numeric(10, 2) NOT NULL,
  card_number  text NOT NULL,
  note         text
);
CREATE INDEX orders_customer_id ON orders (customer_id);

-- The networks' published test numbers go to the first customers, exactly as support staff
-- would paste them; the rest are generated.
CREATE TEMPORARY TABLE test_cards (n int PRIMARY KEY, card text, brand text) ON COMMIT DROP;
INSERT INTO test_cards VALUES
  (1, '4111 1111 1111 1111', 'visa'),
  (2, '5555-5555-5555-4444', 'mastercard'),
  (3, '378282246310005', 'amex'),
  (4, '4012 8888 8888 1881', 'visa'),
  (5, '6011-1111-1111-1117', 'discover'),
  (6, '5105105105105100', 'mastercard'),
  (7, '4242 4242 4242 4242', 'visa'),
  (8, '3714 496353 98431', 'amex');

WITH
  first_names(a) AS (SELECT ARRAY[
    'James', 'Mary', 'Robert', 'Patricia', 'John', 'Jennifer', 'Michael', 'Linda', 'David', 'Elizabeth',
    'William', 'Barbara', 'Richard', 'Susan', 'Joseph', 'Jessica', 'Thomas', 'Sarah', 'Carlos', 'Karen',
    'Wei', 'Nancy', 'Daniel', 'Lisa', 'Matthew', 'Aisha', 'Anthony', 'Sofia', 'Mark', 'Emily',
    'Kenji', 'Olga', 'Rahul', 'Fatima', 'Lucas', 'Chloe', 'Mateo', 'Ingrid', 'Kwame', 'Priya']),
  last_names(a) AS (SELECT ARRAY[
    'Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Garcia', 'Miller', 'Davis', 'Rodriguez', 'Martinez',
    'Hernandez', 'Lopez', 'Gonzalez', 'Wilson', 'Anderson', 'Thomas', 'Taylor', 'Moore', 'Jackson', 'Martin',
    'Lee', 'Perez', 'Thompson', 'White', 'Harris', 'Sanchez', 'Clark', 'Ramirez', 'Lewis', 'Robinson',
    'Walker', 'Nakamura', 'Okafor', 'Kowalski', 'Nguyen', 'Schmidt', 'Patel', 'Rossi', 'Andersson', 'Dubois']),
  cities(a) AS (SELECT ARRAY[
    'Springfield', 'Riverside', 'Fairview', 'Madison', 'Georgetown', 'Salem', 'Franklin', 'Clinton',
    'Greenville', 'Bristol', 'Arlington', 'Ashland', 'Dover', 'Oxford', 'Milton', 'Newport']),
  domains(a) AS (SELECT ARRAY['example.com', 'example.org', 'example.net', 'mail.example.com']),
  people AS (
    -- first = n mod 40 and last = (n + 3 * (n / 40)) mod 40 never repeat a pair for n < 540.
    SELECT n,
           (SELECT a[1 + n % 40] FROM first_names) AS first_name,
           (SELECT a[1 + (n + 3 * (n / 40)) % 40] FROM last_names) AS last_name
    FROM generate_series(1, 300) AS n),
  generated AS (
    SELECT p.*,
           CASE n % 4 WHEN 0 THEN '4' WHEN 1 THEN '5' || (1 + n % 5)::text WHEN 2 THEN '37' ELSE '6011' END AS prefix,
           CASE n % 4 WHEN 0 THEN 'visa' WHEN 1 THEN 'mastercard' WHEN 2 THEN 'amex' ELSE 'discover' END AS brand
    FROM people AS p)
INSERT INTO customers (id, full_name, email, phone, ssn, card_number, card_brand, city, created_at)
SELECT g.n,
       g.first_name || ' ' || g.last_name,
       lower(g.first_name || '.' || g.last_name) || '@' || (SELECT a[1 + g.n % 4] FROM domains),
       '+1 ' || (200 + (g.n * 37) % 700)::text || '-555-01' || lpad((g.n % 100)::text, 2, '0'),
       -- area 001-899 except 666, group 01-99, serial 0001-9999
       lpad(CASE WHEN 1 + (g.n * 131) % 899 = 666 THEN 667 ELSE 1 + (g.n * 131) % 899 END::text, 3, '0')
         || '-' || lpad((1 + (g.n * 17) % 99)::text, 2, '0')
         || '-' || lpad((1 + (g.n * 7919) % 9999)::text, 4, '0'),
       coalesce(t.card, pg_temp.formatted(
         pg_temp.with_check_digit(g.prefix || pg_temp.digits('card' || g.n,
           (CASE WHEN g.brand = 'amex' THEN 14 ELSE 15 END) - length(g.prefix))),
         g.n % 3)),
       coalesce(t.brand, g.brand),
       (SELECT a[1 + (g.n * 7) % 16] FROM cities),
       timestamptz '2023-01-01 09:00:00+00' + g.n * interval '2 days 3 hours 17 minutes'
FROM generated AS g
LEFT JOIN test_cards AS t ON t.n = g.n;

-- 600 orders, 4001-4600 (the story's "order 4411" is one of them). A few notes hold the kind
-- of free text support staff write, with a card number or an e-mail address in it: the
-- detectors mask those too, not only the listed columns.
INSERT INTO orders (id, customer_id, placed_at, status, total, card_number, note)
SELECT 4000 + i,
       c.id,
       c.created_at + (i % 90) * interval '1 day' + (i % 24) * interval '1 hour',
       (ARRAY['delivered', 'delivered', 'delivered', 'shipped', 'paid', 'refunded', 'cancelled'])[1 + i % 7],
       round((9.99 + (i * 7919 % 50000) / 100.0)::numeric, 2),
       c.card_number,
       CASE
         WHEN i % 25 = 0 THEN 'Customer asked to charge card ' || c.card_number || ' instead'
         WHEN i % 25 = 7 THEN 'Receipt resent to ' || c.email
         WHEN i % 25 = 13 THEN 'Left at the front door'
         WHEN i = 411 THEN 'Customer reports a double charge; see ticket 88213'
       END
FROM generate_series(1, 600) AS i
JOIN customers AS c ON c.id = 1 + (i * 13) % 300;

GRANT CONNECT ON DATABASE :"DBNAME" TO :"reader_role";
GRANT USAGE ON SCHEMA public TO :"reader_role";
GRANT SELECT ON ALL TABLES IN SCHEMA public TO :"reader_role";
-- The gateway masks what it can follow; a role that can create nothing (not even temporary
-- tables, views or functions) cannot copy a masked column out of its reach.
REVOKE TEMPORARY ON DATABASE :"DBNAME" FROM PUBLIC;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
-- Everyone with a grant shares the reader role, and PostgreSQL lets a role signal its own
-- backends: the gateway refuses these calls by name, the database whatever their spelling.
REVOKE EXECUTE ON FUNCTION pg_terminate_backend(integer, bigint), pg_cancel_backend(integer) FROM PUBLIC;

COMMIT;

ANALYZE customers;
ANALYZE orders;
