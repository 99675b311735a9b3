/*-------------------------------------------------------------------------
 *
 * steps.h
 *		The steps of a database, from pending to done (steps.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATE_STEPS_H
#define MIGRATE_STEPS_H

#include "postgres.h"

#include "coordinator.h"

typedef struct DbStepInfo
{
	const char *status;			/* in migrate.database_state.status */
	const char *does;			/* what happens in it, for the docs */
} DbStepInfo;

extern DbState *migrate_db_state(const char *name);
extern void migrate_set_db_status(const char *dbname, const char *status,
								  const char *message);
extern void migrate_open_snapshot(DbState *db);
extern void migrate_close_snapshot(DbState *db);
extern bool migrate_advance_databases(void);
extern SourceConn *migrate_db_query_conn(DbState *db);
extern char *migrate_source_position(void);
extern void migrate_cutover_requests(void);
extern void migrate_subscribe_statement(DbState *db);
extern void migrate_remove_replication(void);
extern void migrate_unfence_databases(void);
extern bool migrate_has_replication(void);

#endif							/* MIGRATE_STEPS_H */
