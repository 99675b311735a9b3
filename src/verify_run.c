/*-------------------------------------------------------------------------
 *
 * verify_run.c
 *		The runs of migrate.verify: planned as tasks of kind verify (one a
 *		table, one for the schema of a database, one for its large
 *		objects), run by the migration's copy workers (verify.c), their
 *		results stored in migrate.verify_result.
 *
 * A run is started two ways.  The option verify of start plans run 1 of
 * each database once its data is in (the dump method: still at the
 * snapshot the data was copied at; the replication method: at cutover,
 * once the target has applied everything up to the cutover position and
 * before the source's writes resume); the database fails when the run
 * finds a difference.  migrate.verify(id, level) starts a coordinator in
 * verify mode for a migration that is over (done or failed): it plans a
 * run of every done database, runs it with the migration's workers, and
 * exits; the caller waits for it and returns the run's rows.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/latch.h"
#include "utils/json.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "api.h"
#include "coordinator.h"
#include "dispatch.h"
#include "launcher.h"
#include "options.h"
#include "plan.h"
#include "pool.h"
#include "redact.h"
#include "scheduler.h"
#include "source.h"
#include "state.h"
#include "steps.h"
#include "target.h"
#include "verify.h"

/*
 * Plans run RUN of database DBNAME at LEVEL: its schema (LEFT_OUT: the
 * relations the table filters left out, not compared), at counts and
 * above each table the migration copied or joined to the stream, at
 * checksums its large objects.  The largest tables first.  FENCED: the
 * source's writes are fenced (the cutover's default_transaction_read_only
 * on the source is not the database's).  With "if_exists": "merge" the
 * objects only the target has are its own, not differences.
 */
void
migrate_verify_plan(const char *dbname, int run, int level, List *left_out, bool fenced)
{
	const char *name = migrate_verify_level_name(level);
	const char *run_s = psprintf("%d", run);
	StringInfoData schema;
	ListCell   *lc;

	initStringInfo(&schema);
	appendStringInfo(&schema, "%s\nschema%s%s", name, fenced ? "_fenced" : "",
					 migrate_coord.options->if_exists_merge ? "_merge" : "");
	/* (one line, a JSON array: a name may hold a newline) */
	appendStringInfoString(&schema, "\n" MIGRATE_VERIFY_RELATIONS "[");
	foreach(lc, left_out)
	{
		if (foreach_current_index(lc) > 0)
			appendStringInfoChar(&schema, ',');
		escape_json(&schema, (char *) lfirst(lc));
	}
	appendStringInfoChar(&schema, ']');
	/*
	 * The objects the migration left out, or gave another owner, and the
	 * tablespaces it did without: its warnings name them.
	 */
	{
		SourceResult *objects = migrate_coord_query("SELECT DISTINCT CASE WHEN starts_with(e.detail->>'message', 'left out: ')"
													"  THEN '" MIGRATE_VERIFY_LEFT_OUT "' ELSE '" MIGRATE_VERIFY_NOT_KEPT "' END"
													"  || (e.detail->>'object')"
													/* (an owner not kept: and the role that owns it instead) */
													"  || coalesce(E'\\x1f' || substring(e.detail->>'message'"
													"   FROM '^owner .*? not kept: it stays owned by (.*?) \\('), '')"
													" FROM migrate.event e"
													" WHERE e.migration_id = $1::bigint AND e.kind = 'warning'"
													" AND e.detail->>'database' = $2 AND e.detail->>'object' IS NOT NULL"
													" AND (starts_with(e.detail->>'message', 'left out: ')"
													"  OR starts_with(e.detail->>'message', 'left out of ')"
													"  OR e.detail->>'message' ~ '^owner .* not kept: it stays owned by '"
													"  OR (starts_with(e.detail->>'object', 'tablespace ')"
													"   AND starts_with(e.detail->>'message', 'not on the target: ')))"
													" ORDER BY 1",
													2, (const char *[]) {migrate_coord_id(), dbname});
		int			r;

		for (r = 0; r < objects->nrows; r++)
			appendStringInfo(&schema, "\n%s", SR_VALUE(objects, r, 0));
	}
	migrate_coord_exec("INSERT INTO migrate.task (migration_id, dbname, kind, statement, verify_run)"
					   " VALUES ($1::bigint, $2, 'verify', $3, $4::int)",
					   4, (const char *[]) {migrate_coord_id(), dbname, schema.data, run_s});
	if (level >= MVL_CHECKSUMS)
		migrate_coord_exec("INSERT INTO migrate.task (migration_id, dbname, kind, statement, verify_run)"
						   " VALUES ($1::bigint, $2, 'verify', $3 || E'\\nlarge_objects' || $5, $4::int)",
						   5, (const char *[]) {migrate_coord_id(), dbname, name, run_s,
							   migrate_coord.options->if_exists_merge ? "_merge" : ""});
	if (level >= MVL_COUNTS)
		migrate_coord_exec("INSERT INTO migrate.task (migration_id, dbname, kind, schema_name, table_name,"
						   " statement, size_bytes, verify_run)"
						   " SELECT $1::bigint, $2, 'verify', t.nsp, t.rel, $3, max(t.size), $4::int FROM ("
						   "  SELECT schema_name AS nsp, table_name AS rel, sum(size_bytes) AS size FROM migrate.task"
						   "  WHERE migration_id = $1::bigint AND dbname = $2 AND kind = 'copy'"
						   "  GROUP BY schema_name, table_name"
						   "  UNION ALL"
						   "  SELECT (pg_catalog.parse_ident(j.s[i]))[1], (pg_catalog.parse_ident(j.s[i]))[2], 0"
						   "  FROM (SELECT statement::text[] AS s FROM migrate.task"
						   "   WHERE migration_id = $1::bigint AND dbname = $2 AND kind = 'join' AND state = 'done') j,"
						   "  pg_catalog.generate_series(3, pg_catalog.array_length(j.s, 1), 3) i) t"
						   " GROUP BY t.nsp, t.rel",
						   4, (const char *[]) {migrate_coord_id(), dbname, name, run_s});
}

