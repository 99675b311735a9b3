/*-------------------------------------------------------------------------
 *
 * steps.c
 *		The steps of a database, one function each.  Its status in
 *		migrate.database_state names the step it is in, so that a coordinator
 *		started again takes every database up where it was.
 *
 *	pending ──> creating ──> schema ──> copying ──> indexing ──┬──> finishing ──> done
 *	            the          snapshot,  the copy    the other   │    its own
 *	            database     pg_dump,   tasks, and  tasks       │    settings
 *	            on the       the tasks  what needs  (indexes,   │    and comment
 *	            target       planned    no copy     keys, ...)  │         ^
 *	                                                            │         │
 *	  (replication) ──> replicating ──> cutover ─────────────────┘─────────┘
 *	                    the subscription  the target reached the position
 *	                    applies; the lag  of the cutover: sequences, views,
 *	                    is measured       the objects dropped
 *
 *	any step ──> failed    (resume: back to copying, or to pending)
 *
 * The replication method's schema step creates the publication and then
 * the slot on a replication connection, whose exported snapshot pg_dump and
 * every copy read: the subscription (the last task, once the data and keys
 * are in) applies exactly the changes after the copied state.
 *
 * A step returns STEP_NEXT when the database moved on and the next step may
 * run at once, STEP_WAIT when nothing more happens this round, STEP_WORK
 * when its tasks may be handed out.  The tasks themselves, and what each
 * waits for, are the scheduler's (tasks.c, scheduler.c).  The CHECK of
 * migrate.database_state.status lists the same names as db_steps below (a
 * test compares them through migrate.database_steps()).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "commands/dbcommands.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/pg_lsn.h"
#include "utils/timestamp.h"

#include "cleanup.h"
#include "coordinator.h"
#include "migrate.h"
#include "plan.h"
#include "pool.h"
#include "protocol.h"
#include "redact.h"
#include "replication.h"
#include "scheduler.h"
#include "schema.h"
#include "source.h"
#include "state.h"
#include "steps.h"
#include "verify.h"

typedef enum StepResult
{
	STEP_NEXT,
	STEP_WAIT,
	STEP_WORK
} StepResult;

typedef StepResult (*DbStepFn) (DbState *db, const SchedCounts *c, const char **next);

typedef struct DbStep
{
	DbStepInfo	info;
	DbStepFn	run;			/* NULL: the database is finished */
} DbStep;

static StepResult step_create(DbState *db, const SchedCounts *c, const char **next);
static StepResult step_schema(DbState *db, const SchedCounts *c, const char **next);
static StepResult step_copying(DbState *db, const SchedCounts *c, const char **next);
static StepResult step_indexing(DbState *db, const SchedCounts *c, const char **next);
static void snapshot_moved(DbState *db);
static StepResult step_replicating(DbState *db, const SchedCounts *c, const char **next);
static StepResult step_cutover(DbState *db, const SchedCounts *c, const char **next);
static StepResult step_verifying(DbState *db, const SchedCounts *c, const char **next);
static StepResult step_finishing(DbState *db, const SchedCounts *c, const char **next);

/* The steps, in their order; the last two are the ends. */
static const DbStep db_steps[] = {
	{{"pending", "waits for its turn"}, step_create},
	{{"creating", "the database is created on the target"}, step_create},
	{{"schema", "snapshot, pg_dump of the schema, the tasks planned"}, step_schema},
	{{"copying", "the copy tasks run, and what needs no copy"}, step_copying},
	{{"indexing", "the other tasks run: indexes, keys, the rest of post-data, statistics"},
	step_indexing},
	{{"replicating", "(replication) the subscription applies the source's changes; the lag is measured"},
	step_replicating},
	{{"cutover", "(replication) the target catches up to the cutover position; sequences, materialized views; the objects dropped"},
	step_cutover},
	{{"finishing", "the database's own settings and comment are given"}, step_finishing},
	{{"verifying", "(option verify) the source and the target compared, at the copy's snapshot or at cutover: migrate.verify_result"},
	step_verifying},
	{{"done", "migrated"}, NULL},
	{{"failed", "a step or a task failed: migrate.errors says why"}, NULL},
};

/* ---- the state of a database ------------------------------------------- */

DbState *
migrate_db_state(const char *name)
{
	ListCell   *lc;
	DbState    *db;
	MemoryContext old;

	foreach(lc, migrate_coord.dbstates)
	{
		db = lfirst(lc);
		if (strcmp(db->name, name) == 0)
			return db;
	}
	old = MemoryContextSwitchTo(migrate_coord.cxt);
	db = palloc0(sizeof(DbState));
	db->name = pstrdup(name);
	db->cxt = AllocSetContextCreate(migrate_coord.cxt, "migrate database", ALLOCSET_SMALL_SIZES);
	migrate_coord.dbstates = lappend(migrate_coord.dbstates, db);
	MemoryContextSwitchTo(old);
	return db;
}

void
migrate_set_db_status(const char *dbname, const char *status, const char *message)
{
	const char *args[4] = {migrate_coord_id(), dbname, status, message};

	migrate_coord_exec("UPDATE migrate.database_state SET status = $3, message = coalesce($4, message)"
			   " WHERE migration_id = $1::bigint AND dbname = $2", 4, args);
}

/*
 * The exported snapshot of database DB, held open by a connection of its
 * own while the database's tables are copied.
 */
void
migrate_open_snapshot(DbState *db)
{
	SourceResult *res;
	MemoryContext old = MemoryContextSwitchTo(db->cxt);

	db->snap_conn = migrate_source_connect(migrate_coord.source, db->name, NULL);
	(void) migrate_source_query(db->snap_conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL);
	res = migrate_source_query(db->snap_conn, "SELECT pg_export_snapshot()", 0, NULL);
	db->snapshot = pstrdup(SR_VALUE(res, 0, 0));
	MemoryContextSwitchTo(old);
}

void
migrate_close_snapshot(DbState *db)
{
	if (db->query_conn != NULL)
		migrate_source_close(db->query_conn);
	if (db->snap_conn != NULL)
		migrate_source_close(db->snap_conn);
	db->query_conn = NULL;
	db->snap_conn = NULL;
	db->snapshot = NULL;
	MemoryContextReset(db->cxt);
}

/*
 * A connection for queries at the database's snapshot: the one that holds
 * it, or (when that is a walsender, which must send nothing until the copy
 * is done) one that imported it.
 */
SourceConn *
migrate_db_query_conn(DbState *db)
{
	MemoryContext old;

	if (db->snap_conn == NULL || db->snapshot == NULL)
		elog(ERROR, "database \"%s\" has no snapshot", db->name);
	if (!db->snap_conn->replication)
		return db->snap_conn;
	if (db->query_conn == NULL)
	{
		old = MemoryContextSwitchTo(db->cxt);
		db->query_conn = migrate_source_connect(migrate_coord.source, db->name, NULL);
		(void) migrate_source_query(db->query_conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL);
		(void) migrate_source_query(db->query_conn,
									psprintf("SET TRANSACTION SNAPSHOT %s", quote_literal_cstr(db->snapshot)),
									0, NULL);
		MemoryContextSwitchTo(old);
	}
	return db->query_conn;
}

/* The source user's tables of DB that the publication lists by name. */
static List *
published_tables(SourceConn *conn, DbState *db)
{
	SourceResult *res;
	List	   *tables = NIL;
	int			r;

	res = migrate_source_query(conn,
							   "SELECT n.nspname, c.relname, quote_ident(n.nspname) || '.' || quote_ident(c.relname),"
							   " pg_has_role(c.relowner, 'USAGE')"
							   " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
							   " WHERE c.relkind IN ('r', 'p') AND c.relpersistence = 'p' AND NOT c.relispartition"
							   " AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
							   " AND n.nspname !~ '^pg_toast' AND n.nspname !~ '^pg_temp_'"
							   " ORDER BY 1, 2",
							   0, NULL);
	for (r = 0; r < res->nrows; r++)
	{
		if (!migrate_table_selected(db->name, SR_VALUE(res, r, 0), SR_VALUE(res, r, 1), NULL, NULL))
			continue;
		/* a table copied but not published would silently miss every change */
		if (SR_VALUE(res, r, 3)[0] != 't')
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("the source user does not own table %s of database \"%s\", so it cannot publish it",
							SR_VALUE(res, r, 2), db->name),
					 errhint("Migrate as a superuser of the source, or as the owner of every table, or leave the table out with \"exclude_tables\".")));
		tables = lappend(tables, SR_VALUE(res, r, 2));
	}
	return tables;
}

/*
 * REPLICA IDENTITY FULL on the source for the tables IDENTITY names (of
 * migrate_source_identity_candidates; on CONN, a connection to DB),
 * recorded before anything changes, so that cutover and cleanup restore
 * what they had.
 */
static void
identity_full(DbState *db, SourceConn *conn, List *identity)
{
	if (identity == NIL)
		return;
	migrate_tx_begin();
	migrate_coord_exec("UPDATE migrate.database_state SET identity_full ="
					   " ARRAY(SELECT DISTINCT unnest(identity_full || $3::text[]) ORDER BY 1)"
					   " WHERE migration_id = $1::bigint AND dbname = $2",
					   3, (const char *[]) {migrate_coord_id(), db->name, migrate_text_array_literal(identity)});
	migrate_coord_event("replica_identity_full",
						migrate_json_obj("database", db->name, "tables", migrate_text_array_literal(identity),
										 "detail", "tables without a primary key get REPLICA IDENTITY FULL on the source until cutover, so that their updates and deletes replicate",
										 NULL));
	migrate_tx_commit();
	migrate_source_identity_set_full(conn, identity);
}

/*
 * The replication method's snapshot of DB: the replica identities its
 * tables need, the publication, then the slot (in that order: the slot
 * decodes with the catalog as it was when it was made), whose exported
 * snapshot the copy reads.  A slot of an earlier try is dropped first:
 * nothing copied at its snapshot is kept (the caller resets the copies).
 */
