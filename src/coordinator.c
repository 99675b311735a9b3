/*-------------------------------------------------------------------------
 *
 * coordinator.c
 *		One dynamic background worker a migration, and its loop: the roles
 *		first, then every database moved along its steps (steps.c) while
 *		the tasks they plan (plan.c) go to a pool of copy workers
 *		(dispatch.c, pool.c); the end of the migration, asked for or not.
 *
 * It connects to the database that holds the state, as the migration's
 * owner, and holds an advisory lock for its lifetime so that no two
 * coordinators ever run the same migration.  Everything it knows is in the
 * state tables: killed at any point, it is started again (by the launcher,
 * or by migrate.resume) and continues from there.  A task whose outcome is
 * unknown (its worker died) is run again from nothing: a whole-table copy
 * truncates the table in its own transaction, and all parts of a split
 * table are copied again, the first one truncating it.  The files of the
 * coordinator are listed in coordinator.h.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "conninfo.h"
#include "coordinator.h"
#include "dispatch.h"
#include "launcher.h"
#include "migrate.h"
#include "options.h"
#include "plan.h"
#include "pool.h"
#include "protocol.h"
#include "redact.h"
#include "replication.h"
#include "roles.h"
#include "scheduler.h"
#include "schema.h"
#include "source.h"
#include "state.h"
#include "steps.h"
#include "target.h"
#include "verify.h"

/* How often the loop looks at the state when no worker said anything. */
#define MIGRATE_STOP_CHECK_MS	500

Coordinator migrate_coord;

/* The state the user asked for: stopping or cancelling, or NULL. */
static char *
requested_stop(void)
{
	SourceResult *res;

	migrate_tx_begin();
	res = migrate_coord_query("SELECT state FROM migrate.migration WHERE id = $1::bigint",
					  1, (const char *[]) {migrate_coord_id()});
	migrate_tx_commit();
	if (res->nrows == 0)
		return "cancelling";
	if (strcmp(SR_VALUE(res, 0, 0), "stopping") == 0 ||
		strcmp(SR_VALUE(res, 0, 0), "cancelling") == 0)
		return SR_VALUE(res, 0, 0);
	return NULL;
}

/*
 * A cutover's fence on the source goes with a migration that ends any other
 * way than done; a failure to take it away is an event, not the end.
 */
static void
unfence_all(void *arg)
{
	migrate_unfence_databases();
}

static void
unfence_quietly(void)
{
	char	   *failure = migrate_run_catching(unfence_all, NULL);

	if (failure != NULL)
	{
		migrate_tx_begin();
		migrate_coord_event("warning",
							migrate_json_obj("message", psprintf("the fence on the source could not be taken away: %s;"
																 " ALTER DATABASE ... RESET default_transaction_read_only there",
																 failure), NULL));
		migrate_tx_commit();
	}
}

/*
 * Ends the migration in STATE (stopped, cancelled, done, failed).  A
 * cancel removes the replication objects; a stop keeps them, and says so.
 */
static void
finish(const char *state, const char *error)
{
	const char *args[3] = {migrate_coord_id(), state, error};

	migrate_pool_stop();
	if (strcmp(state, "done") != 0 && migrate_coord.source != NULL)
		unfence_quietly();
	if (strcmp(state, "cancelled") == 0 && migrate_coord.source != NULL)
		migrate_remove_replication();
	else if (strcmp(state, "done") != 0 && migrate_has_replication())
	{
		migrate_tx_begin();
		migrate_coord_event("replication_kept",
							migrate_json_obj("detail", MIGRATE_REPLICATION_KEPT, NULL));
		migrate_tx_commit();
	}
	migrate_tx_begin();
	/* tasks in flight were rolled back with their workers */
	migrate_coord_exec("UPDATE migrate.task t SET state = 'pending', rows_copied = 0, bytes_copied = 0, started_at = NULL"
			   " FROM migrate.task x WHERE x.migration_id = $1::bigint AND x.state = 'running'"
			   " AND t.migration_id = x.migration_id"
			   " AND (t.id = x.id OR (x.kind = 'copy' AND x.parts > 1 AND t.kind = 'copy'"
			   "  AND t.dbname = x.dbname AND t.schema_name = x.schema_name AND t.table_name = x.table_name))",
			   1, args);
	migrate_coord_exec("UPDATE migrate.migration SET state = $2, error = $3,"
			   " phase = CASE WHEN $2 = 'done' THEN 'done' ELSE phase END,"
			   " finished_at = CASE WHEN $2 IN ('done', 'failed', 'cancelled', 'stopped') THEN now() END,"
			   " cutover_seconds = CASE WHEN $2 = 'done' AND cutover_started_at IS NOT NULL"
			   "  THEN EXTRACT(epoch FROM now() - cutover_started_at)::float8 END,"
			   " updated_at = now() WHERE id = $1::bigint",
			   3, args);
	migrate_coord_event(state, error ? migrate_json_obj("error", error, NULL) : NULL);
	migrate_tx_commit();
}

