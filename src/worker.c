/*-------------------------------------------------------------------------
 *
 * worker.c
 *		Copy workers: dynamic background workers bound to one target
 *		database, acting as the migration's owner.  Each takes tasks from its
 *		coordinator's queue, runs each in a transaction of its own, and
 *		reports the result; an error fails the task, never the worker.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/vacuum.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/parsenodes.h"
#include "parser/parser.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/bufmgr.h"
#include "storage/ipc.h"
#include "storage/lock.h"
#include "storage/proc.h"
#include "storage/shm_toc.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/ps_status.h"
#include "utils/snapmgr.h"

#include "compat.h"
#include "engine.h"

/* ---- message encoding ------------------------------------------------ */

static void
put_int64(StringInfo buf, int64 v)
{
	appendBinaryStringInfo(buf, (char *) &v, sizeof(v));
}

static void
put_str(StringInfo buf, const char *s)
{
	int32		len = s ? (int32) strlen(s) : -1;

	appendBinaryStringInfo(buf, (char *) &len, sizeof(len));
	if (s)
		appendBinaryStringInfo(buf, s, len);
}

typedef struct Reader
{
	const char *data;
	Size		len;
	Size		pos;
} Reader;

static int64
get_int64(Reader *r)
{
	int64		v;

	if (r->pos + sizeof(v) > r->len)
		elog(ERROR, "truncated migrate message");
	memcpy(&v, r->data + r->pos, sizeof(v));
	r->pos += sizeof(v);
	return v;
}

static char *
get_str(Reader *r)
{
	int32		len;
	char	   *s;

	if (r->pos + sizeof(len) > r->len)
		elog(ERROR, "truncated migrate message");
	memcpy(&len, r->data + r->pos, sizeof(len));
	r->pos += sizeof(len);
	if (len < 0)
		return NULL;
	if (r->pos + len > r->len)
		elog(ERROR, "truncated migrate message");
	s = pnstrdup(r->data + r->pos, len);
	r->pos += len;
	return s;
}

void
migrate_task_msg_encode(StringInfo buf, const TaskMsg *msg)
{
	appendStringInfoChar(buf, msg->kind);
	put_int64(buf, msg->task_id);
	put_int64(buf, msg->attempt);
	put_str(buf, msg->schema_name);
	put_str(buf, msg->table_name);
	put_int64(buf, msg->block_from);
	put_int64(buf, msg->block_to);
	put_int64(buf, msg->truncate ? 1 : 0);
	put_str(buf, msg->snapshot);
	put_str(buf, msg->statement);
	put_int64(buf, list_length(msg->statements));
	{
		ListCell   *lc;

		foreach(lc, msg->statements)
			put_str(buf, lfirst(lc));
	}
}

void
migrate_task_msg_decode(const char *data, Size len, TaskMsg *msg)
{
	Reader		r = {data, len, 1};

	if (len < 1)
		elog(ERROR, "empty migrate message");
	msg->kind = data[0];
	msg->task_id = get_int64(&r);
	msg->attempt = (int) get_int64(&r);
	msg->schema_name = get_str(&r);
	msg->table_name = get_str(&r);
	msg->block_from = get_int64(&r);
	msg->block_to = get_int64(&r);
	msg->truncate = get_int64(&r) != 0;
	msg->snapshot = get_str(&r);
	msg->statement = get_str(&r);
	{
		int64		n = get_int64(&r);

		msg->statements = NIL;
		while (n-- > 0)
			msg->statements = lappend(msg->statements, get_str(&r));
	}
}

void
migrate_result_msg_encode(StringInfo buf, const ResultMsg *msg)
{
	appendStringInfoChar(buf, msg->kind);
	put_int64(buf, msg->task_id);
	put_int64(buf, msg->rows);
	put_int64(buf, msg->bytes);
	put_str(buf, msg->sqlstate);
	put_str(buf, msg->text);
}

void
migrate_result_msg_decode(const char *data, Size len, ResultMsg *msg)
{
	Reader		r = {data, len, 1};

	if (len < 1)
		elog(ERROR, "empty migrate message");
	msg->kind = data[0];
	msg->task_id = get_int64(&r);
	msg->rows = get_int64(&r);
	msg->bytes = get_int64(&r);
	msg->sqlstate = get_str(&r);
	msg->text = get_str(&r);
}

/* ---- the worker ------------------------------------------------------- */

