/*-------------------------------------------------------------------------
 *
 * replication.c
 *		The names of the replication method's objects.
 *
 * aiven_db_migrate_<dbname>_pub, _sub and _slot, as the original tool named
 * them, so that runbooks and its users' cleanup scripts keep working.  A
 * slot name allows only [a-z0-9_] and every name at most NAMEDATALEN - 1
 * bytes: the database's name is lower-cased, every other character becomes
 * '_', and where anything was changed or cut, eight hex digits of a hash of
 * the real name follow, so that two databases never share a name ("Shop"
 * and "shop", two long names with one beginning).  The three names of a
 * database share that stem.  The hash is FNV-1a over the name's bytes:
 * the same on every platform and in every version.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_subscription.h"
#include "catalog/pg_subscription_rel.h"
#include "commands/subscriptioncmds.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/parsenodes.h"
#include "parser/parse_node.h"
#include "pgstat.h"
#include "storage/latch.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/pg_lsn.h"
#include "utils/regproc.h"
#include "utils/inval.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "commands/event_trigger.h"
#include "compat.h"
#include "options.h"
#include "plan.h"
#include "protocol.h"
#include "target.h"
#include "replication.h"

static const char *const suffixes[] = {"_pub", "_sub", "_slot", "_snap"};

static uint32
fnv1a(const char *s)
{
	uint32		h = 2166136261u;

	for (; *s; s++)
	{
		h ^= (unsigned char) *s;
		h *= 16777619u;
	}
	return h;
}

/* The name of object WHAT of database DBNAME. */
char *
migrate_replication_name(const char *dbname, MigrateReplicationObject what)
{
	const char *suffix = suffixes[what];
	int			room = NAMEDATALEN - 1 - strlen(MIGRATE_REPLICATION_PREFIX) - strlen("_slot");
	StringInfoData stem;
	bool		changed = false;
	const char *p;

	initStringInfo(&stem);
	for (p = dbname; *p; p++)
	{
		char		c = *p;

		if (c >= 'A' && c <= 'Z')
			c = c - 'A' + 'a';
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
			c = '_';
		if (c != *p)
			changed = true;
		appendStringInfoChar(&stem, c);
	}
	/* the stem is the same for the three names: cut for the longest suffix */
	if (changed || stem.len > room)
	{
		char		hash[10];

		snprintf(hash, sizeof(hash), "_%08x", fnv1a(dbname));
		if (stem.len > room - (int) strlen(hash))
			stem.data[room - strlen(hash)] = '\0';
		stem.len = strlen(stem.data);
		appendStringInfoString(&stem, hash);
	}
	return psprintf(MIGRATE_REPLICATION_PREFIX "%s%s", stem.data, suffix);
}

PG_FUNCTION_INFO_V1(migrate_replication_names_sql);

/*
 * SQL: migrate.replication_names(dbname) — the publication, subscription
 * and slot that the replication method uses for a database of that name.
 */
