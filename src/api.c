/*-------------------------------------------------------------------------
 *
 * api.c
 *		The SQL-callable functions of the engine: start, wait, stop,
 *		resume, cancel.  Arguments and the caller's rights are checked here,
 *		before anything changes; state rows are written as the extension's
 *		owner.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <signal.h>

#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "portability/instr_time.h"
#include "storage/latch.h"
#include "access/xact.h"
#include "utils/acl.h"
#include "utils/memutils.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"

#include "api.h"
#include "conninfo.h"
#include "launcher.h"
#include "migrate.h"
#include "notify.h"
#include "options.h"
#include "protocol.h"
#include "replication.h"
#include "roles.h"
#include "source.h"
#include "state.h"
#include "target.h"
#include "validate.h"

#define WAIT_NOTICE_MS 2000

static void launch_at_commit(int64 id, Oid owner);

/*
 * What tells the source server of CONN from any other, however its address
 * is spelled (localhost, 127.0.0.1, a DNS name): its system identifier, or
 * where the source does not let its user read it, the address and port the
 * connection reached.
 */
static char *
source_identity(SourceConn *conn)
{
	SourceResult *res;
	const char *addr = PQhostaddr(conn->conn);

	res = migrate_source_query(conn,
					   "SELECT CASE WHEN pg_catalog.current_setting('server_version_num')::int >= 90600"
					   " AND pg_catalog.has_function_privilege('pg_catalog.pg_control_system()', 'EXECUTE')"
					   " THEN (SELECT system_identifier::text FROM pg_catalog.pg_control_system()) END",
					   0, NULL);
	if (SR_VALUE(res, 0, 0) != NULL)
		return psprintf("system:%s", SR_VALUE(res, 0, 0));
	return psprintf("address:%s:%s", (addr && addr[0]) ? addr : PQhost(conn->conn),
					PQport(conn->conn));
}

/*
 * Migrations run from the database that migrate.database names: their
 * coordinators connect there, and the launcher looks there.  A migration
 * started elsewhere would never run.
 */
static void
check_state_database(void)
{
	if (get_database_oid(migrate_database, true) != MyDatabaseId)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("migrations run from database \"%s\", not from \"%s\"",
						migrate_database, get_database_name(MyDatabaseId)),
				 errdetail("The background workers keep a migration's state in the database that migrate.database names."),
				 errhint("Connect to database \"%s\" and call it there (with the extension created there), or have a superuser set migrate.database.",
						 migrate_database)));
}

PG_FUNCTION_INFO_V1(migrate_check_install_database);

/*
 * Called by the install script before it creates anything: the extension
 * belongs in the database that migrate.database names, where the background
 * workers look for it (pg_cron does the same).  Created anywhere else, every
 * migration started there would wait forever.
 */
Datum
migrate_check_install_database(PG_FUNCTION_ARGS)
{
	if (IsBinaryUpgrade)
		PG_RETURN_VOID();
	if (get_database_oid(migrate_database, true) != MyDatabaseId)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the migrate extension can only be created in database \"%s\", not in \"%s\"",
						migrate_database, get_database_name(MyDatabaseId)),
				 errdetail("The background workers of migrate keep their state in the database that migrate.database names."),
				 errhint("Create it in database \"%s\", or have a superuser set migrate.database to \"%s\" in postgresql.conf (with a restart when the library is preloaded).",
						 migrate_database, get_database_name(MyDatabaseId))));
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(migrate_start);

