/*-------------------------------------------------------------------------
 *
 * replication.h
 *		The replication method's objects (replication.c): their names,
 *		derived from a database's name as a contract with the runbooks of
 *		the original aiven-db-migrate.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATE_REPLICATION_H
#define MIGRATE_REPLICATION_H

#include "postgres.h"

/* What every name of the method starts with (cleanup looks for it). */
#define MIGRATE_REPLICATION_PREFIX	"aiven_db_migrate_"

typedef enum MigrateReplicationObject
{
	MRO_PUBLICATION,
	MRO_SUBSCRIPTION,
	MRO_SLOT
} MigrateReplicationObject;

extern char *migrate_replication_name(const char *dbname, MigrateReplicationObject what);

#endif							/* MIGRATE_REPLICATION_H */
