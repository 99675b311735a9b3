/*-------------------------------------------------------------------------
 *
 * api_replication.c
 *		The SQL functions of the replication method: the lag, measured on
 *		the source now; waiting for it; the cutover.
 *
 * They run in the caller's session, whose transaction the coordinator
 * cannot see into: a cutover is asked for with an advisory lock that the
 * caller holds while it waits (the coordinator sees it at once, and sees it
 * go when the caller gives up), and everything else is read from what the
 * coordinator committed.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "portability/instr_time.h"
#include "storage/latch.h"
#include "utils/datetime.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/pg_lsn.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "api.h"
#include "conninfo.h"
#include "options.h"
#include "protocol.h"
#include "replication.h"
#include "source.h"
#include "target.h"

#define POLL_MS			200
#define NOTICE_MS		5000

/* A replicated database of a migration, and its lag as the source says now. */
typedef struct LagRow
{
	char	   *dbname;
	char	   *status;
	bool		in_sync;
	char	   *cutover_lsn;
	MigrateSlotLag lag;
} LagRow;

/* The interval argument ARGNO in milliseconds; -1 when null. */
static pg_noinline int64
interval_ms(FunctionCallInfo fcinfo, int argno)
{
	Interval   *iv;
	int64		ms;

	if (PG_ARGISNULL(argno))
		return -1;
	iv = PG_GETARG_INTERVAL_P(argno);
	ms = (iv->time + (int64) iv->day * USECS_PER_DAY +
		  (int64) iv->month * DAYS_PER_MONTH * USECS_PER_DAY) / 1000;
	if (ms < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("timeout must not be negative"),
				 errhint("Give NULL to wait without a limit.")));
	return ms;
}

static double
ms_since(instr_time start)
{
	instr_time	now;

	INSTR_TIME_SET_CURRENT(now);
	INSTR_TIME_SUBTRACT(now, start);
	return INSTR_TIME_GET_MILLISEC(now);
}

static void
sleep_poll(void)
{
	(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, POLL_MS,
					 PG_WAIT_EXTENSION);
	ResetLatch(MyLatch);
	CHECK_FOR_INTERRUPTS();
}

/* Refuses to wait in a transaction that would never see the coordinator's work. */
static void
check_isolation(const char *fn)
{
	if (IsolationUsesXactSnapshot())
		ereport(ERROR,
				(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
				 errmsg("%s cannot see progress in a REPEATABLE READ or SERIALIZABLE transaction", fn),
				 errhint("Call it in a READ COMMITTED transaction, or on its own.")));
}

/* A connection to the source of migration ID, for the caller. */
static SourceConn *
connect_source(int64 id)
{
	SourceResult *res = migrate_state_query("SELECT source FROM migrate_private.source WHERE migration_id = $1",
											1, (Oid[]) {INT8OID}, (Datum[]) {Int64GetDatum(id)});
	SourceInfo *src;

	if (res->nrows == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("migration " INT64_FORMAT " has no source any more", id)));
	src = migrate_parse_source(SR_VALUE(res, 0, 0));
	src->require_password = !superuser();
	return migrate_source_connect(src, NULL, NULL);
}

/*
 * The replicated databases of migration ID with their lag, asked of the
 * source on CONN now (the state as committed; the lag live).
 */
static List *
lag_rows(int64 id, SourceConn *conn)
{
	SourceResult *res;
	List	   *rows = NIL;
	int			r;

	res = migrate_state_query("SELECT dbname, status, in_sync, slot, cutover_lsn::text FROM migrate.database_state"
							  " WHERE migration_id = $1 AND method = 'replication' AND slot IS NOT NULL"
							  " ORDER BY dbname",
							  1, (Oid[]) {INT8OID}, (Datum[]) {Int64GetDatum(id)});
	for (r = 0; r < res->nrows; r++)
	{
		LagRow	   *row = palloc0(sizeof(LagRow));

		row->dbname = SR_VALUE(res, r, 0);
		row->status = SR_VALUE(res, r, 1);
		row->in_sync = SR_VALUE(res, r, 2)[0] == 't';
		row->cutover_lsn = SR_VALUE(res, r, 4);
		if (conn != NULL)
			migrate_source_slot_lag(conn, SR_VALUE(res, r, 3), &row->lag);
		rows = lappend(rows, row);
	}
	return rows;
}

