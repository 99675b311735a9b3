/*-------------------------------------------------------------------------
 *
 * coordinator.h
 *		What the files of the coordinator share: the migration it runs and
 *		the databases it moves along.
 *
 * The coordinator is one dynamic background worker a migration.  Its files,
 * one concern each:
 *	coordinator.c	the loop: start, stop, the end of the migration
 *	steps.c			the steps of a database, one function each
 *	plan.c			what the steps plan: databases, their creation, tasks
 *	dispatch.c		tasks handed to workers, and their results taken back
 *	pool.c			the copy workers: started, polled, dismissed
 *	state.c			transactions on the state, events and webhooks, retries
 * The kinds of task and the scheduler that orders them are tasks.c and
 * scheduler.c.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATE_COORDINATOR_H
#define MIGRATE_COORDINATOR_H

#include "postgres.h"

#include "datatype/timestamp.h"
#include "nodes/pg_list.h"

#include "conninfo.h"
#include "options.h"
#include "source.h"

#define MIGRATE_MAX_ATTEMPTS	5	/* a task's tries */
#define MIGRATE_MAX_SLOTS		64	/* workers of one migration */
#define MIGRATE_ADVANCE_MS		250 /* how often the databases move on */
#define MIGRATE_MAX_DB_ATTEMPTS 8	/* a database step's tries on transient
									 * errors */

/* A database of the migration, as the coordinator follows it. */
typedef struct DbState
{
	char	   *name;
	MemoryContext cxt;			/* holds the snapshot connection */
	SourceConn *snap_conn;		/* holds the snapshot (a walsender for the
								 * replication method) */
	SourceConn *query_conn;		/* queries at the snapshot, when snap_conn is
								 * a walsender */
	char	   *snapshot;
	/* the replication method (its names live as long as the coordinator) */
	bool		replication;
	char	   *publication;
	char	   *subscription;
	char	   *slot;
	TimestampTz lag_at;			/* when the lag was last measured */
	TimestampTz schema_at;		/* when the source's schema was last compared */
	bool		in_sync;		/* as last measured */
	bool		wal_high;		/* the slot keeps more than migrate.slot_wal_warning */
	bool		apply_failing;	/* its apply worker fails (or it is disabled) */
	bool		apply_errors_seen;	/* apply_errors was read */
	int64		apply_errors;	/* pg_stat_subscription_stats.apply_error_count */
	TimestampTz apply_error_at; /* when it last grew */
	char	   *apply_error_lsn;	/* the confirmed position then */
	int			attempts;		/* failed tries of its current step */
	TimestampTz retry_at;		/* not before then */
	bool		dispatchable;	/* planned and not finished: its tasks may run */
} DbState;

/* The migration this coordinator runs. */
typedef struct Coordinator
{
	int64		migration_id;
	Oid			owner;			/* the role that started it */
	SourceInfo *source;
	char	   *source_string;
	MigrateOptions *options;
	int			source_version;
	int			max_workers;
	List	   *dbstates;		/* DbState * */
	SourceConn *monitor;		/* the source, for the replication lag */
	MemoryContext monitor_cxt;
	MemoryContext cxt;			/* lives as long as the coordinator */
} Coordinator;

extern Coordinator migrate_coord;

#endif							/* MIGRATE_COORDINATOR_H */
