-- migrate.validate without a reachable source: option errors carry SQLSTATE
-- 22023, and an unreachable source is a row, not an error.
BEGIN;
SELECT plan(8);

SELECT throws_ok($$SELECT * FROM migrate.validate('host=127.0.0.1 port=1', '{"nope": 1}')$$,
                 '22023', 'unrecognized option "nope"', 'an unknown option key is an error');
SELECT throws_ok($$SELECT * FROM migrate.validate('host=127.0.0.1 port=1', '{"workers": "two"}')$$,
                 '22023', 'option "workers" must be an integer', 'a wrongly typed option is an error');
SELECT throws_ok($$SELECT * FROM migrate.validate('host=127.0.0.1 port=1', '{"method": "magic"}')$$,
                 '22023', 'invalid value "magic" for option "method"', 'an unknown method is an error');
SELECT throws_ok($$SELECT * FROM migrate.validate('postgres://a:b@h/d?nosuch=1')$$,
                 '22023', 'invalid source connection string', 'a malformed URI is an error');

SELECT results_eq(
  $$SELECT check_name, status FROM migrate.validate('host=127.0.0.1 port=1 connect_timeout=2 password=pa55word')$$,
  $$VALUES ('source', 'ok'), ('server_log', 'ok'), ('connection', 'error')$$,
  'an unreachable source is reported as a row');
SELECT is_empty(
  $$SELECT 1 FROM migrate.validate('host=127.0.0.1 port=1 password=pa55word') v
    WHERE v.detail LIKE '%pa55word%' OR v.hint LIKE '%pa55word%'$$,
  'the password appears in no row');
SELECT ok((SELECT bool_and(status IN ('ok', 'warning', 'error'))
           FROM migrate.validate('host=127.0.0.1 port=1')), 'status is ok, warning or error');
SELECT ok((SELECT hint IS NOT NULL FROM migrate.validate('host=127.0.0.1 port=1') WHERE status = 'error'),
          'an error row carries a hint');

SELECT * FROM finish();
ROLLBACK;