/*
 * Did a statement fail because what it creates is there already?  On a
 * retry that means a previous attempt committed it before its result was
 * recorded: done, not failed.
 */
static bool
already_there(int sqlerrcode)
{
	return sqlerrcode == ERRCODE_DUPLICATE_TABLE ||
		sqlerrcode == ERRCODE_DUPLICATE_OBJECT ||
		sqlerrcode == ERRCODE_DUPLICATE_SCHEMA ||
		sqlerrcode == ERRCODE_DUPLICATE_FUNCTION ||
		sqlerrcode == ERRCODE_DUPLICATE_DATABASE ||
		sqlerrcode == ERRCODE_INVALID_TABLE_DEFINITION;	/* a second primary key */
}

static shm_mq_handle *task_queue;
static shm_mq_handle *result_queue;
static WorkerShared *shared;
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
static void
report_progress(int64 rows, int64 bytes, void *arg)
{
	ResultMsg	msg = {RK_PROGRESS, *(int64 *) arg, rows, bytes, NULL, NULL};
	shm_mq_result res;

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

/*
 * A source connection to this worker's database in a REPEATABLE READ READ
 * ONLY transaction at SNAPSHOT, reused from task to task.
 */
static SourceConn *
snapshot_conn(const char *snapshot)
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
		snap_conn = migrate_source_connect(source_info, shared->dbname, NULL);
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
 * The table whose CHECK constraint post-data statement SQL adds (validated)
 * or validates, which evaluates the source's expressions as the caller
 * unless run as the table's owner; or InvalidOid.
 */
static Oid
statement_table(const char *sql)
{
	List	   *parsed = migrate_try_raw_parse(sql);
	RangeVar   *rv = NULL;
	Node	   *stmt;

	if (list_length(parsed) != 1)
		return InvalidOid;
	stmt = ((RawStmt *) linitial(parsed))->stmt;

	/*
	 * Index builds (CREATE INDEX, primary and unique keys) are not among
	 * them: the server runs an index's expressions as the table's owner in
	 * a restricted operation by itself, and checks the caller's right to
	 * create it in the schema.  Validating a CHECK constraint runs as the
	 * caller.
	 */
	if (IsA(stmt, AlterTableStmt) &&
		((AlterTableStmt *) stmt)->objtype == OBJECT_TABLE &&
		list_length(((AlterTableStmt *) stmt)->cmds) == 1)
	{
		/* one subcommand: nothing else rides on the owner's identity */
		AlterTableCmd *cmd = linitial(((AlterTableStmt *) stmt)->cmds);

		if (cmd->subtype == AT_ValidateConstraint ||
			(cmd->subtype == AT_AddConstraint && IsA(cmd->def, Constraint) &&
			 ((Constraint *) cmd->def)->contype == CONSTR_CHECK &&
			 !((Constraint *) cmd->def)->skip_validation))
			rv = ((AlterTableStmt *) stmt)->relation;
	}
	if (rv == NULL)
		return InvalidOid;
	return RangeVarGetRelid(rv, NoLock, true);
}

/*
 * Runs post-data statement ARG (a string).  One that validates a CHECK
 * constraint evaluates an expression the source defined: it runs inside a
 * security-restricted operation as the table's owner where the migration's
 * owner may act as that role, and as the migration's owner otherwise (whose
 * rights the server then checks, as for any ALTER TABLE), never as a role
 * the migration's owner could not become.  The subtransaction it runs in
 * restores the identity and the settings, also on error.
 */
static void
exec_post_data(void *arg)
{
	const char *sql = arg;
	Oid			relid = statement_table(sql);
	Oid			save_userid;
	int			save_sec_context;
	int			save_nestlevel = -1;

	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	if (OidIsValid(relid))
	{
		SetUserIdAndSecContext(migrate_evaluating_role(relid),
							   save_sec_context | SECURITY_RESTRICTED_OPERATION);
		save_nestlevel = NewGUCNestLevel();
	}
	migrate_target_exec_sql((void *) sql);
	if (save_nestlevel >= 0)
		AtEOXact_GUC(false, save_nestlevel);
	SetUserIdAndSecContext(save_userid, save_sec_context);
}

/* Is SQL an ALTER ... OWNER TO statement of a dump? */
static bool
is_owner_statement(const char *sql)
{
	return pg_strncasecmp(sql, "ALTER ", 6) == 0 && strstr(sql, " OWNER TO ") != NULL;
}

/*
 * Adds ERR to the task's warnings (bounded), with the start of statement SQL
 * when given (statements that carry no secrets: ownership).
 */
static void
add_warning(StringInfo warnings, const char *err, const char *sql)
{
	if (warnings->len >= 8000)
		return;
	appendStringInfo(warnings, "%s%s", warnings->len ? "; " : "", err);
	if (sql != NULL)
		appendStringInfo(warnings, " (%.120s)", sql);
}

/*
 * Runs the statements of TASK in the current transaction, each in a
 * subtransaction.  Ownership, privileges and comments that cannot be given
 * become warnings; on a retry, objects that already exist are taken as
 * done.  Anything else fails the task.
 */
static void
run_script(const TaskMsg *task, StringInfo warnings)
{
	ListCell   *lc;
	List	   *owners = NIL;

	foreach(lc, task->statements)
	{
		const char *sql = lfirst(lc);
		char	   *err = NULL;
		int			code = 0;

		CHECK_FOR_INTERRUPTS();

		/*
		 * The schema of thousands of tables locks more objects than the lock
		 * table holds in one transaction: it commits in batches that fit.
		 * A task that fails after a batch is run again, and what a batch
		 * created is then there already (already_there).
		 */
		if (task->kind == TK_SCHEMA && foreach_current_index(lc) > 0 &&
			foreach_current_index(lc) % Max(max_locks_per_xact * 4, 64) == 0)
		{
			PopActiveSnapshot();
			CommitTransactionCommand();
			StartTransactionCommand();
			PushActiveSnapshot(GetTransactionSnapshot());
		}
		/* this session's encoding is the database's already */
		if (pg_strncasecmp(sql, "SET client_encoding", 19) == 0)
			continue;
		if (task->kind == TK_POST ?
			migrate_target_run_isolated(exec_post_data, (void *) sql, &err, &code) :
			migrate_target_exec_isolated_code(sql, &err, &code))
			continue;

		/*
		 * An owner the object cannot be given yet (the new owner lacks
		 * CREATE on a schema whose grants come later in the script) is
		 * given again once the script's grants are in.
		 */
		if (code == ERRCODE_INSUFFICIENT_PRIVILEGE && is_owner_statement(sql))
		{
			/* in the task's memory: a batch's transaction ends before it */
			MemoryContext old = MemoryContextSwitchTo(GetMemoryChunkContext(warnings->data));

			owners = lappend(owners, (void *) sql);
			MemoryContextSwitchTo(old);
			continue;
		}
		if (migrate_statement_tolerated(sql) ||
			(task->attempt > 1 && already_there(code)))
		{
			add_warning(warnings, err, NULL);
			continue;
		}
		ereport(ERROR,
				(errcode(code),
				 errmsg("%s", err),
				 errcontext("statement: %.400s", sql)));
	}

	/*
	 * What still cannot be given stays owned by the migration's owner, and
	 * code the source defined on it then runs as that role: said per object.
	 */
	foreach(lc, owners)
	{
		const char *sql = lfirst(lc);
		char	   *err = NULL;
		int			code = 0;

		CHECK_FOR_INTERRUPTS();
		if (!migrate_target_exec_isolated_code(sql, &err, &code))
			add_warning(warnings,
						psprintf("owner not kept, the object stays owned by %s: %s",
								 quote_identifier(GetUserNameFromId(GetUserId(), false)), err),
						sql);
	}
}

/*
 * What ps shows of a worker at work: "copy public.accounts" and the like, so
 * that an operator (and the benchmark) tells a copy from an index build.
 */
static const char *
task_title(const TaskMsg *task)
{
	const char *what;

	switch (task->kind)
	{
		case TK_SCHEMA:
			what = "schema";
			break;
		case TK_COPY:
			what = "copy";
			break;
		case TK_INDEX:
			what = "index";
			break;
		case TK_CONSTRAINT:
			what = "constraint";
			break;
		case TK_POST:
			what = "post-data";
			break;
		case TK_SEQUENCES:
			what = "sequences";
			break;
		case TK_LARGE_OBJECTS:
			what = "large objects";
			break;
		case TK_ANALYZE:
		case TK_ANALYZE_PARTITIONED:
			what = "analyze";
			break;
		default:
			what = "task";
			break;
	}
	if (task->table_name == NULL)
		return what;
	return psprintf("%s %s", what,
					quote_qualified_identifier(task->schema_name, task->table_name));
}

/*
 * The statistics of a partitioned table across its partitions, and only
 * those: ANALYZE of a partitioned table would analyze every partition again
 * (each had its own task as soon as it was copied) and lock them all.
 */
static void
analyze_partitioned(void *arg)
{
	const TaskMsg *task = arg;
	RangeVar   *rv = makeRangeVar(task->schema_name, task->table_name, -1);
	Oid			relid = RangeVarGetRelid(rv, NoLock, false);
	VacuumParams params;

	migrate_analyze_params(&params);
	analyze_rel(relid, rv, &params, NIL, true, GetAccessStrategy(BAS_VACUUM));
}

/* Runs one task in a transaction of its own. */
static void
run_task(const TaskMsg *task, ResultMsg *result, StringInfo warnings)
{
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, psprintf("migrate task " INT64_FORMAT, task->task_id));
	set_ps_display(task_title(task));

	switch (task->kind)
	{
		case TK_SCHEMA:
		case TK_POST:
			{
				if (task->kind == TK_SCHEMA && task->truncate && task->attempt == 1)
				{
					/* a database that was here before must hold no user tables */
					SourceResult *res = migrate_target_query("SELECT count(*) FROM pg_catalog.pg_class c"
													 " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
													 " WHERE c.relkind IN ('r', 'p')"
													 " AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
													 " AND n.nspname !~ '^pg_toast'"
													 " AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d"
													 "  WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass"
													 "  AND d.objid = c.oid AND d.deptype = 'e')",
													 0, NULL, NULL);

					if (strcmp(SR_VALUE(res, 0, 0), "0") != 0)
						ereport(ERROR,
								(errcode(ERRCODE_DUPLICATE_TABLE),
								 errmsg("database \"%s\" already exists on the target with %s user tables",
										shared->dbname, SR_VALUE(res, 0, 0)),
								 errhint("Migrate into a new database (drop or rename this one), or set \"if_exists\": \"merge\" to migrate into it as it is.")));
				}
				/* the script's own SET statements belong to this session only */
				run_script(task, warnings);
				break;
			}
		case TK_INDEX:
		case TK_CONSTRAINT:
			{
				char	   *err = NULL;
				int			code = 0;

				if (!migrate_target_run_isolated(exec_post_data, task->statement, &err, &code))
				{
					if (!(task->attempt > 1 && already_there(code)))
						ereport(ERROR,
								(errcode(code),
								 errmsg("%s", err),
								 errcontext("statement: %.400s", task->statement)));
				}
				break;
			}
		case TK_COPY:
			{
				SourceConn *conn = snapshot_conn(task->snapshot);
				int64		bytes = 0;
				bool		binary = (shared->source_version / 10000 == PG_VERSION_NUM / 10000);

				result->rows = migrate_copy_table(conn, task, binary, report_progress,
												  (void *) &task->task_id, &bytes);
				result->bytes = bytes;
				break;
			}
		case TK_SEQUENCES:
			{
				SourceConn *conn = snapshot_conn(task->snapshot);
				SourceResult *res;
				int			r;

				res = migrate_source_query(conn,
								   "SELECT schemaname, sequencename, last_value FROM pg_sequences"
								   " WHERE last_value IS NOT NULL",
								   0, NULL);
				for (r = 0; r < res->nrows; r++)
				{
					char	   *err = NULL;
					char	   *sql = psprintf("SELECT pg_catalog.setval(%s, %s::bigint, true)",
											   quote_literal_cstr(quote_qualified_identifier(SR_VALUE(res, r, 0),
																							 SR_VALUE(res, r, 1))),
											   quote_literal_cstr(SR_VALUE(res, r, 2)));

					if (!migrate_target_exec_isolated(sql, &err) && warnings->len < 8000)
						appendStringInfo(warnings, "%ssequence %s.%s: %s", warnings->len ? "; " : "",
										 SR_VALUE(res, r, 0), SR_VALUE(res, r, 1), err);
				}
				result->rows = res->nrows;
				break;
			}
		case TK_LARGE_OBJECTS:
			{
				SourceConn *conn = snapshot_conn(task->snapshot);
				SourceResult *los;
				int			r;
				int64		bytes = 0;

				/* pre-data created them empty, with owners and rights */
				los = migrate_source_query(conn, "SELECT oid::text FROM pg_largeobject_metadata ORDER BY oid",
								   0, NULL);
				for (r = 0; r < los->nrows; r++)
				{
					int64		offset = 0;

					for (;;)
					{
						/* 4MB at a time in a context of its own: bounded memory */
						MemoryContext chunk_cxt = AllocSetContextCreate(CurrentMemoryContext,
																		"migrate large object",
																		ALLOCSET_DEFAULT_SIZES);
						MemoryContext old = MemoryContextSwitchTo(chunk_cxt);
						const char *params[2] = {SR_VALUE(los, r, 0), psprintf(INT64_FORMAT, offset)};
						SourceResult *chunk;
						Oid			types[3] = {OIDOID, INT8OID, BYTEAOID};
						Datum		args[3];
						bytea	   *data;
						int			len;
						int			ret;

						CHECK_FOR_INTERRUPTS();
						chunk = migrate_source_query(conn, "SELECT lo_get($1::oid, $2::bigint, 4194304)",
											 2, params);
						data = DatumGetByteaPP(DirectFunctionCall1(byteain,
																   CStringGetDatum(SR_VALUE(chunk, 0, 0))));
						len = VARSIZE_ANY_EXHDR(data);
						if (len > 0)
						{
							args[0] = ObjectIdGetDatum(atooid(SR_VALUE(los, r, 0)));
							args[1] = Int64GetDatum(offset);
							args[2] = PointerGetDatum(data);
							if (SPI_connect() != SPI_OK_CONNECT)
								elog(ERROR, "SPI_connect failed");
							ret = SPI_execute_with_args("SELECT pg_catalog.lo_put($1, $2, $3)", 3, types,
														args, NULL, false, 0);
							if (ret < 0)
								elog(ERROR, "lo_put failed: %s", SPI_result_code_string(ret));
							SPI_finish();
						}
						MemoryContextSwitchTo(old);
						MemoryContextDelete(chunk_cxt);
						if (len == 0)
							break;
						offset += len;
						bytes += len;
					}
				}
				result->rows = los->nrows;
				result->bytes = bytes;
				break;
			}
		case TK_ANALYZE_PARTITIONED:
			{
				char	   *err = NULL;
				int			code;

				if (!migrate_target_run_isolated(analyze_partitioned, (void *) task, &err, &code))
					appendStringInfoString(warnings, err);
				break;
			}
		case TK_ANALYZE:
			{
				ListCell   *lc;
				char	   *err = NULL;

				/* the qualified name of the copied table */
				foreach(lc, task->statements)
				{
					CHECK_FOR_INTERRUPTS();
					if (!migrate_target_exec_isolated(psprintf("ANALYZE %s", (char *) lfirst(lc)), &err) &&
						warnings->len < 8000)
						appendStringInfo(warnings, "%s%s", warnings->len ? "; " : "", err);
				}
				break;
			}
		default:
			elog(ERROR, "unknown migrate task kind '%c'", task->kind);
	}

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
	shared = shm_toc_lookup(toc, 1, false);

	mq = shm_toc_lookup(toc, 2, false);
	shm_mq_set_receiver(mq, MyProc);
	task_queue = shm_mq_attach(mq, seg, NULL);
	mq = shm_toc_lookup(toc, 3, false);
	shm_mq_set_sender(mq, MyProc);
	result_queue = shm_mq_attach(mq, seg, NULL);

	BackgroundWorkerInitializeConnectionByOid(shared->dboid, shared->owner, 0);
	/* nothing chosen by anyone runs through an unqualified name */
	SetConfigOption("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION);
	SetConfigOption("application_name", "migrate worker", PGC_USERSET, PGC_S_SESSION);

	{
		MemoryContext old = MemoryContextSwitchTo(worker_context);

		source_info = migrate_parse_source(shared->source);
		source_info->require_password = !superuser_arg(shared->owner);
		MemoryContextSwitchTo(old);
	}

	/*
	 * The coordinator checked its library against the extension; a worker
	 * that loaded another library (installed under the running server)
	 * fails every task it is given, with the reason.
	 */
	if (strcmp(shared->version, MIGRATE_VERSION) != 0)
		stale_library = psprintf("the migrate library of this worker is version %s, but its coordinator's is version %s: restart the server after installing a new library",
								 MIGRATE_VERSION, shared->version);

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
		if (task.kind == TK_EXIT)
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
			result.text = edata->context ?
				psprintf("%s (%s)", edata->message, edata->context) : edata->message;
			result.text = migrate_redact(result.text);
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
		if (task.kind != TK_COPY)
			malloc_trim(0);
#endif
	}
	drop_snapshot_conn();
	proc_exit(0);
}