/* SQL: migrate.start(source text, options jsonb) returns bigint */
Datum
migrate_start(PG_FUNCTION_ARGS)
{
	char	   *source;
	Jsonb	   *options;
	SourceInfo *src;
	MigrateOptions *opts;
	List	   *rows;
	ListCell   *lc;
	StringInfoData errors;
	int			nerrors = 0;
	SourceResult *res;
	int64		id;
	char	   *key;
	char	   *pinned;
	int			workers;
	char	   *dump_reason = NULL;

	migrate_require_arg(fcinfo, 0, "source");
	migrate_require_arg(fcinfo, 1, "options");
	source = text_to_cstring(PG_GETARG_TEXT_PP(0));
	options = PG_GETARG_JSONB_P(1);

	/* the source first: its password is then kept out of every report */
	src = migrate_parse_source(source);
	opts = migrate_parse_options(options);
	migrate_check_source_rules(src, GetUserId());

	/* the workers act as the caller and log in as it */
	res = migrate_state_query("SELECT rolcanlogin FROM pg_catalog.pg_roles WHERE oid = $1",
							  1, (Oid[]) {OIDOID}, (Datum[]) {ObjectIdGetDatum(GetUserId())});
	if (res->nrows == 0 || strcmp(SR_VALUE(res, 0, 0), "t") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("role \"%s\" cannot log in, so the background workers cannot act as it",
						GetUserNameFromId(GetUserId(), false)),
				 errhint("Start the migration as a role with LOGIN.")));

	/* a webhook only to where a superuser allowed, checked before anything */
	if (opts->notify_url != NULL && !migrate_notify_url_allowed(opts->notify_url))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("option \"notify_url\" names a URL that this server may not call"),
				 errdetail("migrate.notify_allowed_urls does not allow it."),
				 errhint("A superuser allows webhook URLs by prefix, for example: ALTER SYSTEM SET migrate.notify_allowed_urls = 'https://hooks.example.com/'; SELECT pg_reload_conf();")));
	migrate_check_role_options(opts);
	check_state_database();

	/* every check of validate; an error stops here, before any change */
	rows = migrate_run_checks_reason(source, options, &dump_reason);
	initStringInfo(&errors);
	foreach(lc, rows)
	{
		CheckRow   *row = lfirst(lc);

		if (strcmp(row->status, "error") != 0)
			continue;
		if (nerrors++ < 5)
			appendStringInfo(&errors, "%s%s: %s", errors.len ? "\n" : "", row->check_name, row->detail);
	}
	if (nerrors > 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the source cannot be migrated: %d check%s failed", nerrors, nerrors == 1 ? "" : "s"),
				 errdetail("%s", errors.data),
				 errhint("Run SELECT * FROM migrate.validate(...) with the same source and options for every check and what to do.")));

	/*
	 * The server that answered, pinned: every later connection and child
	 * process of the migration goes to exactly this address and port, never
	 * to another entry of a host list or to what a name resolves to later.
	 */
	{
		SourceConn *conn = migrate_source_connect(src, NULL, NULL);

		pinned = migrate_pinned_source(src, conn->conn);
		key = source_identity(conn);
		migrate_source_close(conn);
	}

	/*
	 * One migration of a server at a time.  The caller has shown that it can
	 * log in to the source; still, of another role's migration it learns
	 * only that there is one.
	 */
	res = migrate_state_query("SELECT id, state, owner::oid FROM migrate.migration"
							  " WHERE source_key = $1 AND state IN ('pending', 'running', 'stopping', 'stopped', 'cancelling')"
							  " ORDER BY id",
							  1, (Oid[]) {TEXTOID}, (Datum[]) {CStringGetTextDatum(key)});
	if (res->nrows > 0 && has_privs_of_role(GetUserId(), atooid(SR_VALUE(res, 0, 2))))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_IN_USE),
				 errmsg("migration %s of this source is %s", SR_VALUE(res, 0, 0), SR_VALUE(res, 0, 1)),
				 errhint("Wait for it, resume it with migrate.resume(%s), or cancel it with migrate.cancel(%s).",
						 SR_VALUE(res, 0, 0), SR_VALUE(res, 0, 0))));
	if (res->nrows > 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_IN_USE),
				 errmsg("another role is migrating this source server"),
				 errhint("Two migrations of one server would write the same databases; ask the role that started it, or a superuser.")));

	workers = opts->workers > 0 ? opts->workers : migrate_max_workers;
	{
		Oid			types[8] = {OIDOID, TEXTOID, TEXTOID, TEXTOID, JSONBOID, TEXTOID, INT4OID, TEXTOID};
		Datum		values[8];
		Oid			saved_user;
		int			saved_sec;

		values[0] = ObjectIdGetDatum(GetUserId());
		values[1] = CStringGetTextDatum(pinned);
		values[2] = CStringGetTextDatum(src->masked);
		values[3] = CStringGetTextDatum(key);
		values[4] = JsonbPGetDatum(options);
		values[5] = CStringGetTextDatum(opts->method == METHOD_DUMP ? "dump" :
										opts->method == METHOD_REPLICATION ? "replication" : "auto");
		values[6] = Int32GetDatum(workers);
		values[7] = CStringGetTextDatum(dump_reason ? dump_reason : "");
		GetUserIdAndSecContext(&saved_user, &saved_sec);
		SetUserIdAndSecContext(migrate_extension_owner(),
							   saved_sec | SECURITY_LOCAL_USERID_CHANGE);
		res = migrate_target_query("INSERT INTO migrate.migration (owner, source_masked, source_key,"
						   " options, method, workers, dump_reason)"
						   " VALUES ($1::regrole, $3, $4, $5, $6, $7, CASE WHEN $6 = 'auto' THEN NULLIF($8, '') END)"
						   " RETURNING id",
						   8, types, values);
		id = strtoi64(SR_VALUE(res, 0, 0), NULL, 10);
		{
			Oid			stypes[2] = {INT8OID, TEXTOID};
			Datum		svalues[2] = {Int64GetDatum(id), values[1]};

			(void) migrate_target_query("INSERT INTO migrate_private.source (migration_id, source)"
								" VALUES ($1, $2)", 2, stypes, svalues);
		}
		migrate_event(id, "pending", NULL);
		SetUserIdAndSecContext(saved_user, saved_sec);
	}

	/*
	 * The coordinator starts when this transaction commits, however long
	 * the caller takes, and not at all if it rolls back.  Without a free
	 * worker slot then, the launcher (when preloaded) or migrate.resume
	 * starts it later.
	 */
	launch_at_commit(id, GetUserId());

	PG_RETURN_INT64(id);
}