static void
open_replication_snapshot(DbState *db)
{
	MemoryContext old = MemoryContextSwitchTo(db->cxt);
	SourceConn *conn;
	SourceResult *res;
	List	   *tables = NIL;
	List	   *schema;
	bool		all_tables;
	char	   *lsn;
	char	   *snapshot;

	conn = migrate_source_connect(migrate_coord.source, db->name, NULL);
	/* a slot of that name in use is someone's stream (the original tool's?): never ended here */
	res = migrate_source_query(conn, "SELECT active_pid FROM pg_replication_slots WHERE slot_name = $1 AND active",
							   1, (const char *[]) {db->slot});
	if (res->nrows > 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_IN_USE),
				 errmsg("replication slot \"%s\" is in use on the source (by process %s)", db->slot,
						SR_VALUE(res, 0, 0) ? SR_VALUE(res, 0, 0) : "?"),
				 errhint("Another subscription streams from it: stop that one, or run migrate.cleanup() for the source once it is not needed.")));
	(void) migrate_source_drop_slot(conn, db->slot, 0);
	res = migrate_source_query(conn, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user", 0, NULL);
	all_tables = res->nrows > 0 && SR_VALUE(res, 0, 0)[0] == 't' &&
		migrate_coord.options->tables == NIL && migrate_coord.options->exclude_tables == NIL;
	if (!all_tables)
		tables = published_tables(conn, db);

	identity_full(db, conn, migrate_source_identity_candidates(conn, all_tables));
	migrate_source_create_publication(conn, db->publication, all_tables, tables);
	schema = migrate_source_schema(conn);
	migrate_source_close(conn);

	db->snap_conn = migrate_source_connect_replication(migrate_coord.source, db->name);
	migrate_source_create_slot(db->snap_conn, db->slot, false, &lsn, &snapshot);
	db->snapshot = snapshot;
	MemoryContextSwitchTo(old);

	migrate_tx_begin();
	migrate_coord_exec("UPDATE migrate.database_state SET publication = $3, subscription = $4, slot = $5,"
					   " slot_lsn = $6::pg_lsn, source_schema = $7::text[], schema_changes = NULL"
					   " WHERE migration_id = $1::bigint AND dbname = $2",
					   7, (const char *[]) {migrate_coord_id(), db->name, db->publication,
						   db->subscription, db->slot, lsn, migrate_text_array_literal(schema)});
	migrate_coord_event("slot_created",
						migrate_json_obj("database", db->name, "slot", db->slot,
										 "publication", db->publication, "lsn", lsn,
										 "snapshot", snapshot, NULL));
	migrate_tx_commit();
}

/*
 * Writes to DB on the source again, if the cutover fenced them (on CONN, a
 * connection to it): how long they paused is the migration's
 * write_pause_seconds, the longest of its databases'.
 */
static void
unfence(SourceConn *conn, DbState *db)
{
	SourceResult *res;
	const char *args[2] = {migrate_coord_id(), db->name};

	migrate_tx_begin();
	res = migrate_coord_query("SELECT EXTRACT(epoch FROM now() - fenced_at)::float8 FROM migrate.database_state"
							  " WHERE migration_id = $1::bigint AND dbname = $2 AND fenced_at IS NOT NULL",
							  2, args);
	migrate_tx_commit();
	if (res->nrows == 0)
		return;
	migrate_source_unfence(conn, db->name);
	migrate_tx_begin();
	migrate_coord_exec("UPDATE migrate.database_state SET fenced_at = NULL WHERE migration_id = $1::bigint AND dbname = $2",
					   2, args);
	migrate_coord_exec("UPDATE migrate.migration SET write_pause_seconds = GREATEST(write_pause_seconds, $2::float8)"
					   " WHERE id = $1::bigint", 2, (const char *[]) {args[0], SR_VALUE(res, 0, 0)});
	migrate_coord_event("writes_resumed",
						migrate_json_obj("database", db->name, "paused_seconds", SR_VALUE(res, 0, 0), NULL));
	migrate_tx_commit();
}

/*
 * Drops what open_replication_snapshot made on the source for DB, as far
 * as it got: the slot, the publication, the replica identities; and the
 * fence of a cutover.
 */
static void
drop_source_objects(DbState *db)
{
	SourceConn *conn = migrate_source_connect(migrate_coord.source, db->name, NULL);
	SourceResult *res;

	if (!migrate_source_drop_slot(conn, db->slot, 10000))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_IN_USE),
				 errmsg("replication slot \"%s\" is still in use on the source", db->slot),
				 errhint("Try again; if it stays, end its walsender on the source.")));
	migrate_source_drop_publication(conn, db->publication);
	unfence(conn, db);
	migrate_tx_begin();
	res = migrate_coord_query("SELECT unnest(identity_full) FROM migrate.database_state"
							  " WHERE migration_id = $1::bigint AND dbname = $2",
							  2, (const char *[]) {migrate_coord_id(), db->name});
	migrate_tx_commit();
	{
		List	   *names = NIL;
		int			r;

		for (r = 0; r < res->nrows; r++)
			names = lappend(names, SR_VALUE(res, r, 0));
		migrate_source_identity_restore(conn, names);
	}
	migrate_tx_begin();
	migrate_coord_exec("UPDATE migrate.database_state SET identity_full = '{}'"
					   " WHERE migration_id = $1::bigint AND dbname = $2",
					   2, (const char *[]) {migrate_coord_id(), db->name});
	migrate_tx_commit();
	migrate_source_close(conn);
}

/*
 * The subscribe task's statement for DB: the subscription, publication and
 * slot, then a pair a logged table copied: its qualified name, and the
 * position of the snapshot it was copied at ('' for the slot's own).
 */
void
migrate_subscribe_statement(DbState *db)
{
	SourceResult *res;
	List	   *elems = list_make3(db->subscription, db->publication, db->slot);
	int			r;
	const char *args[3] = {migrate_coord_id(), db->name, NULL};

	res = migrate_coord_query("SELECT schema_name, table_name, coalesce(max(snapshot_lsn)::text, '')"
							  " FROM migrate.task WHERE migration_id = $1::bigint AND dbname = $2"
							  " AND kind = 'copy' AND NOT unlogged GROUP BY 1, 2 ORDER BY 1, 2",
							  2, args);
	for (r = 0; r < res->nrows; r++)
	{
		elems = lappend(elems, quote_qualified_identifier(SR_VALUE(res, r, 0), SR_VALUE(res, r, 1)));
		elems = lappend(elems, SR_VALUE(res, r, 2));
	}
	args[2] = migrate_text_array_literal(elems);
	migrate_coord_exec("UPDATE migrate.task SET statement = $3"
					   " WHERE migration_id = $1::bigint AND dbname = $2 AND kind = 'subscribe'",
					   3, args);
}

/*
 * A lost snapshot of a replication database whose slot is still on the
 * source, with tables copied already: they keep their place in the stream
 * (the slot's start).  The tables still to copy are copied at the snapshot
 * of a temporary slot, whose position each of them records: the
 * subscription applies to them only what was committed after it.
 */
static bool
resync_snapshot(DbState *db)
{
	SourceConn *conn;
	SourceResult *res;
	char	   *lsn;
	char	   *snapshot;
	char	   *snap_slot = migrate_replication_name(db->name, MRO_SNAPSHOT);
	const char *args[3] = {migrate_coord_id(), db->name, NULL};
	MemoryContext old = MemoryContextSwitchTo(db->cxt);

	conn = migrate_source_connect(migrate_coord.source, db->name, NULL);
	res = migrate_source_query(conn, "SELECT 1 FROM pg_replication_slots WHERE slot_name = $1",
							   1, (const char *[]) {db->slot});
	if (res->nrows == 0)
	{
		migrate_source_close(conn);
		MemoryContextSwitchTo(old);
		return false;
	}
	/* a temporary slot of a coordinator gone is gone with its walsender */
	(void) migrate_source_drop_slot(conn, snap_slot, 5000);
	migrate_source_close(conn);
	db->snap_conn = migrate_source_connect_replication(migrate_coord.source, db->name);
	migrate_source_create_slot(db->snap_conn, snap_slot, true, &lsn, &snapshot);
	db->snapshot = snapshot;
	MemoryContextSwitchTo(old);

	args[2] = lsn;
	migrate_tx_begin();
	/* a split table copied in part is copied again whole, at the new snapshot */
	migrate_coord_exec("UPDATE migrate.task t SET state = 'pending', rows_copied = 0, bytes_copied = 0,"
					   " started_at = NULL, finished_at = NULL"
					   " WHERE t.migration_id = $1::bigint AND t.dbname = $2 AND t.kind = 'copy' AND t.parts > 1"
					   " AND t.state <> 'failed'"
					   " AND EXISTS (SELECT 1 FROM migrate.task o WHERE o.migration_id = t.migration_id"
					   "  AND o.dbname = t.dbname AND o.kind = 'copy' AND o.schema_name = t.schema_name"
					   "  AND o.table_name = t.table_name AND o.state <> 'done')",
					   2, args);
	migrate_coord_exec("UPDATE migrate.task SET snapshot_lsn = $3::pg_lsn"
					   " WHERE migration_id = $1::bigint AND dbname = $2 AND kind = 'copy' AND state <> 'done'",
					   3, args);
	migrate_coord_exec("UPDATE migrate.database_state SET resync_lsn = GREATEST(resync_lsn, $3::pg_lsn)"
					   " WHERE migration_id = $1::bigint AND dbname = $2",
					   3, args);
	migrate_subscribe_statement(db);
	migrate_coord_exec("UPDATE migrate.migration SET snapshot_moves = snapshot_moves + 1 WHERE id = $1::bigint",
					   1, args);
	migrate_sched_load(migrate_coord.migration_id);
	migrate_coord_event("snapshot_moved",
						migrate_json_obj("database", db->name, "snapshot", snapshot, "lsn", lsn,
										 "detail", "the tables copied keep their place in the stream; the others are copied at a new snapshot and take the changes after its position",
										 NULL));
	migrate_tx_commit();
	return true;
}

/*
 * The snapshot of a replication database whose copy must start (again).
 * With tables copied and the slot still there, a temporary slot's
 * (resync_snapshot); else a new slot, every table copied (again) at its
 * snapshot.  Under method auto, replication that cannot be set up (the
 * source refuses a step) falls back to dump for this database, with the
 * reason.
 */
