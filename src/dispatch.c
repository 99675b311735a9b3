/*-------------------------------------------------------------------------
 *
 * dispatch.c
 *		The tasks the scheduler says may run, handed to idle workers of their
 *		database (started as needed, up to the migration's limit), and the
 *		results the workers send back, recorded in migrate.task and told to
 *		the scheduler: done, failed for good (with what depends on it),
 *		tried again later (a transient error, by its SQLSTATE), or of unknown
 *		outcome (its worker died) and run again from nothing.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "commands/dbcommands.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "coordinator.h"
#include "dispatch.h"
#include "pool.h"
#include "protocol.h"
#include "scheduler.h"
#include "schema.h"
#include "source.h"
#include "state.h"
#include "steps.h"
#include "tasks.h"
#include "verify.h"

/*
 * Task TASK_ID failed for good: the tasks that can only run after it will
 * never run, and fail with it, so that its database comes to an end.
 */
static void
fail_dependents(int64 task_id)
{
	SchedTask  *x = migrate_sched_task(task_id);
	List	   *failed;
	ListCell   *lc;
	StringInfoData ids;
	const char *args[3];

	if (x == NULL)
		return;
	failed = migrate_sched_fail_dependents(task_id);
	if (failed == NIL)
		return;
	initStringInfo(&ids);
	foreach(lc, failed)
		appendStringInfo(&ids, "%s" INT64_FORMAT, ids.len ? "," : "{", *(int64 *) lfirst(lc));
	appendStringInfoChar(&ids, '}');
	args[0] = migrate_coord_id();
	args[1] = ids.data;
	args[2] = psprintf("not run: it depends on %s task " INT64_FORMAT ", which failed",
					   migrate_task_kinds[x->kind].name, task_id);
	migrate_coord_exec("UPDATE migrate.task SET state = 'failed', finished_at = now(), error = $3"
			   " WHERE migration_id = $1::bigint AND id = ANY ($2::bigint[]) AND state = 'pending'",
			   3, args);
}

/*
 * The task TASK_ID's outcome is unknown (its worker died, or a previous
 * coordinator did): run it again from nothing.  All parts of a split table
 * go back together; workers still copying other parts of it are stopped
 * first, so that no late part survives the new first part's TRUNCATE.
 */
void
migrate_task_unknown(int64 task_id)
{
	const char *args[2] = {migrate_coord_id(), psprintf(INT64_FORMAT, task_id)};
	SourceResult *siblings;
	int			r;

	siblings = migrate_coord_query("SELECT t.id FROM migrate.task t JOIN migrate.task x"
						   " ON x.id = $2::bigint AND x.kind = 'copy' AND x.parts > 1"
						   " WHERE t.migration_id = $1::bigint AND t.kind = 'copy' AND t.id <> x.id"
						   " AND t.dbname = x.dbname AND t.schema_name = x.schema_name"
						   " AND t.table_name = x.table_name AND t.state = 'running'",
						   2, args);
	for (r = 0; r < siblings->nrows; r++)
		migrate_pool_terminate_task(strtoi64(SR_VALUE(siblings, r, 0), NULL, 10));

	migrate_coord_exec("UPDATE migrate.task t SET state = 'pending', rows_copied = 0, bytes_copied = 0,"
			   " started_at = NULL"
			   " FROM migrate.task x"
			   " WHERE x.id = $2::bigint AND t.migration_id = $1::bigint"
			   " AND (t.id = x.id OR (x.kind = 'copy' AND x.parts > 1 AND t.kind = 'copy'"
			   "  AND t.dbname = x.dbname AND t.schema_name = x.schema_name"
			   "  AND t.table_name = x.table_name AND t.state <> 'failed'))",
			   2, args);
	siblings = migrate_coord_query("UPDATE migrate.task SET state = 'failed', finished_at = now(),"
						   " error = coalesce(error, 'the worker running this task stopped ' || attempts || ' times')"
						   " WHERE id = $2::bigint AND migration_id = $1::bigint"
						   " AND attempts >= " CppAsString2(MIGRATE_MAX_ATTEMPTS) " RETURNING id",
						   2, args);
	/* several rows changed: the scheduler reads them again */
	migrate_sched_load(migrate_coord.migration_id);
	if (siblings->nrows > 0)
		fail_dependents(task_id);
}

/*
 * Progress sent by workers (without preloading: with it, they write it in
 * shared memory, live.c), as array elements, for one UPDATE a round.
 */
