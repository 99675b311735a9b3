/*-------------------------------------------------------------------------
 *
 * migrate.h
 *		The settings of the migrate library (migrate.c, which also holds
 *		_PG_init), and where its programs are.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATE_H
#define MIGRATE_H

#include "postgres.h"

/* GUCs */
extern char *migrate_database;
extern int	migrate_max_workers;
extern char *migrate_pg_bin_dir;
extern int	migrate_source_timeout;
extern int	migrate_source_lock_timeout;
extern int	migrate_slot_wal_warning;
extern char *migrate_notify_allowed_urls;

extern char *migrate_bin_path(const char *program);

#endif							/* MIGRATE_H */
