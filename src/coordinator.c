/*-------------------------------------------------------------------------
 *
 * coordinator.c
 *		One dynamic background worker a migration: runs its state machine
 *		(roles, databases, schema, copy, indexes, sequences, analyze), plans
 *		the tasks into migrate.task, and hands them to a pool of copy
 *		workers, bound to the database they work on.
 *
 * It connects to the database that holds the state, as the migration's
 * owner, and holds an advisory lock for its lifetime so that no two
 * coordinators ever run the same migration.  Everything it knows is in the
 * state tables: killed at any point, it is started again (by the launcher,
 * or by migrate.resume) and continues from there.  A task whose outcome is
 * unknown (its worker died) is run again from nothing: a whole-table copy
 * truncates the table in its own transaction, and all parts of a split
 * table are copied again, the first one truncating it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "storage/shm_toc.h"
#include "tcop/tcopprot.h"
#include "tcop/utility.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "mb/pg_wchar.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "engine.h"
#include "tasks.h"

#define MAX_ATTEMPTS	5
#define MAX_SLOTS		64
#define MAX_DB_ATTEMPTS	8		/* a database step's tries on transient errors */
#define MAX_BACKOFF_S	30

typedef struct WorkerSlot
{
	bool		in_use;
	BackgroundWorkerHandle *handle;
	dsm_segment *seg;
	shm_mq_handle *tasks;
	shm_mq_handle *results;
	char		dbname[NAMEDATALEN];
	int64		task_id;		/* 0 when idle */
	char		task_kind;
	bool		exiting;
} WorkerSlot;

typedef struct DbState
{
	char	   *name;
	char	   *status;
	MemoryContext cxt;			/* holds the snapshot connection */
	SourceConn *snap_conn;
	char	   *snapshot;
	int			attempts;		/* failed tries of its current step */
	TimestampTz retry_at;		/* not before then */
	bool		dispatchable;	/* planned and not finished: its tasks may run */
} DbState;

static int64 migration_id;
static SourceInfo *source;
static char *source_string;
static MigrateOptions *options;
static int	source_version;
static int	max_workers;
static WorkerSlot slots[MAX_SLOTS];
static List *dbstates = NIL;
static MemoryContext coord_context;

static void flush_notices(void);
static bool sqlstate_transient(const char *sqlstate);

/* ---- small transactions on the state --------------------------------- */

/*
 * Transactions leave the caller's memory context current: what a step
 * reads outlives the transaction that read it.
 */
static void
begin_tx(void)
{
	MemoryContext cxt = CurrentMemoryContext;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	MemoryContextSwitchTo(cxt);
}

static void
commit_tx(void)
{
	MemoryContext cxt = CurrentMemoryContext;

	PopActiveSnapshot();
	CommitTransactionCommand();
	MemoryContextSwitchTo(cxt);
	flush_notices();
}

/*
 * One transaction for all that a round of results writes: begun by the
 * first result that needs it, committed by round_tx_end.
 */
static bool round_tx_open = false;

static void
round_tx_begin(void)
{
	if (!round_tx_open)
	{
		begin_tx();
		round_tx_open = true;
	}
}

static void
round_tx_end(void)
{
	if (round_tx_open)
	{
		round_tx_open = false;
		commit_tx();
	}
}

/* Runs one state statement with text parameters, as the extension owner. */
static void
state_exec(const char *sql, int nargs, const char **args)
{
	Oid		   *types = palloc(sizeof(Oid) * Max(nargs, 1));
	Datum	   *values = palloc(sizeof(Datum) * Max(nargs, 1));
	char	   *nulls = palloc(Max(nargs, 1) + 1);
	int			i;

	for (i = 0; i < nargs; i++)
	{
		types[i] = TEXTOID;
		values[i] = args[i] ? CStringGetTextDatum(args[i]) : (Datum) 0;
		nulls[i] = args[i] ? ' ' : 'n';
	}
	nulls[nargs] = '\0';
	migrate_state_exec(sql, nargs, types, values, nulls);
}

/* The same in a transaction of its own. */
static void
state_exec_tx(const char *sql, int nargs, const char **args)
{
	begin_tx();
	state_exec(sql, nargs, args);
	commit_tx();
}

/* Rows of a state query (text parameters), as the extension owner. */
static SourceResult *
state_query(const char *sql, int nargs, const char **args)
{
	Oid		   *types = palloc(sizeof(Oid) * Max(nargs, 1));
	Datum	   *values = palloc(sizeof(Datum) * Max(nargs, 1));
	int			i;

	for (i = 0; i < nargs; i++)
	{
		types[i] = TEXTOID;
		values[i] = CStringGetTextDatum(args[i]);
	}
	return migrate_state_query(sql, nargs, types, values);
}

static char *
id_text(void)
{
	return psprintf(INT64_FORMAT, migration_id);
}

/* Records an event; DETAIL_JSON is a JSON object's text (or NULL). */
void
migrate_event(int64 id, const char *kind, const char *detail_json)
{
	const char *args[3];

	args[0] = psprintf(INT64_FORMAT, id);
	args[1] = kind;
	args[2] = detail_json ? detail_json : "{}";
	state_exec("INSERT INTO migrate.event (migration_id, kind, detail)"
			   " VALUES ($1::bigint, $2, $3::jsonb)", 3, args);
}

/* A JSON object of string pairs: key, value, key, value, ..., NULL. */
static char *
json_obj(const char *first,...)
{
	StringInfoData buf;
	va_list		args;
	const char *k;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	va_start(args, first);
	for (k = first; k != NULL; k = va_arg(args, const char *))
	{
		const char *v = va_arg(args, const char *);

		if (buf.len > 1)
			appendStringInfoString(&buf, ", ");
		escape_json(&buf, k);
		appendStringInfoString(&buf, ": ");
		if (v)
			escape_json(&buf, v);
		else
			appendStringInfoString(&buf, "null");
	}
	va_end(args);
	appendStringInfoChar(&buf, '}');
	return buf.data;
}

/* Webhook documents waiting for the end of the transaction that made them. */
static List *pending_notices = NIL;
static bool flushing_notices = false;

/* The text of KEY in the JSON object DETAIL_JSON, or NULL. */
static char *
json_field(const char *detail_json, const char *key)
{
	Jsonb	   *jb;
	JsonbValue	k;
	JsonbValue *v;

	if (detail_json == NULL)
		return NULL;
	jb = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(detail_json)));
	k.type = jbvString;
	k.val.string.val = (char *) key;
	k.val.string.len = strlen(key);
	v = findJsonbValueFromContainer(&jb->root, JB_FOBJECT, &k);
	if (v == NULL || v->type != jbvString)
		return NULL;
	return pnstrdup(v->val.string.val, v->val.string.len);
}

/*
 * Records an event of this migration and, when the migration has a
 * notify_url, prepares its webhook (sent once the transaction commits).
 * Every state change and every failure is sent; warnings and retries are
 * only recorded.
 */
static void
coord_event(const char *kind, const char *detail_json)
{
	SourceResult *res;
	StringInfoData body;
	MemoryContext old;
	char	   *database;
	char	   *error;

	migrate_event(migration_id, kind, detail_json);
	if (options == NULL || options->notify_url == NULL ||
		strcmp(kind, "warning") == 0 || strcmp(kind, "task_retry") == 0)
		return;

	res = state_query("SELECT state, phase, percent::text,"
					  " to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
					  " FROM migrate.status WHERE id = $1::bigint",
					  1, (const char *[]) {id_text()});
	if (res->nrows == 0)
		return;
	database = json_field(detail_json, "database");
	error = json_field(detail_json, "error");

	initStringInfo(&body);
	appendStringInfo(&body, "{\"migration_id\": " INT64_FORMAT ", \"event\": ", migration_id);
	escape_json(&body, kind);
	appendStringInfoString(&body, ", \"state\": ");
	escape_json(&body, SR_VALUE(res, 0, 0));
	appendStringInfoString(&body, ", \"phase\": ");
	escape_json(&body, SR_VALUE(res, 0, 1));
	appendStringInfoString(&body, ", \"database\": ");
	if (database)
		escape_json(&body, database);
	else
		appendStringInfoString(&body, "null");
	appendStringInfo(&body, ", \"percent\": %s, \"error\": ",
					 SR_VALUE(res, 0, 2) ? SR_VALUE(res, 0, 2) : "null");
	if (error)
		escape_json(&body, migrate_redact(error));
	else
		appendStringInfoString(&body, "null");
	appendStringInfoString(&body, ", \"at\": ");
	escape_json(&body, SR_VALUE(res, 0, 3));
	appendStringInfoChar(&body, '}');

	old = MemoryContextSwitchTo(coord_context);
	pending_notices = lappend(pending_notices, pstrdup(body.data));
	MemoryContextSwitchTo(old);
}