Datum
migrate_replication_names_sql(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Datum		values[3];
	bool		nulls[3] = {false, false, false};
	char	   *dbname;
	int			i;

	migrate_require_arg(fcinfo, 0, "dbname");
	dbname = text_to_cstring(PG_GETARG_TEXT_PP(0));
	if (dbname[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a database name must not be empty"),
				 errhint("Give the name of a database of the source.")));
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	for (i = 0; i < 3; i++)
		values[i] = DirectFunctionCall1(namein,
										CStringGetDatum(migrate_replication_name(dbname, (MigrateReplicationObject) i)));
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/* ---- on the source: the publication, the slot, replica identities ------- */


/*
 * Tables of the database CONN is connected to that UPDATE and DELETE could
 * not be replicated from: permanent, without a primary key, with the
 * default or no replica identity; of the source user's (every table when
 * ALL).  One "d:name" or "n:name" each (the identity they have, then the
 * quoted, qualified name): recorded before they get REPLICA IDENTITY FULL
 * (migrate_source_identity_set_full), so that what they had comes back.
 */
List *
migrate_source_identity_candidates(SourceConn *conn, bool all)
{
	SourceResult *res;
	List	   *names = NIL;
	int			r;

	res = migrate_source_query(conn,
							   "SELECT c.relreplident::text || ':' || quote_ident(n.nspname) || '.' || quote_ident(c.relname)"
							   " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
							   " WHERE c.relkind = 'r' AND c.relpersistence = 'p'"
							   " AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
							   " AND n.nspname !~ '^pg_toast'"
							   " AND (c.relreplident = 'n' OR (c.relreplident = 'd' AND NOT EXISTS"
							   "  (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary)))"
							   " AND ($1 OR pg_has_role(c.relowner, 'USAGE'))"
							   " ORDER BY 1",
							   1, (const char *[]) {all ? "true" : "false"});
	for (r = 0; r < res->nrows; r++)
		if (SR_VALUE(res, r, 0) != NULL && strlen(SR_VALUE(res, r, 0)) > 2)
			names = lappend(names, SR_VALUE(res, r, 0));
	return names;
}

/* REPLICA IDENTITY FULL for the tables NAMES (of ..._candidates). */
void
migrate_source_identity_set_full(SourceConn *conn, List *names)
{
	ListCell   *lc;

	foreach(lc, names)
	{
		const char *name = lfirst(lc);

		CHECK_FOR_INTERRUPTS();
		(void) migrate_source_query(conn, psprintf("ALTER TABLE %s REPLICA IDENTITY FULL", name + 2),
									0, NULL);
	}
}

/* Gives the tables NAMES (of ..._candidates) the replica identity they had back. */
void
migrate_source_identity_restore(SourceConn *conn, List *names)
{
	ListCell   *lc;

	foreach(lc, names)
	{
		SourceResult *res;
		const char *name = lfirst(lc);
		const char *table = name + 2;

		CHECK_FOR_INTERRUPTS();
		/* (a table dropped meanwhile needs nothing) */
		res = migrate_source_query(conn, "SELECT to_regclass($1) IS NOT NULL", 1, &table);
		if (SR_VALUE(res, 0, 0)[0] == 't')
			(void) migrate_source_query(conn, psprintf("ALTER TABLE %s REPLICA IDENTITY %s", table,
													   name[0] == 'n' ? "NOTHING" : "DEFAULT"),
										0, NULL);
	}
}

/*
 * Creates publication PUBNAME in the database CONN is connected to: FOR
 * ALL TABLES when ALL_TABLES (a superuser's), else for the tables TABLES
 * names (quoted, qualified), which the source user must own.  One of the
 * same name left by an earlier try or by the original tool is replaced.
 */
void
migrate_source_create_publication(SourceConn *conn, const char *pubname, bool all_tables,
								  List *tables)
{
	StringInfoData sql;
	ListCell   *lc;

	(void) migrate_source_query(conn, psprintf("DROP PUBLICATION IF EXISTS %s",
											   quote_identifier(pubname)), 0, NULL);
	initStringInfo(&sql);
	appendStringInfo(&sql, "CREATE PUBLICATION %s", quote_identifier(pubname));
	if (all_tables)
		appendStringInfoString(&sql, " FOR ALL TABLES");
	else if (tables != NIL)
	{
		appendStringInfoString(&sql, " FOR TABLE ");
		foreach(lc, tables)
			appendStringInfo(&sql, "%s%s", foreach_current_index(lc) > 0 ? ", " : "",
							 (char *) lfirst(lc));
	}
	appendStringInfoString(&sql, " WITH (publish = 'insert, update, delete, truncate')");
	(void) migrate_source_query(conn, sql.data, 0, NULL);
}

/* Drops publication PUBNAME in the database CONN is connected to, if there. */
void
migrate_source_drop_publication(SourceConn *conn, const char *pubname)
{
	(void) migrate_source_query(conn, psprintf("DROP PUBLICATION IF EXISTS %s",
											   quote_identifier(pubname)), 0, NULL);
}

/*
 * Drops replication slot SLOT on the source, if there.  A slot still in use
 * (the walsender of a subscription that was just dropped takes a moment to
 * go) is waited for, up to WAIT_MS; then its walsender is ended, when the
 * source user may (never with WAIT_MS 0).  Returns false when the slot is
 * still there.
 */
bool
migrate_source_drop_slot(SourceConn *conn, const char *slot, int wait_ms)
{
	int			waited = 0;

	for (;;)
	{
		SourceResult *res = migrate_source_query(conn,
												 "SELECT active, active_pid FROM pg_replication_slots WHERE slot_name = $1",
												 1, &slot);

		if (res->nrows == 0)
			return true;
		if (SR_VALUE(res, 0, 0)[0] != 't')
		{
			(void) migrate_source_query(conn,
										"SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
										" WHERE slot_name = $1 AND NOT active",
										1, &slot);
			continue;
		}
		if (waited >= wait_ms)
		{
			if (wait_ms > 0 && SR_VALUE(res, 0, 1) != NULL)
				(void) migrate_source_query(conn, "SELECT pg_terminate_backend($1::int)",
											1, (const char *[]) {SR_VALUE(res, 0, 1)});
			if (waited >= 2 * wait_ms)
				return false;
		}
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 200,
						 PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
		waited += 200;
	}
}

/*
 * Creates logical slot SLOT (pgoutput) on replication connection RC, which
 * exports a snapshot of exactly the slot's starting point: the state the
 * copy reads, the changes after it the subscription applies.  The snapshot
 * lives as long as RC sends nothing more.  Sets *lsn (the consistent point)
 * and *snapshot.  A TEMPORARY slot goes with RC: it is made only for its
 * snapshot and position (the tables copied again after a lost snapshot).
 */
void
migrate_source_create_slot(SourceConn *rc, const char *slot, bool temporary,
						   char **lsn, char **snapshot)
{
	SourceResult *res;

	res = migrate_source_simple_query(rc, psprintf("CREATE_REPLICATION_SLOT %s%s LOGICAL pgoutput EXPORT_SNAPSHOT",
												   quote_identifier(slot), temporary ? " TEMPORARY" : ""));
	*lsn = pstrdup(SR_VALUE(res, 0, migrate_source_column(res, "consistent_point")));
	*snapshot = pstrdup(SR_VALUE(res, 0, migrate_source_column(res, "snapshot_name")));
}

/*
 * Fences writes to the database CONN is connected to, for the cutover:
 * new transactions default to read-only (ALTER DATABASE ... SET
 * default_transaction_read_only), and the sessions in it that the source
 * user may signal are ended so that they come back under that default
 * (ours come back writable: they set it off); this connection and the
 * walsenders stay.  A database that already has
 * such a setting keeps it and is not fenced (false).
 */
bool
migrate_source_fence(SourceConn *conn, const char *dbname)
{
	SourceResult *res;

	res = migrate_source_query(conn,
							   "SELECT 1 FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase"
							   " WHERE d.datname = $1 AND s.setrole = 0"
							   " AND EXISTS (SELECT 1 FROM unnest(s.setconfig) c WHERE c LIKE 'default\\_transaction\\_read\\_only=%')",
							   1, &dbname);
	if (res->nrows > 0)
		return false;
	(void) migrate_source_query(conn, psprintf("ALTER DATABASE %s SET default_transaction_read_only = on",
											   quote_identifier(dbname)), 0, NULL);
	(void) migrate_source_query(conn,
								"SELECT pg_terminate_backend(a.pid) FROM pg_stat_activity a"
								" WHERE a.datname = $1 AND a.pid <> pg_backend_pid() AND a.backend_type = 'client backend'"
								" AND ((SELECT rolsuper FROM pg_roles WHERE rolname = current_user)"
								"  OR pg_has_role(a.usesysid, 'MEMBER')"
								"  OR (pg_has_role('pg_signal_backend', 'MEMBER')"
								"   AND NOT coalesce((SELECT rolsuper FROM pg_roles WHERE oid = a.usesysid), true)))",
								1, &dbname);
	return true;
}

/* Takes the fence of migrate_source_fence away again. */
void
migrate_source_unfence(SourceConn *conn, const char *dbname)
{
	(void) migrate_source_query(conn, psprintf("ALTER DATABASE %s RESET default_transaction_read_only",
											   quote_identifier(dbname)), 0, NULL);
}

/*
 * The source's permanent tables and their columns, in the database CONN is
 * connected to: one "schema.table(column type, ...)" a table, sorted.  Taken
 * when the slot is made and while replicating, to see the schema change
 * under the subscription (which carries rows, never DDL).
 */
List *
migrate_source_schema(SourceConn *conn)
{
	SourceResult *res;
	List	   *tables = NIL;
	int			r;

	res = migrate_source_query(conn,
							   "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) || '('"
							   " || coalesce((SELECT string_agg(quote_ident(a.attname) || ' ' || format_type(a.atttypid, a.atttypmod),"
							   "   ', ' ORDER BY a.attnum) FROM pg_attribute a"
							   "   WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '') || ')'"
							   " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
							   " WHERE c.relkind IN ('r', 'p') AND c.relpersistence = 'p'"
							   " AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
							   " AND n.nspname !~ '^pg_toast' AND n.nspname !~ '^pg_temp_'"
							   " ORDER BY 1",
							   0, NULL);
	for (r = 0; r < res->nrows; r++)
		if (SR_VALUE(res, r, 0) != NULL)
			tables = lappend(tables, SR_VALUE(res, r, 0));
	return tables;
}

/*
 * The state of slot SLOT and the source's position now, read on CONN (any
 * database of the source): sets *found, and the rest when found.
 */
void
migrate_source_slot_lag(SourceConn *conn, const char *slot, MigrateSlotLag *lag)
{
	SourceResult *res;

	res = migrate_source_query(conn,
							   psprintf("SELECT pg_current_wal_lsn()::text, s.confirmed_flush_lsn::text,"
										" pg_wal_lsn_diff(pg_current_wal_lsn(), coalesce(s.confirmed_flush_lsn, s.restart_lsn))::bigint,"
										" %s, s.active,"
										" pg_wal_lsn_diff(pg_current_wal_lsn(), s.restart_lsn)::bigint"
										" FROM pg_replication_slots s WHERE s.slot_name = $1",
										PQserverVersion(conn->conn) >= 130000 ? "s.wal_status" : "NULL::text"),
							   1, &slot);
	memset(lag, 0, sizeof(*lag));
	lag->found = res->nrows > 0;
	if (!lag->found)
		return;
	lag->source_lsn = SR_VALUE(res, 0, 0);
	lag->confirmed_lsn = SR_VALUE(res, 0, 1);
	lag->lag_bytes = SR_VALUE(res, 0, 2) ? strtoi64(SR_VALUE(res, 0, 2), NULL, 10) : -1;
	lag->wal_status = SR_VALUE(res, 0, 3);
	lag->active = SR_VALUE(res, 0, 4) && SR_VALUE(res, 0, 4)[0] == 't';
	lag->retained_bytes = SR_VALUE(res, 0, 5) ? strtoi64(SR_VALUE(res, 0, 5), NULL, 10) : 0;
}

/* ---- on the target: the subscription ----------------------------------- */

/*
 * What of the tables RELIDS (their oids, as a text[] literal) would run,
 * while the apply worker writes them, code that is not trusted with a
 * superuser's rights.  A function is trusted only when a superuser owns it
 * (the server's own, a trusted extension's: its script runs as the
 * bootstrap superuser), PUBLIC may execute it (pg_read_file, lo_import and
 * the like are not), and it runs no query of its caller's choosing
 * (query_to_xml and its kin, ts_stat, set_config, signalling backends).
 * Reached from the tables' CHECK constraints, indexes (expressions,
 * predicates, operators, operator classes), column defaults (evaluated for
 * the columns a publisher's relation lacks, and by the table sync), generated
 * columns, partition keys of their ancestors, and the domains (their
 * constraints and defaults) and range types of their columns at any depth
 * (arrays, composites, ranges); and triggers enabled ALWAYS or REPLICA.
 * Built-in functions that act with their caller's rights on objects the
 * caller names (setval, the large object writers, replication slots,
 * notifications, advisory locks) are not trusted either.  On PostgreSQL 15 the apply worker runs as a superuser.  (Row
 * security does not apply to a superuser; rules do not fire on apply; a
 * base type's I/O functions are C, which only a superuser creates.)  Every
 * name and operator is qualified: it runs with the caller's search_path
 * when the guard calls it.
 */
static const char *const hazards_sql =
"WITH RECURSIVE rels AS (SELECT pg_catalog.unnest($1::pg_catalog.text[])::pg_catalog.oid AS relid),"
" untrusted AS (SELECT p.oid FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_roles o ON o.oid OPERATOR(pg_catalog.=) p.proowner"
"  WHERE NOT o.rolsuper"
"  OR NOT pg_catalog.has_function_privilege('public', p.oid, 'EXECUTE')"
"  OR (p.pronamespace OPERATOR(pg_catalog.=) 'pg_catalog'::pg_catalog.regnamespace"
"   AND (p.proname OPERATOR(pg_catalog.~) '^(query|cursor|table|schema|database)_to_xml'"
"    OR p.proname OPERATOR(pg_catalog.=) ANY (ARRAY['ts_stat', 'set_config', 'pg_terminate_backend',"
"     'pg_cancel_backend', 'pg_reload_conf', 'pg_rotate_logfile', 'pg_promote', 'lo_import', 'lo_export',"
"     'setval', 'lo_unlink', 'lo_put', 'lo_create', 'lo_creat', 'lo_from_bytea', 'lo_truncate', 'lo_truncate64',"
"     'pg_drop_replication_slot', 'pg_replication_slot_advance', 'pg_create_logical_replication_slot',"
"     'pg_create_physical_replication_slot', 'pg_copy_logical_replication_slot', 'pg_copy_physical_replication_slot',"
"     'pg_logical_emit_message', 'pg_notify', 'pg_advisory_lock', 'pg_advisory_xact_lock']::pg_catalog.name[])))),"
" coltypes AS ("
"  SELECT a.attrelid AS relid, a.attname, a.atttypid AS t FROM pg_catalog.pg_attribute a"
"  JOIN rels ON a.attrelid OPERATOR(pg_catalog.=) rels.relid WHERE a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped"
"  UNION"
"  SELECT c.relid, c.attname, x.t FROM coltypes c JOIN pg_catalog.pg_type ty ON ty.oid OPERATOR(pg_catalog.=) c.t"
"  CROSS JOIN LATERAL (SELECT ty.typbasetype WHERE ty.typtype OPERATOR(pg_catalog.=) 'd'"
"   UNION ALL SELECT ty.typelem WHERE ty.typelem OPERATOR(pg_catalog.<>) 0"
"   UNION ALL SELECT r.rngsubtype FROM pg_catalog.pg_range r WHERE r.rngtypid OPERATOR(pg_catalog.=) ty.oid"
"   UNION ALL SELECT ca.atttypid FROM pg_catalog.pg_attribute ca WHERE ty.typrelid OPERATOR(pg_catalog.<>) 0"
"    AND ca.attrelid OPERATOR(pg_catalog.=) ty.typrelid AND ca.attnum OPERATOR(pg_catalog.>) 0 AND NOT ca.attisdropped) x(t)"
"  WHERE x.t OPERATOR(pg_catalog.<>) 0),"
" objs AS ("
"  SELECT 'pg_catalog.pg_constraint'::pg_catalog.regclass AS classid, c.oid AS objid,"
"   pg_catalog.format('constraint %I of table %s', c.conname, c.conrelid::pg_catalog.regclass) AS what"
"  FROM pg_catalog.pg_constraint c JOIN rels ON c.conrelid OPERATOR(pg_catalog.=) rels.relid"
"  UNION ALL"
"  SELECT 'pg_catalog.pg_class'::pg_catalog.regclass, i.indexrelid,"
"   pg_catalog.format('index %s', i.indexrelid::pg_catalog.regclass)"
"  FROM pg_catalog.pg_index i JOIN rels ON i.indrelid OPERATOR(pg_catalog.=) rels.relid"
"  UNION ALL"
"  SELECT 'pg_catalog.pg_attrdef'::pg_catalog.regclass, d.oid,"
"   pg_catalog.format('%s of column %I of table %s', CASE WHEN a.attgenerated OPERATOR(pg_catalog.<>) '' THEN 'the generation expression'"
"    ELSE 'the default' END, a.attname, d.adrelid::pg_catalog.regclass)"
"  FROM pg_catalog.pg_attrdef d JOIN rels ON d.adrelid OPERATOR(pg_catalog.=) rels.relid"
"  JOIN pg_catalog.pg_attribute a ON a.attrelid OPERATOR(pg_catalog.=) d.adrelid AND a.attnum OPERATOR(pg_catalog.=) d.adnum"
"  UNION ALL"
"  SELECT 'pg_catalog.pg_class'::pg_catalog.regclass, an.relid,"
"   pg_catalog.format('the partition key of %s (over %s)', an.relid::pg_catalog.regclass, rels.relid::pg_catalog.regclass)"
"  FROM rels CROSS JOIN LATERAL pg_catalog.pg_partition_ancestors(rels.relid) an"
"  WHERE an.relid OPERATOR(pg_catalog.<>) rels.relid"
"  UNION ALL"
"  SELECT 'pg_catalog.pg_constraint'::pg_catalog.regclass, dc.oid,"
"   pg_catalog.format('constraint %I of domain %s (column %I of table %s)', dc.conname,"
"    dc.contypid::pg_catalog.regtype, ct.attname, ct.relid::pg_catalog.regclass)"
"  FROM coltypes ct JOIN pg_catalog.pg_constraint dc ON dc.contypid OPERATOR(pg_catalog.=) ct.t"
"  UNION ALL"
"  SELECT 'pg_catalog.pg_type'::pg_catalog.regclass, dt.oid,"
"   pg_catalog.format('the default of domain %s (column %I of table %s)', dt.oid::pg_catalog.regtype, ct.attname,"
"    ct.relid::pg_catalog.regclass)"
"  FROM coltypes ct JOIN pg_catalog.pg_type dt ON dt.oid OPERATOR(pg_catalog.=) ct.t AND dt.typdefaultbin IS NOT NULL),"
" exprs AS ("
"  SELECT pg_catalog.format('constraint %I of table %s', c.conname, c.conrelid::pg_catalog.regclass) AS what,"
"   pg_catalog.pg_get_constraintdef(c.oid) AS def"
"  FROM pg_catalog.pg_constraint c JOIN rels ON c.conrelid OPERATOR(pg_catalog.=) rels.relid"
"  UNION ALL"
"  SELECT pg_catalog.format('index %s', i.indexrelid::pg_catalog.regclass), pg_catalog.pg_get_indexdef(i.indexrelid)"
"  FROM pg_catalog.pg_index i JOIN rels ON i.indrelid OPERATOR(pg_catalog.=) rels.relid"
"  UNION ALL"
"  SELECT pg_catalog.format('the default of column %I of table %s', a.attname, d.adrelid::pg_catalog.regclass),"
"   pg_catalog.pg_get_expr(d.adbin, d.adrelid)"
"  FROM pg_catalog.pg_attrdef d JOIN rels ON d.adrelid OPERATOR(pg_catalog.=) rels.relid"
"  JOIN pg_catalog.pg_attribute a ON a.attrelid OPERATOR(pg_catalog.=) d.adrelid AND a.attnum OPERATOR(pg_catalog.=) d.adnum"
"  UNION ALL"
"  SELECT pg_catalog.format('constraint %I of domain %s', dc.conname, dc.contypid::pg_catalog.regtype),"
"   pg_catalog.pg_get_constraintdef(dc.oid)"
"  FROM coltypes ct JOIN pg_catalog.pg_constraint dc ON dc.contypid OPERATOR(pg_catalog.=) ct.t"
"  UNION ALL"
"  SELECT pg_catalog.format('the default of domain %s', dt.oid::pg_catalog.regtype), pg_catalog.pg_get_expr(dt.typdefaultbin, 0)"
"  FROM coltypes ct JOIN pg_catalog.pg_type dt ON dt.oid OPERATOR(pg_catalog.=) ct.t AND dt.typdefaultbin IS NOT NULL)"
/*
 * (the server records no dependency on its own functions: a call of one
 * of those that run a query or reach files or other sessions is found in
 * the expression's text)
 */
" SELECT e.what OPERATOR(pg_catalog.||) ' calls ' OPERATOR(pg_catalog.||) m.m[1]"
" FROM exprs e CROSS JOIN LATERAL pg_catalog.regexp_match(e.def,"
"  '\\m((query|cursor|table|schema|database)_to_xml\\w*|ts_stat|set_config|pg_terminate_backend|pg_cancel_backend"
"|pg_reload_conf|pg_rotate_logfile|pg_promote|lo_import|lo_export|pg_read_file|pg_read_binary_file|pg_ls_\\w+|pg_stat_file"
"|setval|lo_unlink|lo_put|lo_creat\\w*|lo_from_bytea|lo_truncate\\w*|pg_drop_replication_slot|pg_replication_slot_advance"
"|pg_create_\\w+_replication_slot|pg_copy_\\w+_replication_slot|pg_logical_emit_message|pg_notify|pg_advisory_\\w+"
"|dblink\\w*)\\s*\\(') m(m)"
" WHERE m.m IS NOT NULL"
" UNION"
" SELECT o.what OPERATOR(pg_catalog.||) ' calls ' OPERATOR(pg_catalog.||) dep.refobjid::pg_catalog.regprocedure::pg_catalog.text"
" FROM objs o JOIN pg_catalog.pg_depend dep ON dep.classid OPERATOR(pg_catalog.=) o.classid AND dep.objid OPERATOR(pg_catalog.=) o.objid"
" JOIN untrusted u ON u.oid OPERATOR(pg_catalog.=) dep.refobjid"
" WHERE dep.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::pg_catalog.regclass"
" UNION"
" SELECT o.what OPERATOR(pg_catalog.||) ' uses operator ' OPERATOR(pg_catalog.||) op.oid::pg_catalog.regoperator::pg_catalog.text"
" FROM objs o JOIN pg_catalog.pg_depend dep ON dep.classid OPERATOR(pg_catalog.=) o.classid AND dep.objid OPERATOR(pg_catalog.=) o.objid"
" JOIN pg_catalog.pg_operator op ON dep.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_operator'::pg_catalog.regclass"
"  AND op.oid OPERATOR(pg_catalog.=) dep.refobjid"
" JOIN untrusted u ON u.oid OPERATOR(pg_catalog.=) op.oprcode::pg_catalog.oid"
" UNION"
" SELECT o.what OPERATOR(pg_catalog.||) ' uses operator class ' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(opc.opcname)"
" FROM objs o JOIN pg_catalog.pg_depend dep ON dep.classid OPERATOR(pg_catalog.=) o.classid AND dep.objid OPERATOR(pg_catalog.=) o.objid"
" JOIN pg_catalog.pg_opclass opc ON dep.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_opclass'::pg_catalog.regclass"
"  AND opc.oid OPERATOR(pg_catalog.=) dep.refobjid"
" JOIN pg_catalog.pg_roles o2 ON o2.oid OPERATOR(pg_catalog.=) opc.opcowner"
" WHERE NOT o2.rolsuper"
" UNION"
" SELECT pg_catalog.format('column %I of table %s has range type %s, whose subtype_diff is %s', ct.attname,"
"  ct.relid::pg_catalog.regclass, ct.t::pg_catalog.regtype, r.rngsubdiff::pg_catalog.regprocedure)"
" FROM coltypes ct JOIN pg_catalog.pg_range r ON r.rngtypid OPERATOR(pg_catalog.=) ct.t"
" JOIN untrusted u ON u.oid OPERATOR(pg_catalog.=) r.rngsubdiff::pg_catalog.oid"
" UNION"
" SELECT pg_catalog.format('trigger %I of table %s (enabled %s)', t.tgname, t.tgrelid::pg_catalog.regclass,"
"  CASE t.tgenabled WHEN 'A' THEN 'ALWAYS' ELSE 'REPLICA' END)"
" FROM pg_catalog.pg_trigger t JOIN rels ON t.tgrelid OPERATOR(pg_catalog.=) rels.relid"
" WHERE NOT t.tgisinternal AND t.tgenabled OPERATOR(pg_catalog.=) ANY (ARRAY['A', 'R']::\"char\"[])"
" ORDER BY 1";

/*
 * The code of the tables RELIDS (oids) that the apply worker would run
 * (hazards_sql), one string each; NIL when there is none.
 */
List *
migrate_apply_hazards(List *relids)
{
	List	   *oids = NIL;
	ListCell   *lc;
	SourceResult *res;
	List	   *found = NIL;
	int			r;

	foreach(lc, relids)
		oids = lappend(oids, psprintf("%u", lfirst_oid(lc)));
	res = migrate_target_query(hazards_sql, 1, (Oid[]) {TEXTOID},
							   (Datum[]) {CStringGetTextDatum(migrate_text_array_literal(oids))});
	for (r = 0; r < res->nrows; r++)
		found = lappend(found, SR_VALUE(res, r, 0));
	return found;
}

/*
 * The connection string of the subscription of database DBNAME: the
 * migration's pinned source with DBNAME for its database, in key=value
 * form.  It holds the password: it goes into pg_subscription (which only
 * superusers may read) and nowhere else.
 */
char *
migrate_subscription_conninfo(const SourceInfo *src, const char *dbname)
{
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	for (i = 0; i < src->nparams; i++)
	{
		if (strcmp(src->keywords[i], "dbname") == 0)
			continue;
		migrate_append_conninfo_pair(&buf, src->keywords[i], src->values[i]);
	}
	migrate_append_conninfo_pair(&buf, "dbname", dbname);
	return buf.data;
}

static void
run_spi(const char *sql)
{
	int			ret;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	ret = SPI_execute(sql, false, 0);
	if (ret < 0)
		elog(ERROR, "\"%s\" failed: %s", sql, SPI_result_code_string(ret));
	SPI_finish();
}

/* The schema and event trigger that guard a superuser's subscription. */
#define GUARD_NAME	MIGRATE_REPLICATION_PREFIX "guard"

/*
 * Installs, as the bootstrap superuser, the event trigger that refuses
 * any change by a non-superuser that would make the apply worker of this
 * database's aiven_db_migrate_* subscriptions run code
 * (migrate_apply_guard): its function lives in a schema of its own that
 * nobody else may use.  A schema of that name that a superuser does not
 * own is an error: someone prepared it.
 */
static void
install_guard(void)
{
	SourceResult *res;

	res = migrate_target_query("SELECT pg_catalog.pg_get_userbyid(nspowner), r.rolsuper"
							   " FROM pg_catalog.pg_namespace n JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) n.nspowner"
							   " WHERE nspname OPERATOR(pg_catalog.=) '" GUARD_NAME "'",
							   0, NULL, NULL);
	if (res->nrows > 0 && strcmp(SR_VALUE(res, 0, 1), "t") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("schema \"%s\" exists and is owned by \"%s\", not by a superuser",
						GUARD_NAME, SR_VALUE(res, 0, 0)),
				 errhint("Drop that schema: migrate keeps the guard of its subscriptions there.")));
	run_spi("CREATE SCHEMA IF NOT EXISTS " GUARD_NAME);
	run_spi("REVOKE ALL ON SCHEMA " GUARD_NAME " FROM PUBLIC");
	run_spi("CREATE OR REPLACE FUNCTION " GUARD_NAME ".check_ddl() RETURNS pg_catalog.event_trigger"
			" LANGUAGE c SET search_path = pg_catalog, pg_temp AS '$libdir/migrate', 'migrate_apply_guard'");
	res = migrate_target_query("SELECT 1 FROM pg_catalog.pg_event_trigger WHERE evtname OPERATOR(pg_catalog.=) '" GUARD_NAME "'",
							   0, NULL, NULL);
	if (res->nrows == 0)
		run_spi("CREATE EVENT TRIGGER " GUARD_NAME " ON ddl_command_end"
				" EXECUTE FUNCTION " GUARD_NAME ".check_ddl()");
	run_spi("ALTER EVENT TRIGGER " GUARD_NAME " ENABLE ALWAYS");
}