PG_FUNCTION_INFO_V1(migrate_replication_lag_sql);

/* SQL: migrate.replication_lag(id) */
Datum
migrate_replication_lag_sql(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int64		id;
	char	   *state;
	List	   *rows;
	ListCell   *lc;

	migrate_require_arg(fcinfo, 0, "migration_id");
	id = PG_GETARG_INT64(0);
	migrate_check_migration_owner(id, &state);
	InitMaterializedSRF(fcinfo, 0);
	rows = lag_rows(id, connect_source(id));
	foreach(lc, rows)
	{
		LagRow	   *row = lfirst(lc);
		Datum		values[4];
		bool		nulls[4] = {false, false, false, false};

		values[0] = CStringGetTextDatum(row->dbname);
		if (row->lag.found && row->lag.lag_bytes >= 0)
			values[1] = Int64GetDatum(row->lag.lag_bytes);
		else
			nulls[1] = true;
		if (row->lag.confirmed_lsn != NULL)
			values[2] = DirectFunctionCall1(pg_lsn_in, CStringGetDatum(row->lag.confirmed_lsn));
		else
			nulls[2] = true;
		if (row->lag.source_lsn != NULL)
			values[3] = DirectFunctionCall1(pg_lsn_in, CStringGetDatum(row->lag.source_lsn));
		else
			nulls[3] = true;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/*
 * Raises an error when migration ID is not running or has no database
 * that replicates; NAME is the function, for the message.
 */
static void
check_replicating(int64 id, const char *state, const char *name)
{
	SourceResult *res;

	if (strcmp(state, "running") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("migration " INT64_FORMAT " is %s, not running", id, state),
				 errhint("%s works on a running migration with the replication method; migrate.status says what happened.", name)));
	res = migrate_state_query("SELECT count(*) FILTER (WHERE method = 'replication')"
							  " FROM migrate.database_state WHERE migration_id = $1",
							  1, (Oid[]) {INT8OID}, (Datum[]) {Int64GetDatum(id)});
	if (atoi(SR_VALUE(res, 0, 0)) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("migration " INT64_FORMAT " replicates no database", id),
				 errdetail("Its databases are copied with the dump method: migrate.databases says why."),
				 errhint("Wait for it with migrate.wait(" INT64_FORMAT ", 'done').", id)));
}

/* The migration's state, as committed now. */
static char *
current_state(int64 id)
{
	SourceResult *res = migrate_state_query("SELECT state, error FROM migrate.migration WHERE id = $1",
											1, (Oid[]) {INT8OID}, (Datum[]) {Int64GetDatum(id)});

	if (res->nrows == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("migration " INT64_FORMAT " does not exist any more", id)));
	return SR_VALUE(res, 0, 0);
}

/*
 * Are the databases of migration ID all where they can be cut over: every
 * other database done, every replicated one replicating with its
 * subscription applying and a lag of at most MAX_LAG (-1: any)?  Sets
 * *worst to the largest lag and *waiting_for to a database that is not.
 */