/*
 * Sends the webhooks prepared by committed transactions.  A delivery that
 * fails is an event of its own, never a failure of the migration.
 */
static void
flush_notices(void)
{
	List	   *batch;
	ListCell   *lc;

	if (flushing_notices || pending_notices == NIL)
		return;
	flushing_notices = true;
	batch = pending_notices;
	pending_notices = NIL;
	foreach(lc, batch)
	{
		char	   *failure = migrate_notify_post(options->notify_url, lfirst(lc));

		if (failure != NULL)
		{
			SetCurrentStatementStartTimestamp();
			StartTransactionCommand();
			PushActiveSnapshot(GetTransactionSnapshot());
			migrate_event(migration_id, "notify_failed", json_obj("error", failure, NULL));
			PopActiveSnapshot();
			CommitTransactionCommand();
		}
	}
	list_free_deep(batch);
	flushing_notices = false;
}

static void
set_phase(const char *phase)
{
	const char *args[2] = {id_text(), phase};

	state_exec_tx("UPDATE migrate.migration SET phase = $2, updated_at = now()"
				  " WHERE id = $1::bigint AND phase IS DISTINCT FROM $2", 2, args);
}

/*
 * Runs a utility statement that refuses a transaction block (CREATE
 * DATABASE) as a top-level statement, the way exec_simple_query does.
 */
void
migrate_exec_toplevel(const char *sql)
{
	List	   *parsetrees = pg_parse_query(sql);
	ListCell   *lc;

	foreach(lc, parsetrees)
	{
		RawStmt    *raw = lfirst_node(RawStmt, lc);
		List	   *querytrees;
		List	   *plans;

		querytrees = pg_analyze_and_rewrite_fixedparams(raw, sql, NULL, 0, NULL);
		plans = pg_plan_queries(querytrees, sql, CURSOR_OPT_PARALLEL_OK, NULL);
		ProcessUtility(linitial_node(PlannedStmt, plans), sql, false,
					   PROCESS_UTILITY_TOPLEVEL, NULL, NULL, None_Receiver, NULL);
	}
}

/* ---- workers ------------------------------------------------------- */

static int
live_slots(void)
{
	int			i,
				n = 0;

	for (i = 0; i < max_workers; i++)
		if (slots[i].in_use)
			n++;
	return n;
}

static void
free_slot(WorkerSlot *slot)
{
	if (slot->seg != NULL)
		dsm_detach(slot->seg);
	if (slot->handle != NULL)
		pfree(slot->handle);
	memset(slot, 0, sizeof(WorkerSlot));
}

/* Starts a copy worker for DBNAME; NULL when no worker slot is free now. */
static WorkerSlot *
start_worker(const char *dbname, Oid dboid, Oid owner)
{
	WorkerSlot *slot = NULL;
	shm_toc_estimator e;
	shm_toc    *toc;
	Size		size;
	Size		shared_size = offsetof(WorkerShared, source) + strlen(source_string) + 1;
	WorkerShared *shared;
	shm_mq	   *mq;
	BackgroundWorker bgw;
	int			i;
	MemoryContext old;

	for (i = 0; i < max_workers; i++)
		if (!slots[i].in_use)
		{
			slot = &slots[i];
			break;
		}
	if (slot == NULL)
		return NULL;

	old = MemoryContextSwitchTo(coord_context);
	shm_toc_initialize_estimator(&e);
	shm_toc_estimate_chunk(&e, shared_size);
	shm_toc_estimate_chunk(&e, MIGRATE_MQ_SIZE);
	shm_toc_estimate_chunk(&e, MIGRATE_MQ_SIZE);
	shm_toc_estimate_keys(&e, 3);
	size = shm_toc_estimate(&e);

	slot->seg = dsm_create(size, 0);
	dsm_pin_mapping(slot->seg);
	toc = shm_toc_create(MIGRATE_ADVISORY_KEY, dsm_segment_address(slot->seg), size);
	shared = shm_toc_allocate(toc, shared_size);
	shared->migration_id = migration_id;
	shared->dboid = dboid;
	shared->owner = owner;
	shared->source_version = source_version;
	shared->coordinator_pid = MyProcPid;
	strlcpy(shared->version, MIGRATE_VERSION, sizeof(shared->version));
	strlcpy(shared->dbname, dbname, NAMEDATALEN);
	strcpy(shared->source, source_string);
	shm_toc_insert(toc, 1, shared);

	mq = shm_mq_create(shm_toc_allocate(toc, MIGRATE_MQ_SIZE), MIGRATE_MQ_SIZE);
	shm_toc_insert(toc, 2, mq);
	shm_mq_set_sender(mq, MyProc);
	slot->tasks = shm_mq_attach(mq, slot->seg, NULL);
	mq = shm_mq_create(shm_toc_allocate(toc, MIGRATE_MQ_SIZE), MIGRATE_MQ_SIZE);
	shm_toc_insert(toc, 3, mq);
	shm_mq_set_receiver(mq, MyProc);
	slot->results = shm_mq_attach(mq, slot->seg, NULL);

	migrate_bgworker_init(&bgw, "migrate_worker_main", "migrate worker",
						  psprintf("migrate worker " INT64_FORMAT " %s", migration_id, dbname));
	bgw.bgw_main_arg = UInt32GetDatum(dsm_segment_handle(slot->seg));
	bgw.bgw_notify_pid = MyProcPid;

	if (!RegisterDynamicBackgroundWorker(&bgw, &slot->handle))
	{
		/* no free slot: a wait, never an error */
		dsm_detach(slot->seg);
		memset(slot, 0, sizeof(WorkerSlot));
		MemoryContextSwitchTo(old);
		return NULL;
	}
	shm_mq_set_handle(slot->tasks, slot->handle);
	shm_mq_set_handle(slot->results, slot->handle);
	slot->in_use = true;
	strlcpy(slot->dbname, dbname, NAMEDATALEN);
	MemoryContextSwitchTo(old);
	return slot;
}

/* Sends MSG to SLOT; false when the worker is gone. */
static bool
send_task(WorkerSlot *slot, const TaskMsg *msg)
{
	StringInfoData buf;
	shm_mq_result res;

	initStringInfo(&buf);
	migrate_task_msg_encode(&buf, msg);
	res = shm_mq_send(slot->tasks, buf.len, buf.data, false, true);
	pfree(buf.data);
	return res == SHM_MQ_SUCCESS;
}

/* ---- task state -------------------------------------------------------- */

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
	args[0] = id_text();
	args[1] = ids.data;
	args[2] = psprintf("not run: it depends on %s task " INT64_FORMAT ", which failed",
					   migrate_task_kinds[x->kind].name, task_id);
	state_exec("UPDATE migrate.task SET state = 'failed', finished_at = now(), error = $3"
			   " WHERE migration_id = $1::bigint AND id = ANY ($2::bigint[]) AND state = 'pending'",
			   3, args);
}

/*
 * The task TASK_ID's outcome is unknown (its worker died, or a previous
 * coordinator did): run it again from nothing.  All parts of a split table
 * go back together; workers still copying other parts of it are stopped
 * first, so that no late part survives the new first part's TRUNCATE.
 */