/* Removes the guard once no aiven_db_migrate_* subscription is left here. */
static void
remove_guard(void)
{
	SourceResult *res;

	res = migrate_target_query("SELECT 1 FROM pg_catalog.pg_subscription WHERE subdbid OPERATOR(pg_catalog.=)"
							   " (SELECT oid FROM pg_catalog.pg_database WHERE datname OPERATOR(pg_catalog.=) pg_catalog.current_database())"
							   " AND subname OPERATOR(pg_catalog.~~) 'aiven\\_db\\_migrate\\_%'",
							   0, NULL, NULL);
	if (res->nrows > 0)
		return;
	run_spi("DROP EVENT TRIGGER IF EXISTS " GUARD_NAME);
	res = migrate_target_query("SELECT r.rolsuper FROM pg_catalog.pg_namespace n"
							   " JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) n.nspowner"
							   " WHERE nspname OPERATOR(pg_catalog.=) '" GUARD_NAME "'",
							   0, NULL, NULL);
	if (res->nrows > 0 && strcmp(SR_VALUE(res, 0, 0), "t") == 0)
		run_spi("DROP SCHEMA " GUARD_NAME " CASCADE");
}

/*
 * Drops subscription SUBNAME of this database, if there, keeping its slot
 * on the source (the coordinator drops that, or keeps it for a resume).
 * OURS: it is a subscription of a migration of the current user, which
 * on PostgreSQL 15 a superuser owns: it is dropped as the bootstrap
 * superuser, and with the last one the guard goes.  Returns whether there
 * was one.
 */