static bool
all_caught_up(int64 id, SourceConn *conn, int64 max_lag, int64 *worst, char **waiting_for)
{
	SourceResult *res;
	List	   *rows;
	ListCell   *lc;
	bool		ok = true;

	*worst = 0;
	*waiting_for = NULL;
	res = migrate_state_query("SELECT dbname, status FROM migrate.database_state WHERE migration_id = $1"
							  " AND status NOT IN ('done', 'replicating', 'cutover') ORDER BY dbname LIMIT 1",
							  1, (Oid[]) {INT8OID}, (Datum[]) {Int64GetDatum(id)});
	if (res->nrows > 0)
	{
		*waiting_for = psprintf("%s (%s)", SR_VALUE(res, 0, 0), SR_VALUE(res, 0, 1));
		return false;
	}
	rows = lag_rows(id, conn);
	foreach(lc, rows)
	{
		LagRow	   *row = lfirst(lc);
		SourceResult *sub;

		if (strcmp(row->status, "done") == 0)
			continue;
		sub = migrate_state_query("SELECT s.subenabled FROM pg_catalog.pg_subscription s"
								  " JOIN pg_catalog.pg_database d ON d.oid = s.subdbid"
								  " JOIN migrate.database_state ds ON ds.subscription = s.subname AND ds.dbname = d.datname"
								  " WHERE ds.migration_id = $1 AND ds.dbname = $2",
								  2, (Oid[]) {INT8OID, TEXTOID},
								  (Datum[]) {Int64GetDatum(id), CStringGetTextDatum(row->dbname)});
		if (row->lag.found && row->lag.lag_bytes > *worst)
			*worst = row->lag.lag_bytes;
		if (!row->lag.found || row->lag.confirmed_lsn == NULL || sub->nrows == 0 ||
			SR_VALUE(sub, 0, 0)[0] != 't' ||
			(max_lag >= 0 && row->lag.lag_bytes > max_lag))
		{
			ok = false;
			if (*waiting_for == NULL)
				*waiting_for = psprintf("%s (lag %s bytes%s)", row->dbname,
										row->lag.found ? psprintf(INT64_FORMAT, row->lag.lag_bytes) : "unknown",
										sub->nrows == 0 || SR_VALUE(sub, 0, 0)[0] != 't' ?
										", its subscription is not applying" : "");
		}
	}
	return ok;
}

PG_FUNCTION_INFO_V1(migrate_wait_for_lag_sql);

/* SQL: migrate.wait_for_lag(id, max_lag_bytes, timeout) returns boolean */
Datum
migrate_wait_for_lag_sql(PG_FUNCTION_ARGS)
{
	int64		id;
	int64		max_lag;
	int64		timeout_ms;
	char	   *state;
	SourceConn *conn;
	instr_time	start;
	double		last_notice = -NOTICE_MS;
	MemoryContext outer = CurrentMemoryContext;
	MemoryContext loop_cxt;

	migrate_require_arg(fcinfo, 0, "migration_id");
	migrate_require_arg(fcinfo, 1, "max_lag_bytes");
	id = PG_GETARG_INT64(0);
	max_lag = PG_GETARG_INT64(1);
	if (max_lag < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_lag_bytes must not be negative"),
				 errhint("Give 0 to wait until the target has every change the source has.")));
	timeout_ms = interval_ms(fcinfo, 2);
	migrate_check_migration_owner(id, &state);
	check_isolation("migrate.wait_for_lag");
	check_replicating(id, state, "migrate.wait_for_lag");

	conn = connect_source(id);
	loop_cxt = AllocSetContextCreate(CurrentMemoryContext, "migrate wait_for_lag", ALLOCSET_SMALL_SIZES);
	INSTR_TIME_SET_CURRENT(start);
	for (;;)
	{
		int64		worst;
		char	   *waiting_for;
		bool		ok;

		MemoryContextReset(loop_cxt);
		MemoryContextSwitchTo(loop_cxt);
		state = current_state(id);
		if (strcmp(state, "running") != 0)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("migration " INT64_FORMAT " is %s", id, state),
					 errhint("migrate.status and migrate.errors say why.")));
		ok = all_caught_up(id, conn, max_lag, &worst, &waiting_for);
		MemoryContextSwitchTo(outer);
		if (ok)
			PG_RETURN_BOOL(true);
		if (ms_since(start) - last_notice >= NOTICE_MS)
		{
			ereport(NOTICE,
					(errmsg("migration " INT64_FORMAT ": waiting for %s", id, waiting_for)));
			last_notice = ms_since(start);
		}
		if (timeout_ms >= 0 && ms_since(start) >= timeout_ms)
			PG_RETURN_BOOL(false);
		sleep_poll();
	}
}