/*
 * A connection to the source (database DBNAME, NULL: the one the source
 * string names), tried again with back-off while the failure is transient:
 * a source that restarts for a few seconds does not fail the migration.
 */
static SourceConn *
connect_with_retry(const char *dbname)
{
	volatile int attempt;

	for (attempt = 1;; attempt++)
	{
		MemoryContext cxt = CurrentMemoryContext;
		SourceConn *volatile conn = NULL;
		ErrorData  *volatile edata = NULL;

		PG_TRY();
		{
			conn = migrate_source_connect(migrate_coord.source, dbname, NULL);
		}
		PG_CATCH();
		{
			MemoryContextSwitchTo(cxt);
			edata = CopyErrorData();
			if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED ||
				!migrate_sqlstate_transient(unpack_sql_state(edata->sqlerrcode)) ||
				attempt >= MIGRATE_MAX_DB_ATTEMPTS)
				PG_RE_THROW();
			FlushErrorState();
		}
		PG_END_TRY();
		if (conn != NULL)
			return conn;

		migrate_retry_event(dbname, edata, attempt, migrate_backoff_seconds(attempt - 1));
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 migrate_backoff_seconds(attempt - 1) * 1000L, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
}

/*
 * The migration's source (from migrate_coord.source_string) and its
 * options (OPTIONS, as text), parsed; in a transaction.
 */
static void
load_source_and_options(const char *options)
{
	migrate_coord.source = migrate_parse_source(migrate_coord.source_string);
	migrate_coord.source->require_password = !superuser_arg(migrate_coord.owner);
	migrate_coord.options = migrate_parse_options(DatumGetJsonbP(DirectFunctionCall1(jsonb_in,
																					 CStringGetDatum(options))));
}

/* Copies the roles once, as the owner, with the migration's id. */
static void
roles_step(void)
{
	SourceResult *res;

	if (!migrate_coord.options->roles)
		return;
	migrate_set_phase("roles");
	migrate_tx_begin();
	res = migrate_coord_query("SELECT 1 FROM migrate.roles WHERE migration_id = $1::bigint LIMIT 1",
					  1, (const char *[]) {migrate_coord_id()});
	if (res->nrows == 0)
	{
		MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "migrate roles",
												  ALLOCSET_DEFAULT_SIZES);
		MemoryContext old = MemoryContextSwitchTo(cxt);
		SourceConn *conn;
		List	   *results;
		ListCell   *lc;
		int			created = 0,
					failed = 0;

		conn = connect_with_retry(NULL);
		results = migrate_copy_roles(conn, migrate_coord.options);
		migrate_source_close(conn);
		migrate_record_roles(migrate_coord.migration_id, results);
		foreach(lc, results)
		{
			RoleCopyResult *rr = lfirst(lc);

			if (strcmp(rr->status, "created") == 0)
				created++;
			else if (strcmp(rr->status, "failed") == 0)
				failed++;
		}
		migrate_coord_event("roles",
					  migrate_json_obj("created", psprintf("%d", created),
							   "failed", psprintf("%d", failed), NULL));
		MemoryContextSwitchTo(old);
	}
	migrate_tx_commit();
}

