/*-------------------------------------------------------------------------
 *
 * live.h
 *		Live progress of running tasks in shared memory, when the library is
 *		preloaded (live.c): a worker writes its counters where any session
 *		reads them, with no message and no write to migrate.task until the
 *		task ends.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATE_LIVE_H
#define MIGRATE_LIVE_H

#include "postgres.h"

extern void migrate_live_init(void);
extern bool migrate_live_available(void);
extern void migrate_live_begin(int64 migration_id, Oid owner, int64 task_id);
extern void migrate_live_set(int64 rows, int64 bytes);

#endif							/* MIGRATE_LIVE_H */