static void
replication_snapshot(DbState *db, const SchedCounts *c)
{
	MemoryContext cxt = CurrentMemoryContext;

	if (c->tasks > 0 && c->done_copy > 0 && resync_snapshot(db))
		return;

	PG_TRY();
	{
		open_replication_snapshot(db);
	}
	PG_CATCH();
	{
		ErrorData  *edata;
		char	   *reason;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED ||
			migrate_sqlstate_transient(unpack_sql_state(edata->sqlerrcode)) ||
			migrate_coord.options->method != METHOD_AUTO)
			PG_RE_THROW();
		FlushErrorState();
		AbortCurrentTransaction();
		MemoryContextSwitchTo(cxt);
		migrate_close_snapshot(db);
		reason = migrate_redact(edata->message);
		/* what it made is removed (best effort: its own errors are events) */
		PG_TRY();
		{
			drop_source_objects(db);
		}
		PG_CATCH();
		{
			MemoryContextSwitchTo(cxt);
			FlushErrorState();
			AbortCurrentTransaction();
		}
		PG_END_TRY();
		MemoryContextSwitchTo(cxt);
		migrate_tx_begin();
		migrate_coord_exec("UPDATE migrate.database_state SET method = 'dump',"
						   " publication = NULL, subscription = NULL, slot = NULL, slot_lsn = NULL,"
						   " message = $3 WHERE migration_id = $1::bigint AND dbname = $2",
						   3, (const char *[]) {migrate_coord_id(), db->name,
							   psprintf("copied with dump: replication could not be set up: %s", reason)});
		migrate_coord_event("method_fallback",
							migrate_json_obj("database", db->name, "method", "dump", "reason", reason, NULL));
		migrate_tx_commit();
		db->replication = false;
		migrate_open_snapshot(db);
	}
	PG_END_TRY();

	if (db->replication && c->tasks > 0 && c->done_copy > 0)
	{
		const char *args[2] = {migrate_coord_id(), db->name};

		migrate_tx_begin();
		migrate_coord_exec("UPDATE migrate.task SET state = 'pending', rows_copied = 0, bytes_copied = 0,"
						   " started_at = NULL, finished_at = NULL"
						   " WHERE migration_id = $1::bigint AND dbname = $2 AND kind = 'copy'"
						   " AND state <> 'failed'",
						   2, args);
		migrate_coord_exec("UPDATE migrate.task SET snapshot_lsn = NULL"
						   " WHERE migration_id = $1::bigint AND dbname = $2 AND kind = 'copy'",
						   2, args);
		migrate_coord_exec("UPDATE migrate.database_state SET resync_lsn = NULL"
						   " WHERE migration_id = $1::bigint AND dbname = $2",
						   2, args);
		migrate_subscribe_statement(db);
		migrate_coord_exec("UPDATE migrate.migration SET snapshot_moves = snapshot_moves + 1 WHERE id = $1::bigint",
						   1, args);
		migrate_sched_load(migrate_coord.migration_id);
		migrate_coord_event("snapshot_moved",
							migrate_json_obj("database", db->name, "snapshot", db->snapshot,
											 "detail", "the replication slot was made again: every table is copied again at its snapshot",
											 NULL));
		migrate_tx_commit();
	}
}

/* The snapshot DB's copy reads, of its method. */
static void
take_snapshot(DbState *db, const SchedCounts *c)
{
	if (db->replication)
		replication_snapshot(db, c);
	else
	{
		migrate_open_snapshot(db);
		if (c->tasks > 0 && c->done_copy > 0)
			snapshot_moved(db);
	}
}

/*
 * After a restart the exported snapshot is gone: the tables still to copy
 * get a new one.  A split table copied in part under the old one is copied
 * again whole, so that every table is consistent in itself.
 */
static void
snapshot_moved(DbState *db)
{
	const char *args[3] = {migrate_coord_id(), db->name, db->snapshot};

	migrate_tx_begin();
	migrate_coord_exec("UPDATE migrate.task t SET state = 'pending', rows_copied = 0, bytes_copied = 0,"
			   " started_at = NULL, finished_at = NULL"
			   " WHERE t.migration_id = $1::bigint AND t.dbname = $2 AND t.kind = 'copy' AND t.parts > 1"
			   " AND t.state <> 'failed'"
			   " AND EXISTS (SELECT 1 FROM migrate.task o WHERE o.migration_id = t.migration_id"
			   "  AND o.dbname = t.dbname AND o.kind = 'copy' AND o.schema_name = t.schema_name"
			   "  AND o.table_name = t.table_name AND o.state <> 'done')",
			   2, args);
	migrate_coord_exec("UPDATE migrate.migration SET snapshot_moves = snapshot_moves + 1 WHERE id = $1::bigint",
			   1, args);
	migrate_sched_load(migrate_coord.migration_id);
	migrate_coord_event("snapshot_moved",
				  migrate_json_obj("database", db->name, "snapshot", db->snapshot,
						   "detail", "the consistency point moved: tables copied from here on see a later state of the source",
						   NULL));
	migrate_tx_commit();
}

/* ---- the steps ---------------------------------------------------------- */

/* pending, creating: the database on the target (if missing). */
static StepResult
step_create(DbState *db, const SchedCounts *c, const char **next)
{
	migrate_set_phase("databases");
	migrate_create_database(db);
	*next = "schema";
	return STEP_NEXT;
}

/* schema: takes the snapshot, dumps the schema and plans the tasks. */
static StepResult
step_schema(DbState *db, const SchedCounts *c, const char **next)
{
	if (db->snapshot == NULL && (c->tasks == 0 || c->open_copy > 0))
		take_snapshot(db, c);
	if (c->tasks == 0)
	{
		migrate_set_phase("schema");
		migrate_plan_tasks(db); /* status copying, with the tasks */
	}
	else
	{
		migrate_tx_begin();
		migrate_set_db_status(db->name, "copying", NULL);
		migrate_tx_commit();
	}
	return STEP_WAIT;
}

/* Has DB its subscription on the target? */
static bool
subscribed(DbState *db)
{
	SourceResult *res;

	migrate_tx_begin();
	res = migrate_coord_query("SELECT s.oid FROM pg_catalog.pg_subscription s"
							  " JOIN pg_catalog.pg_database d ON d.oid = s.subdbid"
							  " WHERE s.subname = $1 AND d.datname = $2",
							  2, (const char *[]) {db->subscription, db->name});
	/* which one is ours: cleanup drops a subscription as its maker only by this */
	if (res->nrows > 0)
		migrate_coord_exec("UPDATE migrate.database_state SET subscription_oid = $3::oid"
						   " WHERE migration_id = $1::bigint AND dbname = $2",
						   3, (const char *[]) {migrate_coord_id(), db->name, SR_VALUE(res, 0, 0)});
	migrate_tx_commit();
	return res->nrows > 0;
}

/*
 * The subscribe task ended without a subscription: the tables would run
 * code in apply with more rights than the migration's owner has (its
 * warning says which).  The copy is complete and consistent at the slot's
 * snapshot: under auto the database is a dump-method copy, its source
 * objects removed; a forced replication fails it.
 */
static StepResult
no_subscription(DbState *db, const char **next)
{
	SourceResult *res;
	const char *why;

	migrate_tx_begin();
	res = migrate_coord_query("SELECT e.detail->>'message' FROM migrate.event e"
							  " WHERE e.migration_id = $1::bigint AND e.kind = 'warning'"
							  " AND e.detail->>'database' = $2 AND e.detail->>'message' LIKE 'no subscription: %'"
							  " ORDER BY e.at DESC LIMIT 1",
							  2, (const char *[]) {migrate_coord_id(), db->name});
	migrate_tx_commit();
	why = res->nrows > 0 && SR_VALUE(res, 0, 0) ? SR_VALUE(res, 0, 0) + strlen("no subscription: ") :
		"the subscription was not made";
	if (migrate_coord.options->method != METHOD_AUTO)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("database \"%s\" cannot be replicated: %s", db->name, why),
				 errhint("Migrate it with \"method\": \"auto\" or \"dump\" (copied once), or as a superuser.")));
	drop_source_objects(db);
	migrate_tx_begin();
	migrate_coord_exec("UPDATE migrate.database_state SET method = 'dump', status = 'finishing',"
					   " message = $3 WHERE migration_id = $1::bigint AND dbname = $2",
					   3, (const char *[]) {migrate_coord_id(), db->name,
						   psprintf("copied with dump (no changes after the copy): %s", why)});
	migrate_coord_event("method_fallback",
						migrate_json_obj("database", db->name, "method", "dump", "reason", why, NULL));
	migrate_tx_commit();
	db->replication = false;
	*next = "finishing";
	return STEP_NEXT;
}

/*
 * Is database DB verified once its data is in (the option verify)?  The
 * dump method's snapshot is kept for it: the source is read where it was
 * copied from.
 */
static bool
verify_due(DbState *db)
{
	return migrate_coord.options->verify > MVL_NONE;
}

/*
 * The run of the option verify for DB, planned: at the snapshot the data
 * was copied at when it is still there (dump), else as the source is now
 * (after a cutover, with its writes still fenced).
 */
static void
plan_verify(DbState *db)
{
	List	   *left_out;
	SourceResult *fenced;
	const char *level = migrate_verify_level_name(migrate_coord.options->verify);

	if (db->snapshot != NULL)
		left_out = migrate_left_out_relations(migrate_db_query_conn(db), db->name);
	else
	{
		SourceConn *conn = migrate_source_connect(migrate_coord.source, db->name, NULL);

		left_out = migrate_left_out_relations(conn, db->name);
		migrate_source_close(conn);
	}
	migrate_tx_begin();
	fenced = migrate_coord_query("SELECT fenced_at IS NOT NULL FROM migrate.database_state"
								 " WHERE migration_id = $1::bigint AND dbname = $2",
								 2, (const char *[]) {migrate_coord_id(), db->name});
	migrate_coord_exec("INSERT INTO migrate.verify_run (migration_id, run, level) VALUES ($1::bigint, 1, $2)"
					   " ON CONFLICT (migration_id, run) DO UPDATE SET state = 'running', finished_at = NULL,"
					   " differences = NULL, error = NULL", 2, (const char *[]) {migrate_coord_id(), level});
	/* (a database verified again, after a resume: its last results go) */
	migrate_coord_exec("DELETE FROM migrate.verify_result WHERE migration_id = $1::bigint AND run = 1 AND dbname = $2",
					   2, (const char *[]) {migrate_coord_id(), db->name});
	migrate_coord_exec("DELETE FROM migrate.task WHERE migration_id = $1::bigint AND verify_run = 1 AND dbname = $2",
					   2, (const char *[]) {migrate_coord_id(), db->name});
	migrate_verify_plan(db->name, 1, migrate_coord.options->verify, left_out,
						fenced->nrows > 0 && SR_VALUE(fenced, 0, 0) != NULL && SR_VALUE(fenced, 0, 0)[0] == 't');
	migrate_set_db_status(db->name, "verifying", NULL);
	migrate_coord_event("verifying", migrate_json_obj("database", db->name, "level", level,
													  "source_at", db->snapshot ? "snapshot" : "now", NULL));
	migrate_sched_load(migrate_coord.migration_id);
	migrate_tx_commit();
}

