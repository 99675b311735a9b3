/*-------------------------------------------------------------------------
 *
 * plan.c
 *		What the steps of a migration plan: the source's databases to
 *		migrate (once), each database created on the target like the
 *		source's, its own settings given at the end, and its tasks: the
 *		schema, a copy task a table (or a block range of a large one), an
 *		index task a post-data index or key, the foreign keys, the rest of
 *		post-data, sequences, large objects, and statistics.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

#include "coordinator.h"
#include "options.h"
#include "plan.h"
#include "roles.h"
#include "scheduler.h"
#include "schema.h"
#include "source.h"
#include "state.h"
#include "steps.h"
#include "target.h"
#include "tasks.h"

/* The databases of the source to migrate, recorded once. */
void
migrate_plan_databases(void)
{
	SourceResult *res;
	SourceConn *conn;
	MemoryContext cxt = AllocSetContextCreate(migrate_coord.cxt, "migrate plan", ALLOCSET_SMALL_SIZES);
	MemoryContext old;
	int			r;

	migrate_tx_begin();
	res = migrate_coord_query("SELECT 1 FROM migrate.database_state WHERE migration_id = $1::bigint",
					  1, (const char *[]) {migrate_coord_id()});
	if (res->nrows > 0)
	{
		migrate_tx_commit();
		MemoryContextDelete(cxt);
		return;
	}

	old = MemoryContextSwitchTo(cxt);
	conn = migrate_source_connect(migrate_coord.source, NULL, NULL);
	res = migrate_source_query(conn,
					   "SELECT d.datname, pg_database_size(d.oid)"
					   " FROM pg_database d WHERE NOT d.datistemplate AND d.datallowconn"
					   " AND has_database_privilege(d.oid, 'CONNECT') ORDER BY 2 DESC",
					   0, NULL);
	for (r = 0; r < res->nrows; r++)
	{
		const char *args[3];

		if (!migrate_database_selected(migrate_coord.options, SR_VALUE(res, r, 0)))
			continue;
		args[0] = migrate_coord_id();
		args[1] = SR_VALUE(res, r, 0);
		args[2] = SR_VALUE(res, r, 1);
		/*
		 * replication unless the migration asked for dump, or auto found the
		 * source not ready for it (the reason is the database's message)
		 */
		migrate_coord_exec("INSERT INTO migrate.database_state (migration_id, dbname, method, size_bytes, message)"
				   " SELECT m.id, $2, CASE WHEN m.method <> 'dump' AND m.dump_reason IS NULL"
				   "  THEN 'replication' ELSE 'dump' END, $3::bigint,"
				   " CASE WHEN m.method = 'auto' AND m.dump_reason IS NOT NULL"
				   "  THEN 'copied with dump: ' || m.dump_reason END"
				   " FROM migrate.migration m WHERE m.id = $1::bigint", 3, args);
	}
	migrate_source_close(conn);
	MemoryContextSwitchTo(old);
	migrate_tx_commit();
	MemoryContextDelete(cxt);
}