/* The owner check: the caller must be a member of the migration's owner. */
void
migrate_check_migration_owner(int64 id, char **state_out)
{
	SourceResult *res = migrate_state_query("SELECT owner::oid, state FROM migrate.migration WHERE id = $1",
									1, (Oid[]) {INT8OID}, (Datum[]) {Int64GetDatum(id)});

	if (res->nrows == 0 ||
		!has_privs_of_role(GetUserId(), atooid(SR_VALUE(res, 0, 0))))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("migration " INT64_FORMAT " does not exist", id),
				 errhint("SELECT id FROM migrate.status lists your migrations.")));
	*state_out = SR_VALUE(res, 0, 1);
}

/*
 * A migration that is over (done or failed) and has a coordinator is being
 * verified (migrate.verify): it is not resumed or cancelled under it.
 */
static void
refuse_while_verified(int64 id, const char *state)
{
	if ((strcmp(state, "done") == 0 || strcmp(state, "failed") == 0) &&
		migrate_coordinator_running(id))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_IN_USE),
				 errmsg("migration " INT64_FORMAT " is being verified", id),
				 errhint("Wait for migrate.verify to end, or cancel that call, then try again.")));
}

/* The pid of the coordinator of migration ID (holding its lock), or 0. */
static int
coordinator_pid(int64 id)
{
	SourceResult *res = migrate_target_query(psprintf("SELECT pid FROM pg_catalog.pg_locks WHERE locktype OPERATOR(pg_catalog.=) 'advisory'"
											  " AND database OPERATOR(pg_catalog.=) (SELECT oid FROM pg_catalog.pg_database"
											  "  WHERE datname OPERATOR(pg_catalog.=) pg_catalog.current_database())"
											  " AND classid OPERATOR(pg_catalog.=) %u::pg_catalog.oid"
											  " AND objid OPERATOR(pg_catalog.=) %u::pg_catalog.oid"
											  " AND objsubid OPERATOR(pg_catalog.=) 2 AND granted",
											  (uint32) MIGRATE_ADVISORY_KEY, (uint32) (int32) id),
									 0, NULL, NULL);

	return (res->nrows > 0 && SR_VALUE(res, 0, 0) != NULL) ? atoi(SR_VALUE(res, 0, 0)) : 0;
}