static void
task_unknown(int64 task_id)
{
	const char *args[2] = {id_text(), psprintf(INT64_FORMAT, task_id)};
	SourceResult *siblings;
	int			r,
				i;

	siblings = state_query("SELECT t.id FROM migrate.task t JOIN migrate.task x"
						   " ON x.id = $2::bigint AND x.kind = 'copy' AND x.parts > 1"
						   " WHERE t.migration_id = $1::bigint AND t.kind = 'copy' AND t.id <> x.id"
						   " AND t.dbname = x.dbname AND t.schema_name = x.schema_name"
						   " AND t.table_name = x.table_name AND t.state = 'running'",
						   2, args);
	for (r = 0; r < siblings->nrows; r++)
	{
		int64		sibling = strtoi64(SR_VALUE(siblings, r, 0), NULL, 10);

		for (i = 0; i < max_workers; i++)
			if (slots[i].in_use && slots[i].task_id == sibling)
			{
				if (slots[i].handle != NULL)
				{
					TerminateBackgroundWorker(slots[i].handle);
					(void) WaitForBackgroundWorkerShutdown(slots[i].handle);
				}
				free_slot(&slots[i]);
			}
	}

	state_exec("UPDATE migrate.task t SET state = 'pending', rows_copied = 0, bytes_copied = 0,"
			   " started_at = NULL"
			   " FROM migrate.task x"
			   " WHERE x.id = $2::bigint AND t.migration_id = $1::bigint"
			   " AND (t.id = x.id OR (x.kind = 'copy' AND x.parts > 1 AND t.kind = 'copy'"
			   "  AND t.dbname = x.dbname AND t.schema_name = x.schema_name"
			   "  AND t.table_name = x.table_name AND t.state <> 'failed'))",
			   2, args);
	siblings = state_query("UPDATE migrate.task SET state = 'failed', finished_at = now(),"
						   " error = coalesce(error, 'the worker running this task stopped ' || attempts || ' times')"
						   " WHERE id = $2::bigint AND migration_id = $1::bigint"
						   " AND attempts >= " CppAsString2(MAX_ATTEMPTS) " RETURNING id",
						   2, args);
	/* several rows changed: the scheduler reads them again */
	migrate_sched_load(migration_id);
	if (siblings->nrows > 0)
		fail_dependents(task_id);
}

/* Handles one message of a worker. */
static void
handle_result(WorkerSlot *slot, const ResultMsg *msg)
{
	const char *args[6];

	args[0] = id_text();
	args[1] = psprintf(INT64_FORMAT, msg->task_id);
	args[2] = psprintf(INT64_FORMAT, msg->rows);
	args[3] = psprintf(INT64_FORMAT, msg->bytes);

	round_tx_begin();
	switch (msg->kind)
	{
		case RK_PROGRESS:
			state_exec("UPDATE migrate.task SET rows_copied = $3::bigint, bytes_copied = $4::bigint"
					   " WHERE id = $2::bigint AND migration_id = $1::bigint AND state = 'running'", 4, args);
			break;
		case RK_DONE:
			state_exec("UPDATE migrate.task SET state = 'done', rows_copied = $3::bigint,"
					   " bytes_copied = $4::bigint, finished_at = now(), error = NULL"
					   " WHERE id = $2::bigint AND migration_id = $1::bigint AND state = 'running'", 4, args);
			if (SPI_processed > 0)
			{
				SchedTask  *t = migrate_sched_task(msg->task_id);

				migrate_sched_set_state(msg->task_id, 'd', t ? t->attempts : 0, 0);
			}
			if (msg->text != NULL)
				coord_event("warning",
							  json_obj("task", args[1], "database", slot->dbname,
									   "message", msg->text, NULL));
			slot->task_id = 0;
			break;
		case RK_ERROR:
			{
				bool		transient = msg->sqlstate != NULL &&
					sqlstate_transient(msg->sqlstate);
				SourceResult *now_state;

				args[4] = msg->text ? msg->text : "unknown error";
				/* the first error of a task is kept */
				state_exec("UPDATE migrate.task SET error = coalesce(error, $5)"
						   " WHERE id = $2::bigint AND migration_id = $1::bigint", 5, args);
				if (transient)
					now_state = state_query("UPDATE migrate.task SET"
											" state = CASE WHEN attempts >= " CppAsString2(MAX_ATTEMPTS) " THEN 'failed' ELSE 'pending' END,"
											" finished_at = CASE WHEN attempts >= " CppAsString2(MAX_ATTEMPTS) " THEN now() END,"
											" retry_at = now() + make_interval(secs => power(2, attempts))"
											" WHERE id = $2::bigint AND migration_id = $1::bigint AND state = 'running'"
											" RETURNING state, attempts,"
											" (EXTRACT(epoch FROM retry_at) * 1000000)::bigint", 2, args);
				else
					now_state = state_query("UPDATE migrate.task SET state = 'failed', finished_at = now()"
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
						fail_dependents(msg->task_id);
				}
				coord_event(transient ? "task_retry" : "task_failed",
							  json_obj("task", args[1], "database", slot->dbname,
									   "sqlstate", msg->sqlstate, "error", args[4], NULL));
				slot->task_id = 0;
				break;
			}
	}
}

/*
 * Is an error of SQLSTATE worth trying again later: a connection that failed
 * or was cut (a source restarting, a network blip), a lock that was not
 * granted in time, a serialization failure or deadlock, a server shutting
 * down or refusing connections for now?
 */
static bool
sqlstate_transient(const char *sqlstate)
{
	static const char *const codes[] = {
		"40001", "40P01", "55P03", "57P01", "57P02", "57P03", "53300", NULL
	};
	int			i;

	if (strncmp(sqlstate, "08", 2) == 0)
		return true;
	for (i = 0; codes[i] != NULL; i++)
		if (strcmp(sqlstate, codes[i]) == 0)
			return true;
	return false;
}

/* The back-off before try ATTEMPT + 1, in seconds. */
static int
backoff_seconds(int attempt)
{
	return Min(1 << Min(attempt, 5), MAX_BACKOFF_S);
}

/*
 * Records a transient failure of a step of database DBNAME (NULL: the
 * whole source) as an event: source_lock_wait for a lock on the source,
 * source_retry otherwise.  The caller tries again after RETRY_IN seconds.
 */
static void
retry_event(const char *dbname, ErrorData *edata, int attempt, int retry_in)
{
	char	   *msg = migrate_redact(edata->detail ?
									 psprintf("%s: %s", edata->message, edata->detail) :
									 edata->message);

	begin_tx();
	coord_event(edata->sqlerrcode == ERRCODE_LOCK_NOT_AVAILABLE ? "source_lock_wait" : "source_retry",
				json_obj("database", dbname, "error", msg,
						 "sqlstate", unpack_sql_state(edata->sqlerrcode),
						 "attempt", psprintf("%d", attempt),
						 "retry_in_seconds", psprintf("%d", retry_in), NULL));
	commit_tx();
}

/* Reads what every worker has to say; frees the slots of dead workers. */
static void
poll_workers(void)
{
	int			i;

	for (i = 0; i < max_workers; i++)
	{
		WorkerSlot *slot = &slots[i];

		if (!slot->in_use)
			continue;
		for (;;)
		{
			Size		len;
			void	   *data;
			shm_mq_result res = shm_mq_receive(slot->results, &len, &data, true);

			if (res == SHM_MQ_SUCCESS)
			{
				ResultMsg	msg;

				migrate_result_msg_decode(data, len, &msg);
				handle_result(slot, &msg);
				continue;
			}
			if (res == SHM_MQ_DETACHED)
			{
				pid_t		pid;

				if (slot->task_id != 0)
				{
					round_tx_begin();
					task_unknown(slot->task_id);
					coord_event("worker_lost",
								  json_obj("database", slot->dbname,
										   "task", psprintf(INT64_FORMAT, slot->task_id), NULL));
				}
				if (slot->handle == NULL ||
					GetBackgroundWorkerPid(slot->handle, &pid) == BGWH_STOPPED)
					free_slot(slot);
				else
				{
					/* on its way out: never given another task */
					slot->task_id = 0;
					slot->exiting = true;
				}
			}
			break;
		}
		/* a worker that stopped without a word */
		if (slot->in_use && slot->handle != NULL)
		{
			pid_t		pid;

			if (GetBackgroundWorkerPid(slot->handle, &pid) == BGWH_STOPPED)
			{
				if (slot->task_id != 0)
				{
					round_tx_begin();
					task_unknown(slot->task_id);
				}
				free_slot(slot);
			}
		}
	}
	round_tx_end();
}

