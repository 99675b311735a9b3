/*-------------------------------------------------------------------------
 *
 * worker.c
 *		Copy workers: dynamic background workers bound to one target
 *		database, acting as the migration's owner.  Each takes tasks from its
 *		coordinator's queue, runs each in a transaction of its own with the
 *		function its kind names (tasks.c, worker_tasks.c), and reports the
 *		result; an error fails the task, never the worker.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "access/xact.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/ipc.h"
#include "storage/proc.h"
#include "storage/shm_mq.h"
#include "storage/shm_toc.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/ps_status.h"
#include "utils/resowner.h"
#include "utils/snapmgr.h"

#include "conninfo.h"
#include "launcher.h"
#include "live.h"
#include "protocol.h"
#include "redact.h"
#include "source.h"
#include "tasks.h"
#include "worker.h"

static shm_mq_handle *task_queue;
static shm_mq_handle *result_queue;
WorkerShared *migrate_worker_shared;
static SourceInfo *source_info;
static MemoryContext worker_context;
static char *stale_library = NULL;	/* why this library may not work */

/* The source connection of the current snapshot, kept between tasks. */
static SourceConn *snap_conn = NULL;
static char *snap_name = NULL;
static MemoryContext snap_context = NULL;

/*
 * A progress message that did not fit in the queue.  shm_mq may have written
 * part of it: it must be finished, with the same bytes, before anything
 * else is sent.
 */
static StringInfoData unsent;
static bool unsent_pending = false;

static void
check_send(shm_mq_result res)
{
	if (res == SHM_MQ_DETACHED)
		ereport(FATAL,
				(errcode(ERRCODE_ADMIN_SHUTDOWN),
				 errmsg("migrate coordinator has gone away")));
}

/* Finishes the unsent progress message; waits for room when WAIT. */
static bool
flush_unsent(bool wait)
{
	shm_mq_result res;

	if (!unsent_pending)
		return true;
	res = shm_mq_send(result_queue, unsent.len, unsent.data, !wait, true);
	check_send(res);
	if (res == SHM_MQ_SUCCESS)
		unsent_pending = false;
	return !unsent_pending;
}

/* Sends a result (done or error), after any unfinished progress message. */
static void
send_result(const ResultMsg *msg)
{
	StringInfoData buf;

	flush_unsent(true);
	initStringInfo(&buf);
	migrate_result_msg_encode(&buf, msg);
	check_send(shm_mq_send(result_queue, buf.len, buf.data, false, true));
	pfree(buf.data);
}

/*
 * Live progress of a running copy.  Never waits: while the coordinator is
 * busy, newer figures replace those it has not taken yet.
 */
void
migrate_worker_progress(int64 rows, int64 bytes, void *arg)
{
	ResultMsg	msg = {RK_PROGRESS, *(int64 *) arg, rows, bytes, NULL, NULL};
	shm_mq_result res;

	/* preloaded: in shared memory, where the views read it */
	if (migrate_live_available())
	{
		migrate_live_set(rows, bytes);
		return;
	}

	if (!flush_unsent(false))
		return;
	if (unsent.data == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

		initStringInfo(&unsent);
		MemoryContextSwitchTo(old);
	}
	resetStringInfo(&unsent);
	migrate_result_msg_encode(&unsent, &msg);
	res = shm_mq_send(result_queue, unsent.len, unsent.data, true, true);
	check_send(res);
	unsent_pending = (res == SHM_MQ_WOULD_BLOCK);
}

static void
drop_snapshot_conn(void)
{
	if (snap_context != NULL)
		MemoryContextDelete(snap_context);	/* closes the connection */
	snap_context = NULL;
	snap_conn = NULL;
	snap_name = NULL;
}

/* The migration's source, as this worker connects to it. */
const SourceInfo *
migrate_worker_source(void)
{
	return source_info;
}

/*
 * A source connection to this worker's database in a REPEATABLE READ READ
 * ONLY transaction at SNAPSHOT, reused from task to task.
 */
