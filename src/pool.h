/*-------------------------------------------------------------------------
 *
 * pool.h
 *		The coordinator's copy workers, each bound to one target database
 *		(pool.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATE_POOL_H
#define MIGRATE_POOL_H

#include "postgres.h"

#include "postmaster/bgworker.h"
#include "storage/dsm.h"
#include "storage/shm_mq.h"

#include "protocol.h"

typedef struct WorkerSlot
{
	bool		in_use;
	BackgroundWorkerHandle *handle;
	dsm_segment *seg;
	shm_mq_handle *tasks;
	shm_mq_handle *results;
	char		dbname[NAMEDATALEN];
	int64		task_id;		/* 0 when idle */
	bool		exiting;
} WorkerSlot;

extern int	migrate_pool_live(void);
extern int	migrate_pool_room(void);
extern WorkerSlot *migrate_pool_idle(const char *dbname);
extern WorkerSlot *migrate_pool_start(const char *dbname, Oid dboid, Oid owner);
extern bool migrate_pool_send(WorkerSlot *slot, const TaskMsg *msg);
extern void migrate_pool_free(WorkerSlot *slot);
extern void migrate_pool_terminate_task(int64 task_id);
extern bool migrate_pool_poll(void);
extern void migrate_pool_dismiss_idle(const char *dbname);
extern void migrate_pool_stop(void);

#endif							/* MIGRATE_POOL_H */