/* Tells the idle workers (of DBNAME, or of every database) to exit. */
static void
dismiss_idle_workers(const char *dbname)
{
	int			i;

	for (i = 0; i < max_workers; i++)
		if (slots[i].in_use && !slots[i].exiting && slots[i].task_id == 0 &&
			(dbname == NULL || strcmp(slots[i].dbname, dbname) == 0))
		{
			TaskMsg		bye = {TK_EXIT};

			(void) send_task(&slots[i], &bye);
			slots[i].exiting = true;
		}
}

/* Stops every worker and waits for them. */
static void
stop_workers(void)
{
	int			i;

	for (i = 0; i < max_workers; i++)
		if (slots[i].in_use && slots[i].handle != NULL)
			TerminateBackgroundWorker(slots[i].handle);
	for (i = 0; i < max_workers; i++)
		if (slots[i].in_use)
		{
			if (slots[i].handle != NULL)
				(void) WaitForBackgroundWorkerShutdown(slots[i].handle);
			free_slot(&slots[i]);
		}
}

/* ---- databases ------------------------------------------------------ */

static DbState *
db_state(const char *name)
{
	ListCell   *lc;
	DbState    *db;
	MemoryContext old;

	foreach(lc, dbstates)
	{
		db = lfirst(lc);
		if (strcmp(db->name, name) == 0)
			return db;
	}
	old = MemoryContextSwitchTo(coord_context);
	db = palloc0(sizeof(DbState));
	db->name = pstrdup(name);
	db->cxt = AllocSetContextCreate(coord_context, "migrate database", ALLOCSET_SMALL_SIZES);
	dbstates = lappend(dbstates, db);
	MemoryContextSwitchTo(old);
	return db;
}

static void
set_db_status(const char *dbname, const char *status, const char *message)
{
	const char *args[4] = {id_text(), dbname, status, message};

	state_exec("UPDATE migrate.database_state SET status = $3, message = coalesce($4, message)"
			   " WHERE migration_id = $1::bigint AND dbname = $2", 4, args);
}

/* The databases of the source to migrate, recorded once. */
static void
plan_databases(void)
{
	SourceResult *res;
	SourceConn *conn;
	MemoryContext cxt = AllocSetContextCreate(coord_context, "migrate plan", ALLOCSET_SMALL_SIZES);
	MemoryContext old;
	int			r;

	begin_tx();
	res = state_query("SELECT 1 FROM migrate.database_state WHERE migration_id = $1::bigint",
					  1, (const char *[]) {id_text()});
	if (res->nrows > 0)
	{
		commit_tx();
		MemoryContextDelete(cxt);
		return;
	}

	old = MemoryContextSwitchTo(cxt);
	conn = migrate_source_connect(source, NULL, NULL);
	res = migrate_source_query(conn,
					   "SELECT d.datname, pg_database_size(d.oid)"
					   " FROM pg_database d WHERE NOT d.datistemplate AND d.datallowconn"
					   " AND has_database_privilege(d.oid, 'CONNECT') ORDER BY 2 DESC",
					   0, NULL);
	for (r = 0; r < res->nrows; r++)
	{
		const char *args[3];

		if (!migrate_database_selected(options, SR_VALUE(res, r, 0)))
			continue;
		args[0] = id_text();
		args[1] = SR_VALUE(res, r, 0);
		args[2] = SR_VALUE(res, r, 1);
		state_exec("INSERT INTO migrate.database_state (migration_id, dbname, method, size_bytes)"
				   " VALUES ($1::bigint, $2, 'dump', $3::bigint)", 3, args);
	}
	migrate_source_close(conn);
	MemoryContextSwitchTo(old);
	commit_tx();
	MemoryContextDelete(cxt);
}

/* Creates database DB on the target like the source's, if missing. */
static void
create_database(DbState *db)
{
	SourceResult *res;
	SourceConn *conn;
	StringInfoData sql;
	MemoryContext old = MemoryContextSwitchTo(db->cxt);
	bool		exists;
	bool		ours;

	begin_tx();
	exists = OidIsValid(get_database_oid(db->name, true));
	res = state_query("SELECT created_here, status FROM migrate.database_state"
					  " WHERE migration_id = $1::bigint AND dbname = $2",
					  2, (const char *[]) {id_text(), db->name});
	ours = strcmp(SR_VALUE(res, 0, 0), "t") == 0 || strcmp(SR_VALUE(res, 0, 1), "creating") == 0;
	if (exists)
	{
		if (ours)
			state_exec("UPDATE migrate.database_state SET status = 'schema', created_here = true"
					   " WHERE migration_id = $1::bigint AND dbname = $2",
					   2, (const char *[]) {id_text(), db->name});
		else
			state_exec("UPDATE migrate.database_state SET status = 'schema',"
					   " message = 'migrated into the database that existed on the target'"
					   " WHERE migration_id = $1::bigint AND dbname = $2",
					   2, (const char *[]) {id_text(), db->name});
		commit_tx();
		MemoryContextSwitchTo(old);
		return;
	}
	state_exec("UPDATE migrate.database_state SET status = 'creating'"
			   " WHERE migration_id = $1::bigint AND dbname = $2",
			   2, (const char *[]) {id_text(), db->name});
	commit_tx();

	MemoryContextSwitchTo(db->cxt);
	conn = migrate_source_connect(source, NULL, NULL);
	res = migrate_source_query(conn,
					   "SELECT pg_encoding_to_char(encoding), datcollate, datctype, pg_get_userbyid(datdba)"
					   " FROM pg_database WHERE datname = $1",
					   1, (const char *[]) {db->name});
	migrate_source_close(conn);

	initStringInfo(&sql);
	appendStringInfo(&sql, "CREATE DATABASE %s TEMPLATE template0 ENCODING %s LC_COLLATE %s LC_CTYPE %s",
					 quote_identifier(db->name), quote_literal_cstr(SR_VALUE(res, 0, 0)),
					 quote_literal_cstr(SR_VALUE(res, 0, 1)), quote_literal_cstr(SR_VALUE(res, 0, 2)));
	begin_tx();
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

	begin_tx();
	state_exec("UPDATE migrate.database_state SET status = 'schema', created_here = true"
			   " WHERE migration_id = $1::bigint AND dbname = $2",
			   2, (const char *[]) {id_text(), db->name});
	coord_event("database_created", json_obj("database", db->name, NULL));
	/* the role settings IN DATABASE that had to wait for it */
	if (options->roles)
	{
		char	   *failures;

		conn = migrate_source_connect(source, NULL, NULL);
		failures = migrate_copy_database_role_settings(conn, migration_id, db->name);
		migrate_source_close(conn);
		if (failures != NULL)
			coord_event("warning", json_obj("database", db->name, "message", failures, NULL));
	}
	commit_tx();
	MemoryContextSwitchTo(old);
}

/*
 * The database's own settings (ALTER DATABASE ... SET) and comment, given
 * once its tasks are done: a setting such as default_transaction_read_only
 * or statement_timeout must not apply to the workers that fill it.  Called
 * in a transaction.
 */
static void
database_properties(DbState *db)
{
	SourceConn *conn = migrate_source_connect(source, NULL, NULL);
	SourceResult *res;
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
	migrate_source_close(conn);
	initStringInfo(&failures);
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
			stmt = migrate_role_setting_statement(NULL, db->name, item, eq + 1);
		}
		else
			stmt = psprintf("COMMENT ON DATABASE %s IS %s", quote_identifier(db->name),
							quote_literal_cstr(SR_VALUE(res, r, 1)));
		if (!migrate_target_exec_isolated(stmt, &err))
			appendStringInfo(&failures, "%s%s", failures.len ? "; " : "", err);
	}
	if (failures.len > 0)
		coord_event("warning", json_obj("database", db->name, "message", failures.data, NULL));
}

