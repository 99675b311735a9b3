/*-------------------------------------------------------------------------
 *
 * dispatch.h
 *		Tasks handed to the workers in the scheduler's order, and their
 *		results recorded (dispatch.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATE_DISPATCH_H
#define MIGRATE_DISPATCH_H

#include "postgres.h"

#include "pool.h"
#include "protocol.h"

extern void migrate_dispatch(void);
extern void migrate_handle_result(WorkerSlot *slot, const ResultMsg *msg);
extern void migrate_task_unknown(int64 task_id);
extern void migrate_flush_progress(void);

#endif							/* MIGRATE_DISPATCH_H */