/*
 * The tasks of the database run; when none is open any more it is
 * finishing, or failed with its root error.
 */
static StepResult
run_tasks(DbState *db, const SchedCounts *c, const char *status, const char **next)
{
	if (c->open_copy == 0 && (db->replication || !verify_due(db)))
		migrate_close_snapshot(db);
	if (c->open == 0 && c->running == 0)
	{
		if (c->failed > 0)
		{
			SourceResult *f;
			const char *failure;

			migrate_tx_begin();
			/*
			 * The root: the first task that failed of itself, named, not
			 * one that was not run because it depends on it.
			 */
			f = migrate_coord_query("SELECT t.kind || coalesce(' ' || quote_ident(t.schema_name) || '.'"
									"  || quote_ident(t.table_name), '') || ': ' || t.error,"
									" count(*) OVER () - 1"
									" FROM migrate.task t"
									" WHERE t.migration_id = $1::bigint AND t.dbname = $2 AND t.state = 'failed'"
									" AND t.error IS NOT NULL"
									" ORDER BY t.error LIKE 'not run: it depends on %', t.finished_at, t.id LIMIT 1",
									2, (const char *[]) {migrate_coord_id(), db->name});
			failure = f->nrows > 0 && SR_VALUE(f, 0, 0) ? SR_VALUE(f, 0, 0) : "a task failed";
			if (f->nrows > 0 && SR_VALUE(f, 0, 1) != NULL && strcmp(SR_VALUE(f, 0, 1), "0") != 0)
				failure = psprintf("%s (and %s other failed task%s: migrate.errors lists them, the root first)",
								   failure, SR_VALUE(f, 0, 1), strcmp(SR_VALUE(f, 0, 1), "1") == 0 ? "" : "s");
			migrate_set_db_status(db->name, "failed", failure);
			migrate_coord_event("database_failed",
								migrate_json_obj("database", db->name, "error", failure, NULL));
			migrate_tx_commit();
			/* its idle workers may go */
			migrate_pool_dismiss_idle(db->name);
			return STEP_WAIT;
		}
		if (db->replication && !subscribed(db))
			return no_subscription(db, next);
		if (db->replication)
		{
			/* the subscription applies: the database replicates */
			migrate_tx_begin();
			migrate_set_db_status(db->name, "replicating", NULL);
			migrate_coord_event("replicating",
								migrate_json_obj("database", db->name, "subscription", db->subscription,
												 NULL));
			migrate_tx_commit();
			migrate_pool_dismiss_idle(db->name);
			return STEP_WAIT;
		}
		migrate_tx_begin();
		migrate_set_db_status(db->name, "finishing", NULL);
		migrate_tx_commit();
		*next = "finishing";
		return STEP_NEXT;
	}
	if (c->open_copy == 0 && strcmp(status, "copying") == 0)
	{
		migrate_tx_begin();
		migrate_set_db_status(db->name, "indexing", NULL);
		migrate_tx_commit();
	}
	return STEP_WORK;
}

/* copying: copies the tables; a snapshot lost on the way is taken anew. */
static StepResult
step_copying(DbState *db, const SchedCounts *c, const char **next)
{
	if (c->tasks > 0 && c->open_copy > 0 && db->snapshot == NULL)
	{
		take_snapshot(db, c);
		return STEP_WAIT;
	}
	return run_tasks(db, c, "copying", next);
}

/* indexing: builds what needs the data (indexes, keys, the rest of post-data). */
static StepResult
step_indexing(DbState *db, const SchedCounts *c, const char **next)
{
	return run_tasks(db, c, "indexing", next);
}

/* ---- the replication method's steps ------------------------------------ */

/*
 * Is someone in migrate.cutover() for this migration?  It holds an
 * advisory lock (MIGRATE_CUTOVER_KEY, id) for as long as it waits: seen
 * here at once, whatever its transaction, and gone if it gives up.
 */
static bool
cutover_asked(void)
{
	SourceResult *res;

	migrate_tx_begin();
	/* (held by a session of a role that may act for the owner: anyone may take the lock) */
	res = migrate_coord_query(psprintf("SELECT 1 FROM pg_catalog.pg_locks l"
									   " JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid"
									   " WHERE l.locktype = 'advisory'"
									   " AND l.database = (SELECT oid FROM pg_catalog.pg_database"
									   "  WHERE datname = pg_catalog.current_database())"
									   " AND l.classid = %u::oid AND l.objid = (%s::bigint)::int::oid"
									   " AND l.objsubid = 2 AND l.granted"
									   " AND pg_catalog.pg_has_role(a.usesysid, %u::oid, 'USAGE')",
									   (uint32) MIGRATE_CUTOVER_KEY, migrate_coord_id(), migrate_coord.owner),
							  0, NULL);
	migrate_tx_commit();
	return res->nrows > 0;
}

typedef struct FenceArgs
{
	const char *dbname;
	bool		fenced;
} FenceArgs;

static void
fence_one(void *arg)
{
	FenceArgs  *fa = arg;
	SourceConn *conn = migrate_source_connect(migrate_coord.source, fa->dbname, NULL);

	fa->fenced = migrate_source_fence(conn, fa->dbname);
	migrate_source_close(conn);
}

/* fence_writes: every replicating database read-only on the source. */
static void
fence_databases(void)
{
	SourceResult *res;
	int			r;

	migrate_tx_begin();
	res = migrate_coord_query("SELECT dbname FROM migrate.database_state WHERE migration_id = $1::bigint"
							  " AND status = 'replicating' AND fenced_at IS NULL ORDER BY dbname",
							  1, (const char *[]) {migrate_coord_id()});
	migrate_tx_commit();
	for (r = 0; r < res->nrows; r++)
	{
		const char *dbname = SR_VALUE(res, r, 0);
		FenceArgs	fa = {dbname, false};
		char	   *failure;
		bool		fenced;

		/* recorded first: whatever happens next, the fence is taken away */
		migrate_tx_begin();
		migrate_coord_exec("UPDATE migrate.database_state SET fenced_at = now() WHERE migration_id = $1::bigint AND dbname = $2",
						   2, (const char *[]) {migrate_coord_id(), dbname});
		migrate_tx_commit();
		failure = migrate_run_catching(fence_one, &fa);
		fenced = fa.fenced;
		migrate_tx_begin();
		if (failure != NULL)
			migrate_coord_event("warning",
								migrate_json_obj("database", dbname, "message",
												 psprintf("writes could not be fenced: %s", failure), NULL));
		if (fenced)
			migrate_coord_event("writes_fenced", migrate_json_obj("database", dbname, NULL));
		else if (failure == NULL)
		{
			migrate_coord_exec("UPDATE migrate.database_state SET fenced_at = NULL WHERE migration_id = $1::bigint AND dbname = $2",
							   2, (const char *[]) {migrate_coord_id(), dbname});
			migrate_coord_event("warning",
								migrate_json_obj("database", dbname,
												 "message", "not fenced: the database has its own default_transaction_read_only on the source", NULL));
		}
		migrate_tx_commit();
	}
}

/* The fences of a cutover called off (or of a migration ending otherwise) go. */
void
migrate_unfence_databases(void)
{
	SourceResult *res;
	int			r;

	migrate_tx_begin();
	res = migrate_coord_query("SELECT dbname FROM migrate.database_state WHERE migration_id = $1::bigint"
							  " AND fenced_at IS NOT NULL ORDER BY dbname",
							  1, (const char *[]) {migrate_coord_id()});
	migrate_tx_commit();
	for (r = 0; r < res->nrows; r++)
	{
		DbState    *db = migrate_db_state(SR_VALUE(res, r, 0));
		SourceConn *conn = migrate_source_connect(migrate_coord.source, db->name, NULL);

		unfence(conn, db);
		migrate_source_close(conn);
	}
}

/* The source's position for a cutover, or NULL (an event) while it is away. */
static char *
cutover_position(void)
{
	MemoryContext cxt = CurrentMemoryContext;
	char	   *volatile lsn = NULL;

	PG_TRY();
	{
		lsn = migrate_source_position();
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED ||
			!migrate_sqlstate_transient(unpack_sql_state(edata->sqlerrcode)))
			PG_RE_THROW();
		FlushErrorState();
		AbortCurrentTransaction();
		migrate_coord.monitor = NULL;
		migrate_retry_event(NULL, edata, 1, 1);
	}
	PG_END_TRY();
	return lsn;
}

/*
 * Starts the cutover when it is asked for (migrate.cutover, or the option
 * stop_replication once every database is in sync) and every database
 * replicates or is done: the position to reach is the source's now.  A
 * cutover whose caller gave up before the target reached the position is
 * called off: the databases replicate on.
 */
