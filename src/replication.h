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

#include "nodes/pg_list.h"

#include "conninfo.h"
#include "source.h"

/* What every name of the method starts with (cleanup looks for it). */
#define MIGRATE_REPLICATION_PREFIX	"aiven_db_migrate_"

typedef enum MigrateReplicationObject
{
	MRO_PUBLICATION,
	MRO_SUBSCRIPTION,
	MRO_SLOT,
	MRO_SNAPSHOT				/* the temporary slot of a new snapshot */
} MigrateReplicationObject;

/* What a stop says of the replication objects it keeps. */
#define MIGRATE_REPLICATION_KEPT \
	"the subscriptions keep applying and the slots keep WAL on the source until the migration is resumed or cancelled, or migrate.cleanup() drops them"

/* A slot as the source sees it (migrate_source_slot_lag). */
typedef struct MigrateSlotLag
{
	bool		found;
	bool		active;
	char	   *source_lsn;		/* pg_current_wal_lsn() */
	char	   *confirmed_lsn;	/* NULL until a subscriber confirmed */
	int64		lag_bytes;		/* source_lsn - confirmed (or restart) lsn */
	int64		retained_bytes; /* WAL the slot keeps */
	char	   *wal_status;		/* reserved, extended, unreserved, lost */
} MigrateSlotLag;

extern char *migrate_replication_name(const char *dbname, MigrateReplicationObject what);

/* on the source */
extern List *migrate_source_identity_candidates(SourceConn *conn, bool all);
extern void migrate_source_identity_set_full(SourceConn *conn, List *names);
extern void migrate_source_identity_restore(SourceConn *conn, List *names);
extern void migrate_source_create_publication(SourceConn *conn, const char *pubname,
											  bool all_tables, List *tables);
extern void migrate_source_drop_publication(SourceConn *conn, const char *pubname);
extern bool migrate_source_drop_slot(SourceConn *conn, const char *slot, int wait_ms);
extern void migrate_source_create_slot(SourceConn *rc, const char *slot, bool temporary,
									   char **lsn, char **snapshot);
extern void migrate_source_slot_lag(SourceConn *conn, const char *slot, MigrateSlotLag *lag);
extern List *migrate_source_schema(SourceConn *conn);
extern bool migrate_source_fence(SourceConn *conn, const char *dbname);
extern void migrate_source_unfence(SourceConn *conn, const char *dbname);

/* on the target, in the subscription's database (a worker's) */
extern char *migrate_subscription_conninfo(const SourceInfo *src, const char *dbname);
extern char *migrate_create_subscription(const char *subname, const char *pubname,
										 const char *slot, const char *conninfo,
										 List *tables);
extern bool migrate_drop_subscription(const char *subname, bool ours);
extern char *migrate_subscription_add_tables(const char *subname, List *tables, int *added);
extern int	migrate_subscription_unready(const char *subname, List *tables);
extern void migrate_subscription_remove_table(const char *subname, const char *table);
extern List *migrate_apply_hazards(List *relids);

#endif							/* MIGRATE_REPLICATION_H */
