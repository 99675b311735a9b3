/*-------------------------------------------------------------------------
 *
 * engine.h
 *		The migration engine: coordinator, copy workers, and the messages
 *		between them.
 *
 * A coordinator (one dynamic background worker a migration, connected to
 * the database that holds the state) plans tasks into migrate.task and
 * hands them to copy workers.  A copy worker is bound to one target
 * database; it gets its tasks and returns its results and progress through
 * a pair of shm_mq queues in a DSM segment the coordinator made for it.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATE_ENGINE_H
#define MIGRATE_ENGINE_H

#include "migrate.h"

#include "postmaster/bgworker.h"
#include "storage/dsm.h"
#include "storage/shm_mq.h"

#define MIGRATE_MQ_SIZE			(64 * 1024)
#define MIGRATE_ADVISORY_KEY	0x6D696772	/* "migr": key 1 of the lock a
											 * coordinator holds */

/* What a worker is asked to do (first byte of a task message). */
typedef enum TaskKind
{
	TK_SCHEMA = 's',			/* a script of statements, one transaction */
	TK_COPY = 'c',				/* a table or a block range of one */
	TK_INDEX = 'i',				/* one post-data statement */
	TK_CONSTRAINT = 'f',		/* one post-data statement (foreign key) */
	TK_POST = 'p',				/* the rest of post-data, in order */
	TK_SEQUENCES = 'q',			/* set sequences from the snapshot */
	TK_LARGE_OBJECTS = 'l',		/* the data of large objects */
	TK_ANALYZE = 'a',			/* ANALYZE a copied table */
	TK_ANALYZE_PARTITIONED = 'A',	/* ANALYZE a partitioned table, not its
									 * partitions */
	TK_EXIT = 'x'				/* no more work: exit */
} TaskKind;

/* What a worker reports (first byte of a result message). */
typedef enum ResultKind
{
	RK_PROGRESS = 'P',			/* task id, rows, bytes so far */
	RK_DONE = 'D',				/* task id, rows, bytes, warnings */
	RK_ERROR = 'E'				/* task id, sqlstate, message */
} ResultKind;

/* A task as sent to a worker. */
typedef struct TaskMsg
{
	char		kind;
	int64		task_id;
	int			attempt;
	char	   *schema_name;
	char	   *table_name;
	int64		block_from;		/* -1: from the start */
	int64		block_to;		/* -1: to the end */
	bool		truncate;		/* copy: empty the table first, same
								 * transaction; schema: the database existed,
								 * refuse it if it has user tables */
	char	   *snapshot;		/* exported snapshot of the source database */
	char	   *statement;		/* one SQL statement */
	List	   *statements;		/* a script (char *), or table names */
} TaskMsg;

/* A result as sent back. */
typedef struct ResultMsg
{
	char		kind;
	int64		task_id;
	int64		rows;
	int64		bytes;
	char	   *sqlstate;
	char	   *text;			/* error message, or warnings */
} ResultMsg;

/* The fixed part of a worker's DSM segment. */
typedef struct WorkerShared
{
	int64		migration_id;
	Oid			dboid;
	Oid			owner;
	int			source_version;
	pid_t		coordinator_pid;
	char		version[32];	/* the coordinator's MIGRATE_VERSION */
	char		dbname[NAMEDATALEN];
	char		source[FLEXIBLE_ARRAY_MEMBER];	/* the source string */
} WorkerShared;

/* Message encoding (worker.c). */
extern void migrate_task_msg_encode(StringInfo buf, const TaskMsg *msg);
extern void migrate_task_msg_decode(const char *data, Size len, TaskMsg *msg);
extern void migrate_result_msg_encode(StringInfo buf, const ResultMsg *msg);
extern void migrate_result_msg_decode(const char *data, Size len, ResultMsg *msg);

/* Background worker entry points. */
extern PGDLLEXPORT void migrate_coordinator_main(Datum main_arg);
extern PGDLLEXPORT void migrate_worker_main(Datum main_arg);
extern PGDLLEXPORT void migrate_launcher_main(Datum main_arg);

/* Starting workers (launcher.c). */
extern void migrate_bgworker_init(BackgroundWorker *bgw, const char *function,
								  const char *type, const char *name);
extern bool migrate_launch_coordinator(int64 migration_id, const char *owner_name,
									   BackgroundWorkerHandle **handle);
extern void migrate_register_launcher(void);

/* Schema (schema.c). */
typedef struct DumpStatement
{
	char	   *sql;
	char		kind;			/* TK_INDEX, TK_CONSTRAINT, TK_POST; or 's' */
	char	   *schema_name;	/* the table it is on, when known */
	char	   *table_name;
} DumpStatement;

extern void migrate_pg_dump_schema(const SourceInfo *src, const char *dbname,
								   const char *snapshot, const char *encoding,
								   char **pre, char **post);
extern List *migrate_split_sql(const char *script);
extern List *migrate_try_raw_parse(const char *sql);
extern List *migrate_classify_post_data(List *statements);
extern bool migrate_statement_tolerated(const char *sql);
extern void migrate_clean_tmp_dir(void);

/* Copy (copy.c). */
typedef void (*copy_progress_cb) (int64 rows, int64 bytes, void *arg);
extern uint64 migrate_copy_table(SourceConn *conn, const TaskMsg *task,
								 bool binary_ok, copy_progress_cb progress,
								 void *progress_arg, int64 *bytes_out);

/* Webhooks (notify.c). */
extern char *migrate_notify_post(const char *url, const char *body);
extern bool migrate_notify_url_allowed(const char *url);

/* Events (coordinator.c). */
extern void migrate_event(int64 migration_id, const char *kind, const char *detail_json);
extern void migrate_exec_toplevel(const char *sql);

/* Validate, for start (validate.c). */
typedef struct CheckRow
{
	const char *check_name;
	const char *status;
	char	   *detail;
	char	   *hint;
} CheckRow;
extern List *migrate_run_checks(const char *source, Jsonb *options);

#endif							/* MIGRATE_ENGINE_H */