void
migrate_cutover_requests(void)
{
	SourceResult *res;
	int			replicating,
				cutover,
				waiting,
				other,
				in_sync;
	bool		asked;
	const char *by = "migrate.cutover";

	migrate_tx_begin();
	res = migrate_coord_query("SELECT count(*) FILTER (WHERE status = 'replicating'),"
							  " count(*) FILTER (WHERE status = 'cutover'),"
							  " count(*) FILTER (WHERE status = 'cutover' AND NOT EXISTS (SELECT 1 FROM migrate.task t"
							  "  WHERE t.migration_id = d.migration_id AND t.dbname = d.dbname AND t.kind = 'cutover')),"
							  " count(*) FILTER (WHERE status NOT IN ('replicating', 'cutover', 'done')),"
							  " count(*) FILTER (WHERE status = 'replicating' AND in_sync)"
							  " FROM migrate.database_state d WHERE migration_id = $1::bigint",
							  1, (const char *[]) {migrate_coord_id()});
	migrate_tx_commit();
	replicating = atoi(SR_VALUE(res, 0, 0));
	cutover = atoi(SR_VALUE(res, 0, 1));
	waiting = atoi(SR_VALUE(res, 0, 2));
	other = atoi(SR_VALUE(res, 0, 3));
	in_sync = atoi(SR_VALUE(res, 0, 4));
	if (replicating == 0 && waiting == 0)
		return;

	asked = cutover_asked();
	if (!asked && cutover == 0 && !migrate_coord.options->stop_replication)
		migrate_unfence_databases();
	if (!asked && migrate_coord.options->stop_replication && replicating > 0 &&
		in_sync == replicating && cutover == 0 && other == 0)
	{
		asked = true;
		by = "stop_replication";
	}

	if (replicating > 0 && cutover == 0 && other == 0 && asked)
	{
		char	   *lsn;

		/* the fence first: the position is then the last write */
		if (migrate_coord.options->fence_writes)
			fence_databases();
		lsn = cutover_position();
		if (lsn == NULL)
			return;				/* the source is away: next round */

		migrate_tx_begin();
		migrate_coord_exec("UPDATE migrate.database_state SET status = 'cutover', cutover_lsn = $2::pg_lsn"
						   " WHERE migration_id = $1::bigint AND status = 'replicating'",
						   2, (const char *[]) {migrate_coord_id(), lsn});
		migrate_coord_exec("UPDATE migrate.migration SET cutover_started_at = now(), phase = 'cutover'"
						   " WHERE id = $1::bigint", 1, (const char *[]) {migrate_coord_id()});
		migrate_coord_event("cutover_started", migrate_json_obj("lsn", lsn, "by", by, NULL));
		migrate_tx_commit();
	}
	else if (waiting > 0 && waiting == cutover && !asked &&
			 !migrate_coord.options->stop_replication)
	{
		migrate_unfence_databases();
		migrate_tx_begin();
		migrate_coord_exec("UPDATE migrate.database_state SET status = 'replicating', cutover_lsn = NULL"
						   " WHERE migration_id = $1::bigint AND status = 'cutover'",
						   1, (const char *[]) {migrate_coord_id()});
		migrate_coord_exec("UPDATE migrate.migration SET cutover_started_at = NULL, phase = 'replicating'"
						   " WHERE id = $1::bigint", 1, (const char *[]) {migrate_coord_id()});
		migrate_coord_event("cutover_abandoned",
							migrate_json_obj("detail", "the caller of migrate.cutover gave up before the target caught up; replication goes on", NULL));
		migrate_tx_commit();
	}
}

/* How often a replicating database's lag is measured, in ms. */
#define LAG_EVERY_MS		1000
/* How often a replicating database's source schema is compared, in ms. */
#define SCHEMA_EVERY_MS		10000
/* An apply error is over when the errors stopped growing this long ago. */
#define APPLY_ERROR_CLEARS_MS	10000
/* In sync below this lag, unless max_replication_lag says otherwise. */
#define IN_SYNC_BYTES		(1024 * 1024)

/* The coordinator's connection to the source for the lag, opened when needed. */
static SourceConn *
monitor_conn(void)
{
	if (migrate_coord.monitor != NULL && migrate_coord.monitor->conn != NULL &&
		PQstatus(migrate_coord.monitor->conn) == CONNECTION_OK)
		return migrate_coord.monitor;
	if (migrate_coord.monitor_cxt == NULL)
		migrate_coord.monitor_cxt = AllocSetContextCreate(migrate_coord.cxt, "migrate monitor",
														  ALLOCSET_SMALL_SIZES);
	MemoryContextReset(migrate_coord.monitor_cxt);
	migrate_coord.monitor = NULL;
	{
		MemoryContext old = MemoryContextSwitchTo(migrate_coord.monitor_cxt);

		migrate_coord.monitor = migrate_source_connect(migrate_coord.source, NULL, NULL);
		MemoryContextSwitchTo(old);
	}
	return migrate_coord.monitor;
}

/*
 * The source's WAL position now.  A connection the source closed (it
 * restarted) is opened again once; a source still away is the caller's
 * transient error.
 */
char *
migrate_source_position(void)
{
	MemoryContext cxt = CurrentMemoryContext;
	SourceResult *volatile res = NULL;

	PG_TRY();
	{
		res = migrate_source_query(monitor_conn(), "SELECT pg_current_wal_lsn()::text", 0, NULL);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED ||
			!migrate_sqlstate_transient(unpack_sql_state(edata->sqlerrcode)))
			PG_RE_THROW();
		FlushErrorState();
		migrate_coord.monitor = NULL;
	}
	PG_END_TRY();
	if (res == NULL)
		res = migrate_source_query(monitor_conn(), "SELECT pg_current_wal_lsn()::text", 0, NULL);
	return SR_VALUE(res, 0, 0);
}

static bool
lsn_reached(const char *lsn, const char *target)
{
	return lsn != NULL && target != NULL &&
		DatumGetLSN(DirectFunctionCall1(pg_lsn_in, CStringGetDatum(lsn))) >=
		DatumGetLSN(DirectFunctionCall1(pg_lsn_in, CStringGetDatum(target)));
}

/* DB's slot as the source sees it now; a failure drops the connection. */
static void
read_slot(DbState *db, MigrateSlotLag *lag)
{
	MemoryContext cxt = CurrentMemoryContext;

	PG_TRY();
	{
		migrate_source_slot_lag(monitor_conn(), db->slot, lag);
	}
	PG_CATCH();
	{
		/* a new connection next time */
		MemoryContextSwitchTo(cxt);
		migrate_coord.monitor = NULL;
		PG_RE_THROW();
	}
	PG_END_TRY();
}

/*
 * Measures DB's replication: the slot on the source (lag, WAL kept, its
 * health), the subscription on the target (running, or stopped by an apply
 * error); records it in migrate.database_state and says what changed as
 * events.  Returns the slot's confirmed position (NULL before the first
 * confirmation) in *confirmed.  A slot gone or lost is an error: the
 * changes it held are gone with it.
 */
static void
measure_replication(DbState *db, char **confirmed)
{
	MigrateSlotLag lag;
	SourceResult *sub;
	bool		enabled;
	int64		limit = migrate_coord.options->max_replication_lag >= 0 ?
		migrate_coord.options->max_replication_lag : IN_SYNC_BYTES;
	bool		in_sync;
	bool		failing = false;
	bool		wal_high;
	int64		errors;

	read_slot(db, &lag);
	db->lag_at = GetCurrentTimestamp();
	if (!lag.found)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("replication slot \"%s\" of database \"%s\" is gone from the source",
						db->slot, db->name),
				 errdetail("The changes the slot held are lost; the target misses what the source wrote since."),
				 errhint("Cancel this migration and start it again.")));
	if (lag.wal_status != NULL && strcmp(lag.wal_status, "lost") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("replication slot \"%s\" of database \"%s\" lost WAL it needed",
						db->slot, db->name),
				 errdetail("The source removed WAL the slot still needed (max_slot_wal_keep_size)."),
				 errhint("Cancel this migration and start it again, with a larger max_slot_wal_keep_size on the source.")));

	migrate_tx_begin();
	sub = migrate_coord_query("SELECT s.subenabled, coalesce(st.apply_error_count, 0) + coalesce(st.sync_error_count, 0),"
							  " (SELECT d.resync_lsn::text FROM migrate.database_state d"
							  "  WHERE d.migration_id = $3::bigint AND d.dbname = $2),"
							  " EXISTS (SELECT 1 FROM migrate.task t WHERE t.migration_id = $3::bigint AND t.dbname = $2"
							  "  AND t.kind = 'join' AND t.state IN ('pending', 'running'))"
							  " FROM pg_catalog.pg_subscription s"
							  " LEFT JOIN pg_catalog.pg_stat_subscription_stats st ON st.subid = s.oid"
							  " WHERE s.subname = $1 AND s.subdbid = (SELECT oid FROM pg_catalog.pg_database"
							  "  WHERE datname = $2)",
							  3, (const char *[]) {db->subscription, db->name, migrate_coord_id()});
	enabled = sub->nrows > 0 && SR_VALUE(sub, 0, 0)[0] == 't';
	errors = sub->nrows > 0 ? strtoi64(SR_VALUE(sub, 0, 1), NULL, 10) : 0;

	/*
	 * The apply worker fails and starts again (every
	 * wal_retrieve_retry_interval) while an error lasts: a change it cannot
	 * apply (a constraint, a missing table), or a source that is away.  Its
	 * error count grows meanwhile; once it has not grown for a while and
	 * the target confirmed more of the stream, the error is over.
	 */
	if (db->apply_errors_seen && errors > db->apply_errors)
	{
		failing = true;
		db->apply_error_at = db->lag_at;
		if (!db->apply_failing)
			db->apply_error_lsn = lag.confirmed_lsn ? MemoryContextStrdup(migrate_coord.cxt, lag.confirmed_lsn) : NULL;
	}
	else if (db->apply_failing)
		failing = !TimestampDifferenceExceeds(db->apply_error_at, db->lag_at, APPLY_ERROR_CLEARS_MS) ||
			lag.confirmed_lsn == NULL ||
			(db->apply_error_lsn != NULL && strcmp(lag.confirmed_lsn, db->apply_error_lsn) == 0);
	db->apply_errors = errors;
	db->apply_errors_seen = sub->nrows > 0;

	/*
	 * every table ready: past the position of the latest snapshot a copy
	 * read, and no table joining (its join task ends once the table sync
	 * has it ready)
	 */
	in_sync = enabled && !failing && lag.confirmed_lsn != NULL && lag.lag_bytes <= limit &&
		(SR_VALUE(sub, 0, 2) == NULL || lsn_reached(lag.confirmed_lsn, SR_VALUE(sub, 0, 2))) &&
		sub->nrows > 0 && SR_VALUE(sub, 0, 3)[0] == 'f';
	migrate_coord_exec("UPDATE migrate.database_state SET lag_bytes = $3::bigint, confirmed_lsn = $4::pg_lsn,"
					   " source_lsn = $5::pg_lsn, lag_at = now(), in_sync = $6::boolean,"
					   " slot_retained_bytes = $7::bigint"
					   " WHERE migration_id = $1::bigint AND dbname = $2",
					   7, (const char *[]) {migrate_coord_id(), db->name,
						   psprintf(INT64_FORMAT, lag.lag_bytes), lag.confirmed_lsn,
						   lag.source_lsn, in_sync ? "true" : "false",
						   psprintf(INT64_FORMAT, lag.retained_bytes)});
	/* a slot keeping ever more WAL fills the source's disk */
	wal_high = migrate_slot_wal_warning > 0 &&
		lag.retained_bytes > (int64) migrate_slot_wal_warning * 1024 * 1024;
	if (wal_high && !db->wal_high)
		migrate_coord_event("slot_wal_high",
							migrate_json_obj("database", db->name, "slot", db->slot,
											 "retained_bytes", psprintf(INT64_FORMAT, lag.retained_bytes),
											 "limit_mb", psprintf("%d", migrate_slot_wal_warning), NULL));
	db->wal_high = wal_high;
	if (in_sync && !db->in_sync)
		migrate_coord_event("in_sync",
							migrate_json_obj("database", db->name,
											 "lag_bytes", psprintf(INT64_FORMAT, lag.lag_bytes), NULL));
	else if (!in_sync && db->in_sync && enabled)
		migrate_coord_event("lag_high",
							migrate_json_obj("database", db->name,
											 "lag_bytes", psprintf(INT64_FORMAT, lag.lag_bytes),
											 "limit", psprintf(INT64_FORMAT, limit), NULL));
	if ((failing || !enabled) && !db->apply_failing)
	{
		char	   *msg = !enabled ?
			psprintf("the subscription %s is disabled or missing on the target: a superuser enables it (ALTER SUBSCRIPTION %s ENABLE);"
					 " if it is gone, migrate.cancel() and start again",
					 quote_identifier(db->subscription), quote_identifier(db->subscription)) :
			psprintf("the subscription's apply worker fails and tries again (" INT64_FORMAT " errors so far, its table sync's included): the target's server log says why"
					 " (a change that breaks a constraint, a missing table, the source away); it goes on by itself once the cause is gone",
					 errors);

		migrate_coord_exec("UPDATE migrate.database_state SET message = $3, apply_error = $3"
						   " WHERE migration_id = $1::bigint AND dbname = $2",
						   3, (const char *[]) {migrate_coord_id(), db->name, msg});
		migrate_coord_event("apply_error",
							migrate_json_obj("database", db->name, "subscription", db->subscription,
											 "error", msg, NULL));
	}
	else if (enabled && !failing)
	{
		migrate_coord_exec("UPDATE migrate.database_state SET message = NULL, apply_error = NULL"
						   " WHERE migration_id = $1::bigint AND dbname = $2 AND apply_error IS NOT NULL",
						   2, (const char *[]) {migrate_coord_id(), db->name});
		if (SPI_processed > 0)
			migrate_coord_event("apply_resumed", migrate_json_obj("database", db->name, NULL));
	}
	migrate_tx_commit();
	db->apply_failing = failing || !enabled;
	db->in_sync = in_sync;
	*confirmed = lag.confirmed_lsn;
}