static StringInfoData pending_progress;	/* task ids */
static StringInfoData pending_rows;
static StringInfoData pending_bytes;

/*
 * Writes the progress received this round, in one statement: a task that
 * ended meanwhile keeps its final figures (only running tasks change).
 */
void
migrate_flush_progress(void)
{
	if (pending_progress.data == NULL || pending_progress.len == 0)
		return;
	migrate_round_tx_begin();
	migrate_coord_exec("UPDATE migrate.task t SET rows_copied = v.r, bytes_copied = v.b"
					   " FROM (SELECT DISTINCT ON (u.id) u.id, u.r, u.b"
					   "  FROM unnest($2::bigint[], $3::bigint[], $4::bigint[]) WITH ORDINALITY u(id, r, b, n)"
					   "  ORDER BY u.id, u.n DESC) v"
					   " WHERE t.id = v.id AND t.migration_id = $1::bigint AND t.state = 'running'",
					   4, (const char *[]) {migrate_coord_id(),
						   psprintf("{%s}", pending_progress.data),
						   psprintf("{%s}", pending_rows.data),
					   psprintf("{%s}", pending_bytes.data)});
	resetStringInfo(&pending_progress);
	resetStringInfo(&pending_rows);
	resetStringInfo(&pending_bytes);
}

/* Is task TASK_ID one of migrate.verify's (or migrate.repair's)? */
static bool
is_verify(int64 task_id)
{
	SchedTask  *t = migrate_sched_task(task_id);

	return t != NULL && (t->kind == MTK_VERIFY || t->kind == MTK_REPAIR);
}

/*
 * The warnings of task TASK_ID (text) of DBNAME, a line each: an event
 * each, with the object it is about (where the line names one).
 */
static void
record_warnings(const char *task_id, const char *dbname, const char *text)
{
	char	   *copy = pstrdup(text);
	char	   *line = copy;

	while (line != NULL)
	{
		char	   *next = strchr(line, '\n');
		char	   *end;
		const char *object = NULL;

		if (next != NULL)
			*next++ = '\0';
		if (*line == '\0')
		{
			line = next;		/* (an empty line is no warning) */
			continue;
		}
		end = strchr(line, MIGRATE_WARNING_OBJECT_END);
		if (end != NULL)
		{
			*end = '\0';
			object = line;
			line = end + 1;
		}
		migrate_coord_event("warning",
							migrate_json_obj("task", task_id, "database", dbname,
											 "object", object, "message", line, NULL));
		line = next;
	}
}