/* Creates database DB on the target like the source's, if missing. */
void
migrate_create_database(DbState *db)
{
	SourceResult *res;
	SourceConn *conn;
	StringInfoData sql;
	MemoryContext old = MemoryContextSwitchTo(db->cxt);
	bool		exists;
	bool		ours;

	migrate_tx_begin();
	exists = OidIsValid(get_database_oid(db->name, true));
	res = migrate_coord_query("SELECT created_here, status FROM migrate.database_state"
					  " WHERE migration_id = $1::bigint AND dbname = $2",
					  2, (const char *[]) {migrate_coord_id(), db->name});
	ours = strcmp(SR_VALUE(res, 0, 0), "t") == 0 || strcmp(SR_VALUE(res, 0, 1), "creating") == 0;
	if (exists)
	{
		if (ours)
			migrate_coord_exec("UPDATE migrate.database_state SET status = 'schema', created_here = true"
					   " WHERE migration_id = $1::bigint AND dbname = $2",
					   2, (const char *[]) {migrate_coord_id(), db->name});
		else
			migrate_coord_exec("UPDATE migrate.database_state SET status = 'schema',"
					   " message = 'migrated into the database that existed on the target'"
					   " WHERE migration_id = $1::bigint AND dbname = $2",
					   2, (const char *[]) {migrate_coord_id(), db->name});
		migrate_tx_commit();
		MemoryContextSwitchTo(old);
		return;
	}
	migrate_coord_exec("UPDATE migrate.database_state SET status = 'creating'"
			   " WHERE migration_id = $1::bigint AND dbname = $2",
			   2, (const char *[]) {migrate_coord_id(), db->name});
	migrate_tx_commit();

	MemoryContextSwitchTo(db->cxt);
	conn = migrate_source_connect(migrate_coord.source, NULL, NULL);
	res = migrate_source_query(conn,
					   "SELECT pg_encoding_to_char(encoding), datcollate, datctype, pg_get_userbyid(datdba)"
					   " FROM pg_database WHERE datname = $1",
					   1, (const char *[]) {db->name});
	migrate_source_close(conn);

	initStringInfo(&sql);
	appendStringInfo(&sql, "CREATE DATABASE %s TEMPLATE template0 ENCODING %s LC_COLLATE %s LC_CTYPE %s",
					 quote_identifier(db->name), quote_literal_cstr(SR_VALUE(res, 0, 0)),
					 quote_literal_cstr(SR_VALUE(res, 0, 1)), quote_literal_cstr(SR_VALUE(res, 0, 2)));
	migrate_tx_begin();
	{
		/*
		 * The source's owner where this role may give it: a superuser any
		 * role, another role one it is a member of (the roles it created),
		 * so that the public schema and what is in it can be theirs.
		 */
		const char *owner = SR_VALUE(res, 0, 3);
		Oid			owner_oid = get_role_oid(owner, true);
		bool		owner_ok = OidIsValid(owner_oid) &&
			(superuser() || is_member_of_role(GetUserId(), owner_oid));

		if (owner_ok)
			appendStringInfo(&sql, " OWNER %s", quote_identifier(owner));
	}
	PopActiveSnapshot();
	migrate_exec_toplevel(sql.data);
	CommitTransactionCommand();
	MemoryContextSwitchTo(db->cxt);

	migrate_tx_begin();
	migrate_coord_exec("UPDATE migrate.database_state SET status = 'schema', created_here = true"
			   " WHERE migration_id = $1::bigint AND dbname = $2",
			   2, (const char *[]) {migrate_coord_id(), db->name});
	migrate_coord_event("database_created", migrate_json_obj("database", db->name, NULL));
	/* the role settings IN DATABASE that had to wait for it */
	if (migrate_coord.options->roles)
	{
		char	   *failures;

		conn = migrate_source_connect(migrate_coord.source, NULL, NULL);
		failures = migrate_copy_database_role_settings(conn, migrate_coord.migration_id, db->name);
		migrate_source_close(conn);
		if (failures != NULL)
			migrate_coord_event("warning", migrate_json_obj("database", db->name, "message", failures, NULL));
	}
	migrate_tx_commit();
	MemoryContextSwitchTo(old);
}

/*
 * The database's own settings (ALTER DATABASE ... SET), comment, and for
 * one made here its connection limit and rights, given once its tasks are
 * done: a setting such as default_transaction_read_only or
 * statement_timeout must not apply to the workers that fill it, nor a
 * REVOKE CONNECT to the role they work as.  Called in a transaction.
 */
