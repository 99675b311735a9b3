-- The names of the replication method's objects: as the original
-- aiven-db-migrate named them where the database's name allows, made fit for
-- a slot name otherwise, never two databases with one name.
SELECT * FROM migrate.replication_names('shop');
SELECT * FROM migrate.replication_names('Shop');
SELECT * FROM migrate.replication_names('my-shop "eu"');
SELECT * FROM migrate.replication_names('bücher');
-- long names are cut, with a hash of the whole name: all names fit in 63 bytes
SELECT length(publication) AS pub, length(subscription) AS sub, length(slot) AS slot, slot
FROM migrate.replication_names(repeat('tenant_', 9) || 'a');
SELECT (SELECT slot FROM migrate.replication_names(repeat('tenant_', 9) || 'a'))
    <> (SELECT slot FROM migrate.replication_names(repeat('tenant_', 9) || 'b')) AS distinct_slots;
-- a slot name is made of [a-z0-9_] only
SELECT bool_and(slot ~ '^[a-z0-9_]+$') AS slot_names_valid
FROM (VALUES ('ÄÖÜ'), ('a b'), ('x;DROP'), ('Über-Straße'), (repeat('é', 40))) v(d),
     LATERAL migrate.replication_names(v.d);
-- bad input
SELECT * FROM migrate.replication_names(NULL);
SELECT * FROM migrate.replication_names('');
