-- Options of validate (and of start): every bad key, type or value is an
-- error with a hint, before anything connects anywhere.  The source below is
-- unreachable on purpose: had the options passed, the result would say so.
\set VERBOSITY default
\set src 'host=127.0.0.1 port=1 connect_timeout=2'

SELECT check_name, status FROM migrate.validate(:'src', '[]');
SELECT check_name, status FROM migrate.validate(:'src', '"dump"');
SELECT check_name, status FROM migrate.validate(:'src', '{"methd": "dump"}');
SELECT check_name, status FROM migrate.validate(:'src', '{"method": "copy"}');
SELECT check_name, status FROM migrate.validate(:'src', '{"method": 1}');
SELECT check_name, status FROM migrate.validate(:'src', '{"workers": "4"}');
SELECT check_name, status FROM migrate.validate(:'src', '{"workers": 2.5}');
SELECT check_name, status FROM migrate.validate(:'src', '{"workers": 0}');
SELECT check_name, status FROM migrate.validate(:'src', '{"workers": 65}');
SELECT check_name, status FROM migrate.validate(:'src', '{"roles": "yes"}');
SELECT check_name, status FROM migrate.validate(:'src', '{"databases": "app"}');
SELECT check_name, status FROM migrate.validate(:'src', '{"databases": ["app", 1]}');
SELECT check_name, status FROM migrate.validate(:'src', '{"databases": [""]}');
SELECT check_name, status FROM migrate.validate(:'src', '{"tables": ["public.orders"]}');
SELECT check_name, status FROM migrate.validate(:'src', '{"exclude_tables": ["app.\"unterminated"]}');
SELECT check_name, status FROM migrate.validate(:'src', '{"split_size": "big"}');
SELECT check_name, status FROM migrate.validate(:'src', '{"split_size": "12 parsecs"}');
SELECT check_name, status FROM migrate.validate(:'src', '{"split_size": 1000}');
-- sizes parse strictly: digits, a fraction, a unit of pg_size_pretty
SELECT check_name, status FROM migrate.validate(:'src', '{"split_size": "0x10MB"}');
SELECT check_name, status FROM migrate.validate(:'src', '{"split_size": "1e3MB"}');
SELECT check_name, status FROM migrate.validate(:'src', '{"split_size": "-5MB"}');
SELECT check_name, status FROM migrate.validate(:'src', '{"split_size": "12 XB"}');
SELECT check_name, status FROM migrate.validate(:'src', '{"split_size": "1."}');
SELECT check_name, status FROM migrate.validate(:'src', '{"split_size": ".5GB"}');
SELECT check_name, status FROM migrate.validate(:'src', '{"split_size": "10000000 TB"}');
SELECT check_name, status FROM migrate.validate(:'src', '{"split_size": "9223372036854775808"}');
SELECT check_name, status FROM migrate.validate(:'src', '{"split_size": 1e30}');
SELECT check_name, status FROM migrate.validate(:'src', '{"dbs_max_total_size": -1e30}');
SELECT check_name, status FROM migrate.validate(:'src', '{"split_size": " 1.5gb "}');
SELECT check_name, status FROM migrate.validate(:'src', '{"split_size": "1.5GB"}');
SELECT check_name, status FROM migrate.validate(:'src', '{"split_size": "0.5MB"}');
SELECT check_name, status FROM migrate.validate(:'src', '{"split_size": "8388608TB"}');
SELECT check_name, status FROM migrate.validate(:'src', '{"dbs_max_total_size": -1}');
SELECT check_name, status FROM migrate.validate(:'src', '{"verify": "everything"}');
SELECT check_name, status FROM migrate.validate(:'src', '{"verify": 1}');
-- every level of verify is accepted (migrate.verify does each)
SELECT check_name, status FROM migrate.validate(:'src', '{"verify": "schema"}');
SELECT check_name, status FROM migrate.validate(:'src', '{"verify": "rows"}');
SELECT check_name, status FROM migrate.validate(:'src', '{"verify": "none"}');
-- the replication method's options: their types are checked
SELECT check_name, status FROM migrate.validate(:'src', '{"max_replication_lag": true}');
SELECT check_name, status FROM migrate.validate(:'src', '{"max_replication_lag": -1}');
SELECT check_name, status FROM migrate.validate(:'src', '{"max_replication_lag": "16MB"}');
SELECT check_name, status FROM migrate.validate(:'src', '{"stop_replication": "no"}');
SELECT check_name, status FROM migrate.validate(:'src', '{"stop_replication": false}');
SELECT check_name, status FROM migrate.validate(:'src', '{"stop_replication": null, "max_replication_lag": null}');
SELECT check_name, status FROM migrate.validate(:'src', '{"grant_predefined_roles": "yes"}');
SELECT check_name, status FROM migrate.validate(:'src', '{"if_exists": "replace"}');
SELECT check_name, status FROM migrate.validate(:'src', '{"notify_url": "ftp://example.com/hook"}');
SELECT check_name, status FROM migrate.validate(:'src', '{"notify_url": "https://"}');
SELECT check_name, status FROM migrate.validate(:'src', '{"role_passwords": ["app"]}');
SELECT check_name, status FROM migrate.validate(:'src', '{"role_passwords": {"app": 42}}');

-- every option, well-formed (null means the default)
SELECT check_name, status FROM migrate.validate(:'src', '{
  "method": "dump", "databases": ["app*"], "exclude_databases": ["app_test"],
  "tables": ["app.public.*", "app.\"My.Schema\".t*"], "exclude_tables": ["*.*.tmp_*"],
  "roles": true, "role_passwords": {"app": "pw"}, "exclude_roles": ["legacy_*"],
  "copy_password_hashes": false, "sync_existing_roles": false,
  "grant_predefined_roles": true, "replicate_extension_tables": true,
  "workers": 2, "split_size": "512MB", "dbs_max_total_size": 1073741824,
  "verify": "none", "notify_url": "https://hooks.example.com/migrate",
  "if_exists": "error", "method": null}');

-- copy_roles takes the same options and checks them the same way, before
-- connecting anywhere
SELECT * FROM migrate.copy_roles(:'src', '{"exclude_roles": "legacy"}');
SELECT * FROM migrate.copy_roles(:'src', '{"sync_existing_roles": 1}');
SELECT * FROM migrate.copy_roles(:'src', '{"copy_password_hash": true}');
-- and an unreachable source is an error here: copy_roles is no report
SELECT * FROM migrate.copy_roles(:'src');