static bool
drop_subscription(const char *subname, bool ours, bool guard_goes)
{
	const char *q = quote_identifier(subname);
	Oid			saved_user;
	int			saved_sec;

	if (!OidIsValid(get_subscription_oid(subname, true)))
		return false;
	GetUserIdAndSecContext(&saved_user, &saved_sec);
	if (ours && !superuser())
		SetUserIdAndSecContext(BOOTSTRAP_SUPERUSERID, saved_sec | SECURITY_LOCAL_USERID_CHANGE);
	run_spi(psprintf("ALTER SUBSCRIPTION %s DISABLE", q));
	run_spi(psprintf("ALTER SUBSCRIPTION %s SET (slot_name = NONE)", q));
	run_spi(psprintf("DROP SUBSCRIPTION %s", q));
	if (guard_goes && superuser())
		remove_guard();
	SetUserIdAndSecContext(saved_user, saved_sec);
	return true;
}

bool
migrate_drop_subscription(const char *subname, bool ours)
{
	return drop_subscription(subname, ours, true);
}

/*
 * The lock that orders the guard (shared) after the checks of tables for
 * a subscription a superuser owns (exclusive), until the end of the
 * transaction: a change that commits while a check is under way is seen
 * by it, and a guard that runs while one is under way waits for its
 * tables to be in pg_subscription_rel.
 */