/* Takes (or gives back) the lock that asks the coordinator of ID to cut over. */
static bool
cutover_lock(int64 id, bool take)
{
	SourceResult *res = migrate_target_query(psprintf("SELECT pg_catalog.%s(%d, %d)",
													  take ? "pg_try_advisory_lock" : "pg_advisory_unlock",
													  MIGRATE_CUTOVER_KEY, (int32) id),
											 0, NULL, NULL);

	return strcmp(SR_VALUE(res, 0, 0), "t") == 0;
}

PG_FUNCTION_INFO_V1(migrate_cutover_sql);

/*
 * SQL: migrate.cutover(id, timeout) — asks the coordinator to cut over and
 * waits until it has: every replicated database reached the source's
 * position of now, its sequences and materialized views brought up to
 * date, the subscription, publication and slot dropped, the replica
 * identities restored, the migration done.  One row a database.
 */
Datum
migrate_cutover_sql(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int64		id;
	int64		timeout_ms;
	char	   *state;
	instr_time	start;
	MemoryContext outer = CurrentMemoryContext;
	SourceResult *res;
	int			r;

	migrate_require_arg(fcinfo, 0, "migration_id");
	id = PG_GETARG_INT64(0);
	timeout_ms = interval_ms(fcinfo, 1);
	migrate_check_migration_owner(id, &state);
	check_isolation("migrate.cutover");
	check_replicating(id, state, "migrate.cutover");
	res = migrate_state_query("SELECT dbname, status FROM migrate.database_state WHERE migration_id = $1"
							  " AND status NOT IN ('done', 'replicating', 'cutover') ORDER BY dbname LIMIT 1",
							  1, (Oid[]) {INT8OID}, (Datum[]) {Int64GetDatum(id)});
	if (res->nrows > 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("database \"%s\" of migration " INT64_FORMAT " is not replicating yet (it is %s)",
						SR_VALUE(res, 0, 0), id, SR_VALUE(res, 0, 1)),
				 errhint("Wait for the copy first: SELECT migrate.wait(" INT64_FORMAT ", 'replicating');", id)));

	if (!cutover_lock(id, true))
		ereport(ERROR,
				(errcode(ERRCODE_LOCK_NOT_AVAILABLE),
				 errmsg("another session is cutting migration " INT64_FORMAT " over", id),
				 errhint("Wait for it: SELECT migrate.wait(" INT64_FORMAT ", 'done');", id)));

	INSTR_TIME_SET_CURRENT(start);
	PG_TRY();
	{
		MemoryContext loop_cxt = AllocSetContextCreate(outer, "migrate cutover", ALLOCSET_SMALL_SIZES);
		double		last_notice = 0;

		for (;;)
		{
			MemoryContextReset(loop_cxt);
			MemoryContextSwitchTo(loop_cxt);
			state = current_state(id);
			if (strcmp(state, "done") == 0)
				break;
			if (strcmp(state, "running") != 0)
			{
				res = migrate_state_query("SELECT coalesce(error, state) FROM migrate.migration WHERE id = $1",
										  1, (Oid[]) {INT8OID}, (Datum[]) {Int64GetDatum(id)});
				ereport(ERROR,
						(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						 errmsg("migration " INT64_FORMAT " is %s: the cutover did not finish", id, state),
						 errdetail("%s", SR_VALUE(res, 0, 0)),
						 errhint("migrate.errors and migrate.databases say what is left; migrate.resume(" INT64_FORMAT ") continues.", id)));
			}
			if (timeout_ms >= 0 && ms_since(start) >= timeout_ms)
			{
				/*
				 * No longer asked for; the coordinator either calls it off
				 * (every database replicating again) or had begun it (a
				 * cutover task): wait until it says which.
				 */
				(void) cutover_lock(id, false);
				for (int waited = 0; waited < 30000 / POLL_MS; waited++)
				{
					res = migrate_state_query("SELECT (SELECT count(*) FROM migrate.task WHERE migration_id = $1 AND kind = 'cutover'),"
											  " (SELECT count(*) FROM migrate.database_state WHERE migration_id = $1 AND status = 'cutover')",
											  1, (Oid[]) {INT8OID}, (Datum[]) {Int64GetDatum(id)});
					if (atoi(SR_VALUE(res, 0, 0)) > 0 || atoi(SR_VALUE(res, 0, 1)) == 0 ||
						strcmp(current_state(id), "running") != 0)
						break;
					sleep_poll();
				}
				if (atoi(SR_VALUE(res, 0, 0)) == 0)
					ereport(ERROR,
							(errcode(ERRCODE_QUERY_CANCELED),
							 errmsg("the target did not catch up with the source within the timeout: the cutover is called off"),
							 errdetail("Replication goes on; nothing was dropped."),
							 errhint("Look at migrate.replication_lag(" INT64_FORMAT "), then call migrate.cutover again, with a longer timeout.", id)));
				ereport(ERROR,
						(errcode(ERRCODE_QUERY_CANCELED),
						 errmsg("the cutover of migration " INT64_FORMAT " did not finish within the timeout", id),
						 errdetail("The target had caught up and the cutover goes on without this call."),
						 errhint("Wait for it: SELECT migrate.wait(" INT64_FORMAT ", 'done');", id)));
			}
			if (ms_since(start) - last_notice >= NOTICE_MS)
			{
				res = migrate_state_query("SELECT string_agg(dbname || ' ' || status || coalesce(' (lag ' || lag_bytes || ' bytes)', ''), ', ' ORDER BY dbname)"
										  " FROM migrate.database_state WHERE migration_id = $1 AND status <> 'done'",
										  1, (Oid[]) {INT8OID}, (Datum[]) {Int64GetDatum(id)});
				ereport(NOTICE,
						(errmsg("migration " INT64_FORMAT ": cutting over: %s", id,
								SR_VALUE(res, 0, 0) ? SR_VALUE(res, 0, 0) : "finishing")));
				last_notice = ms_since(start);
			}
			MemoryContextSwitchTo(outer);
			sleep_poll();
		}
		MemoryContextSwitchTo(outer);
	}
	PG_CATCH();
	{
		/*
		 * A session lock outlives the error: the cutover is no longer asked
		 * for.  (Released directly: no query runs in a failed transaction.)
		 */
		(void) DirectFunctionCall2(pg_advisory_unlock_int4, Int32GetDatum(MIGRATE_CUTOVER_KEY),
								   Int32GetDatum((int32) id));
		PG_RE_THROW();
	}
	PG_END_TRY();
	(void) cutover_lock(id, false);

	InitMaterializedSRF(fcinfo, 0);
	res = migrate_state_query("SELECT d.dbname, d.cutover_lsn::text, d.status, m.cutover_seconds, m.write_pause_seconds"
							  " FROM migrate.database_state d JOIN migrate.migration m ON m.id = d.migration_id"
							  " WHERE d.migration_id = $1 ORDER BY d.dbname",
							  1, (Oid[]) {INT8OID}, (Datum[]) {Int64GetDatum(id)});
	for (r = 0; r < res->nrows; r++)
	{
		Datum		values[5];
		bool		nulls[5] = {false, false, false, false, false};

		values[0] = CStringGetTextDatum(SR_VALUE(res, r, 0));
		if (SR_VALUE(res, r, 4) != NULL)
			values[4] = DirectFunctionCall1(float8in, CStringGetDatum(SR_VALUE(res, r, 4)));
		else
			nulls[4] = true;
		if (SR_VALUE(res, r, 1) != NULL)
			values[1] = DirectFunctionCall1(pg_lsn_in, CStringGetDatum(SR_VALUE(res, r, 1)));
		else
			nulls[1] = true;
		values[2] = CStringGetTextDatum(SR_VALUE(res, r, 2));
		if (SR_VALUE(res, r, 3) != NULL)
			values[3] = DirectFunctionCall1(float8in, CStringGetDatum(SR_VALUE(res, r, 3)));
		else
			nulls[3] = true;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