bool
migrate_coordinator_running(int64 id)
{
	return coordinator_pid(id) != 0;
}

/*
 * What this transaction asked of coordinators, done once it commits: a
 * coordinator started or interrupted before the request is committed would
 * not see it (and one started by a transaction that rolls back would run
 * for nothing).
 */
typedef struct PendingLaunch
{
	int64		migration_id;
	char		owner[NAMEDATALEN];
} PendingLaunch;

static List *pending_interrupts = NIL;	/* pids */
static List *pending_launches = NIL;	/* PendingLaunch * */
static bool xact_callback_set = false;

/* Transaction callback: act on the requests once they are in. */
static void
coordinators_at_commit(XactEvent event, void *arg)
{
	ListCell   *lc;

	if (event != XACT_EVENT_COMMIT && event != XACT_EVENT_ABORT &&
		event != XACT_EVENT_PARALLEL_COMMIT && event != XACT_EVENT_PARALLEL_ABORT)
		return;
	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_PARALLEL_COMMIT)
	{
		foreach(lc, pending_interrupts)
			(void) kill((pid_t) lfirst_int(lc), SIGINT);
		foreach(lc, pending_launches)
		{
			PendingLaunch *pl = lfirst(lc);
			BackgroundWorkerHandle *handle;

			if (!migrate_launch_coordinator(pl->migration_id, pl->owner, &handle))
				ereport(WARNING,
						(errmsg("no background worker slot is free to run migration " INT64_FORMAT " now",
								pl->migration_id),
						 errhint("Raise max_worker_processes; with migrate in shared_preload_libraries the migration starts once a slot is free, otherwise call migrate.resume(" INT64_FORMAT ").",
								 pl->migration_id)));
		}
	}
	list_free(pending_interrupts);
	list_free_deep(pending_launches);
	pending_interrupts = NIL;
	pending_launches = NIL;
}

static void
register_commit_callback(void)
{
	if (!xact_callback_set)
	{
		RegisterXactCallback(coordinators_at_commit, NULL);
		xact_callback_set = true;
	}
}

/* Starts the coordinator of migration ID, as OWNER, at commit. */
static void
launch_at_commit(int64 id, Oid owner)
{
	MemoryContext old;
	PendingLaunch *pl;

	register_commit_callback();
	old = MemoryContextSwitchTo(TopMemoryContext);
	pl = palloc0(sizeof(PendingLaunch));
	pl->migration_id = id;
	strlcpy(pl->owner, GetUserNameFromId(owner, false), NAMEDATALEN);
	pending_launches = lappend(pending_launches, pl);
	MemoryContextSwitchTo(old);
}

/*
 * Interrupts the coordinator of migration ID, at commit, wherever it waits
 * (a pg_dump, a lock on the source, a slow source), so that a stop or a
 * cancel acts within moments: it notices the request and ends so.
 */
static void
interrupt_coordinator(int64 id)
{
	int			pid = coordinator_pid(id);
	MemoryContext old;

	if (pid == 0)
		return;
	register_commit_callback();
	old = MemoryContextSwitchTo(TopMemoryContext);
	pending_interrupts = lappend_int(pending_interrupts, pid);
	MemoryContextSwitchTo(old);
}

/*
 * Moves migration ID to STATE if it is still in one of the states FROM
 * (comma-separated): the coordinator may have moved it meanwhile.
 */
static void
set_state(int64 id, const char *state, const char *event, const char *from)
{
	Oid			types[3] = {INT8OID, TEXTOID, TEXTOID};
	Datum		values[3] = {Int64GetDatum(id), CStringGetTextDatum(state), CStringGetTextDatum(from)};

	migrate_state_exec("UPDATE migrate.migration SET state = $2, updated_at = now(),"
					   " finished_at = CASE WHEN $2 IN ('stopped', 'cancelled') THEN now() ELSE NULL END"
					   " WHERE id = $1 AND state = ANY (string_to_array($3, ','))", 3, types, values, NULL);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("migration " INT64_FORMAT " changed state meanwhile", id),
				 errhint("Look at migrate.status and try again.")));
	migrate_event(id, event, NULL);
}