/* Entry point of a coordinator; MAIN_ARG is the migration id. */
void
migrate_coordinator_main(Datum main_arg)
{
	SourceResult *res;
	char		owner_name[NAMEDATALEN];
	int			tries;
	MemoryContext loop_context;
	volatile TimestampTz last_stop_check = 0;
	volatile TimestampTz last_advance = 0;

	migrate_coord.migration_id = DatumGetInt64(main_arg);
	pqsignal(SIGTERM, die);
	/* migrate.stop and migrate.cancel interrupt whatever it waits on */
	pqsignal(SIGINT, StatementCancelHandler);
	BackgroundWorkerUnblockSignals();

	memcpy(owner_name, MyBgworkerEntry->bgw_extra, NAMEDATALEN);
	owner_name[NAMEDATALEN - 1] = '\0';
	BackgroundWorkerInitializeConnection(migrate_database, owner_name, 0);
	/* nothing but pg_catalog (and our own qualified names) is looked up */
	SetConfigOption("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION);
	SetConfigOption("application_name", "migrate coordinator", PGC_USERSET, PGC_S_SESSION);
	migrate_coord.cxt = AllocSetContextCreate(TopMemoryContext, "migrate coordinator",
										  ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(migrate_coord.cxt);

	/* one coordinator a migration */
	migrate_tx_begin();
	res = migrate_target_query(psprintf("SELECT pg_catalog.pg_try_advisory_lock(%d, %d)",
								MIGRATE_ADVISORY_KEY, (int32) migrate_coord.migration_id), 0, NULL, NULL);
	migrate_tx_commit();
	if (strcmp(SR_VALUE(res, 0, 0), "t") != 0)
		proc_exit(0);

	/*
	 * start() and resume() launch us once their transaction has committed;
	 * the launcher, for rows that are there.  A row that is not there was
	 * deleted with its migration.
	 */
	for (tries = 0;; tries++)
	{
		migrate_tx_begin();
		res = migrate_coord_query("SELECT s.source, m.options::text, m.state, m.workers, m.owner::oid"
						  " FROM migrate.migration m JOIN migrate_private.source s ON s.migration_id = m.id"
						  " WHERE m.id = $1::bigint",
						  1, (const char *[]) {migrate_coord_id()});
		migrate_tx_commit();
		if (res->nrows > 0 || tries >= 10)
			break;
		/* (a second look or two costs nothing) */
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 10,
						 PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
	if (res->nrows == 0)
		proc_exit(0);

	migrate_coord.source_string = pstrdup(SR_VALUE(res, 0, 0));
	migrate_coord.owner = atooid(SR_VALUE(res, 0, 4));
	migrate_coord.max_workers = Min(atoi(SR_VALUE(res, 0, 3)), MIGRATE_MAX_SLOTS);

	/* migrate.verify: a run of the databases, then out */
	{
		VerifyRequest req;

		memcpy(&req, MyBgworkerEntry->bgw_extra + NAMEDATALEN, sizeof(req));
		req.level[sizeof(req.level) - 1] = '\0';
		if (req.level[0] != '\0')
		{
			if (strcmp(SR_VALUE(res, 0, 2), "done") != 0 && strcmp(SR_VALUE(res, 0, 2), "failed") != 0)
				proc_exit(0);
			migrate_tx_begin();
			migrate_check_library_version();
			load_source_and_options(SR_VALUE(res, 0, 1));
			migrate_tx_commit();
			migrate_verify_coordinate(&req);
			proc_exit(0);
		}
	}

	if (strcmp(SR_VALUE(res, 0, 2), "stopping") == 0)
	{
		finish("stopped", NULL);
		proc_exit(0);
	}
	if (strcmp(SR_VALUE(res, 0, 2), "cancelling") == 0)
	{
		/* (a cancel asked for while no coordinator ran: its objects go now) */
		migrate_tx_begin();
		load_source_and_options(SR_VALUE(res, 0, 1));
		migrate_tx_commit();
		finish("cancelled", NULL);
		proc_exit(0);
	}
	if (strcmp(SR_VALUE(res, 0, 2), "pending") != 0 &&
		strcmp(SR_VALUE(res, 0, 2), "running") != 0)
		proc_exit(0);

	PG_TRY();
	{
		SourceConn *conn;
		bool		resumed = strcmp(SR_VALUE(res, 0, 2), "running") == 0;
		Jsonb	   *opts;

		migrate_tx_begin();
		migrate_check_library_version();
		opts = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(SR_VALUE(res, 0, 1))));
		migrate_coord.source = migrate_parse_source(migrate_coord.source_string);
		migrate_coord.source->require_password = !superuser_arg(migrate_coord.owner);
		migrate_coord.options = migrate_parse_options(opts);
		/* tasks in flight when the last coordinator stopped: outcome unknown */
		{
			SourceResult *running = migrate_coord_query("SELECT id FROM migrate.task"
												" WHERE migration_id = $1::bigint AND state = 'running'",
												1, (const char *[]) {migrate_coord_id()});
			int			r;

			for (r = 0; r < running->nrows; r++)
				migrate_task_unknown(strtoi64(SR_VALUE(running, r, 0), NULL, 10));
		}

		/*
		 * The last coordinator did not end cleanly (a crash, a kill, a
		 * restart).  Crash recovery empties unlogged tables: those already
		 * copied are copied again.
		 */
		migrate_coord_exec(psprintf("UPDATE migrate.task SET state = 'pending', rows_copied = 0, bytes_copied = 0,"
							" started_at = NULL, finished_at = NULL"
							" WHERE migration_id = $1::bigint AND kind = 'copy' AND unlogged AND state = 'done'"
							" AND (%s OR finished_at < pg_postmaster_start_time())"
							" AND dbname IN (SELECT dbname FROM migrate.database_state"
							"  WHERE migration_id = $1::bigint AND status <> 'done')",
							resumed ? "true" : "false"),
				   1, (const char *[]) {migrate_coord_id()});
		migrate_coord_exec("UPDATE migrate.migration SET state = 'running', updated_at = now()"
				   " WHERE id = $1::bigint", 1, (const char *[]) {migrate_coord_id()});
		migrate_coord_event(resumed ? "resumed" : "running", NULL);
		migrate_tx_commit();

		migrate_clean_tmp_dir();
		conn = connect_with_retry(NULL);
		migrate_coord.source_version = migrate_source_server_version(conn);
		migrate_source_close(conn);

		roles_step();
		migrate_plan_databases();
		migrate_tx_begin();
		migrate_sched_load(migrate_coord.migration_id);
		migrate_tx_commit();

		loop_context = AllocSetContextCreate(migrate_coord.cxt, "migrate loop",
											 ALLOCSET_DEFAULT_SIZES);
		for (;;)
		{
			char	   *stop;
			bool		finished;
			bool		heard;
			TimestampTz now;

			CHECK_FOR_INTERRUPTS();
			MemoryContextSwitchTo(migrate_coord.cxt);
			MemoryContextReset(loop_context);
			MemoryContextSwitchTo(loop_context);
			heard = migrate_pool_poll();
			now = GetCurrentTimestamp();
			/* the results' writes commit with the next claims, or now */
			if (!heard)
				migrate_round_tx_end();

			/*
			 * stop and cancel interrupt the coordinator when they commit; the
			 * state is read again now and then all the same.
			 */
			if (TimestampDifferenceExceeds(last_stop_check, now, MIGRATE_STOP_CHECK_MS))
			{
				last_stop_check = now;
				migrate_round_tx_end();
				if ((stop = requested_stop()) != NULL)
				{
					finish(strcmp(stop, "stopping") == 0 ? "stopped" : "cancelled", NULL);
					break;
				}
			}

			/*
			 * The databases move on when a result may have ended a step (the
			 * last copy or task of a database, a failure), and now and then
			 * (a retry's back-off ending, a database dropped by hand); a
			 * result that ends no step only frees its worker for the next
			 * task.  A round that heard nothing costs no transaction.
			 */
			if (migrate_sched_step_due() ||
				TimestampDifferenceExceeds(last_advance, now, MIGRATE_ADVANCE_MS))
			{
				migrate_round_tx_end();
				last_advance = now;
				finished = migrate_advance_databases();
				if (finished && migrate_pool_live() == 0)
				{
					SourceResult *failed;

					migrate_tx_begin();
					failed = migrate_coord_query("SELECT string_agg(dbname || ': ' || coalesce(message, 'failed'), '; ')"
												 " FROM migrate.database_state"
												 " WHERE migration_id = $1::bigint AND status = 'failed'",
												 1, (const char *[]) {migrate_coord_id()});
					migrate_tx_commit();
					if (SR_VALUE(failed, 0, 0) != NULL)
						finish("failed", SR_VALUE(failed, 0, 0));
					else
						finish("done", NULL);
					break;
				}
				if (finished)
					migrate_pool_dismiss_idle(NULL);
				else
					migrate_dispatch();
			}
			else if (heard)
				migrate_dispatch();
			migrate_round_tx_end();

			(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
							 MIGRATE_ADVANCE_MS, PG_WAIT_EXTENSION);
			ResetLatch(MyLatch);
		}
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		char	   *stop;

		HOLD_INTERRUPTS();
		MemoryContextSwitchTo(migrate_coord.cxt);
		edata = CopyErrorData();
		if (edata->sqlerrcode != ERRCODE_QUERY_CANCELED)
			EmitErrorReport();
		FlushErrorState();
		AbortCurrentTransaction();
		RESUME_INTERRUPTS();
		/* (a shutdown of this server is a FATAL and never comes here) */
		stop = edata->sqlerrcode == ERRCODE_QUERY_CANCELED ? requested_stop() : NULL;
		if (stop != NULL)
			finish(strcmp(stop, "stopping") == 0 ? "stopped" : "cancelled", NULL);
		else
			finish("failed", migrate_redact(edata->message));
	}
	PG_END_TRY();
	proc_exit(0);
}