void
migrate_database_properties(DbState *db)
{
	SourceConn *conn = migrate_source_connect(migrate_coord.source, NULL, NULL);
	SourceResult *res;
	SourceResult *acl;
	SourceResult *here;
	SourceResult *fenced;
	StringInfoData failures;
	int			r;

	res = migrate_source_query(conn,
					   "SELECT c.item, NULL FROM pg_db_role_setting s JOIN pg_database d"
					   "  ON d.oid = s.setdatabase, unnest(s.setconfig) WITH ORDINALITY c(item, n)"
					   " WHERE d.datname = $1 AND s.setrole = 0"
					   " UNION ALL SELECT NULL, shobj_description(d.oid, 'pg_database')"
					   " FROM pg_database d WHERE d.datname = $1"
					   " AND shobj_description(d.oid, 'pg_database') IS NOT NULL",
					   1, (const char *[]) {db->name});
	acl = migrate_source_query(conn,
							   "SELECT d.datconnlimit::text, d.datacl IS NOT NULL, NULL, NULL, NULL"
							   " FROM pg_database d WHERE d.datname = $1"
							   " UNION ALL SELECT NULL, NULL, CASE WHEN a.grantee = 0 THEN NULL ELSE pg_get_userbyid(a.grantee) END,"
							   "  a.privilege_type, a.is_grantable::text"
							   " FROM pg_database d, aclexplode(d.datacl) a WHERE d.datname = $1 AND a.grantee <> d.datdba",
							   1, (const char *[]) {db->name});
	migrate_source_close(conn);
	initStringInfo(&failures);

	/*
	 * A database made here gets the source's connection limit and rights
	 * (pg_dump carries neither without --create): REVOKE CONNECT ... FROM
	 * PUBLIC among them.  The owner's own rights go with the ownership.
	 */
	here = migrate_coord_query("SELECT created_here FROM migrate.database_state"
							   " WHERE migration_id = $1::bigint AND dbname = $2",
							   2, (const char *[]) {migrate_coord_id(), db->name});
	if (here->nrows > 0 && SR_VALUE(here, 0, 0)[0] == 't' && acl->nrows > 0)
	{
		List	   *stmts = NIL;
		ListCell   *lc;
		const char *q = quote_identifier(db->name);

		/* (the row of the database itself, then one a right) */
		for (r = 0; r < acl->nrows; r++)
		{
			if (SR_VALUE(acl, r, 0) == NULL)
				continue;
			if (strcmp(SR_VALUE(acl, r, 0), "-1") != 0)
				stmts = lappend(stmts, psprintf("ALTER DATABASE %s CONNECTION LIMIT %d", q,
												atoi(SR_VALUE(acl, r, 0))));
			if (SR_VALUE(acl, r, 1) != NULL && SR_VALUE(acl, r, 1)[0] == 't')
				stmts = lappend(stmts, psprintf("REVOKE ALL ON DATABASE %s FROM PUBLIC", q));
		}
		for (r = 0; r < acl->nrows; r++)
		{
			const char *grantee = SR_VALUE(acl, r, 2);
			const char *priv = SR_VALUE(acl, r, 3);

			if (SR_VALUE(acl, r, 0) != NULL)
				continue;

			/* (a database has no other rights: anything else is not the server's) */
			if (priv == NULL || (strcmp(priv, "CREATE") != 0 && strcmp(priv, "CONNECT") != 0 &&
								 strcmp(priv, "TEMPORARY") != 0))
			{
				appendStringInfo(&failures, "%sright \"%s\" of the source database is not a right of a database",
								 failures.len ? "; " : "", priv ? priv : "");
				continue;
			}
			stmts = lappend(stmts, psprintf("GRANT %s ON DATABASE %s TO %s%s", priv, q,
											grantee ? quote_identifier(grantee) : "PUBLIC",
											SR_VALUE(acl, r, 4) != NULL && SR_VALUE(acl, r, 4)[0] == 't' ?
											" WITH GRANT OPTION" : ""));
		}
		foreach(lc, stmts)
		{
			char	   *err;

			if (!migrate_target_exec_isolated(lfirst(lc), &err))
				appendStringInfo(&failures, "%s%s", failures.len ? "; " : "", err);
		}
	}

	fenced = migrate_coord_query("SELECT fenced_at IS NOT NULL FROM migrate.database_state"
								 " WHERE migration_id = $1::bigint AND dbname = $2",
								 2, (const char *[]) {migrate_coord_id(), db->name});
	for (r = 0; r < res->nrows; r++)
	{
		char	   *item = SR_VALUE(res, r, 0);
		char	   *stmt;
		char	   *err;

		if (item != NULL)
		{
			char	   *eq = strchr(item, '=');

			if (eq == NULL)
				continue;
			*eq = '\0';

			/*
			 * (the cutover's fence is the source's, not the database's:
			 * still on while a verify run reads the source)
			 */
			if (fenced->nrows > 0 && SR_VALUE(fenced, 0, 0) != NULL && SR_VALUE(fenced, 0, 0)[0] == 't' &&
				pg_strcasecmp(item, "default_transaction_read_only") == 0)
				continue;
			stmt = migrate_role_setting_statement(NULL, db->name, item, eq + 1);
		}
		else
			stmt = psprintf("COMMENT ON DATABASE %s IS %s", quote_identifier(db->name),
							quote_literal_cstr(SR_VALUE(res, r, 1)));
		if (!migrate_target_exec_isolated(stmt, &err))
			appendStringInfo(&failures, "%s%s", failures.len ? "; " : "", err);
	}
	if (failures.len > 0)
		migrate_coord_event("warning", migrate_json_obj("database", db->name, "message", failures.data, NULL));
}

