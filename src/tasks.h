/*-------------------------------------------------------------------------
 *
 * tasks.h
 *		The kinds of task, as data: what each waits for, in its database and
 *		on its table, and the order of work.  The scheduler decides what may
 *		run and what a failure takes with it from this table alone; the
 *		CHECK of migrate.task.kind lists the same names (a test compares
 *		them through migrate.task_kinds()).  A new kind is one row here, one
 *		name in that CHECK, and one function in the worker.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATE_TASKS_H
#define MIGRATE_TASKS_H

#include "postgres.h"

#include "datatype/timestamp.h"
#include "nodes/pg_list.h"

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
	MTK_NKINDS
} MigrateTaskKind;

#define MTK_BIT(k)	(1u << (k))

typedef struct MigrateTaskKindInfo
{
	MigrateTaskKind kind;
	const char *name;			/* in migrate.task.kind */
	char		wire;			/* the first byte of its task message */
	int			priority;		/* lower first */
	int			tiebreak;		/* among equal priority and size: lower first */
	uint32		waits_in_database;	/* kinds whose every task of the database
									 * must be done first */
	uint32		waits_on_table; /* kinds whose tasks on the same table must
								 * be done first (the database's, when the
								 * task names no table) */
	bool		needs_snapshot; /* reads the source at the database's
								 * snapshot */
} MigrateTaskKindInfo;

extern const MigrateTaskKindInfo migrate_task_kinds[MTK_NKINDS];
extern const MigrateTaskKindInfo *migrate_task_kind_by_name(const char *name);

/*
 * The scheduler (scheduler.c): the tasks of a migration in memory, with
 * counters per database and table, kept in step with migrate.task by the
 * coordinator, its only writer while it runs.
 */
typedef struct SchedTask
{
	int64		id;
	MigrateTaskKind kind;
	int			db;				/* index of its database */
	int			table;			/* index of its table, or -1 */
	int			part;
	int			parts;
	int64		size;
	char		state;			/* p(ending), r(unning), d(one), f(ailed) */
	int			attempts;
	TimestampTz retry_at;		/* 0: now */
} SchedTask;

typedef struct SchedCounts
{
	int64		tasks;			/* all */
	int64		open;			/* pending or running */
	int64		open_copy;		/* of them, reading the snapshot */
	int64		running;
	int64		failed;
	int64		done_copy;		/* copy tasks done */
} SchedCounts;

extern void migrate_sched_load(int64 migration_id);
extern bool migrate_sched_loaded(void);
extern void migrate_sched_set_state(int64 task_id, char state, int attempts, TimestampTz retry_at);
extern SchedTask *migrate_sched_task(int64 task_id);
extern List *migrate_sched_fail_dependents(int64 task_id);
extern List *migrate_sched_runnable(bool (*usable) (const char *dbname, MigrateTaskKind kind),
									int limit);
extern const char *migrate_sched_task_dbname(const SchedTask *t);
extern void migrate_sched_counts(const char *dbname, SchedCounts *out);

#endif							/* MIGRATE_TASKS_H */