/*
 * Plans repair run RUN of database DBNAME: a task a table that verify run
 * FROM_RUN found different (its count, checksum or rows), and one for its
 * sequences whose values differed.
 */
void
migrate_repair_plan(const char *dbname, int run, int from_run)
{
	migrate_coord_exec("INSERT INTO migrate.task (migration_id, dbname, kind, schema_name, table_name, statement, verify_run)"
					   " SELECT DISTINCT $1::bigint, $2, 'repair', (pg_catalog.parse_ident(v.relation))[1],"
					   "  (pg_catalog.parse_ident(v.relation))[2], 'repair', $3::int"
					   " FROM migrate.verify_result v"
					   " WHERE v.migration_id = $1::bigint AND v.run = $4::int AND v.dbname = $2"
					   " AND v.check_name IN ('count', 'checksum', 'row') AND v.status <> 'ok' AND v.relation IS NOT NULL",
					   4, (const char *[]) {migrate_coord_id(), dbname, psprintf("%d", run), psprintf("%d", from_run)});
	/* and one for the sequences whose values differed, named one a line */
	migrate_coord_exec("INSERT INTO migrate.task (migration_id, dbname, kind, statement, verify_run)"
					   " SELECT $1::bigint, $2, 'repair', E'repair\\nsequences\\n'"
					   "  || string_agg(DISTINCT v.relation, E'\\n'), $3::int"
					   " FROM migrate.verify_result v"
					   " WHERE v.migration_id = $1::bigint AND v.run = $4::int AND v.dbname = $2"
					   " AND v.check_name = 'sequence_value' AND v.status <> 'ok' AND v.relation IS NOT NULL"
					   " HAVING count(*) > 0",
					   4, (const char *[]) {migrate_coord_id(), dbname, psprintf("%d", run), psprintf("%d", from_run)});
}