static void
guard_lock(bool exclusive)
{
	(void) DirectFunctionCall2(exclusive ? pg_advisory_xact_lock_int4 : pg_advisory_xact_lock_shared_int4,
							   Int32GetDatum(MIGRATE_GUARD_KEY), Int32GetDatum(0));
	/* (what committed while it waited is seen by the next catalog read) */
	AcceptInvalidationMessages();
	InvalidateCatalogSnapshot();
}

/*
 * The relations of this database's aiven_db_migrate_* subscriptions that a
 * superuser owns, read from the catalog as it is now (not at a snapshot
 * the caller chose: a REPEATABLE READ transaction sees the catalog of its
 * start).
 */
static List *
guarded_relations(void)
{
	Relation	rel = table_open(SubscriptionRelationId, AccessShareLock);
	SysScanDesc scan = systable_beginscan(rel, InvalidOid, false, NULL, 0, NULL);
	HeapTuple	tup;
	List	   *relids = NIL;

	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Form_pg_subscription sub = (Form_pg_subscription) GETSTRUCT(tup);
		ListCell   *lc;

		if (sub->subdbid != MyDatabaseId || !superuser_arg(sub->subowner) ||
			strncmp(NameStr(sub->subname), MIGRATE_REPLICATION_PREFIX, strlen(MIGRATE_REPLICATION_PREFIX)) != 0)
			continue;
		foreach(lc, migrate_subscription_relations(sub->oid))
			relids = lappend_oid(relids, ((SubscriptionRelState *) lfirst(lc))->relid);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return relids;
}