/* Handles one message of a worker. */
void
migrate_handle_result(WorkerSlot *slot, const ResultMsg *msg)
{
	const char *args[6];
	bool		updated;

	args[0] = migrate_coord_id();
	args[1] = psprintf(INT64_FORMAT, msg->task_id);
	args[2] = psprintf(INT64_FORMAT, msg->rows);
	args[3] = psprintf(INT64_FORMAT, msg->bytes);
	if (pending_progress.data == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(migrate_coord.cxt);

		initStringInfo(&pending_progress);
		initStringInfo(&pending_rows);
		initStringInfo(&pending_bytes);
		MemoryContextSwitchTo(old);
	}

	migrate_round_tx_begin();
	switch (msg->kind)
	{
		case RK_PROGRESS:
			{
				/* the newest figures of each task, written once a round */
				MemoryContext old = MemoryContextSwitchTo(migrate_coord.cxt);

				const char *sep = pending_progress.len ? "," : "";

				appendStringInfo(&pending_progress, "%s" INT64_FORMAT, sep, msg->task_id);
				appendStringInfo(&pending_rows, "%s" INT64_FORMAT, sep, msg->rows);
				appendStringInfo(&pending_bytes, "%s" INT64_FORMAT, sep, msg->bytes);
				MemoryContextSwitchTo(old);
				break;
			}
		case RK_DONE:
			migrate_coord_exec("UPDATE migrate.task SET state = 'done', rows_copied = $3::bigint,"
					   " bytes_copied = $4::bigint, finished_at = now(), error = NULL"
					   " WHERE id = $2::bigint AND migration_id = $1::bigint AND state = 'running'", 4, args);
			updated = SPI_processed > 0;
			if (updated)
			{
				SchedTask  *t = migrate_sched_task(msg->task_id);

				migrate_sched_set_state(msg->task_id, 'd', t ? t->attempts : 0, 0);
			}
			if (updated && is_verify(msg->task_id))
				migrate_verify_store(msg->task_id, msg->text);
			else if (msg->text != NULL)
				record_warnings(args[1], slot->dbname, msg->text);
			slot->task_id = 0;
			break;
		case RK_ERROR:
			{
				bool		transient = msg->sqlstate != NULL &&
					migrate_sqlstate_transient(msg->sqlstate);
				SourceResult *now_state;

				args[4] = msg->text ? msg->text : "unknown error";
				/* the first error of a task is kept */
				migrate_coord_exec("UPDATE migrate.task SET error = coalesce(error, $5)"
						   " WHERE id = $2::bigint AND migration_id = $1::bigint", 5, args);
				if (transient)
					now_state = migrate_coord_query("UPDATE migrate.task SET"
											" state = CASE WHEN attempts >= " CppAsString2(MIGRATE_MAX_ATTEMPTS) " THEN 'failed' ELSE 'pending' END,"
											" finished_at = CASE WHEN attempts >= " CppAsString2(MIGRATE_MAX_ATTEMPTS) " THEN now() END,"
											" retry_at = now() + make_interval(secs => power(2, attempts))"
											" WHERE id = $2::bigint AND migration_id = $1::bigint AND state = 'running'"
											" RETURNING state, attempts,"
											" (EXTRACT(epoch FROM retry_at) * 1000000)::bigint", 2, args);
				else
					now_state = migrate_coord_query("UPDATE migrate.task SET state = 'failed', finished_at = now()"
											" WHERE id = $2::bigint AND migration_id = $1::bigint AND state = 'running'"
											" RETURNING state, attempts, 0::bigint", 2, args);
				if (now_state->nrows > 0)
				{
					int64		retry_usecs = strtoi64(SR_VALUE(now_state, 0, 2), NULL, 10);

					migrate_sched_set_state(msg->task_id, SR_VALUE(now_state, 0, 0)[0],
									atoi(SR_VALUE(now_state, 0, 1)),
									retry_usecs == 0 ? 0 :
									retry_usecs - ((int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) *
												   SECS_PER_DAY * USECS_PER_SEC));
					if (SR_VALUE(now_state, 0, 0)[0] == 'f')
					{
						fail_dependents(msg->task_id);
						if (is_verify(msg->task_id))
							migrate_verify_task_failed(msg->task_id, args[4]);
					}
				}
				migrate_coord_event(transient ? "task_retry" : "task_failed",
							  migrate_json_obj("task", args[1], "database", slot->dbname,
									   "sqlstate", msg->sqlstate, "error", args[4], NULL));
				slot->task_id = 0;
				break;
			}
	}
}

/*
 * May a task of KIND of database DBNAME be handed out: the database planned
 * and not finished, and what reads the source only with its snapshot?
 */
static bool
task_usable(const char *dbname, MigrateTaskKind kind)
{
	ListCell   *lc;

	foreach(lc, migrate_coord.dbstates)
	{
		DbState    *db = lfirst(lc);

		if (strcmp(db->name, dbname) == 0)
			return db->dispatchable &&
				(!migrate_task_kinds[kind].needs_snapshot || db->snapshot != NULL);
	}
	return false;
}

/*
 * Hands the tasks that may run now (the scheduler's, in the order of work)
 * to idle workers of their database, starting workers up to the limit.
 */