/* The results of verify task TASK_ID (a JSON array from the worker). */
void
migrate_verify_store(int64 task_id, const char *results)
{
	migrate_coord_exec("INSERT INTO migrate.verify_result (migration_id, run, dbname, relation, check_name, status,"
					   " source_value, target_value, detail, source_at)"
					   " SELECT t.migration_id, t.verify_run, t.dbname, r.relation, r.check_name, r.status,"
					   " r.source_value, r.target_value, r.detail, r.source_at"
					   " FROM migrate.task t, jsonb_to_recordset($3::jsonb) AS r(relation text, check_name text,"
					   "  status text, source_value text, target_value text, detail text, source_at text)"
					   " WHERE t.id = $2::bigint AND t.migration_id = $1::bigint AND t.verify_run IS NOT NULL"
					    " AND r.status IN ('ok', 'differs', 'missing', 'extra', 'own', 'left_out', 'not_kept', 'skipped', 'repaired')",
					   3, (const char *[]) {migrate_coord_id(), psprintf(INT64_FORMAT, task_id),
						   results ? results : "[]"});
}

/* A verify task that failed for good: a row that says so, and why. */
void
migrate_verify_task_failed(int64 task_id, const char *error)
{
	migrate_coord_exec("INSERT INTO migrate.verify_result (migration_id, run, dbname, relation, check_name, status, detail)"
					   " SELECT t.migration_id, t.verify_run, t.dbname,"
					   "  CASE WHEN t.table_name IS NOT NULL THEN pg_catalog.quote_ident(t.schema_name) || '.'"
					   "   || pg_catalog.quote_ident(t.table_name) END,"
					   "  CASE WHEN t.table_name IS NOT NULL THEN 'table'"
					   "   ELSE pg_catalog.regexp_replace(pg_catalog.split_part(t.statement, E'\\n', 2), '(_fenced)?(_merge)?$', '') END,"
					   "  'error', $3"
					   " FROM migrate.task t WHERE t.id = $2::bigint AND t.migration_id = $1::bigint AND t.verify_run IS NOT NULL",
					   3, (const char *[]) {migrate_coord_id(), psprintf(INT64_FORMAT, task_id), error});
}

/*
 * What run RUN found in DBNAME: NULL when nothing differs, else a message
 * that says how much and where to look.
 */
char *
migrate_verify_finish_database(const char *dbname, int run)
{
	SourceResult *res = migrate_coord_query("SELECT count(*) FILTER (WHERE status NOT IN " MIGRATE_VERIFY_NO_DIFFERENCE "),"
											" count(*) FILTER (WHERE status = 'error'), r.level"
											" FROM migrate.verify_run r LEFT JOIN migrate.verify_result v"
											"  ON v.migration_id = r.migration_id AND v.run = r.run AND v.dbname = $2"
											" WHERE r.migration_id = $1::bigint AND r.run = $3::int GROUP BY r.level",
											3, (const char *[]) {migrate_coord_id(), dbname, psprintf("%d", run)});
	int64		differ;
	int64		errors;

	if (res->nrows == 0)
		return NULL;
	differ = strtoi64(SR_VALUE(res, 0, 0), NULL, 10);
	errors = strtoi64(SR_VALUE(res, 0, 1), NULL, 10);
	if (differ == 0)
		return NULL;
	if (errors == differ)
		return psprintf("verify (%s) could not check " INT64_FORMAT " thing%s: SELECT * FROM migrate.verify_result"
						" WHERE migration_id = %s AND run = %d AND status = 'error' says why",
						SR_VALUE(res, 0, 2), errors, errors == 1 ? "" : "s", migrate_coord_id(), run);
	return psprintf("verify (%s) found " INT64_FORMAT " difference%s: SELECT * FROM migrate.verify_result"
					" WHERE migration_id = %s AND run = %d AND status <> 'ok' names them",
					SR_VALUE(res, 0, 2), differ, differ == 1 ? "" : "s", migrate_coord_id(), run);
}

