/*-------------------------------------------------------------------------
 *
 * steps.c
 *		The steps of a database, one function each.  Its status in
 *		migrate.database_state names the step it is in, so that a coordinator
 *		started again takes every database up where it was.
 *
 *	pending ──> creating ──> schema ──> copying ──> indexing ──> finishing ──> done
 *	            the          snapshot,  the copy    the other    its own
 *	            database     pg_dump,   tasks, and  tasks        settings
 *	            on the       the tasks  what needs  (indexes,    and comment
 *	            target       planned    no copy     keys, ...)
 *
 *	any step ──> failed    (resume: back to copying, or to pending)
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
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "coordinator.h"
#include "plan.h"
#include "pool.h"
#include "redact.h"
#include "scheduler.h"
#include "source.h"
#include "state.h"
#include "steps.h"

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
static StepResult step_finishing(DbState *db, const SchedCounts *c, const char **next);

/* The steps, in their order; the last two are the ends. */
static const DbStep db_steps[] = {
	{{"pending", "waits for its turn"}, step_create},
	{{"creating", "the database is created on the target"}, step_create},
	{{"schema", "snapshot, pg_dump of the schema, the tasks planned"}, step_schema},
	{{"copying", "the copy tasks run, and what needs no copy"}, step_copying},
	{{"indexing", "the other tasks run: indexes, keys, the rest of post-data, statistics"},
	step_indexing},
	{{"finishing", "the database's own settings and comment are given"}, step_finishing},
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
	if (db->snap_conn != NULL)
		migrate_source_close(db->snap_conn);
	db->snap_conn = NULL;
	db->snapshot = NULL;
	MemoryContextReset(db->cxt);
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
	{
		migrate_open_snapshot(db);
		if (c->tasks > 0 && c->done_copy > 0)
			snapshot_moved(db);
	}
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

/*
 * The tasks of the database run; when none is open any more it is
 * finishing, or failed with its first error.
 */
static StepResult
run_tasks(DbState *db, const SchedCounts *c, const char *status, const char **next)
{
	if (c->open_copy == 0)
		migrate_close_snapshot(db);
	if (c->open == 0 && c->running == 0)
	{
		if (c->failed > 0)
		{
			SourceResult *f;
			const char *failure;

			migrate_tx_begin();
			f = migrate_coord_query("SELECT min(error) FROM migrate.task"
									" WHERE migration_id = $1::bigint AND dbname = $2 AND state = 'failed'",
									2, (const char *[]) {migrate_coord_id(), db->name});
			failure = SR_VALUE(f, 0, 0) ? SR_VALUE(f, 0, 0) : "a task failed";
			migrate_set_db_status(db->name, "failed", failure);
			migrate_coord_event("database_failed",
								migrate_json_obj("database", db->name, "error", failure, NULL));
			migrate_tx_commit();
			/* its idle workers may go */
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
		migrate_open_snapshot(db);
		if (c->done_copy > 0)
			snapshot_moved(db);
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

/*
 * finishing: the database's own settings and comment, once its tasks are
 * done (a setting such as default_transaction_read_only must not apply to
 * the workers that fill it); then it is done.
 */
static StepResult
step_finishing(DbState *db, const SchedCounts *c, const char **next)
{
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

		if (migrate_sqlstate_transient(unpack_sql_state(edata->sqlerrcode)) &&
			db->attempts + 1 < MIGRATE_MAX_DB_ATTEMPTS)
		{
			int			retry_in = migrate_backoff_seconds(db->attempts);

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

	migrate_tx_begin();
	res = migrate_coord_query("SELECT d.dbname, d.status FROM migrate.database_state d"
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
