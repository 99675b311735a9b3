/*-------------------------------------------------------------------------
 *
 * protocol.h
 *		What a coordinator and its copy workers say to each other
 *		(protocol.c).
 *
 * A coordinator (one dynamic background worker a migration, connected to
 * the database that holds the state) hands tasks to copy workers.  A copy
 * worker is bound to one target database; it gets its tasks and returns its
 * results and progress through a pair of shm_mq queues in a DSM segment the
 * coordinator made for it, whose fixed part is a WorkerShared.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATE_PROTOCOL_H
#define MIGRATE_PROTOCOL_H

#include "postgres.h"

#include "lib/stringinfo.h"
#include "nodes/pg_list.h"

#define MIGRATE_MQ_SIZE			(64 * 1024)
#define MIGRATE_ADVISORY_KEY	0x6D696772	/* "migr": key 1 of the lock a
											 * coordinator holds, and the
											 * magic of a worker's segment */

#define MIGRATE_CUTOVER_KEY		0x6D696763	/* "migc": key 1 of the lock a
											 * caller of migrate.cutover holds */

#define MIGRATE_GUARD_KEY		0x6D696767	/* "migg": key 1 of the lock that
											 * orders the guard of a
											 * subscription after its checks */

/* The keys of a worker's DSM segment. */
#define MIGRATE_KEY_SHARED		1
#define MIGRATE_KEY_TASKS		2
#define MIGRATE_KEY_RESULTS		3

/* The kind of a task message that asks the worker to exit. */
#define MIGRATE_TASK_EXIT		255

/*
 * A task's warnings come back as lines, one a warning; a line that is about
 * one object starts with its name and this byte.
 */
#define MIGRATE_WARNING_OBJECT_END	'\x1f'

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
	int			kind;			/* a MigrateTaskKind, or MIGRATE_TASK_EXIT */
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

extern void migrate_task_msg_encode(StringInfo buf, const TaskMsg *msg);
extern void migrate_task_msg_decode(const char *data, Size len, TaskMsg *msg);
extern void migrate_result_msg_encode(StringInfo buf, const ResultMsg *msg);
extern void migrate_result_msg_decode(const char *data, Size len, ResultMsg *msg);

#endif							/* MIGRATE_PROTOCOL_H */