/*
 * Records WAS and then TAKEN (entries of migrate_source_schema) as the
 * source's schema of DB that later looks compare with; in a transaction.
 */
static void
record_source_schema(DbState *db, List *was, List *taken)
{
	migrate_coord_exec("UPDATE migrate.database_state SET source_schema = $3::text[]"
					   " WHERE migration_id = $1::bigint AND dbname = $2",
					   3, (const char *[]) {migrate_coord_id(), db->name,
						   migrate_text_array_literal(list_concat(list_copy(was), taken))});
}

/* Does schema entry ENTRY ("name(columns)") describe table QNAME? */
static bool
entry_of(const char *entry, const char *qname)
{
	size_t		len = strlen(qname);

	return entry != NULL && strncmp(entry, qname, len) == 0 && entry[len] == '(';
}

/*
 * The pre-data and post-data of TABLE (a quoted, qualified name) of DB,
 * made on the source while replicating, into *PRE and *POST: false, and a
 * warning that names it, when pg_dump cannot give them (the table gone
 * again, a lock held); a source away is an error (a retry).
 */
static bool
dump_new_table(DbState *db, const char *table, const char *encoding, char **pre, char **post)
{
	MemoryContext cxt = CurrentMemoryContext;
	volatile bool ok = true;

	PG_TRY();
	{
		migrate_pg_dump_schema(migrate_coord.source, db->name, NULL, encoding,
							   list_make1((char *) table), NIL, pre, post);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED ||
			migrate_sqlstate_transient(unpack_sql_state(edata->sqlerrcode)))
			PG_RE_THROW();
		FlushErrorState();
		ok = false;
		migrate_tx_begin();
		migrate_coord_event("warning",
							migrate_json_obj("database", db->name,
											 "message", psprintf("table %s, made on the source while replicating, is not joined to the stream: %s",
																 table,
																 migrate_redact(edata->detail ?
																				psprintf("%s: %s", edata->message, edata->detail) :
																				edata->message)),
											 NULL));
		migrate_tx_commit();
		MemoryContextSwitchTo(cxt);
	}
	PG_END_TRY();
	return ok;
}

/*
 * Tables made on the source while DB replicates (entries of NOW for a table
 * no entry of WAS describes), on CONN, a connection to DB.  Those the
 * migration selects join the stream: a key-less one gets REPLICA IDENTITY
 * FULL on the source at once (restored at cutover: published, its updates
 * and deletes would fail on the source without), then a join task creates
 * them on the target, publishes them (when the publication names its
 * tables; a partition goes with its parent) and adds them to the
 * subscription, whose table sync copies them and applies their changes
 * from its own position on.  Returns the entries of NOW it took, joining
 * or not, and records them as the source's schema (they are not new any
 * more; a table that cannot join is a warning that names it).
 */
static List *
join_new_tables(DbState *db, SourceConn *conn, List *was, List *now)
{
	SourceResult *res;
	List	   *taken = NIL;
	List	   *tables = NIL;
	List	   *identity = NIL;
	List	   *statement;
	List	   *joining = NIL;
	ListCell   *lc;
	const char *encoding;
	int			r;
	MemoryContext cxt = CurrentMemoryContext;

	res = migrate_source_query(conn,
							   "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname), n.nspname, c.relname,"
							   " (SELECT rolsuper FROM pg_roles WHERE rolname = current_user), root.root_nsp, root.root_rel"
							   " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
							   MIGRATE_PARTITION_ROOT_JOIN
							   " WHERE c.relkind IN ('r', 'p') AND c.relpersistence = 'p'"
							   " AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
							   " AND n.nspname !~ '^pg_toast' AND n.nspname !~ '^pg_temp_'"
							   " ORDER BY c.relispartition, c.relkind <> 'p', 1",
							   0, NULL);
	for (r = 0; r < res->nrows; r++)
	{
		const char *qname = SR_VALUE(res, r, 0);
		char	   *entry = NULL;
		bool		old = false;

		/* (a source that answers what no server would: nothing of it) */
		if (qname == NULL || SR_VALUE(res, r, 1) == NULL || SR_VALUE(res, r, 2) == NULL)
			continue;
		foreach(lc, now)
			if (entry_of(lfirst(lc), qname))
				entry = lfirst(lc);
		foreach(lc, was)
			if (entry_of(lfirst(lc), qname))
				old = true;
		if (entry == NULL || old)
			continue;
		taken = lappend(taken, entry);
		/* (one the migration leaves out is none of its business) */
		if (migrate_table_selected(db->name, SR_VALUE(res, r, 1), SR_VALUE(res, r, 2),
								   SR_VALUE(res, r, 4), SR_VALUE(res, r, 5)))
			tables = lappend(tables, (void *) quote_qualified_identifier(SR_VALUE(res, r, 1),
																		 SR_VALUE(res, r, 2)));
	}
	if (tables == NIL)
	{
		if (taken != NIL)
		{
			migrate_tx_begin();
			record_source_schema(db, was, taken);
			migrate_tx_commit();
		}
		return taken;
	}

	/* published without a key, its updates and deletes would fail on the source */
	foreach(lc, migrate_source_identity_candidates(conn, SR_VALUE(res, 0, 3) != NULL &&
												   SR_VALUE(res, 0, 3)[0] == 't'))
	{
		const char *cand = lfirst(lc);
		ListCell   *t;

		if (cand == NULL || strlen(cand) < 3)
			continue;
		foreach(t, tables)
			if (strcmp(cand + 2, lfirst(t)) == 0)
				identity = lappend(identity, (void *) cand);
	}
	identity_full(db, conn, identity);
	MemoryContextSwitchTo(cxt);

	encoding = migrate_target_db_encoding(db->name);
	statement = list_make2(db->subscription, db->publication);
	/* each table's pre-data and post-data, from pg_dump */
	foreach(lc, tables)
	{
		char	   *pre;
		char	   *post;

		if (!dump_new_table(db, lfirst(lc), encoding, &pre, &post))
			continue;
		statement = lappend(statement, lfirst(lc));
		statement = lappend(statement, pre);
		statement = lappend(statement, post);
		joining = lappend(joining, lfirst(lc));
	}
	if (joining != NIL)
	{
		migrate_tx_begin();
		migrate_coord_exec("INSERT INTO migrate.task (migration_id, dbname, kind, statement)"
						   " VALUES ($1::bigint, $2, 'join', $3)",
						   3, (const char *[]) {migrate_coord_id(), db->name, migrate_text_array_literal(statement)});
		/* (with the task, the tables are not new any more: one task, whatever ends the coordinator) */
		record_source_schema(db, was, taken);
		migrate_coord_event("tables_joining",
							migrate_json_obj("database", db->name, "tables", migrate_text_array_literal(joining),
											 "detail", "tables made on the source while replicating: created here, then copied by the subscription's table sync",
											 NULL));
		migrate_sched_load(migrate_coord.migration_id);
		migrate_tx_commit();
	}
	else
	{
		migrate_tx_begin();
		record_source_schema(db, was, taken);
		migrate_tx_commit();
	}
	MemoryContextSwitchTo(cxt);
	return taken;
}