/*
 * The exported snapshot of database DB, held open by a connection of its
 * own while the database's tables are copied.
 */
static void
open_snapshot(DbState *db)
{
	SourceResult *res;
	MemoryContext old = MemoryContextSwitchTo(db->cxt);

	db->snap_conn = migrate_source_connect(source, db->name, NULL);
	(void) migrate_source_query(db->snap_conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL);
	res = migrate_source_query(db->snap_conn, "SELECT pg_export_snapshot()", 0, NULL);
	db->snapshot = pstrdup(SR_VALUE(res, 0, 0));
	MemoryContextSwitchTo(old);
}

static void
close_snapshot(DbState *db)
{
	if (db->snap_conn != NULL)
		migrate_source_close(db->snap_conn);
	db->snap_conn = NULL;
	db->snapshot = NULL;
	MemoryContextReset(db->cxt);
}

/* Does table DBNAME.SCHEMA.TABLE pass the tables / exclude_tables options? */
static bool
table_selected(const char *dbname, const char *nsp, const char *rel)
{
	ListCell   *lc;
	char	   *parts[3];

	if (options->tables != NIL)
	{
		bool		found = false;

		foreach(lc, options->tables)
			if (migrate_split_table_pattern(lfirst(lc), parts) &&
				migrate_pattern_match(parts[0], dbname) &&
				migrate_pattern_match(parts[1], nsp) &&
				migrate_pattern_match(parts[2], rel))
				found = true;
		if (!found)
			return false;
	}
	foreach(lc, options->exclude_tables)
		if (migrate_split_table_pattern(lfirst(lc), parts) &&
			migrate_pattern_match(parts[0], dbname) &&
			migrate_pattern_match(parts[1], nsp) &&
			migrate_pattern_match(parts[2], rel))
			return false;
	return true;
}

static void
insert_task(const char *dbname, const char *kind, const char *nsp, const char *rel,
			int part, int parts, int64 from, int64 to, const char *statement, int64 size,
			bool unlogged)
{
	const char *args[12];

	args[0] = id_text();
	args[1] = dbname;
	args[2] = kind;
	args[3] = nsp;
	args[4] = rel;
	args[5] = psprintf("%d", part);
	args[6] = psprintf("%d", parts);
	args[7] = from >= 0 ? psprintf(INT64_FORMAT, from) : NULL;
	args[8] = to >= 0 ? psprintf(INT64_FORMAT, to) : NULL;
	args[9] = statement;
	args[10] = psprintf(INT64_FORMAT, size);
	args[11] = unlogged ? "true" : "false";
	state_exec("INSERT INTO migrate.task (migration_id, dbname, kind, schema_name, table_name,"
			   " part, parts, block_from, block_to, statement, size_bytes, unlogged)"
			   " VALUES ($1::bigint, $2, $3, $4, $5, $6::int, $7::int, $8::bigint, $9::bigint, $10,"
			   " $11::bigint, $12::boolean)", 12, args);
}

/* Plans database DB: schema, copy, post-data, sequences and analyze tasks. */
static void
plan_tasks(DbState *db)
{
	SourceResult *res;
	char	   *pre;
	char	   *post;
	List	   *post_stmts;
	StringInfoData rest;
	ListCell   *lc;
	const char *encoding;
	int			r;
	MemoryContext cxt = AllocSetContextCreate(coord_context, "migrate plan", ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(cxt);

	begin_tx();
	encoding = GetDatabaseEncodingName();
	{
		/* the target database's encoding: pg_dump writes in it */
		SourceResult *e = migrate_target_query("SELECT pg_catalog.pg_encoding_to_char(encoding)"
									   " FROM pg_catalog.pg_database WHERE datname = $1",
									   1, (Oid[]) {TEXTOID}, (Datum[]) {CStringGetTextDatum(db->name)});

		if (e->nrows > 0)
			encoding = e->values[0];
	}
	commit_tx();
	MemoryContextSwitchTo(cxt);

	migrate_pg_dump_schema(source, db->name, db->snapshot, encoding, &pre, &post);
	post_stmts = migrate_classify_post_data(migrate_split_sql(post));
	/* pre-data is split when its task runs: a script that does not parse fails here */
	(void) migrate_split_sql(pre);

	res = migrate_source_query(db->snap_conn,
					   "SELECT n.nspname, c.relname, pg_table_size(c.oid),"
					   " pg_relation_size(c.oid) / current_setting('block_size')::bigint,"
					   " c.relpersistence"
					   " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
					   " WHERE c.relkind = 'r'"
					   " AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
					   " AND n.nspname !~ '^pg_toast' AND n.nspname !~ '^pg_temp_'"
					   " AND (NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass"
					   "   AND d.objid = c.oid AND d.deptype = 'e')"
					   "  OR ($1 AND EXISTS (SELECT 1 FROM pg_extension e WHERE c.oid = ANY (e.extconfig))))"
					   " ORDER BY 3 DESC",
					   1, (const char *[]) {options->replicate_extension_tables ? "true" : "false"});

	begin_tx();
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

		if (!table_selected(db->name, nsp, rel))
			continue;
		/*
		 * TID range scans exist from PostgreSQL 14 on.  With two workers or
		 * fewer a split only costs: the first part runs alone (it empties
		 * the table, and only it loads frozen rows), and a TID range scan
		 * reads a large table slower than COPY does (it has no bulk-read
		 * buffer ring: 2.2 times the time a byte, measured on PostgreSQL
		 * 15 with the table in the OS cache).
		 */
		if (source_version >= 140000 && max_workers > 2 &&
			size > options->split_size && pages > 1)
			parts = Min((size + options->split_size - 1) / options->split_size, pages);
		for (p = 0; p < parts; p++)
		{
			int64		from = parts == 1 ? -1 : (p == 0 ? -1 : pages * p / parts);
			int64		to = parts == 1 ? -1 : (p == parts - 1 ? -1 : pages * (p + 1) / parts);
			insert_task(db->name, "copy", nsp, rel, (int) p, (int) parts, from, to, NULL,
						parts == 1 ? size : size / parts, unlogged);
		}
		/* statistics as soon as the table has its data and its indexes */
		insert_task(db->name, "analyze", nsp, rel, 0, 1, -1, -1, NULL, size, false);
	}

	/*
	 * Partitioned tables: autovacuum never analyzes them, and their
	 * statistics cover all partitions, so they come once every table of the
	 * database has its data and indexes.
	 */
	res = migrate_source_query(db->snap_conn,
					   "SELECT n.nspname, c.relname"
					   " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
					   " WHERE c.relkind = 'p'"
					   " AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
					   " AND n.nspname !~ '^pg_toast' AND n.nspname !~ '^pg_temp_'"
					   " AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass"
					   "   AND d.objid = c.oid AND d.deptype = 'e')",
					   0, NULL);
	for (r = 0; r < res->nrows; r++)
		if (table_selected(db->name, SR_VALUE(res, r, 0), SR_VALUE(res, r, 1)))
			insert_task(db->name, "analyze_partitioned", SR_VALUE(res, r, 0), SR_VALUE(res, r, 1),
						0, 1, -1, -1, NULL, 0, false);

	initStringInfo(&rest);
	foreach(lc, post_stmts)
	{
		DumpStatement *ds = lfirst(lc);

		if (ds->kind == TK_INDEX)
			insert_task(db->name, "index", ds->schema_name, ds->table_name, 0, 1, -1, -1, ds->sql, 0, false);
		else if (ds->kind == TK_CONSTRAINT)
			insert_task(db->name, "constraint", NULL, NULL, 0, 1, -1, -1, ds->sql, 0, false);
		else
			appendStringInfo(&rest, "%s;\n", ds->sql);
	}
	if (rest.len > 0)
		insert_task(db->name, "post", NULL, NULL, 0, 1, -1, -1, rest.data, 0, false);
	/* an index task weighs as much as its table, for the order of work */
	state_exec("UPDATE migrate.task i SET size_bytes = coalesce((SELECT sum(c.size_bytes)"
			   "  FROM migrate.task c WHERE c.migration_id = i.migration_id AND c.dbname = i.dbname"
			   "  AND c.kind = 'copy' AND c.schema_name = i.schema_name AND c.table_name = i.table_name), 0)"
			   " WHERE i.migration_id = $1::bigint AND i.dbname = $2 AND i.kind = 'index'",
			   2, (const char *[]) {id_text(), db->name});
	insert_task(db->name, "sequences", NULL, NULL, 0, 1, -1, -1, NULL, 0, false);
	res = migrate_source_query(db->snap_conn, "SELECT count(*) > 0 FROM pg_largeobject_metadata", 0, NULL);
	if (SR_VALUE(res, 0, 0)[0] == 't')
		insert_task(db->name, "large_objects", NULL, NULL, 0, 1, -1, -1, NULL, 0, false);
	set_db_status(db->name, "copying", NULL);
	coord_event("database_planned",
				  json_obj("database", db->name, "snapshot", db->snapshot, NULL));
	migrate_sched_load(migration_id);
	commit_tx();

	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
}

