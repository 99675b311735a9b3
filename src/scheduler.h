/*-------------------------------------------------------------------------
 *
 * scheduler.h
 *		The tasks of a migration in memory, ordered and counted (scheduler.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATE_SCHEDULER_H
#define MIGRATE_SCHEDULER_H

#include "postgres.h"

#include "datatype/timestamp.h"
#include "nodes/pg_list.h"

#include "tasks.h"

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
extern bool migrate_sched_step_due(void);

#endif							/* MIGRATE_SCHEDULER_H */