/*
 * The source's schema against what it was when the slot was made: the
 * subscription carries rows, never DDL.  A table made on the source joins
 * the stream (join_new_tables); any other change (a column added, a table
 * dropped or changed) is an event and the database's message until the
 * cutover: the subscription stops on a column the target lacks, and the
 * operator makes the same change on the target.
 */
static void
check_source_schema(DbState *db)
{
	SourceConn *conn;
	SourceResult *res;
	List	   *now;
	List	   *was = NIL;
	List	   *taken = NIL;
	StringInfoData changes;
	ListCell   *lc;
	ListCell   *lc2;
	int			r;
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "migrate schema", ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(cxt);

	db->schema_at = GetCurrentTimestamp();
	migrate_tx_begin();
	res = migrate_coord_query("SELECT unnest(source_schema), schema_changes FROM migrate.database_state"
							  " WHERE migration_id = $1::bigint AND dbname = $2 AND source_schema IS NOT NULL",
							  2, (const char *[]) {migrate_coord_id(), db->name});
	migrate_tx_commit();
	MemoryContextSwitchTo(cxt);
	if (res->nrows == 0)
	{
		MemoryContextSwitchTo(old);
		MemoryContextDelete(cxt);
		return;
	}
	for (r = 0; r < res->nrows; r++)
		was = lappend(was, SR_VALUE(res, r, 0));

	conn = migrate_source_connect(migrate_coord.source, db->name, NULL);
	now = migrate_source_schema(conn);
	/* (what it takes, joined or not, it records as the source's schema) */
	taken = join_new_tables(db, conn, was, now);
	migrate_source_close(conn);
	was = list_concat(was, taken);

	initStringInfo(&changes);
	foreach(lc, now)
	{
		bool		found = false;

		foreach(lc2, was)
			if (strcmp(lfirst(lc2), lfirst(lc)) == 0)
				found = true;
		if (!found)
			appendStringInfo(&changes, "%snow %s", changes.len ? "; " : "", (char *) lfirst(lc));
	}
	foreach(lc2, was)
	{
		bool		found = false;

		foreach(lc, now)
			if (strcmp(lfirst(lc2), lfirst(lc)) == 0)
				found = true;
		if (!found)
			appendStringInfo(&changes, "%swas %s", changes.len ? "; " : "", (char *) lfirst(lc2));
	}
	if (changes.len > 0 && (SR_VALUE(res, 0, 1) == NULL || strcmp(SR_VALUE(res, 0, 1), changes.data) != 0))
	{
		char	   *msg = psprintf("the source's schema changed while replicating (the subscription carries rows, not DDL;"
								   " make the same change on the target): %s", changes.data);

		migrate_tx_begin();
		migrate_coord_exec("UPDATE migrate.database_state SET schema_changes = $3, message = $4"
						   " WHERE migration_id = $1::bigint AND dbname = $2",
						   4, (const char *[]) {migrate_coord_id(), db->name, changes.data, msg});
		migrate_coord_event("schema_changed",
							migrate_json_obj("database", db->name, "changes", changes.data, NULL));
		migrate_tx_commit();
	}
	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
}

/* replicating: the subscription applies; its lag is measured every second. */
static StepResult
step_replicating(DbState *db, const SchedCounts *c, const char **next)
{
	char	   *confirmed;

	if (db->lag_at != 0 &&
		!TimestampDifferenceExceeds(db->lag_at, GetCurrentTimestamp(), LAG_EVERY_MS))
		return STEP_WAIT;
	migrate_set_phase("replicating");
	measure_replication(db, &confirmed);
	if (db->schema_at == 0 ||
		TimestampDifferenceExceeds(db->schema_at, db->lag_at, SCHEMA_EVERY_MS))
		check_source_schema(db);
	/* (a join task of tables made on the source meanwhile) */
	return c->open > 0 || c->running > 0 ? STEP_WORK : STEP_WAIT;
}

/*
 * cutover: once the target confirmed the position taken when the cutover
 * was asked for (tables made on the source meanwhile join, and the cutover
 * task waits for them), the cutover task
 * (sequences, materialized views, the subscription dropped); then the slot, the publication and the replica
 * identities on the source; then the database is finishing.
 */
static StepResult
step_cutover(DbState *db, const SchedCounts *c, const char **next)
{
	SourceResult *res;
	const char *args[2] = {migrate_coord_id(), db->name};

	migrate_set_phase("cutover");
	migrate_tx_begin();
	res = migrate_coord_query("SELECT d.cutover_lsn::text, (SELECT t.state FROM migrate.task t"
							  "  WHERE t.migration_id = d.migration_id AND t.dbname = d.dbname"
							  "  AND t.kind = 'cutover' ORDER BY t.id DESC LIMIT 1)"
							  " FROM migrate.database_state d WHERE d.migration_id = $1::bigint AND d.dbname = $2",
							  2, args);
	migrate_tx_commit();
	if (SR_VALUE(res, 0, 1) == NULL)
	{
		char	   *confirmed;
		StepResult	waiting = c->open > 0 || c->running > 0 ? STEP_WORK : STEP_WAIT;

		if (db->lag_at != 0 &&
			!TimestampDifferenceExceeds(db->lag_at, GetCurrentTimestamp(), LAG_EVERY_MS / 4))
			return waiting;
		measure_replication(db, &confirmed);

		/*
		 * A table made on the source since the last look joins first
		 * (published FOR ALL TABLES, the apply stops on it until the target
		 * has it): looked for every second while the target catches up, and
		 * once more when it has.
		 */
		if (!lsn_reached(confirmed, SR_VALUE(res, 0, 0)))
		{
			if (db->schema_at == 0 ||
				TimestampDifferenceExceeds(db->schema_at, db->lag_at, LAG_EVERY_MS))
				check_source_schema(db);
			return waiting;
		}
		check_source_schema(db);
		migrate_tx_begin();
		/* (and the unlogged tables, whose changes are not replicated: copied again) */
		migrate_coord_exec("INSERT INTO migrate.task (migration_id, dbname, kind, statement)"
						   " SELECT $1::bigint, $2, 'cutover', array_prepend($3::text,"
						   "  coalesce(array_agg(v.x ORDER BY u.schema_name, u.table_name, v.n), '{}'))"
						   " FROM (SELECT DISTINCT schema_name, table_name FROM migrate.task"
						   "  WHERE migration_id = $1::bigint AND dbname = $2 AND kind = 'copy' AND unlogged) u"
						   " CROSS JOIN LATERAL (VALUES (1, u.schema_name::text), (2, u.table_name::text)) v(n, x)",
						   3, (const char *[]) {args[0], args[1], db->subscription});
		migrate_coord_event("cutover_reached",
							migrate_json_obj("database", db->name, "lsn", SR_VALUE(res, 0, 0),
											 "confirmed", confirmed, NULL));
		migrate_sched_load(migrate_coord.migration_id);
		migrate_tx_commit();
		return STEP_WAIT;
	}
	if (c->open > 0 || c->running > 0)
		return STEP_WORK;
	if (strcmp(SR_VALUE(res, 0, 1), "done") != 0)
		return run_tasks(db, c, "cutover", next);

	/*
	 * The target is on its own: the source's objects go (with a verify
	 * run, once it is over: the source stays fenced while it reads it).
	 */
	if (!verify_due(db))
		drop_source_objects(db);
	migrate_tx_begin();
	migrate_set_db_status(db->name, "finishing", NULL);
	migrate_coord_event("cutover_done", migrate_json_obj("database", db->name, NULL));
	migrate_tx_commit();
	*next = "finishing";
	return STEP_NEXT;
}

/*
 * verifying (option verify): the run's tasks compare the source and the
 * target, the database's own settings given (they are compared too); then
 * the snapshot goes (and after a cutover the source's objects and its
 * fence); the database is done, or fails when something differs.
 */
static StepResult
step_verifying(DbState *db, const SchedCounts *c, const char **next)
{
	char	   *found;

	if (c->open > 0 || c->running > 0)
		return STEP_WORK;
	migrate_close_snapshot(db);
	if (db->replication)
		drop_source_objects(db);
	migrate_tx_begin();
	found = migrate_verify_finish_database(db->name, 1);
	migrate_verify_end_run(1);
	if (found != NULL)
	{
		migrate_set_db_status(db->name, "failed", found);
		migrate_coord_event("database_failed",
							migrate_json_obj("database", db->name, "error", found, NULL));
		migrate_tx_commit();
		migrate_pool_dismiss_idle(db->name);
		return STEP_WAIT;
	}
	migrate_set_db_status(db->name, "done", NULL);
	migrate_coord_event("database_done", migrate_json_obj("database", db->name, NULL));
	migrate_tx_commit();
	migrate_pool_dismiss_idle(db->name);
	return STEP_WAIT;
}

/*
 * finishing: the database's own settings and comment, once its tasks are
 * done (a setting such as default_transaction_read_only must not apply to
 * the workers that fill it); then it is done.
 */
static StepResult
step_finishing(DbState *db, const SchedCounts *c, const char **next)
{
	/* (with the option verify, the run first: done once it is over) */
	if (verify_due(db))
	{
		migrate_tx_begin();
		migrate_database_properties(db);
		migrate_tx_commit();
		plan_verify(db);
		return STEP_WAIT;
	}
	migrate_tx_begin();
	migrate_database_properties(db);
	migrate_set_db_status(db->name, "done", NULL);
	migrate_coord_event("database_done", migrate_json_obj("database", db->name, NULL));
	migrate_tx_commit();
	/* its idle workers may go */
	migrate_pool_dismiss_idle(db->name);
	return STEP_WAIT;
}