/*
 * After a restart the exported snapshot is gone: the tables still to copy
 * get a new one.  A split table copied in part under the old one is copied
 * again whole, so that every table is consistent in itself.
 */
static void
snapshot_moved(DbState *db)
{
	const char *args[3] = {id_text(), db->name, db->snapshot};

	begin_tx();
	state_exec("UPDATE migrate.task t SET state = 'pending', rows_copied = 0, bytes_copied = 0,"
			   " started_at = NULL, finished_at = NULL"
			   " WHERE t.migration_id = $1::bigint AND t.dbname = $2 AND t.kind = 'copy' AND t.parts > 1"
			   " AND t.state <> 'failed'"
			   " AND EXISTS (SELECT 1 FROM migrate.task o WHERE o.migration_id = t.migration_id"
			   "  AND o.dbname = t.dbname AND o.kind = 'copy' AND o.schema_name = t.schema_name"
			   "  AND o.table_name = t.table_name AND o.state <> 'done')",
			   2, args);
	state_exec("UPDATE migrate.migration SET snapshot_moves = snapshot_moves + 1 WHERE id = $1::bigint",
			   1, args);
	migrate_sched_load(migration_id);
	coord_event("snapshot_moved",
				  json_obj("database", db->name, "snapshot", db->snapshot,
						   "detail", "the consistency point moved: tables copied from here on see a later state of the source",
						   NULL));
	commit_tx();
}

/* ---- the scheduler ------------------------------------------------------ */

/*
 * May a task of KIND of database DBNAME be handed out: the database planned
 * and not finished, and what reads the source only with its snapshot?
 */
