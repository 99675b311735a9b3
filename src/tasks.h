/*-------------------------------------------------------------------------
 *
 * tasks.h
 *		The kinds of task, as data: what each waits for, in its database and
 *		on its table, and the order of work.  The scheduler decides what may
 *		run and what a failure takes with it from this table alone, and a
 *		worker runs a task with the function of its kind's row.  The CHECK
 *		of migrate.task.kind lists the same names (a test compares them
 *		through migrate.task_kinds()).  A new kind is one row in tasks.c,
 *		one name in that CHECK, and its function (worker_tasks.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATE_TASKS_H
#define MIGRATE_TASKS_H

#include "postgres.h"

#include "lib/stringinfo.h"

#include "protocol.h"

typedef enum MigrateTaskKind
{
	MTK_SCHEMA,					/* the pre-data script, one transaction */
	MTK_COPY,					/* a table, or a block range of one */
	MTK_INDEX,					/* an index or a key (post-data) */
	MTK_CONSTRAINT,				/* a foreign key (post-data) */
	MTK_POST,					/* the rest of post-data, in order */
	MTK_SEQUENCES,				/* sequences set from the snapshot */
	MTK_LARGE_OBJECTS,			/* the data of large objects */
	MTK_ANALYZE,				/* statistics of one table */
	MTK_ANALYZE_PARTITIONED,	/* statistics of a partitioned table */
	MTK_ANALYZE_SMALL,			/* statistics of many small tables at once */
	MTK_SUBSCRIBE,				/* replication: the subscription, once the
								 * data and keys are in */
	MTK_JOIN,					/* replication: tables made on the source
								 * while replicating, joined to the stream */
	MTK_CUTOVER,				/* replication: sequences and materialized
								 * views brought up to date, the subscription
								 * dropped */
	MTK_VERIFY,					/* migrate.verify: a table, or the schema or
								 * large objects of a database, compared */
	MTK_REPAIR,					/* migrate.repair: the ranges of a table that
								 * differ, copied again */
	MTK_NKINDS
} MigrateTaskKind;

#define MTK_BIT(k)	(1u << (k))

/* What a task message carries besides the task's table. */
typedef enum MigrateTaskBody
{
	MTB_NONE,
	MTB_SCRIPT,					/* the task's statement, split: statements */
	MTB_STATEMENT,				/* the task's statement: statement */
	MTB_TABLE,					/* the qualified table name: statements */
	MTB_NAMES					/* the task's statement, qualified names one a
								 * line: statements */
} MigrateTaskBody;

/* Runs TASK in the worker's transaction; fills RESULT's rows and bytes. */
typedef void (*MigrateTaskRun) (const TaskMsg *task, ResultMsg *result,
								StringInfo warnings);

typedef struct MigrateTaskKindInfo
{
	MigrateTaskKind kind;
	const char *name;			/* in migrate.task.kind */
	int			priority;		/* lower first */
	int			tiebreak;		/* among equal priority and size: lower first */
	uint32		waits_in_database;	/* kinds whose every task of the database
									 * must be done first */
	uint32		waits_on_table; /* kinds whose tasks on the same table must
								 * be done first (the database's, when the
								 * task names no table) */
	bool		needs_snapshot; /* reads the source at the database's
								 * snapshot */
	MigrateTaskBody body;
	const char *title;			/* what ps shows of a worker running it */
	MigrateTaskRun run;			/* the worker's function (worker_tasks.c) */
} MigrateTaskKindInfo;

extern const MigrateTaskKindInfo migrate_task_kinds[MTK_NKINDS];
extern const MigrateTaskKindInfo *migrate_task_kind_by_name(const char *name);

#endif							/* MIGRATE_TASKS_H */