PG_FUNCTION_INFO_V1(migrate_apply_guard);

/*
 * Event trigger (ddl_command_end) of a database with a subscription of
 * migrate owned by a superuser: a change by anyone else that leaves the
 * subscribed tables running code in apply (migrate_apply_hazards) is
 * refused, whatever command made it.  Until the cutover, the tables take
 * no trigger, constraint, index or domain that would run a non-superuser's
 * code with the apply worker's rights.
 */
Datum
migrate_apply_guard(PG_FUNCTION_ARGS)
{
	List	   *relids = NIL;
	List	   *hazards;

	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("migrate's guard is an event trigger function")));
	if (superuser())
		PG_RETURN_NULL();
	/* after any check of tables for such a subscription that is under way */
	guard_lock(false);
	relids = guarded_relations();
	if (relids == NIL)
		PG_RETURN_NULL();
	hazards = migrate_apply_hazards(relids);
	if (hazards != NIL)
	{
		StringInfoData what;
		ListCell   *lc;

		initStringInfo(&what);
		foreach(lc, hazards)
			appendStringInfo(&what, "%s%s", what.len ? "; " : "", (char *) lfirst(lc));
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("this change would make the replication of migrate run code with a superuser's rights"),
				 errdetail("The subscription's apply worker runs as a superuser and would run: %s.", what.data),
				 errhint("Make the change after the cutover (migrate.cutover), or as a superuser.")));
	}
	PG_RETURN_NULL();
}