PG_FUNCTION_INFO_V1(migrate_stop);

/* SQL: migrate.stop(id) — ends the workers cleanly, keeps everything. */
Datum
migrate_stop(PG_FUNCTION_ARGS)
{
	int64		id;
	char	   *state;

	migrate_require_arg(fcinfo, 0, "migration_id");
	id = PG_GETARG_INT64(0);
	migrate_check_migration_owner(id, &state);
	if (strcmp(state, "pending") != 0 && strcmp(state, "running") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("migration " INT64_FORMAT " is %s and cannot be stopped", id, state)));
	if (migrate_coordinator_running(id))
	{
		set_state(id, "stopping", "stop_requested", "pending,running");
		interrupt_coordinator(id);
		PG_RETURN_TEXT_P(cstring_to_text("stopping"));
	}
	set_state(id, "stopped", "stopped", "pending,running");
	{
		SourceResult *res = migrate_state_query("SELECT 1 FROM migrate.database_state WHERE migration_id = $1"
												" AND method = 'replication' AND slot IS NOT NULL AND status <> 'done'",
												1, (Oid[]) {INT8OID}, (Datum[]) {Int64GetDatum(id)});

		if (res->nrows > 0)
			migrate_event(id, "replication_kept",
						  migrate_json_obj("detail", MIGRATE_REPLICATION_KEPT, NULL));
	}
	PG_RETURN_TEXT_P(cstring_to_text("stopped"));
}

PG_FUNCTION_INFO_V1(migrate_cancel);

/* SQL: migrate.cancel(id) — stops for good. */
Datum
migrate_cancel(PG_FUNCTION_ARGS)
{
	int64		id;
	char	   *state;

	migrate_require_arg(fcinfo, 0, "migration_id");
	id = PG_GETARG_INT64(0);
	migrate_check_migration_owner(id, &state);
	if (strcmp(state, "done") == 0 || strcmp(state, "cancelled") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("migration " INT64_FORMAT " is %s and cannot be cancelled", id, state)));
	refuse_while_verified(id, state);
	if (migrate_coordinator_running(id))
	{
		set_state(id, "cancelling", "cancel_requested", "pending,running,stopping,stopped,failed");
		interrupt_coordinator(id);
		PG_RETURN_TEXT_P(cstring_to_text("cancelling"));
	}
	/* replication objects to remove: a coordinator does it */
	{
		SourceResult *res = migrate_state_query("SELECT m.owner::oid FROM migrate.migration m WHERE m.id = $1"
												" AND EXISTS (SELECT 1 FROM migrate.database_state d"
												"  WHERE d.migration_id = m.id AND d.method = 'replication'"
												"  AND d.slot IS NOT NULL AND d.status <> 'done')",
												1, (Oid[]) {INT8OID}, (Datum[]) {Int64GetDatum(id)});

		if (res->nrows > 0)
		{
			set_state(id, "cancelling", "cancel_requested", "pending,running,stopping,stopped,failed,cancelling");
			launch_at_commit(id, atooid(SR_VALUE(res, 0, 0)));
			PG_RETURN_TEXT_P(cstring_to_text("cancelling"));
		}
	}
	set_state(id, "cancelled", "cancelled", "pending,running,stopping,stopped,failed,cancelling");
	PG_RETURN_TEXT_P(cstring_to_text("cancelled"));
}

PG_FUNCTION_INFO_V1(migrate_resume);