void
migrate_dispatch(void)
{
	typedef struct Claimed
	{
		WorkerSlot *slot;
		TaskMsg		msg;
	} Claimed;
	List	   *runnable;
	List	   *claimed = NIL;
	List	   *lost = NIL;
	ListCell   *lc;
	bool		starved = false;
	bool		reload = false;
	bool		in_tx = false;
	int			room = migrate_pool_room();

	/* no more tasks than workers could take now */
	if (room == 0)
		return;
	runnable = migrate_sched_runnable(task_usable, room);

	/*
	 * The tasks are claimed (running, one more attempt) in one transaction,
	 * committed before any is sent: a worker never runs a task that the
	 * state does not say is running.
	 */
	foreach(lc, runnable)
	{
		SchedTask  *t = lfirst(lc);
		const MigrateTaskKindInfo *kind = &migrate_task_kinds[t->kind];
		const char *dbname = migrate_sched_task_dbname(t);
		WorkerSlot *slot = migrate_pool_idle(dbname);
		Claimed    *c;
		TaskMsg    *msg;
		DbState    *db = migrate_db_state(dbname);
		SourceResult *res;
		const char *args[2];

		if (!in_tx)
		{
			/* the round's results, if any, commit with the claims */
			migrate_round_tx_begin();
			in_tx = true;
		}
		if (slot == NULL)
		{
			Oid			dboid;

			if (starved)
				continue;
			dboid = get_database_oid(dbname, true);
			if (!OidIsValid(dboid))
				continue;
			slot = migrate_pool_start(dbname, dboid, migrate_coord.owner);
		}
		if (slot == NULL)
		{
			starved = true;
			continue;
		}

		args[0] = migrate_coord_id();
		args[1] = psprintf(INT64_FORMAT, t->id);
		res = migrate_coord_query("UPDATE migrate.task t SET state = 'running', attempts = attempts + 1,"
								  " started_at = coalesce(started_at, now()), retry_at = NULL"
								  " WHERE t.id = $2::bigint AND t.migration_id = $1::bigint AND t.state = 'pending'"
								  " RETURNING t.schema_name, t.table_name, coalesce(t.block_from, -1),"
								  " coalesce(t.block_to, -1), t.statement, t.attempts",
								  2, args);
		if (res->nrows == 0)
		{
			/* not pending any more: the scheduler reads the tasks again */
			reload = true;
			break;
		}
		migrate_sched_set_state(t->id, 'r', atoi(SR_VALUE(res, 0, 5)), 0);

		c = palloc0(sizeof(Claimed));
		c->slot = slot;
		msg = &c->msg;
		msg->kind = t->kind;
		msg->task_id = t->id;
		msg->attempt = atoi(SR_VALUE(res, 0, 5));
		msg->schema_name = SR_VALUE(res, 0, 0);
		msg->table_name = SR_VALUE(res, 0, 1);
		msg->block_from = strtoi64(SR_VALUE(res, 0, 2), NULL, 10);
		msg->block_to = strtoi64(SR_VALUE(res, 0, 3), NULL, 10);
		msg->snapshot = db->snapshot;
		switch (kind->body)
		{
			case MTB_SCRIPT:
				msg->statements = migrate_split_sql(SR_VALUE(res, 0, 4));
				break;
			case MTB_STATEMENT:
				msg->statement = SR_VALUE(res, 0, 4);
				break;
			case MTB_NAMES:
				{
					char	   *names = pstrdup(SR_VALUE(res, 0, 4));
					char	   *line;
					char	   *save = NULL;

					msg->statements = NIL;
					for (line = strtok_r(names, "\n", &save); line != NULL;
						 line = strtok_r(NULL, "\n", &save))
						msg->statements = lappend(msg->statements, line);
					break;
				}
			case MTB_TABLE:
				msg->statements = list_make1(quote_qualified_identifier(msg->schema_name,
																		msg->table_name));
				break;
			case MTB_NONE:
				break;
		}
		/* the first part of a copy empties the table; a schema, a database that was there */
		if (t->kind == MTK_COPY)
			msg->truncate = t->part == 0;
		else if (t->kind == MTK_SCHEMA && !migrate_coord.options->if_exists_merge)
		{
			SourceResult *here = migrate_coord_query("SELECT created_here FROM migrate.database_state"
													 " WHERE migration_id = $1::bigint AND dbname = $2",
													 2, (const char *[]) {args[0], dbname});

			msg->truncate = strcmp(SR_VALUE(here, 0, 0), "f") == 0;
		}

		/* busy from now on: the next task needs another worker */
		slot->task_id = msg->task_id;
		claimed = lappend(claimed, c);
	}
	migrate_round_tx_end();

	foreach(lc, claimed)
	{
		Claimed    *c = lfirst(lc);

		if (!migrate_pool_send(c->slot, &c->msg))
		{
			/* the worker is gone: the task's outcome is unknown */
			lost = lappend(lost, psprintf(INT64_FORMAT, c->msg.task_id));
			migrate_pool_free(c->slot);
		}
	}

	/*
	 * Now that nothing points into the scheduler's tasks any more
	 * (migrate_task_unknown and a reload read them again).
	 */
	if (reload || lost != NIL)
	{
		migrate_tx_begin();
		foreach(lc, lost)
			migrate_task_unknown(strtoi64(lfirst(lc), NULL, 10));
		if (reload)
			migrate_sched_load(migrate_coord.migration_id);
		migrate_tx_commit();
	}

	/*
	 * Idle workers of databases with nothing to do leave room for those
	 * that wait.
	 */
	if (starved)
		migrate_pool_dismiss_idle(NULL);
}