/*
 * The plain tables among the quoted, qualified names TABLES (every STEP-th
 * element, from the first), resolved here and locked against DDL until the
 * transaction ends (no trigger or index comes between this check and the
 * subscription's use of them): sets *RELIDS, and *KEPT to the index in
 * TABLES of each.  For a subscription that a superuser owns on behalf of a
 * non-superuser (VIA_BOOTSTRAP), whose apply writes, updates, deletes and
 * truncates with a superuser's rights, they must be tables the caller
 * owns whose apply runs no code but the server's: returns why not, or
 * NULL.
 */
static char *
subscribable_tables(List *tables, int step, bool via_bootstrap, List **relids, List **kept)
{
	ListCell   *lc;
	List	   *hazards;

	*relids = NIL;
	*kept = NIL;
	if (via_bootstrap)
		guard_lock(true);
	foreach(lc, tables)
	{
		List	   *names;
		Oid			relid;

		if (foreach_current_index(lc) % step != 0)
			continue;
		CHECK_FOR_INTERRUPTS();
		names = stringToQualifiedNameList((char *) lfirst(lc));
		relid = RangeVarGetRelid(makeRangeVarFromNameList(names),
								 via_bootstrap ? ShareRowExclusiveLock : AccessShareLock, false);
		if (get_rel_relkind(relid) != RELKIND_RELATION)
			continue;
		if (via_bootstrap && !has_privs_of_role(GetUserId(), migrate_rel_owner(relid)))
			return psprintf("on PostgreSQL %d a subscription applies changes as a superuser, and table %s belongs to role \"%s\", whose rights the migration's owner does not have",
							PG_VERSION_NUM / 10000, quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
																			   get_rel_name(relid)),
							GetUserNameFromId(migrate_rel_owner(relid), false));
		*relids = lappend_oid(*relids, relid);
		*kept = lappend_int(*kept, foreach_current_index(lc));
	}
	if (!via_bootstrap || (hazards = migrate_apply_hazards(*relids)) == NIL)
		return NULL;
	{
		StringInfoData what;

		initStringInfo(&what);
		foreach(lc, hazards)
			appendStringInfo(&what, "%s%s", what.len ? "; " : "", (char *) lfirst(lc));
		return psprintf("on PostgreSQL %d a subscription applies changes as a superuser, and would run: %s",
						PG_VERSION_NUM / 10000, what.data);
	}
}

/*
 * Creates subscription SUBNAME of this database to publication PUBNAME on
 * slot SLOT (made with the snapshot the tables were copied at), for exactly
 * the tables TABLES names (pairs: a quoted, qualified name, resolved here,
 * and the position of its copy): their state is "ready" from the slot's
 * start (or from their copy's position), so the apply worker applies
 * every change after the copied state to them and to nothing else,
 * whatever the source publishes.  Made disabled, filled, then enabled: it
 * starts applying when this transaction commits.  One of the same name
 * (a try nobody heard the end of) is replaced.
 *
 * The statement is built as a node, never as text: the connection string
 * holds the password, and no log, error context or statistics view may
 * see it.
 */