/* SQL: migrate.resume(id) — continues a stopped or failed migration. */
Datum
migrate_resume(PG_FUNCTION_ARGS)
{
	int64		id;
	char	   *state;
	Oid			owner;
	SourceResult *res;

	migrate_require_arg(fcinfo, 0, "migration_id");
	id = PG_GETARG_INT64(0);
	migrate_check_migration_owner(id, &state);
	check_state_database();
	refuse_while_verified(id, state);
	if (strcmp(state, "stopped") != 0 && strcmp(state, "failed") != 0 &&
		!(strcmp(state, "running") == 0 && !migrate_coordinator_running(id)) &&
		!(strcmp(state, "pending") == 0 && !migrate_coordinator_running(id)))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("migration " INT64_FORMAT " is %s and cannot be resumed", id, state),
				 errhint("Only a stopped or failed migration, or one whose coordinator is gone, can be resumed.")));

	{
		Oid			types[1] = {INT8OID};
		Datum		values[1] = {Int64GetDatum(id)};

		/* failed tasks get a new chance; finished ones are not redone */
		migrate_state_exec("UPDATE migrate.task SET state = 'pending', attempts = 0, retry_at = NULL,"
						   " error = NULL, finished_at = NULL, rows_copied = 0, bytes_copied = 0"
						   " WHERE migration_id = $1 AND state = 'failed'", 1, types, values, NULL);
		migrate_state_exec("UPDATE migrate.database_state SET"
						   " status = CASE WHEN EXISTS (SELECT 1 FROM migrate.task t"
						   "  WHERE t.migration_id = database_state.migration_id"
						   "  AND t.dbname = database_state.dbname) THEN 'copying' ELSE 'pending' END,"
						   " message = NULL"
						   " WHERE migration_id = $1 AND status = 'failed'", 1, types, values, NULL);
		/* running, with its coordinator gone: it did not end cleanly, say so */
		migrate_state_exec("UPDATE migrate.migration SET"
						   " state = CASE WHEN state = 'running' THEN 'running' ELSE 'pending' END,"
						   " error = NULL, finished_at = NULL, updated_at = now() WHERE id = $1",
						   1, types, values, NULL);
		migrate_event(id, "resume_requested", NULL);
		res = migrate_state_query("SELECT owner::oid FROM migrate.migration WHERE id = $1", 1, types, values);
		owner = atooid(SR_VALUE(res, 0, 0));
	}
	launch_at_commit(id, owner);
	PG_RETURN_TEXT_P(cstring_to_text("pending"));
}

/* "12.3 MB" */
static char *
pretty_size(int64 bytes)
{
	return text_to_cstring(DatumGetTextPP(DirectFunctionCall1(pg_size_pretty,
															  Int64GetDatum(bytes))));
}

PG_FUNCTION_INFO_V1(migrate_wait);

/*
 * SQL: migrate.wait(id, until, timeout) — waits for the migration to reach
 * UNTIL (copied, replicating, done) or to stop, printing a progress line
 * as a NOTICE every few seconds.  Returns the state reached.
 */