/* The run's state, with the number of what differs, once it is over. */
static void
end_run(int run, const char *state, const char *error)
{
	const char *run_s = psprintf("%d", run);

	migrate_coord_exec("UPDATE migrate.verify_run r SET state = $3, error = $4, finished_at = now(),"
					   " differences = (SELECT count(*) FROM migrate.verify_result v"
					   "  WHERE v.migration_id = r.migration_id AND v.run = r.run AND v.status NOT IN " MIGRATE_VERIFY_NO_DIFFERENCE ")"
					   " WHERE r.migration_id = $1::bigint AND r.run = $2::int",
					   4, (const char *[]) {migrate_coord_id(), run_s, state, error});
	migrate_coord_event(strcmp(state, "done") == 0 ? "verify_done" : "verify_failed",
						migrate_json_obj("run", run_s, "error", error, NULL));
}

/*
 * Run RUN (of the option verify: its databases enter it one by one) is over
 * once none of its tasks is open in any database.
 */
void
migrate_verify_end_run(int run)
{
	SourceResult *res = migrate_coord_query("SELECT (SELECT count(*) FROM migrate.task t"
											"  WHERE t.migration_id = $1::bigint AND t.verify_run = $2::int"
											"  AND t.state IN ('pending', 'running'))"
											" + (SELECT count(*) FROM migrate.database_state d"
											"  WHERE d.migration_id = $1::bigint"
											"  AND d.status NOT IN ('verifying', 'done', 'failed'))",
											2, (const char *[]) {migrate_coord_id(), psprintf("%d", run)});

	if (strcmp(SR_VALUE(res, 0, 0), "0") == 0)
		end_run(run, "done", NULL);
}

/*
 * The coordinator in verify mode (migrate.verify): a run of every database
 * that is done, with the migration's workers; the others are named as not
 * verified.  The migration's own state does not change.
 */
