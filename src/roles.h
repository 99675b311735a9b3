/*-------------------------------------------------------------------------
 *
 * roles.h
 *		Roles copied from the source, with placeholder passwords (roles.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATE_ROLES_H
#define MIGRATE_ROLES_H

#include "postgres.h"

#include "nodes/pg_list.h"

#include "options.h"
#include "source.h"

typedef struct RoleCopyResult
{
	char	   *rolname;
	char	   *rolpassword;	/* a placeholder shown once, or NULL */
	const char *status;			/* created, exists, skipped, failed */
	char	   *message;
} RoleCopyResult;

extern const char *migrate_role_missing_right(bool super, bool replication,
											  bool bypassrls, bool *why_createrole);
extern bool migrate_role_skipped(const char *rolname, const MigrateOptions *opts,
								 const char **why);
extern const char *migrate_membership_refusal(const char *granted, bool existed,
											  const MigrateOptions *opts);
extern void migrate_check_role_options(const MigrateOptions *opts);

extern List *migrate_copy_roles(SourceConn *conn, const MigrateOptions *opts);
extern void migrate_record_roles(int64 migration_id, List *results);
extern char *migrate_role_setting_statement(const char *rolname, const char *dbname,
											const char *name, const char *value);
extern char *migrate_copy_database_role_settings(SourceConn *conn, int64 migration_id,
												 const char *dbname);

#endif							/* MIGRATE_ROLES_H */
