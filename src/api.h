/*-------------------------------------------------------------------------
 *
 * api.h
 *		What the SQL functions of the API share (api.c, api_replication.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATE_API_H
#define MIGRATE_API_H

#include "postgres.h"

extern void migrate_check_migration_owner(int64 id, char **state_out);
extern bool migrate_coordinator_running(int64 id);

#endif							/* MIGRATE_API_H */