static bool
task_usable(const char *dbname, MigrateTaskKind kind)
{
	ListCell   *lc;

	foreach(lc, dbstates)
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
static void
dispatch(Oid owner)
{
	List	   *runnable;
	List	   *lost = NIL;
	ListCell   *lc;
	bool		starved = false;
	int			room = 0;
	int			i;

	/* no more tasks than workers could take now */
	for (i = 0; i < max_workers; i++)
		if (!slots[i].in_use || (!slots[i].exiting && slots[i].task_id == 0))
			room++;
	if (room == 0)
		return;
	runnable = migrate_sched_runnable(task_usable, room);

	foreach(lc, runnable)
	{
		SchedTask  *t = lfirst(lc);
		const MigrateTaskKindInfo *kind = &migrate_task_kinds[t->kind];
		const char *dbname = migrate_sched_task_dbname(t);
		WorkerSlot *slot = NULL;
		TaskMsg		msg;
		DbState    *db = db_state(dbname);
		SourceResult *res;
		const char *args[2];

		for (i = 0; i < max_workers; i++)
			if (slots[i].in_use && !slots[i].exiting && slots[i].task_id == 0 &&
				strcmp(slots[i].dbname, dbname) == 0)
			{
				slot = &slots[i];
				break;
			}
		if (slot == NULL)
		{
			Oid			dboid;

			if (starved)
				continue;
			begin_tx();
			dboid = get_database_oid(dbname, true);
			commit_tx();
			if (!OidIsValid(dboid))
				continue;
			slot = start_worker(dbname, dboid, owner);
		}
		if (slot == NULL)
		{
			starved = true;
			continue;
		}

		/* the rest of the task, and its start, in one transaction */
		args[0] = id_text();
		args[1] = psprintf(INT64_FORMAT, t->id);
		begin_tx();
		res = state_query("UPDATE migrate.task t SET state = 'running', attempts = attempts + 1,"
						  " started_at = coalesce(started_at, now()), retry_at = NULL"
						  " FROM migrate.database_state d"
						  " WHERE t.id = $2::bigint AND t.migration_id = $1::bigint AND t.state = 'pending'"
						  " AND d.migration_id = t.migration_id AND d.dbname = t.dbname"
						  " RETURNING t.schema_name, t.table_name, coalesce(t.block_from, -1),"
						  " coalesce(t.block_to, -1), t.statement, t.attempts, d.created_here",
						  2, args);
		commit_tx();
		if (res->nrows == 0)
		{
			/* not pending any more: the scheduler reads the tasks again */
			begin_tx();
			migrate_sched_load(migration_id);
			commit_tx();
			break;
		}
		migrate_sched_set_state(t->id, 'r', atoi(SR_VALUE(res, 0, 5)), 0);

		memset(&msg, 0, sizeof(msg));
		msg.kind = kind->wire;
		msg.task_id = t->id;
		msg.attempt = atoi(SR_VALUE(res, 0, 5));
		msg.schema_name = SR_VALUE(res, 0, 0);
		msg.table_name = SR_VALUE(res, 0, 1);
		msg.block_from = strtoi64(SR_VALUE(res, 0, 2), NULL, 10);
		msg.block_to = strtoi64(SR_VALUE(res, 0, 3), NULL, 10);
		msg.snapshot = db->snapshot;
		switch (t->kind)
		{
			case MTK_SCHEMA:
				msg.statements = migrate_split_sql(SR_VALUE(res, 0, 4));
				if (!options->if_exists_merge)
					msg.truncate = strcmp(SR_VALUE(res, 0, 6), "f") == 0;
				break;
			case MTK_POST:
				msg.statements = migrate_split_sql(SR_VALUE(res, 0, 4));
				break;
			case MTK_INDEX:
			case MTK_CONSTRAINT:
				msg.statement = SR_VALUE(res, 0, 4);
				break;
			case MTK_COPY:
				msg.truncate = t->part == 0;
				break;
			case MTK_ANALYZE:
				msg.statements = list_make1(quote_qualified_identifier(msg.schema_name, msg.table_name));
				break;
			default:
				break;
		}

		slot->task_id = msg.task_id;
		slot->task_kind = msg.kind;
		if (!send_task(slot, &msg))
		{
			/*
			 * After the loop: task_unknown reads the tasks again, which
			 * frees what RUNNABLE points to.
			 */
			lost = lappend(lost, psprintf(INT64_FORMAT, msg.task_id));
			free_slot(slot);
		}
	}
	foreach(lc, lost)
	{
		begin_tx();
		task_unknown(strtoi64(lfirst(lc), NULL, 10));
		commit_tx();
	}

	/*
	 * Idle workers of databases with nothing to do leave room for those
	 * that wait.
	 */
	if (starved)
		dismiss_idle_workers(NULL);
}

/*
 * The steps of a database, one function each.  Its status in
 * migrate.database_state names the step it is in, so that a coordinator
 * started again takes every database up where it was.
 *
 *   pending ─> creating ─> schema ─────────> copying ──────> indexing ─> done
 *   (create the database)  (snapshot,        (copy tasks,    (the other
 *                           pg_dump, plan    and what needs  tasks; then its
 *                           the tasks)       no copy)        settings)
 *   any step ─> failed       (resume: back to copying, or to pending)
 *
 * A step returns STEP_NEXT when the database moved on and the next step may
 * run at once, STEP_WAIT when nothing more happens this round, STEP_WORK
 * when its tasks may be handed out.  The tasks themselves, and what each
 * waits for, are the scheduler's (scheduler.c).
 */
typedef enum StepResult
{
	STEP_NEXT,
	STEP_WAIT,
	STEP_WORK
} StepResult;

typedef StepResult (*DbStepFn) (DbState *db, const SchedCounts *c, const char **next);

typedef struct DbStep
{
	const char *status;
	DbStepFn	run;
} DbStep;

static StepResult step_create(DbState *db, const SchedCounts *c, const char **next);
static StepResult step_schema(DbState *db, const SchedCounts *c, const char **next);
static StepResult step_copying(DbState *db, const SchedCounts *c, const char **next);
static StepResult step_indexing(DbState *db, const SchedCounts *c, const char **next);

static const DbStep db_steps[] = {
	{"pending", step_create},
	{"creating", step_create},
	{"schema", step_schema},
	{"copying", step_copying},
	{"indexing", step_indexing},
};

/* Creates the database on the target (if missing). */
static StepResult
step_create(DbState *db, const SchedCounts *c, const char **next)
{
	set_phase("databases");
	create_database(db);
	*next = "schema";
	return STEP_NEXT;
}

/* Takes the snapshot, dumps the schema and plans the tasks. */
static StepResult
step_schema(DbState *db, const SchedCounts *c, const char **next)
{
	if (db->snapshot == NULL && (c->tasks == 0 || c->open_copy > 0))
	{
		open_snapshot(db);
		if (c->tasks > 0 && c->done_copy > 0)
			snapshot_moved(db);
	}
	if (c->tasks == 0)
	{
		set_phase("schema");
		plan_tasks(db);			/* status copying, with the tasks */
	}
	else
	{
		begin_tx();
		set_db_status(db->name, "copying", NULL);
		commit_tx();
	}
	return STEP_WAIT;
}

/*
 * The tasks of the database run; when none is open any more it is done (or
 * failed, with its first error).
 */
static StepResult
run_tasks(DbState *db, const SchedCounts *c, const char *status)
{
	if (c->open_copy == 0)
		close_snapshot(db);
	if (c->open == 0 && c->running == 0)
	{
		const char *failure = NULL;

		begin_tx();
		if (c->failed > 0)
		{
			SourceResult *f = state_query("SELECT min(error) FROM migrate.task"
										  " WHERE migration_id = $1::bigint AND dbname = $2 AND state = 'failed'",
										  2, (const char *[]) {id_text(), db->name});

			failure = SR_VALUE(f, 0, 0) ? SR_VALUE(f, 0, 0) : "a task failed";
		}
		if (failure != NULL)
		{
			set_db_status(db->name, "failed", failure);
			coord_event("database_failed",
						json_obj("database", db->name, "error", failure, NULL));
		}
		else
		{
			database_properties(db);
			set_db_status(db->name, "done", NULL);
			coord_event("database_done", json_obj("database", db->name, NULL));
		}
		commit_tx();
		/* its idle workers may go */
		dismiss_idle_workers(db->name);
		return STEP_WAIT;
	}
	if (c->open_copy == 0 && strcmp(status, "copying") == 0)
	{
		begin_tx();
		set_db_status(db->name, "indexing", NULL);
		commit_tx();
	}
	return STEP_WORK;
}

/* Copies the tables; a snapshot lost on the way is taken anew. */
static StepResult
step_copying(DbState *db, const SchedCounts *c, const char **next)
{
	if (c->tasks > 0 && c->open_copy > 0 && db->snapshot == NULL)
	{
		open_snapshot(db);
		if (c->done_copy > 0)
			snapshot_moved(db);
		return STEP_WAIT;
	}
	return run_tasks(db, c, "copying");
}

/* Builds what needs the data (indexes, keys, the rest of post-data). */
static StepResult
step_indexing(DbState *db, const SchedCounts *c, const char **next)
{
	return run_tasks(db, c, "indexing");
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
		int			i;

		do
		{
			const DbStep *step = NULL;

			for (i = 0; i < lengthof(db_steps) && step == NULL; i++)
				if (strcmp(db_steps[i].status, next) == 0)
					step = &db_steps[i];
			if (step == NULL)
				elog(ERROR, "database \"%s\" is in an unknown step \"%s\"", db->name, next);
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
		close_snapshot(db);

		if (sqlstate_transient(unpack_sql_state(edata->sqlerrcode)) &&
			db->attempts + 1 < MAX_DB_ATTEMPTS)
		{
			int			retry_in = backoff_seconds(db->attempts);

			db->attempts++;
			db->retry_at = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), retry_in * 1000);
			retry_event(db->name, edata, db->attempts, retry_in);
			return STEP_WAIT;
		}
		msg = migrate_redact(edata->detail ?
							 psprintf("%s: %s", edata->message, edata->detail) :
							 edata->message);
		if (db->attempts > 0)
			msg = psprintf("%s (after %d tries)", msg, db->attempts + 1);
		begin_tx();
		set_db_status(db->name, "failed", msg);
		coord_event("database_failed",
					json_obj("database", db->name, "error", msg, NULL));
		commit_tx();
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
static bool
advance_databases(void)
{
	SourceResult *res;
	int			r;
	bool		all_finished = true;
	bool		any_copying = false;
	bool		any_indexing = false;

	begin_tx();
	res = state_query("SELECT d.dbname, d.status FROM migrate.database_state d"
					  " WHERE d.migration_id = $1::bigint ORDER BY d.size_bytes DESC",
					  1, (const char *[]) {id_text()});
	commit_tx();

	for (r = 0; r < res->nrows; r++)
	{
		const char *dbname = SR_VALUE(res, r, 0);
		const char *status = SR_VALUE(res, r, 1);
		SchedCounts c;
		DbState    *db = db_state(dbname);

		CHECK_FOR_INTERRUPTS();
		db->dispatchable = false;
		if (strcmp(status, "done") == 0 || strcmp(status, "failed") == 0)
		{
			close_snapshot(db);
			continue;
		}
		all_finished = false;
		migrate_sched_counts(dbname, &c);

		/* the database went away on the target (dropped by hand): start it over */
		if (strcmp(status, "pending") != 0 && strcmp(status, "creating") != 0)
		{
			Oid			dboid;

			begin_tx();
			dboid = get_database_oid(dbname, true);
			if (!OidIsValid(dboid))
			{
				state_exec("DELETE FROM migrate.task WHERE migration_id = $1::bigint AND dbname = $2",
						   2, (const char *[]) {id_text(), dbname});
				state_exec("UPDATE migrate.database_state SET status = 'pending', created_here = false,"
						   " message = NULL WHERE migration_id = $1::bigint AND dbname = $2",
						   2, (const char *[]) {id_text(), dbname});
				coord_event("database_missing", json_obj("database", dbname, NULL));
				migrate_sched_load(migration_id);
			}
			commit_tx();
			if (!OidIsValid(dboid))
			{
				close_snapshot(db);
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
			close_snapshot(db);
			begin_tx();
			coord_event("snapshot_lost", json_obj("database", dbname, NULL));
			commit_tx();
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
		set_phase("copying");
	else if (any_indexing)
		set_phase("indexing");
	return all_finished;
}

/* The state the user asked for: stopping or cancelling, or NULL. */
static char *
requested_stop(void)
{
	SourceResult *res;

	begin_tx();
	res = state_query("SELECT state FROM migrate.migration WHERE id = $1::bigint",
					  1, (const char *[]) {id_text()});
	commit_tx();
	if (res->nrows == 0)
		return "cancelling";
	if (strcmp(SR_VALUE(res, 0, 0), "stopping") == 0 ||
		strcmp(SR_VALUE(res, 0, 0), "cancelling") == 0)
		return SR_VALUE(res, 0, 0);
	return NULL;
}

/* Ends the migration in STATE (stopped, cancelled, done, failed). */
static void
finish(const char *state, const char *error)
{
	const char *args[3] = {id_text(), state, error};

	stop_workers();
	begin_tx();
	/* tasks in flight were rolled back with their workers */
	state_exec("UPDATE migrate.task t SET state = 'pending', rows_copied = 0, bytes_copied = 0, started_at = NULL"
			   " FROM migrate.task x WHERE x.migration_id = $1::bigint AND x.state = 'running'"
			   " AND t.migration_id = x.migration_id"
			   " AND (t.id = x.id OR (x.kind = 'copy' AND x.parts > 1 AND t.kind = 'copy'"
			   "  AND t.dbname = x.dbname AND t.schema_name = x.schema_name AND t.table_name = x.table_name))",
			   1, args);
	state_exec("UPDATE migrate.migration SET state = $2, error = $3,"
			   " phase = CASE WHEN $2 = 'done' THEN 'done' ELSE phase END,"
			   " finished_at = CASE WHEN $2 IN ('done', 'failed', 'cancelled', 'stopped') THEN now() END,"
			   " updated_at = now() WHERE id = $1::bigint",
			   3, args);
	coord_event(state, error ? json_obj("error", error, NULL) : NULL);
	commit_tx();
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
			conn = migrate_source_connect(source, dbname, NULL);
		}
		PG_CATCH();
		{
			MemoryContextSwitchTo(cxt);
			edata = CopyErrorData();
			if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED ||
				!sqlstate_transient(unpack_sql_state(edata->sqlerrcode)) ||
				attempt >= MAX_DB_ATTEMPTS)
				PG_RE_THROW();
			FlushErrorState();
		}
		PG_END_TRY();
		if (conn != NULL)
			return conn;

		retry_event(dbname, edata, attempt, backoff_seconds(attempt - 1));
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 backoff_seconds(attempt - 1) * 1000L, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
}

/* Copies the roles once, as the owner, with the migration's id. */
static void
roles_step(void)
{
	SourceResult *res;

	if (!options->roles)
		return;
	set_phase("roles");
	begin_tx();
	res = state_query("SELECT 1 FROM migrate.roles WHERE migration_id = $1::bigint LIMIT 1",
					  1, (const char *[]) {id_text()});
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
		results = migrate_copy_roles(conn, options);
		migrate_source_close(conn);
		migrate_record_roles(migration_id, results);
		foreach(lc, results)
		{
			RoleCopyResult *rr = lfirst(lc);

			if (strcmp(rr->status, "created") == 0)
				created++;
			else if (strcmp(rr->status, "failed") == 0)
				failed++;
		}
		coord_event("roles",
					  json_obj("created", psprintf("%d", created),
							   "failed", psprintf("%d", failed), NULL));
		MemoryContextSwitchTo(old);
	}
	commit_tx();
}

/* Entry point of a coordinator; MAIN_ARG is the migration id. */
void
migrate_coordinator_main(Datum main_arg)
{
	SourceResult *res;
	char		owner_name[NAMEDATALEN];
	Oid			owner;
	int			tries;
	MemoryContext loop_context;

	migration_id = DatumGetInt64(main_arg);
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
	coord_context = AllocSetContextCreate(TopMemoryContext, "migrate coordinator",
										  ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(coord_context);

	/* one coordinator a migration */
	begin_tx();
	res = migrate_target_query(psprintf("SELECT pg_catalog.pg_try_advisory_lock(%d, %d)",
								MIGRATE_ADVISORY_KEY, (int32) migration_id), 0, NULL, NULL);
	commit_tx();
	if (strcmp(SR_VALUE(res, 0, 0), "t") != 0)
		proc_exit(0);

	/*
	 * start() and resume() launch us once their transaction has committed;
	 * the launcher, for rows that are there.  A row that is not there was
	 * deleted with its migration.
	 */
	for (tries = 0;; tries++)
	{
		begin_tx();
		res = state_query("SELECT s.source, m.options::text, m.state, m.workers, m.owner::oid"
						  " FROM migrate.migration m JOIN migrate_private.source s ON s.migration_id = m.id"
						  " WHERE m.id = $1::bigint",
						  1, (const char *[]) {id_text()});
		commit_tx();
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

	source_string = pstrdup(SR_VALUE(res, 0, 0));
	owner = atooid(SR_VALUE(res, 0, 4));
	max_workers = Min(atoi(SR_VALUE(res, 0, 3)), MAX_SLOTS);

	if (strcmp(SR_VALUE(res, 0, 2), "stopping") == 0)
	{
		finish("stopped", NULL);
		proc_exit(0);
	}
	if (strcmp(SR_VALUE(res, 0, 2), "cancelling") == 0)
	{
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

		begin_tx();
		migrate_check_library_version();
		opts = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(SR_VALUE(res, 0, 1))));
		source = migrate_parse_source(source_string);
		source->require_password = !superuser_arg(owner);
		options = migrate_parse_options(opts);
		/* tasks in flight when the last coordinator stopped: outcome unknown */
		{
			SourceResult *running = state_query("SELECT id FROM migrate.task"
												" WHERE migration_id = $1::bigint AND state = 'running'",
												1, (const char *[]) {id_text()});
			int			r;

			for (r = 0; r < running->nrows; r++)
				task_unknown(strtoi64(SR_VALUE(running, r, 0), NULL, 10));
		}

		/*
		 * The last coordinator did not end cleanly (a crash, a kill, a
		 * restart).  Crash recovery empties unlogged tables: those already
		 * copied are copied again.
		 */
		state_exec(psprintf("UPDATE migrate.task SET state = 'pending', rows_copied = 0, bytes_copied = 0,"
							" started_at = NULL, finished_at = NULL"
							" WHERE migration_id = $1::bigint AND kind = 'copy' AND unlogged AND state = 'done'"
							" AND (%s OR finished_at < pg_postmaster_start_time())"
							" AND dbname IN (SELECT dbname FROM migrate.database_state"
							"  WHERE migration_id = $1::bigint AND status <> 'done')",
							resumed ? "true" : "false"),
				   1, (const char *[]) {id_text()});
		state_exec("UPDATE migrate.migration SET state = 'running', updated_at = now()"
				   " WHERE id = $1::bigint", 1, (const char *[]) {id_text()});
		coord_event(resumed ? "resumed" : "running", NULL);
		commit_tx();

		migrate_clean_tmp_dir();
		conn = connect_with_retry(NULL);
		source_version = migrate_source_server_version(conn);
		migrate_source_close(conn);

		roles_step();
		plan_databases();
		begin_tx();
		migrate_sched_load(migration_id);
		commit_tx();

		loop_context = AllocSetContextCreate(coord_context, "migrate loop",
											 ALLOCSET_DEFAULT_SIZES);
		for (;;)
		{
			char	   *stop;
			bool		finished;

			CHECK_FOR_INTERRUPTS();
			MemoryContextSwitchTo(coord_context);
			MemoryContextReset(loop_context);
			MemoryContextSwitchTo(loop_context);
			poll_workers();
			if ((stop = requested_stop()) != NULL)
			{
				finish(strcmp(stop, "stopping") == 0 ? "stopped" : "cancelled", NULL);
				break;
			}
			finished = advance_databases();
			if (finished && live_slots() == 0)
			{
				SourceResult *failed;

				begin_tx();
				failed = state_query("SELECT string_agg(dbname || ': ' || coalesce(message, 'failed'), '; ')"
									 " FROM migrate.database_state"
									 " WHERE migration_id = $1::bigint AND status = 'failed'",
									 1, (const char *[]) {id_text()});
				commit_tx();
				if (SR_VALUE(failed, 0, 0) != NULL)
					finish("failed", SR_VALUE(failed, 0, 0));
				else
					finish("done", NULL);
				break;
			}
			if (finished)
				dismiss_idle_workers(NULL);
			else
				dispatch(owner);

			(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
							 250, PG_WAIT_EXTENSION);
			ResetLatch(MyLatch);
		}
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		char	   *stop;

		HOLD_INTERRUPTS();
		MemoryContextSwitchTo(coord_context);
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