void
migrate_verify_coordinate(const VerifyRequest *req)
{
	int			level = migrate_verify_level(req->level);
	volatile int run = 0;
	volatile int from_run = 0;
	MemoryContext cxt = CurrentMemoryContext;

	if (level <= MVL_NONE)
		elog(ERROR, "verify request of an unknown level \"%s\"", req->level);

	PG_TRY();
	{
		SourceResult *res;
		SourceConn *conn;
		MemoryContext loop_context;
		int			r;

		migrate_tx_begin();
		/* runs left running by a coordinator that is gone */
		migrate_coord_exec("UPDATE migrate.task SET state = 'failed', finished_at = now(),"
						   " error = coalesce(error, 'interrupted: its coordinator stopped before the end')"
						   " WHERE migration_id = $1::bigint AND verify_run IS NOT NULL AND state IN ('pending', 'running')",
						   1, (const char *[]) {migrate_coord_id()});
		migrate_coord_exec("UPDATE migrate.verify_run SET state = 'failed', finished_at = now(),"
						   " error = 'interrupted: its coordinator stopped before the end'"
						   " WHERE migration_id = $1::bigint AND state = 'running'",
						   1, (const char *[]) {migrate_coord_id()});
		res = migrate_coord_query("INSERT INTO migrate.verify_run (migration_id, run, level, token)"
								  " SELECT $1::bigint, GREATEST(coalesce(max(run), 0) + 1, 2), $2, $3::bigint"
								  " FROM migrate.verify_run WHERE migration_id = $1::bigint RETURNING run",
								  3, (const char *[]) {migrate_coord_id(), req->level,
									  psprintf(INT64_FORMAT, req->token)});
		run = atoi(SR_VALUE(res, 0, 0));
		migrate_coord_event(level == MVL_REPAIR ? "repair_started" : "verify_started",
							migrate_json_obj("run", SR_VALUE(res, 0, 0), "level", req->level, NULL));
		if (level == MVL_REPAIR)
		{
			SourceResult *last = migrate_coord_query("SELECT max(run) FROM migrate.verify_run WHERE migration_id = $1::bigint"
													 " AND state = 'done' AND level IN ('counts', 'checksums', 'rows')",
													 1, (const char *[]) {migrate_coord_id()});

			if (SR_VALUE(last, 0, 0) == NULL)
				ereport(ERROR,
						(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						 errmsg("migration %s has no verify run to repair from", migrate_coord_id())));
			from_run = atoi(SR_VALUE(last, 0, 0));
		}
		res = migrate_coord_query("SELECT dbname, status FROM migrate.database_state"
								  " WHERE migration_id = $1::bigint ORDER BY size_bytes DESC, dbname",
								  1, (const char *[]) {migrate_coord_id()});
		migrate_tx_commit();

		conn = migrate_source_connect(migrate_coord.source, NULL, NULL);
		migrate_coord.source_version = migrate_source_server_version(conn);
		migrate_source_close(conn);

		for (r = 0; r < res->nrows; r++)
		{
			const char *dbname = SR_VALUE(res, r, 0);
			const char *status = SR_VALUE(res, r, 1);
			List	   *left_out;
			bool		here;

			CHECK_FOR_INTERRUPTS();
			migrate_tx_begin();
			here = OidIsValid(get_database_oid(dbname, true));
			migrate_tx_commit();
			if (strcmp(status, "done") != 0 || !here)
			{
				migrate_tx_begin();
				migrate_coord_exec("INSERT INTO migrate.verify_result (migration_id, run, dbname, check_name, status, detail)"
								   " VALUES ($1::bigint, $2::int, $3, 'database', 'skipped', $4)",
								   4, (const char *[]) {migrate_coord_id(), psprintf("%d", run), dbname,
									   strcmp(status, "done") != 0 ?
									   psprintf("not verified: the database is %s", status) :
									   "not verified: the database is not on the target any more"});
				migrate_tx_commit();
				continue;
			}
			migrate_tx_begin();
			if (level == MVL_REPAIR)
				migrate_repair_plan(dbname, run, from_run);
			migrate_tx_commit();
			if (level != MVL_REPAIR)
			{
				conn = migrate_source_connect(migrate_coord.source, dbname, NULL);
				left_out = migrate_left_out_relations(conn, dbname);
				migrate_source_close(conn);
				migrate_tx_begin();
				migrate_verify_plan(dbname, run, level, left_out, false);
				migrate_tx_commit();
			}
			migrate_db_state(dbname)->dispatchable = true;
		}

		migrate_tx_begin();
		migrate_sched_load(migrate_coord.migration_id);
		migrate_tx_commit();

		loop_context = AllocSetContextCreate(migrate_coord.cxt, "migrate verify loop",
											 ALLOCSET_DEFAULT_SIZES);
		for (;;)
		{
			ListCell   *lc;
			int64		open = 0;

			CHECK_FOR_INTERRUPTS();
			MemoryContextSwitchTo(migrate_coord.cxt);
			MemoryContextReset(loop_context);
			MemoryContextSwitchTo(loop_context);
			(void) migrate_pool_poll();
			migrate_round_tx_end();
			foreach(lc, migrate_coord.dbstates)
			{
				DbState    *db = lfirst(lc);
				SchedCounts c;

				migrate_sched_counts(db->name, &c);
				open += c.open;
			}
			if (open == 0)
				break;
			migrate_dispatch();
			migrate_round_tx_end();
			(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
							 MIGRATE_ADVANCE_MS, PG_WAIT_EXTENSION);
			ResetLatch(MyLatch);
		}
		MemoryContextSwitchTo(cxt);
		migrate_pool_stop();
		migrate_tx_begin();
		end_run(run, "done", NULL);
		migrate_tx_commit();
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		HOLD_INTERRUPTS();
		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		EmitErrorReport();
		FlushErrorState();
		AbortCurrentTransaction();
		RESUME_INTERRUPTS();
		migrate_pool_stop();
		if (run > 0)
		{
			migrate_tx_begin();
			end_run(run, "failed", migrate_redact(edata->message));
			migrate_tx_commit();
		}
	}
	PG_END_TRY();
}

/* ---- SQL: migrate.verify ------------------------------------------------- */

#define VERIFY_NOTICE_MS	10000

/*
 * A run of LEVEL_NAME (a verify level, or repair) for migration ID, which
 * is over: a coordinator in verify mode does it, this backend waits for it
 * and returns the run's rows into FCINFO's result, differences first.
 */