char *
migrate_create_subscription(const char *subname, const char *pubname, const char *slot,
							const char *conninfo, List *tables)
{
	CreateSubscriptionStmt *stmt;
	ParseState *pstate;
	ObjectAddress addr;
	ListCell   *lc;
	List	   *relids = NIL;
	List	   *lsns = NIL;
	List	   *kept = NIL;
	ListCell   *lc2;
	Oid			saved_user;
	int			saved_sec;
	bool		via_bootstrap = !superuser();
	char	   *refused;

	/* pairs: a table, and the position its copy was taken at ('' for the slot's) */
	refused = subscribable_tables(tables, 2, via_bootstrap, &relids, &kept);
	if (refused != NULL)
		return refused;
	foreach(lc, kept)
		lsns = lappend(lsns, list_nth(tables, lfirst_int(lc) + 1));

	/*
	 * PostgreSQL 15: only a superuser may create a subscription, and its
	 * apply worker runs as its owner.  For a non-superuser's migration the
	 * bootstrap superuser makes it, for tables whose apply runs no code but
	 * the server's (checked above); a guard keeps them so until the cutover.
	 */
	GetUserIdAndSecContext(&saved_user, &saved_sec);
	/* (one of a try nobody heard the end of goes; the guard stays) */
	(void) drop_subscription(subname, true, false);
	if (via_bootstrap)
	{
		SetUserIdAndSecContext(BOOTSTRAP_SUPERUSERID, saved_sec | SECURITY_LOCAL_USERID_CHANGE);
		install_guard();
	}

	stmt = makeNode(CreateSubscriptionStmt);
	pstate = make_parsestate(NULL);

	stmt->subname = pstrdup(subname);
	stmt->conninfo = pstrdup(conninfo);
	stmt->publication = list_make1(makeString(pstrdup(pubname)));
	stmt->options = list_make5(makeDefElem("connect", (Node *) makeBoolean(false), -1),
							   makeDefElem("slot_name", (Node *) makeString(pstrdup(slot)), -1),
							   makeDefElem("disable_on_error", (Node *) makeBoolean(false), -1),
							   makeDefElem("streaming", (Node *) makeBoolean(false), -1),
							   makeDefElem("binary", (Node *) makeBoolean(false), -1));
	pstate->p_sourcetext = "CREATE SUBSCRIPTION";
	addr = CreateSubscription(pstate, stmt, false);
	CommandCounterIncrement();

	forboth(lc, relids, lc2, lsns)
	{
		Oid			relid = lfirst_oid(lc);
		const char *lsn = lfirst(lc2);

		CHECK_FOR_INTERRUPTS();
		/*
		 * A table copied at a later snapshot takes the changes committed
		 * after that snapshot's position only, as a table synchronized by
		 * the server's own table sync does ("syncdone" at its position,
		 * then "ready").
		 */
		if (lsn[0] == '\0')
			migrate_add_subscription_rel(addr.objectId, relid, SUBREL_STATE_READY, InvalidXLogRecPtr);
		else
			migrate_add_subscription_rel(addr.objectId, relid, SUBREL_STATE_SYNCDONE,
									DatumGetLSN(DirectFunctionCall1(pg_lsn_in, CStringGetDatum(lsn))));
	}
	CommandCounterIncrement();
	run_spi(psprintf("ALTER SUBSCRIPTION %s ENABLE", quote_identifier(subname)));
	SetUserIdAndSecContext(saved_user, saved_sec);
	return NULL;
}

/*
 * Joins the tables TABLES (quoted, qualified names) to subscription
 * SUBNAME of this database, that migrate made: each one it does not
 * have yet is added in state "init", and the subscription's apply worker
 * starts the server's own table sync for it (a copy at a slot of its
 * own, then the changes after that slot's position: exactly once, and
 * kept across a crash by the server).  Returns why it may not (see
 * subscribable_tables), or NULL; *ADDED gets how many were added.
 */
char *
migrate_subscription_add_tables(const char *subname, List *tables, int *added)
{
	Oid			subid = get_subscription_oid(subname, false);
	List	   *relids;
	List	   *kept;
	ListCell   *lc;
	char	   *refused;

	*added = 0;
	refused = subscribable_tables(tables, 1, !superuser(), &relids, &kept);
	if (refused != NULL)
		return refused;
	foreach(lc, relids)
	{
		XLogRecPtr	lsn;

		CHECK_FOR_INTERRUPTS();
		if (GetSubscriptionRelState(subid, lfirst_oid(lc), &lsn) != SUBREL_STATE_UNKNOWN)
			continue;
		migrate_add_subscription_rel(subid, lfirst_oid(lc), SUBREL_STATE_INIT, InvalidXLogRecPtr);
		(*added)++;
	}
	return NULL;
}

/*
 * How many of the tables TABLES (quoted, qualified names) subscription
 * SUBNAME of this database has not synchronized yet (state other than
 * "ready"); a table dropped meanwhile counts as done.
 */
int
migrate_subscription_unready(const char *subname, List *tables)
{
	Oid			subid = get_subscription_oid(subname, false);
	ListCell   *lc;
	int			n = 0;

	foreach(lc, tables)
	{
		Oid			relid = RangeVarGetRelid(makeRangeVarFromNameList(stringToQualifiedNameList((char *) lfirst(lc))),
											 NoLock, true);
		XLogRecPtr	lsn;
		char		state;

		if (!OidIsValid(relid) || get_rel_relkind(relid) != RELKIND_RELATION)
			continue;
		state = GetSubscriptionRelState(subid, relid, &lsn);
		if (state != SUBREL_STATE_READY && state != SUBREL_STATE_UNKNOWN)
			n++;
	}
	return n;
}

/*
 * Takes table TABLE (a quoted, qualified name) out of subscription SUBNAME
 * of this database: its table sync ends, and its changes are not applied.
 */
void
migrate_subscription_remove_table(const char *subname, const char *table)
{
	Oid			subid = get_subscription_oid(subname, false);
	Oid			relid = RangeVarGetRelid(makeRangeVarFromNameList(stringToQualifiedNameList(table)),
										 NoLock, true);

	if (OidIsValid(relid))
		migrate_remove_subscription_rel(subid, relid);
}
