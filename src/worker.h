/*-------------------------------------------------------------------------
 *
 * worker.h
 *		A copy worker: its loop (worker.c) and the function of each kind of
 *		task (worker_tasks.c), which the kinds' table names (tasks.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATE_WORKER_H
#define MIGRATE_WORKER_H

#include "postgres.h"

#include "lib/stringinfo.h"

#include "conninfo.h"
#include "protocol.h"
#include "source.h"

/* What the loop offers the functions of the tasks (worker.c). */
extern WorkerShared *migrate_worker_shared;
extern const SourceInfo *migrate_worker_source(void);
extern SourceConn *migrate_worker_snapshot_conn(const char *snapshot);
extern void migrate_worker_progress(int64 rows, int64 bytes, void *arg);

/*
 * One function a kind of task (worker_tasks.c).  Each runs in the
 * transaction the loop started for the task; an error fails the task.
 */
extern void migrate_run_schema(const TaskMsg *task, ResultMsg *result, StringInfo warnings);
extern void migrate_run_post(const TaskMsg *task, ResultMsg *result, StringInfo warnings);
extern void migrate_run_statement(const TaskMsg *task, ResultMsg *result, StringInfo warnings);
extern void migrate_run_copy(const TaskMsg *task, ResultMsg *result, StringInfo warnings);
extern void migrate_run_sequences(const TaskMsg *task, ResultMsg *result, StringInfo warnings);
extern void migrate_run_large_objects(const TaskMsg *task, ResultMsg *result, StringInfo warnings);
extern void migrate_run_analyze(const TaskMsg *task, ResultMsg *result, StringInfo warnings);
extern void migrate_run_subscribe(const TaskMsg *task, ResultMsg *result,
								  StringInfo warnings);
extern void migrate_run_join(const TaskMsg *task, ResultMsg *result, StringInfo warnings);
extern void migrate_run_cutover(const TaskMsg *task, ResultMsg *result,
								StringInfo warnings);
extern void migrate_run_analyze_partitioned(const TaskMsg *task, ResultMsg *result,
											StringInfo warnings);

#endif							/* MIGRATE_WORKER_H */