/* The step of database status STATUS, or NULL. */
static const DbStep *
db_step(const char *status)
{
	int			i;

	for (i = 0; i < lengthof(db_steps); i++)
		if (strcmp(db_steps[i].info.status, status) == 0)
			return &db_steps[i];
	return NULL;
}

/*
 * Runs the step of database DB in STATUS, and the ones after it while they
 * follow at once.  A transient failure (a source restarting, a lock held on
 * the source, a network blip) is tried again after a back-off, each try an
 * event; the database fails only when the tries are used up.
 */
static StepResult
run_step(DbState *db, const char *status, const SchedCounts *counts)
{
	MemoryContext cxt = CurrentMemoryContext;
	volatile StepResult result = STEP_WAIT;

	/* waiting out the back-off of a transient failure */
	if (db->retry_at != 0 && GetCurrentTimestamp() < db->retry_at)
		return STEP_WAIT;

	PG_TRY();
	{
		const char *next = status;

		do
		{
			const DbStep *step = db_step(next);

			if (step == NULL || step->run == NULL)
				elog(ERROR, "database \"%s\" is in no step that runs: \"%s\"", db->name, next);
			result = step->run(db, counts, &next);
		} while (result == STEP_NEXT);
	}
	PG_CATCH();
	{
		ErrorData  *edata;
		char	   *msg;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		/* a stop or cancel interrupted it: the main loop ends the migration */
		if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED)
			PG_RE_THROW();
		FlushErrorState();
		AbortCurrentTransaction();
		MemoryContextSwitchTo(cxt);
		migrate_close_snapshot(db);

		/*
		 * (a replicating database waits out a source that is away for as
		 * long as it takes: the slot keeps what the target has not had)
		 */
		if (migrate_sqlstate_transient(unpack_sql_state(edata->sqlerrcode)) &&
			(db->attempts + 1 < MIGRATE_MAX_DB_ATTEMPTS ||
			 strcmp(status, "replicating") == 0 || strcmp(status, "cutover") == 0))
		{
			int			retry_in = migrate_backoff_seconds(Min(db->attempts, MIGRATE_MAX_DB_ATTEMPTS - 2));

			db->attempts++;
			db->retry_at = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), retry_in * 1000);
			migrate_retry_event(db->name, edata, db->attempts, retry_in);
			return STEP_WAIT;
		}
		msg = migrate_redact(edata->detail ?
							 psprintf("%s: %s", edata->message, edata->detail) :
							 edata->message);
		if (db->attempts > 0)
			msg = psprintf("%s (after %d tries)", msg, db->attempts + 1);
		migrate_tx_begin();
		migrate_set_db_status(db->name, "failed", msg);
		migrate_coord_event("database_failed",
					migrate_json_obj("database", db->name, "error", msg, NULL));
		migrate_tx_commit();
		db->attempts = 0;
		db->retry_at = 0;
		return STEP_WAIT;
	}
	PG_END_TRY();
	db->attempts = 0;
	db->retry_at = 0;
	return result;
}

/*
 * Moves every database along: creates it, takes its snapshot and plans
 * its tasks, notices when it is finished.  Returns true when every
 * database is done or failed.
 */
bool
migrate_advance_databases(void)
{
	SourceResult *res;
	int			r;
	bool		all_finished = true;
	bool		any_copying = false;
	bool		any_indexing = false;

	migrate_cutover_requests();

	migrate_tx_begin();
	res = migrate_coord_query("SELECT d.dbname, d.status, d.method FROM migrate.database_state d"
					  " WHERE d.migration_id = $1::bigint ORDER BY d.size_bytes DESC",
					  1, (const char *[]) {migrate_coord_id()});
	migrate_tx_commit();

	for (r = 0; r < res->nrows; r++)
	{
		const char *dbname = SR_VALUE(res, r, 0);
		const char *status = SR_VALUE(res, r, 1);
		SchedCounts c;
		DbState    *db = migrate_db_state(dbname);

		CHECK_FOR_INTERRUPTS();
		db->replication = strcmp(SR_VALUE(res, r, 2), "replication") == 0;
		if (db->replication && db->slot == NULL)
		{
			MemoryContext old = MemoryContextSwitchTo(migrate_coord.cxt);

			db->publication = migrate_replication_name(dbname, MRO_PUBLICATION);
			db->subscription = migrate_replication_name(dbname, MRO_SUBSCRIPTION);
			db->slot = migrate_replication_name(dbname, MRO_SLOT);
			MemoryContextSwitchTo(old);
		}
		db->dispatchable = false;
		if (db_step(status) != NULL && db_step(status)->run == NULL)
		{
			migrate_close_snapshot(db);
			continue;
		}
		all_finished = false;
		migrate_sched_counts(dbname, &c);

		/* the database went away on the target (dropped by hand): start it over */
		if (strcmp(status, "pending") != 0 && strcmp(status, "creating") != 0)
		{
			Oid			dboid;

			migrate_tx_begin();
			dboid = get_database_oid(dbname, true);
			if (!OidIsValid(dboid))
			{
				migrate_coord_exec("DELETE FROM migrate.task WHERE migration_id = $1::bigint AND dbname = $2",
						   2, (const char *[]) {migrate_coord_id(), dbname});
				migrate_coord_exec("UPDATE migrate.database_state SET status = 'pending', created_here = false,"
						   " message = NULL WHERE migration_id = $1::bigint AND dbname = $2",
						   2, (const char *[]) {migrate_coord_id(), dbname});
				migrate_coord_event("database_missing", migrate_json_obj("database", dbname, NULL));
				migrate_sched_load(migrate_coord.migration_id);
			}
			migrate_tx_commit();
			if (!OidIsValid(dboid))
			{
				migrate_close_snapshot(db);
				continue;
			}
		}

		/* the connection that holds the snapshot is gone: a new snapshot */
		if (db->snap_conn != NULL && db->snap_conn->conn != NULL &&
			PQstatus(db->snap_conn->conn) == CONNECTION_OK)
			PQconsumeInput(db->snap_conn->conn);
		if (db->snapshot != NULL &&
			(db->snap_conn == NULL || db->snap_conn->conn == NULL ||
			 PQstatus(db->snap_conn->conn) != CONNECTION_OK))
		{
			migrate_close_snapshot(db);
			migrate_tx_begin();
			migrate_coord_event("snapshot_lost", migrate_json_obj("database", dbname, NULL));
			migrate_tx_commit();
		}

		db->dispatchable = run_step(db, status, &c) == STEP_WORK;
		if (!db->dispatchable)
			continue;
		if (c.open_copy > 0)
			any_copying = true;
		else if (c.open > 0)
			any_indexing = true;
	}
	if (any_copying)
		migrate_set_phase("copying");
	else if (any_indexing)
		migrate_set_phase("indexing");
	return all_finished;
}

static void
drop_source_objects_of(void *arg)
{
	drop_source_objects((DbState *) arg);
}

/*
 * A cancelled migration's replication objects go: each database's
 * subscription (from its own database), then its slot, publication and
 * replica identities on the source.  What cannot be removed is an event
 * that says how to remove it later; the cancel goes on.
 */
void
migrate_remove_replication(void)
{
	SourceResult *res;
	int			r;

	migrate_tx_begin();
	res = migrate_coord_query("SELECT dbname FROM migrate.database_state WHERE migration_id = $1::bigint"
							  " AND method = 'replication' AND slot IS NOT NULL ORDER BY dbname",
							  1, (const char *[]) {migrate_coord_id()});
	migrate_tx_commit();
	for (r = 0; r < res->nrows; r++)
	{
		DbState    *db = migrate_db_state(SR_VALUE(res, r, 0));
		char	   *failure;

		CHECK_FOR_INTERRUPTS();
		migrate_close_snapshot(db);
		db->publication = migrate_replication_name(db->name, MRO_PUBLICATION);
		db->subscription = migrate_replication_name(db->name, MRO_SUBSCRIPTION);
		db->slot = migrate_replication_name(db->name, MRO_SLOT);
		migrate_tx_begin();
		failure = migrate_drop_subscription_in(db->name, db->subscription, migrate_coord.owner, true);
		migrate_tx_commit();
		if (failure == NULL)
			failure = migrate_run_catching(drop_source_objects_of, db);
		migrate_tx_begin();
		if (failure != NULL)
			migrate_coord_event("cleanup_failed",
								migrate_json_obj("database", db->name, "error", failure,
												 "hint", "run SELECT * FROM migrate.cleanup(source) once the cause is gone", NULL));
		else
		{
			migrate_coord_exec("UPDATE migrate.database_state SET slot_lsn = NULL, lag_bytes = NULL, in_sync = false"
							   " WHERE migration_id = $1::bigint AND dbname = $2",
							   2, (const char *[]) {migrate_coord_id(), db->name});
			migrate_coord_event("replication_removed",
								migrate_json_obj("database", db->name, "subscription", db->subscription,
												 "slot", db->slot, "publication", db->publication, NULL));
		}
		migrate_tx_commit();
	}
}

/* Has the migration replication objects (a slot made, not yet dropped)? */
bool
migrate_has_replication(void)
{
	SourceResult *res;

	migrate_tx_begin();
	res = migrate_coord_query("SELECT 1 FROM migrate.database_state WHERE migration_id = $1::bigint"
							  " AND method = 'replication' AND slot IS NOT NULL AND status <> 'done' LIMIT 1",
							  1, (const char *[]) {migrate_coord_id()});
	migrate_tx_commit();
	return res->nrows > 0;
}

PG_FUNCTION_INFO_V1(migrate_database_steps_sql);

/*
 * SQL: migrate.database_steps() — the steps of a database in their order,
 * with what happens in each, as the coordinator runs them.
 */
Datum
migrate_database_steps_sql(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int			i;

	InitMaterializedSRF(fcinfo, 0);
	for (i = 0; i < lengthof(db_steps); i++)
	{
		Datum		values[4];
		bool		nulls[4] = {false, false, false, false};

		values[0] = Int32GetDatum(i + 1);
		values[1] = CStringGetTextDatum(db_steps[i].info.status);
		values[2] = BoolGetDatum(db_steps[i].run == NULL);
		values[3] = CStringGetTextDatum(db_steps[i].info.does);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