/*
 * Does table DBNAME.SCHEMA.TABLE (a partition of ROOT_NSP.ROOT_REL, or NULL)
 * pass the migration's tables / exclude_tables options?
 */
bool
migrate_table_selected(const char *dbname, const char *nsp, const char *rel,
					   const char *root_nsp, const char *root_rel)
{
	return migrate_options_table_selected(migrate_coord.options, dbname, nsp, rel, root_nsp, root_rel);
}

/*
 * The tasks of a plan, gathered column by column and inserted in batches:
 * one INSERT of thousands of rows instead of thousands of INSERTs.
 */
#define TASK_COLUMNS	11
#define TASK_BATCH		2000

static List *task_rows[TASK_COLUMNS];	/* char * a row, NULL for SQL NULL */
static int	task_nrows = 0;

static void
flush_tasks(void)
{
	Oid			types[TASK_COLUMNS + 1];
	Datum		values[TASK_COLUMNS + 1];
	int			c;

	if (task_nrows == 0)
		return;
	types[0] = INT8OID;
	values[0] = Int64GetDatum(migrate_coord.migration_id);
	for (c = 0; c < TASK_COLUMNS; c++)
	{
		Datum	   *elems = palloc(sizeof(Datum) * task_nrows);
		bool	   *nulls = palloc(sizeof(bool) * task_nrows);
		int			dims[1] = {task_nrows};
		int			lbs[1] = {1};
		ListCell   *lc;
		int			i = 0;

		foreach(lc, task_rows[c])
		{
			char	   *v = lfirst(lc);

			nulls[i] = v == NULL;
			elems[i] = v ? CStringGetTextDatum(v) : (Datum) 0;
			i++;
		}
		types[c + 1] = TEXTARRAYOID;
		values[c + 1] = PointerGetDatum(construct_md_array(elems, nulls, 1, dims, lbs,
														   TEXTOID, -1, false, TYPALIGN_INT));
		list_free(task_rows[c]);
		task_rows[c] = NIL;
	}
	migrate_state_exec("INSERT INTO migrate.task (migration_id, dbname, kind, schema_name, table_name,"
					   " part, parts, block_from, block_to, statement, size_bytes, unlogged)"
					   " SELECT $1, u.dbname, u.kind, u.nsp, u.rel, u.part::int, u.parts::int,"
					   " u.block_from::bigint, u.block_to::bigint, u.statement, u.size::bigint,"
					   " u.unlogged::boolean"
					   " FROM ROWS FROM (pg_catalog.unnest($2), pg_catalog.unnest($3), pg_catalog.unnest($4),"
					   " pg_catalog.unnest($5), pg_catalog.unnest($6), pg_catalog.unnest($7),"
					   " pg_catalog.unnest($8), pg_catalog.unnest($9), pg_catalog.unnest($10),"
					   " pg_catalog.unnest($11), pg_catalog.unnest($12))"
					   " AS u(dbname, kind, nsp, rel, part, parts, block_from, block_to, statement,"
					   " size, unlogged)",
					   TASK_COLUMNS + 1, types, values, NULL);
	task_nrows = 0;
}

static void
insert_task(const char *dbname, const char *kind, const char *nsp, const char *rel,
			int part, int parts, int64 from, int64 to, const char *statement, int64 size,
			bool unlogged)
{
	const char *row[TASK_COLUMNS];
	int			c;

	row[0] = dbname;
	row[1] = kind;
	row[2] = nsp;
	row[3] = rel;
	row[4] = psprintf("%d", part);
	row[5] = psprintf("%d", parts);
	row[6] = from >= 0 ? psprintf(INT64_FORMAT, from) : NULL;
	row[7] = to >= 0 ? psprintf(INT64_FORMAT, to) : NULL;
	row[8] = statement;
	row[9] = psprintf(INT64_FORMAT, size);
	row[10] = unlogged ? "true" : "false";
	for (c = 0; c < TASK_COLUMNS; c++)
		task_rows[c] = lappend(task_rows[c], (void *) row[c]);
	if (++task_nrows >= TASK_BATCH)
		flush_tasks();
}

