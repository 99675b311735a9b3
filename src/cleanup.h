/*-------------------------------------------------------------------------
 *
 * cleanup.h
 *		Removing the replication method's objects (cleanup.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATE_CLEANUP_H
#define MIGRATE_CLEANUP_H

#include "postgres.h"

extern PGDLLEXPORT void migrate_unsubscribe_main(Datum main_arg);
extern char *migrate_drop_subscription_in(const char *dbname, const char *subname, Oid role,
										  bool ours);

#endif							/* MIGRATE_CLEANUP_H */