SourceConn *
migrate_worker_snapshot_conn(const char *snapshot)
{
	MemoryContext old;

	if (snap_conn != NULL && snap_name != NULL && snapshot != NULL &&
		strcmp(snap_name, snapshot) == 0 &&
		PQstatus(snap_conn->conn) == CONNECTION_OK)
	{
		(void) migrate_source_query(snap_conn, "COMMIT", 0, NULL);
	}
	else
	{
		drop_snapshot_conn();
		snap_context = AllocSetContextCreate(worker_context, "migrate source",
											 ALLOCSET_SMALL_SIZES);
		old = MemoryContextSwitchTo(snap_context);
		snap_conn = migrate_source_connect(source_info, migrate_worker_shared->dbname, NULL);
		snap_name = snapshot ? pstrdup(snapshot) : NULL;
		MemoryContextSwitchTo(old);
	}
	(void) migrate_source_query(snap_conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL);
	if (snapshot != NULL)
	{
		MemoryContext cxt = CurrentMemoryContext;

		PG_TRY();
		{
			(void) migrate_source_query(snap_conn,
								psprintf("SET TRANSACTION SNAPSHOT %s", quote_literal_cstr(snapshot)),
								0, NULL);
		}
		PG_CATCH();
		{
			ErrorData  *edata;

			MemoryContextSwitchTo(cxt);
			edata = CopyErrorData();
			if (edata->sqlerrcode != ERRCODE_INVALID_PARAMETER_VALUE &&
				edata->sqlerrcode != ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE)
				PG_RE_THROW();
			FlushErrorState();

			/*
			 * The connection that exported it is gone: a transient failure
			 * (the coordinator takes a new snapshot), told by its code.
			 */
			ereport(ERROR,
					(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
					 errmsg("the exported snapshot %s of the source is gone", snapshot),
					 errdetail("%s", edata->message)));
		}
		PG_END_TRY();
	}
	return snap_conn;
}

/*
 * What ps shows of a worker at work: "copy public.accounts" and the like, so
 * that an operator (and the benchmark) tells a copy from an index build.
 */
static const char *
task_title(const TaskMsg *task)
{
	const char *what = migrate_task_kinds[task->kind].title;

	if (task->table_name == NULL)
		return what;
	return psprintf("%s %s", what,
					quote_qualified_identifier(task->schema_name, task->table_name));
}

/* Runs one task in a transaction of its own, with its kind's function. */
static void
run_task(const TaskMsg *task, ResultMsg *result, StringInfo warnings)
{
	if (task->kind < 0 || task->kind >= MTK_NKINDS)
		elog(ERROR, "unknown migrate task kind %d", task->kind);

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, psprintf("migrate task " INT64_FORMAT, task->task_id));
	set_ps_display(task_title(task));
	migrate_live_begin(migrate_worker_shared->migration_id, migrate_worker_shared->owner,
					   task->task_id);

	migrate_task_kinds[task->kind].run(task, result, warnings);

	PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_activity(STATE_IDLE, NULL);
}

