/*-------------------------------------------------------------------------
 *
 * launcher.h
 *		The background workers of migrate and how they are started
 *		(launcher.c): the launcher (with the library preloaded), a
 *		coordinator a migration, copy workers.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATE_LAUNCHER_H
#define MIGRATE_LAUNCHER_H

#include "postgres.h"

#include "postmaster/bgworker.h"

#include "verify.h"

/* Entry points (launcher.c, coordinator.c, worker.c). */
extern PGDLLEXPORT void migrate_launcher_main(Datum main_arg);
extern PGDLLEXPORT void migrate_coordinator_main(Datum main_arg);
extern PGDLLEXPORT void migrate_worker_main(Datum main_arg);

extern void migrate_bgworker_init(BackgroundWorker *bgw, const char *function,
								  const char *type, const char *name);
extern bool migrate_launch_coordinator(int64 migration_id, const char *owner_name,
									   BackgroundWorkerHandle **handle);
extern bool migrate_launch_verifier(int64 migration_id, const char *owner_name,
									const VerifyRequest *req, BackgroundWorkerHandle **handle);
extern void migrate_register_launcher(void);

#endif							/* MIGRATE_LAUNCHER_H */