Datum
migrate_wait(PG_FUNCTION_ARGS)
{
	int64		id;
	char	   *until;
	int64		timeout_ms = -1;
	char	   *state = NULL;
	instr_time	start,
				last_notice;
	bool		first = true;
	MemoryContext outer = CurrentMemoryContext;
	MemoryContext loop_cxt;

	migrate_require_arg(fcinfo, 0, "migration_id");
	id = PG_GETARG_INT64(0);
	until = PG_ARGISNULL(1) ? "copied" : text_to_cstring(PG_GETARG_TEXT_PP(1));
	if (strcmp(until, "copied") != 0 && strcmp(until, "replicating") != 0 &&
		strcmp(until, "done") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value \"%s\" for \"until\"", until),
				 errhint("Valid values are: copied, replicating, done.")));
	if (!PG_ARGISNULL(2))
	{
		Interval   *iv = PG_GETARG_INTERVAL_P(2);

		timeout_ms = (iv->time + (int64) iv->day * USECS_PER_DAY +
					  (int64) iv->month * DAYS_PER_MONTH * USECS_PER_DAY) / 1000;
		if (timeout_ms < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("timeout must not be negative")));
	}
	migrate_check_migration_owner(id, &state);

	if (IsolationUsesXactSnapshot())
		ereport(ERROR,
				(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
				 errmsg("migrate.wait cannot see progress in a REPEATABLE READ or SERIALIZABLE transaction"),
				 errhint("Call it in a READ COMMITTED transaction, or on its own.")));

	loop_cxt = AllocSetContextCreate(CurrentMemoryContext, "migrate wait", ALLOCSET_SMALL_SIZES);
	INSTR_TIME_SET_CURRENT(start);
	INSTR_TIME_SET_CURRENT(last_notice);
	for (;;)
	{
		SourceResult *res;
		instr_time	now;
		double		since_notice;
		double		elapsed;

		CHECK_FOR_INTERRUPTS();
		MemoryContextSwitchTo(outer);
		MemoryContextReset(loop_cxt);
		MemoryContextSwitchTo(loop_cxt);
		res = migrate_state_query("SELECT state, phase, coalesce(percent, 0), bytes_copied, coalesce(bytes_total, 0),"
						  " coalesce(bytes_per_second, 0), eta::text, tables_done, tables_total,"
						  " databases_done, databases_total, error"
						  " FROM migrate.status WHERE id = $1",
						  1, (Oid[]) {INT8OID}, (Datum[]) {Int64GetDatum(id)});
		if (res->nrows == 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("migration " INT64_FORMAT " does not exist any more", id)));
		state = MemoryContextStrdup(outer, SR_VALUE(res, 0, 0));

		INSTR_TIME_SET_CURRENT(now);
		INSTR_TIME_SUBTRACT(now, last_notice);
		since_notice = INSTR_TIME_GET_MILLISEC(now);
		if (first || since_notice >= WAIT_NOTICE_MS)
		{
			ereport(NOTICE,
					(errmsg("migration " INT64_FORMAT ": %s, %s, %s%% (%s of %s), %s/s, ETA %s, tables %s/%s, databases %s/%s",
							id, state, SR_VALUE(res, 0, 1), SR_VALUE(res, 0, 2),
							pretty_size(strtoi64(SR_VALUE(res, 0, 3), NULL, 10)),
							pretty_size(strtoi64(SR_VALUE(res, 0, 4), NULL, 10)),
							pretty_size(strtoi64(SR_VALUE(res, 0, 5), NULL, 10)),
							SR_VALUE(res, 0, 6) ? SR_VALUE(res, 0, 6) : "-",
							SR_VALUE(res, 0, 7), SR_VALUE(res, 0, 8),
							SR_VALUE(res, 0, 9), SR_VALUE(res, 0, 10))));
			INSTR_TIME_SET_CURRENT(last_notice);
			first = false;
		}

		/*
		 * copied: every database done, or replicating; replicating: every
		 * replicated database in sync, the others done.  (The dump method
		 * is copied, and has nothing to replicate, when done.)
		 */
		if (strcmp(state, "running") == 0 && strcmp(until, "done") != 0)
		{
			SourceResult *dbs = migrate_state_query("SELECT count(*) FILTER (WHERE status NOT IN ('done', 'replicating', 'cutover')),"
													" count(*) FILTER (WHERE status = 'replicating' AND NOT in_sync),"
													" count(*) FILTER (WHERE method = 'replication')"
													" FROM migrate.databases WHERE migration_id = $1",
													1, (Oid[]) {INT8OID}, (Datum[]) {Int64GetDatum(id)});

			if (atoi(SR_VALUE(dbs, 0, 0)) == 0 && atoi(SR_VALUE(dbs, 0, 2)) > 0 &&
				(strcmp(until, "copied") == 0 || atoi(SR_VALUE(dbs, 0, 1)) == 0))
			{
				state = MemoryContextStrdup(outer, until);
				break;
			}
		}
		if (strcmp(state, "done") == 0 || strcmp(state, "failed") == 0 ||
			strcmp(state, "stopped") == 0 || strcmp(state, "cancelled") == 0)
		{
			if (strcmp(state, "failed") == 0)
				ereport(NOTICE,
						(errmsg("migration " INT64_FORMAT " failed: %s", id,
								SR_VALUE(res, 0, 11) ? SR_VALUE(res, 0, 11) : "see migrate.errors")));
			break;
		}

		INSTR_TIME_SET_CURRENT(now);
		INSTR_TIME_SUBTRACT(now, start);
		elapsed = INSTR_TIME_GET_MILLISEC(now);
		if (timeout_ms >= 0 && elapsed >= timeout_ms)
			break;

		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 100, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
	MemoryContextSwitchTo(outer);
	PG_RETURN_TEXT_P(cstring_to_text(state));
}