/* Entry point of a copy worker; MAIN_ARG is the DSM handle. */
void
migrate_worker_main(Datum main_arg)
{
	dsm_segment *seg;
	shm_toc    *toc;
	shm_mq	   *mq;
	MemoryContext task_context;

	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();

	worker_context = AllocSetContextCreate(TopMemoryContext, "migrate worker",
										   ALLOCSET_DEFAULT_SIZES);
	CurrentResourceOwner = ResourceOwnerCreate(NULL, "migrate worker");
	seg = dsm_attach(DatumGetUInt32(main_arg));
	if (seg == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("could not map the migrate worker's shared memory")));
	toc = shm_toc_attach(MIGRATE_ADVISORY_KEY, dsm_segment_address(seg));
	if (toc == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("invalid migrate worker shared memory")));
	migrate_worker_shared = shm_toc_lookup(toc, MIGRATE_KEY_SHARED, false);

	mq = shm_toc_lookup(toc, MIGRATE_KEY_TASKS, false);
	shm_mq_set_receiver(mq, MyProc);
	task_queue = shm_mq_attach(mq, seg, NULL);
	mq = shm_toc_lookup(toc, MIGRATE_KEY_RESULTS, false);
	shm_mq_set_sender(mq, MyProc);
	result_queue = shm_mq_attach(mq, seg, NULL);

	BackgroundWorkerInitializeConnectionByOid(migrate_worker_shared->dboid, migrate_worker_shared->owner, 0);
	/* nothing chosen by anyone runs through an unqualified name */
	SetConfigOption("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION);
	SetConfigOption("application_name", "migrate worker", PGC_USERSET, PGC_S_SESSION);

	{
		MemoryContext old = MemoryContextSwitchTo(worker_context);

		source_info = migrate_parse_source(migrate_worker_shared->source);
		source_info->require_password = !superuser_arg(migrate_worker_shared->owner);
		MemoryContextSwitchTo(old);
	}

	/*
	 * The coordinator checked its library against the extension; a worker
	 * that loaded another library (installed under the running server)
	 * fails every task it is given, with the reason.
	 */
	if (strcmp(migrate_worker_shared->version, MIGRATE_VERSION) != 0)
		stale_library = psprintf("the migrate library of this worker is version %s, but its coordinator's is version %s: restart the server after installing a new library",
								 MIGRATE_VERSION, migrate_worker_shared->version);

	task_context = AllocSetContextCreate(worker_context, "migrate task",
										 ALLOCSET_DEFAULT_SIZES);
	for (;;)
	{
		Size		len;
		void	   *data;
		shm_mq_result res;
		TaskMsg		task;
		ResultMsg	result;
		StringInfoData warnings;

		MemoryContextReset(task_context);
		MemoryContextSwitchTo(task_context);
		res = shm_mq_receive(task_queue, &len, &data, false);
		if (res != SHM_MQ_SUCCESS)
			break;				/* the coordinator is gone */
		migrate_task_msg_decode(data, len, &task);
		if (task.kind == MIGRATE_TASK_EXIT)
			break;

		memset(&result, 0, sizeof(result));
		result.task_id = task.task_id;
		initStringInfo(&warnings);
		if (stale_library != NULL)
		{
			result.kind = RK_ERROR;
			result.sqlstate = "55000";
			result.text = stale_library;
			send_result(&result);
			continue;
		}

		PG_TRY();
		{
			run_task(&task, &result, &warnings);
			result.kind = RK_DONE;
			result.text = warnings.len ? warnings.data : NULL;
		}
		PG_CATCH();
		{
			ErrorData  *edata;

			HOLD_INTERRUPTS();
			MemoryContextSwitchTo(task_context);
			edata = CopyErrorData();
			FlushErrorState();
			AbortCurrentTransaction();
			/* a broken source connection is not reused */
			drop_snapshot_conn();
			MemoryContextSwitchTo(task_context);
			RESUME_INTERRUPTS();

			result.kind = RK_ERROR;
			result.sqlstate = pstrdup(unpack_sql_state(edata->sqlerrcode));
			/* the whole error: its detail and hint too, as the server gave them */
			{
				StringInfoData text;

				initStringInfo(&text);
				appendStringInfoString(&text, edata->message);
				if (edata->detail != NULL)
					appendStringInfo(&text, ": %s", edata->detail);
				if (edata->hint != NULL)
					appendStringInfo(&text, " Hint: %s", edata->hint);
				if (edata->context != NULL)
					appendStringInfo(&text, " (%s)", edata->context);
				result.text = migrate_redact(text.data);
			}
		}
		PG_END_TRY();

		send_result(&result);
		set_ps_display("idle");

		/*
		 * An index build's sort memory (maintenance_work_mem) is freed but
		 * stays with the process: give it back to the system before the
		 * next task, a worker may live long.
		 */
#ifdef __GLIBC__
		if (task.kind != MTK_COPY)
			malloc_trim(0);
#endif
	}
	drop_snapshot_conn();
	proc_exit(0);
}