static void
run_and_wait(FunctionCallInfo fcinfo, int64 id, const char *level_name)
{
	char	   *state;
	bool		repair = strcmp(level_name, "repair") == 0;
	SourceResult *res;
	VerifyRequest req;
	BackgroundWorkerHandle *handle;
	pid_t		pid;
	int			r;
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	migrate_check_migration_owner(id, &state);
	if (IsolationUsesXactSnapshot())
		ereport(ERROR,
				(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
				 errmsg("migrate.verify cannot see its results in a REPEATABLE READ or SERIALIZABLE transaction"),
				 errhint("Call it in a READ COMMITTED transaction, or on its own.")));
	if (strcmp(state, "done") != 0 && strcmp(state, "failed") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("migration " INT64_FORMAT " is %s: only a migration that is over can be %s", id, state,
						repair ? "repaired" : "verified"),
				 strcmp(state, "stopped") == 0 ?
				 errhint("Resume it (migrate.resume) and verify it once it is done.") :
				 errhint("Wait for it to end (migrate.wait), or start it with the option \"verify\", which checks each database as soon as its data is in.")));
	if (migrate_coordinator_running(id))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_IN_USE),
				 errmsg("migration " INT64_FORMAT " is busy: its coordinator is running", id),
				 errhint("Another migrate.verify of it may be under way; try again when it has ended.")));

	if (repair)
	{
		res = migrate_state_query("SELECT max(run) FROM migrate.verify_run WHERE migration_id = $1 AND state = 'done'"
								  " AND level IN ('counts', 'checksums', 'rows')",
								  1, (Oid[]) {INT8OID}, (Datum[]) {Int64GetDatum(id)});
		if (SR_VALUE(res, 0, 0) == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("migration " INT64_FORMAT " has no verify run to repair from", id),
					 errhint("Run SELECT * FROM migrate.verify(" INT64_FORMAT ") first: repair copies again what it found different.", id)));
	}
	memset(&req, 0, sizeof(req));
	strlcpy(req.level, level_name, sizeof(req.level));
	if (!pg_strong_random(&req.token, sizeof(req.token)))
		elog(ERROR, "could not generate a random number");
	res = migrate_state_query("SELECT owner::oid FROM migrate.migration WHERE id = $1",
							  1, (Oid[]) {INT8OID}, (Datum[]) {Int64GetDatum(id)});
	if (!migrate_launch_verifier(id, GetUserNameFromId(atooid(SR_VALUE(res, 0, 0)), false), &req, &handle))
		ereport(ERROR,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("no background worker slot is free to verify migration " INT64_FORMAT, id),
				 errhint("Raise max_worker_processes, or try again when other background workers have ended.")));

	/* the run is the coordinator's; a cancel here ends it too */
	PG_TRY();
	{
		instr_time	last_notice;

		INSTR_TIME_SET_CURRENT(last_notice);
		if (WaitForBackgroundWorkerStartup(handle, &pid) != BGWH_STARTED)
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_RESOURCES),
					 errmsg("the coordinator that verifies migration " INT64_FORMAT " could not start", id)));
		while (GetBackgroundWorkerPid(handle, &pid) != BGWH_STOPPED)
		{
			instr_time	now;

			CHECK_FOR_INTERRUPTS();
			INSTR_TIME_SET_CURRENT(now);
			INSTR_TIME_SUBTRACT(now, last_notice);
			if (INSTR_TIME_GET_MILLISEC(now) >= VERIFY_NOTICE_MS)
			{
				SourceResult *p = migrate_state_query("SELECT count(*) FILTER (WHERE t.state IN ('done', 'failed')), count(*)"
													  " FROM migrate.task t JOIN migrate.verify_run r"
													  "  ON r.migration_id = t.migration_id AND r.run = t.verify_run"
													  " WHERE r.migration_id = $1 AND r.token = $2",
													  2, (Oid[]) {INT8OID, INT8OID},
													  (Datum[]) {Int64GetDatum(id), Int64GetDatum(req.token)});

				ereport(NOTICE,
						(errmsg("%s migration " INT64_FORMAT " (%s): %s of %s tasks done",
								repair ? "repairing" : "verifying", id, level_name,
								SR_VALUE(p, 0, 0), SR_VALUE(p, 0, 1))));
				INSTR_TIME_SET_CURRENT(last_notice);
			}
			(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
							 100, PG_WAIT_EXTENSION);
			ResetLatch(MyLatch);
		}
	}
	PG_CATCH();
	{
		TerminateBackgroundWorker(handle);
		PG_RE_THROW();
	}
	PG_END_TRY();

	res = migrate_state_query("SELECT run, state, error FROM migrate.verify_run WHERE migration_id = $1 AND token = $2",
							  2, (Oid[]) {INT8OID, INT8OID},
							  (Datum[]) {Int64GetDatum(id), Int64GetDatum(req.token)});
	if (res->nrows == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_IN_USE),
				 errmsg("migration " INT64_FORMAT " was not verified: another coordinator of it started at the same time", id),
				 errhint("Try again when it has ended.")));
	if (strcmp(SR_VALUE(res, 0, 1), "done") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_CONNECTION_FAILURE),
				 errmsg("%s of migration " INT64_FORMAT " failed: %s", repair ? "repair" : "verify", id,
						SR_VALUE(res, 0, 2) ? SR_VALUE(res, 0, 2) : "its coordinator stopped"),
				 errhint("The checks that ended are in migrate.verify_result (run %s).", SR_VALUE(res, 0, 0))));

	InitMaterializedSRF(fcinfo, 0);
	res = migrate_state_query(repair ?
							  "SELECT dbname::text, relation, status, source_value, target_value, detail"
							  " FROM migrate.verify_result WHERE migration_id = $1 AND run = $2::int"
							  " ORDER BY status IN " MIGRATE_VERIFY_NO_DIFFERENCE ", dbname, relation COLLATE \"C\"" :
							  "SELECT dbname::text, relation, check_name, status, source_value, target_value, detail"
							  " FROM migrate.verify_result WHERE migration_id = $1 AND run = $2::int"
							  " ORDER BY status IN " MIGRATE_VERIFY_NO_DIFFERENCE ", dbname, check_name COLLATE \"C\", relation COLLATE \"C\"",
							  2, (Oid[]) {INT8OID, TEXTOID},
							  (Datum[]) {Int64GetDatum(id), CStringGetTextDatum(SR_VALUE(res, 0, 0))});
	for (r = 0; r < res->nrows; r++)
	{
		Datum		values[7];
		bool		nulls[7];
		int			c;

		for (c = 0; c < res->ncols && c < 7; c++)
		{
			char	   *v = SR_VALUE(res, r, c);

			nulls[c] = v == NULL;
			values[c] = v ? CStringGetTextDatum(v) : (Datum) 0;
		}
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
}