/* The size of each table planned, by table_key (an index weighs as much). */
typedef struct TableSize
{
	char		key[2 * NAMEDATALEN + 2];
	int64		size;
} TableSize;

/* The indexes and keys of a table, as post-data statements. */
typedef struct TableIndexes
{
	char		key[2 * NAMEDATALEN + 2];
	StringInfo	sql;
	bool		folded;			/* built by its copy task */
} TableIndexes;

/*
 * Tables up to this size get their indexes and keys built by their copy
 * task, and their statistics in batches of ANALYZE_BATCH
 * (an analyze_small task) instead of an analyze task each.
 */
#define SMALL_TABLE_BYTES	(128 * 1024)
#define ANALYZE_BATCH		200

static char *
table_key(const char *nsp, const char *rel)
{
	return psprintf("%s\x1f%s", nsp, rel);
}

/* The encoding of database DBNAME of the target, which pg_dump writes in for it. */
char *
migrate_target_db_encoding(const char *dbname)
{
	MemoryContext cxt = CurrentMemoryContext;
	char	   *encoding = pstrdup(GetDatabaseEncodingName());
	SourceResult *e;

	migrate_tx_begin();
	e = migrate_target_query("SELECT pg_catalog.pg_encoding_to_char(encoding)"
							 " FROM pg_catalog.pg_database WHERE datname = $1",
							 1, (Oid[]) {TEXTOID}, (Datum[]) {CStringGetTextDatum(dbname)});
	if (e->nrows > 0)
		encoding = MemoryContextStrdup(cxt, e->values[0]);
	migrate_tx_commit();
	MemoryContextSwitchTo(cxt);
	return encoding;
}

/*
 * The tables of database DBNAME that the tables / exclude_tables options
 * leave out, and the sequences they own, as quoted, qualified names (read
 * on CONN, at the snapshot when planning):
 * pg_dump leaves them out too, so that they are not created here, nor
 * their indexes, keys and sequences.
 */
List *
migrate_left_out_relations(SourceConn *conn, const char *dbname)
{
	SourceResult *res;
	List	   *out = NIL;
	int			r;

	if (migrate_coord.options->tables == NIL && migrate_coord.options->exclude_tables == NIL)
		return NIL;
	res = migrate_source_query(conn,
							   "SELECT n.nspname, c.relname, root.root_nsp, root.root_rel,"
							   " (SELECT string_agg(quote_ident(sn.nspname) || '.' || quote_ident(s.relname), E'\\n')"
							   "  FROM pg_depend d JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'"
							   "  JOIN pg_namespace sn ON sn.oid = s.relnamespace"
							   "  WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass"
							   "  AND d.refobjid = c.oid AND d.deptype IN ('a', 'i'))"
							   " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
							   MIGRATE_PARTITION_ROOT_JOIN
							   " WHERE c.relkind IN ('r', 'p')"
							   " AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
							   " AND n.nspname !~ '^pg_toast' AND n.nspname !~ '^pg_temp_'",
							   0, NULL);
	for (r = 0; r < res->nrows; r++)
	{
		char	   *seqs = SR_VALUE(res, r, 4);

		if (SR_VALUE(res, r, 0) == NULL || SR_VALUE(res, r, 1) == NULL)
			continue;
		if (migrate_table_selected(dbname, SR_VALUE(res, r, 0), SR_VALUE(res, r, 1),
								   SR_VALUE(res, r, 2), SR_VALUE(res, r, 3)))
			continue;
		out = lappend(out, quote_qualified_identifier(SR_VALUE(res, r, 0), SR_VALUE(res, r, 1)));
		/* (names the source quoted: one a line) */
		while (seqs != NULL && *seqs != '\0')
		{
			char	   *nl = strchr(seqs, '\n');

			out = lappend(out, nl ? pnstrdup(seqs, nl - seqs) : pstrdup(seqs));
			seqs = nl ? nl + 1 : NULL;
		}
	}
	return out;
}