PG_FUNCTION_INFO_V1(migrate_verify_sql);

/*
 * SQL: migrate.verify(migration_id, level) — the source against the
 * target, for a migration that is over; waits for the run and returns its
 * rows, differences first.
 */
Datum
migrate_verify_sql(PG_FUNCTION_ARGS)
{
	char	   *level_name;
	int			level;

	migrate_require_arg(fcinfo, 0, "migration_id");
	migrate_require_arg(fcinfo, 1, "level");
	level_name = text_to_cstring(PG_GETARG_TEXT_PP(1));
	level = migrate_verify_level(level_name);
	if (level <= MVL_NONE || level == MVL_REPAIR)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid verify level \"%s\"", level_name),
				 errhint("Valid levels are: schema, counts, checksums, rows.")));
	run_and_wait(fcinfo, PG_GETARG_INT64(0), level_name);
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(migrate_repair_sql);

/*
 * SQL: migrate.repair(migration_id) — the key ranges of every table the
 * latest verify run (counts and above) found different, copied again from
 * the source; waits for the run and returns a row a table.  Running
 * migrate.verify again proves it.
 */
Datum
migrate_repair_sql(PG_FUNCTION_ARGS)
{
	migrate_require_arg(fcinfo, 0, "migration_id");
	run_and_wait(fcinfo, PG_GETARG_INT64(0), "repair");
	return (Datum) 0;
}