/* Plans database DB: schema, copy, post-data, sequences and analyze tasks. */
void
migrate_plan_tasks(DbState *db)
{
	SourceResult *res;
	char	   *pre;
	char	   *post;
	List	   *post_stmts;
	StringInfoData rest;
	ListCell   *lc;
	const char *encoding;
	int			r;
	HTAB	   *sizes;
	TableSize  *ts;
	StringInfoData small;
	int			nsmall = 0;
	int			ntables = 0;	/* tables selected */
	int			nsource;		/* tables of the source database */
	HTAB	   *indexes;
	TableIndexes *ti;
	MemoryContext cxt = AllocSetContextCreate(migrate_coord.cxt, "migrate plan", ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(cxt);

	/* rows left by a plan that failed half-way pointed into its memory */
	for (r = 0; r < TASK_COLUMNS; r++)
		task_rows[r] = NIL;
	task_nrows = 0;

	encoding = migrate_target_db_encoding(db->name);
	migrate_pg_dump_schema(migrate_coord.source, db->name, db->snapshot, encoding, NIL,
						   migrate_left_out_relations(migrate_db_query_conn(db), db->name), &pre, &post);
	post_stmts = migrate_classify_post_data(migrate_split_sql(post));
	/* pre-data is split when its task runs: a script that does not parse fails here */
	(void) migrate_split_sql(pre);

	res = migrate_source_query(migrate_db_query_conn(db),
					   "SELECT n.nspname, c.relname, pg_table_size(c.oid),"
					   " pg_relation_size(c.oid) / current_setting('block_size')::bigint,"
					   " c.relpersistence, root.root_nsp, root.root_rel"
					   " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
					   MIGRATE_PARTITION_ROOT_JOIN
					   " WHERE c.relkind = 'r'"
					   " AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
					   " AND n.nspname !~ '^pg_toast' AND n.nspname !~ '^pg_temp_'"
					   " AND (NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass"
					   "   AND d.objid = c.oid AND d.deptype = 'e')"
					   "  OR ($1 AND EXISTS (SELECT 1 FROM pg_extension e WHERE c.oid = ANY (e.extconfig))))"
					   " ORDER BY 3 DESC",
					   1, (const char *[]) {migrate_coord.options->replicate_extension_tables ? "true" : "false"});
	nsource = res->nrows;

	{
		HASHCTL		ctl;

		memset(&ctl, 0, sizeof(ctl));
		ctl.keysize = sizeof(((TableSize *) 0)->key);
		ctl.entrysize = sizeof(TableSize);
		ctl.hcxt = cxt;
		sizes = hash_create("migrate table sizes", Max(res->nrows, 16), &ctl,
							HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	}

	/*
	 * The indexes and keys of each table (by "schema\x1ftable"): a small
	 * table's are built by its copy task instead of tasks of their own.
	 */
	{
		HASHCTL		ctl;

		memset(&ctl, 0, sizeof(ctl));
		ctl.keysize = sizeof(((TableIndexes *) 0)->key);
		ctl.entrysize = sizeof(TableIndexes);
		ctl.hcxt = cxt;
		indexes = hash_create("migrate table indexes", 256, &ctl,
							  HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
		foreach(lc, post_stmts)
		{
			DumpStatement *ds = lfirst(lc);
			TableIndexes *ti;
			bool		found;

			if (ds->kind != MTK_INDEX || ds->schema_name == NULL || ds->table_name == NULL)
				continue;
			ti = hash_search(indexes, table_key(ds->schema_name, ds->table_name), HASH_ENTER, &found);
			if (!found)
			{
				ti->sql = makeStringInfo();
				ti->folded = false;
			}
			appendStringInfo(ti->sql, "%s;\n", ds->sql);
		}
	}

	initStringInfo(&small);
	migrate_tx_begin();
	insert_task(db->name, "schema", NULL, NULL, 0, 1, -1, -1, pre, 0, false);
	for (r = 0; r < res->nrows; r++)
	{
		const char *nsp = SR_VALUE(res, r, 0);
		const char *rel = SR_VALUE(res, r, 1);
		int64		size = strtoi64(SR_VALUE(res, r, 2), NULL, 10);
		int64		pages = strtoi64(SR_VALUE(res, r, 3), NULL, 10);
		bool		unlogged = SR_VALUE(res, r, 4)[0] == 'u';
		int64		parts = 1;
		int64		p;

		if (!migrate_table_selected(db->name, nsp, rel, SR_VALUE(res, r, 5), SR_VALUE(res, r, 6)))
			continue;
		ntables++;
		ts = hash_search(sizes, table_key(nsp, rel), HASH_ENTER, NULL);
		ts->size = size;
		/*
		 * TID range scans exist from PostgreSQL 14 on.  With two workers or
		 * fewer a split only costs: the first part runs alone (it empties
		 * the table, and only it loads frozen rows), and a TID range scan
		 * reads a large table slower than COPY does (it has no bulk-read
		 * buffer ring: 2.2 times the time a byte, measured on PostgreSQL
		 * 15 with the table in the OS cache).
		 */
		if (migrate_coord.source_version >= 140000 && migrate_coord.max_workers > 2 &&
			size > migrate_coord.options->split_size && pages > 1)
			parts = Min((size + migrate_coord.options->split_size - 1) / migrate_coord.options->split_size, pages);
		/*
		 * (Not an unlogged table's: crash recovery empties it and its copy
		 * runs again, while its indexes stay.)
		 */
		ti = NULL;
		if (parts == 1 && size <= SMALL_TABLE_BYTES && !unlogged)
		{
			ti = hash_search(indexes, table_key(nsp, rel), HASH_FIND, NULL);
			if (ti != NULL)
				ti->folded = true;
		}
		for (p = 0; p < parts; p++)
		{
			int64		from = parts == 1 ? -1 : (p == 0 ? -1 : pages * p / parts);
			int64		to = parts == 1 ? -1 : (p == parts - 1 ? -1 : pages * (p + 1) / parts);
			insert_task(db->name, "copy", nsp, rel, (int) p, (int) parts, from, to,
						ti ? ti->sql->data : NULL, parts == 1 ? size : size / parts, unlogged);
		}
		/* statistics as soon as the table has its data and its indexes */
		if (parts == 1 && size <= SMALL_TABLE_BYTES && strchr(nsp, '\n') == NULL &&
			strchr(rel, '\n') == NULL)
		{
			/* a small table's, with others (the names one a line) */
			appendStringInfo(&small, "%s\n", quote_qualified_identifier(nsp, rel));
			if (++nsmall == ANALYZE_BATCH)
			{
				insert_task(db->name, "analyze_small", NULL, NULL, 0, 1, -1, -1, pstrdup(small.data), 0, false);
				resetStringInfo(&small);
				nsmall = 0;
			}
		}
		else
			insert_task(db->name, "analyze", nsp, rel, 0, 1, -1, -1, NULL, size, false);
	}
	if (nsmall > 0)
		insert_task(db->name, "analyze_small", NULL, NULL, 0, 1, -1, -1, small.data, 0, false);

	/*
	 * Partitioned tables: autovacuum never analyzes them, and their
	 * statistics cover all partitions, so they come once every table of the
	 * database has its data and indexes.
	 */
	res = migrate_source_query(migrate_db_query_conn(db),
					   "SELECT n.nspname, c.relname, root.root_nsp, root.root_rel"
					   " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
					   MIGRATE_PARTITION_ROOT_JOIN
					   " WHERE c.relkind = 'p'"
					   " AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
					   " AND n.nspname !~ '^pg_toast' AND n.nspname !~ '^pg_temp_'"
					   " AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass"
					   "   AND d.objid = c.oid AND d.deptype = 'e')",
					   0, NULL);
	for (r = 0; r < res->nrows; r++)
		if (migrate_table_selected(db->name, SR_VALUE(res, r, 0), SR_VALUE(res, r, 1),
								   SR_VALUE(res, r, 2), SR_VALUE(res, r, 3)))
			insert_task(db->name, "analyze_partitioned", SR_VALUE(res, r, 0), SR_VALUE(res, r, 1),
						0, 1, -1, -1, NULL, 0, false);

	initStringInfo(&rest);
	foreach(lc, post_stmts)
	{
		DumpStatement *ds = lfirst(lc);

		if (ds->kind == MTK_INDEX && ds->schema_name != NULL && ds->table_name != NULL &&
			(ti = hash_search(indexes, table_key(ds->schema_name, ds->table_name), HASH_FIND, NULL)) != NULL &&
			ti->folded)
			continue;			/* built by the table's copy task */
		if (ds->kind == MTK_INDEX)
		{
			/* an index task weighs as much as its table, for the order of work */
			TableSize  *ts = ds->schema_name && ds->table_name ?
				hash_search(sizes, table_key(ds->schema_name, ds->table_name), HASH_FIND, NULL) : NULL;

			insert_task(db->name, "index", ds->schema_name, ds->table_name, 0, 1, -1, -1, ds->sql,
						ts ? ts->size : 0, false);
		}
		else if (ds->kind == MTK_CONSTRAINT)
			insert_task(db->name, "constraint", NULL, NULL, 0, 1, -1, -1, ds->sql, 0, false);
		else
			appendStringInfo(&rest, "%s;\n", ds->sql);
	}
	if (rest.len > 0)
		insert_task(db->name, "post", NULL, NULL, 0, 1, -1, -1, rest.data, 0, false);
	insert_task(db->name, "sequences", NULL, NULL, 0, 1, -1, -1, NULL, 0, false);
	/*
	 * The source's own subscriptions stay behind (pg_dump
	 * --no-subscriptions): their connection strings hold passwords of the
	 * servers they subscribe to, and one enabled here would take its slot
	 * from the source's subscriber.
	 */
	res = migrate_source_query(migrate_db_query_conn(db),
							   "SELECT string_agg(quote_ident(subname), ', ' ORDER BY subname) FROM pg_subscription"
							   " WHERE subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())",
							   0, NULL);
	if (SR_VALUE(res, 0, 0) != NULL)
		migrate_coord_event("warning",
							migrate_json_obj("database", db->name,
											 "message", psprintf("subscriptions of the source are not copied: %s (their connection strings hold"
																 " passwords, and enabled here one would take its slot from the source's"
																 " subscriber); create them on the target after the switch",
																 SR_VALUE(res, 0, 0)),
											 NULL));
	res = migrate_source_query(migrate_db_query_conn(db), "SELECT count(*) > 0 FROM pg_largeobject_metadata", 0, NULL);
	if (SR_VALUE(res, 0, 0)[0] == 't')
		insert_task(db->name, "large_objects", NULL, NULL, 0, 1, -1, -1, NULL, 0, false);
	/* its statement (the tables copied) is written once the copy tasks are */
	if (db->replication)
		insert_task(db->name, "subscribe", NULL, NULL, 0, 1, -1, -1, "{}", 0, false);
	flush_tasks();
	if (db->replication)
		migrate_subscribe_statement(db);
	if (ntables == 0)
	{
		/* (not a silent success: the database's message says it) */
		char	   *msg = nsource == 0 ?
			pstrdup("no table to copy: the source database has none") :
			psprintf("no table to copy: the table filters (tables, exclude_tables) leave out all %d of the source database's",
					 nsource);

		migrate_set_db_status(db->name, "copying", msg);
		migrate_coord_event("warning", migrate_json_obj("database", db->name, "message", msg, NULL));
	}
	else
		migrate_set_db_status(db->name, "copying", NULL);
	migrate_coord_event("database_planned",
				  migrate_json_obj("database", db->name, "snapshot", db->snapshot, NULL));
	migrate_sched_load(migrate_coord.migration_id);
	migrate_tx_commit();

	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
}


/* The strings of LIST (char *) as a text[] literal, for a task's statement. */
char *
migrate_text_array_literal(List *list)
{
	ArrayBuildState *astate = initArrayResult(TEXTOID, CurrentMemoryContext, false);
	ListCell   *lc;

	foreach(lc, list)
		accumArrayResult(astate, CStringGetTextDatum((char *) lfirst(lc)), false, TEXTOID,
						 CurrentMemoryContext);
	/* (array_out keeps a cache in its flinfo: a direct call has none) */
	return OidOutputFunctionCall(F_ARRAY_OUT, makeArrayResult(astate, CurrentMemoryContext));
}
