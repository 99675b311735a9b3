/*-------------------------------------------------------------------------
 *
 * options.h
 *		The options of validate and start, parsed (options.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATE_OPTIONS_H
#define MIGRATE_OPTIONS_H

#include "postgres.h"

#include "fmgr.h"
#include "nodes/pg_list.h"
#include "utils/jsonb.h"

/*
 * Options of validate and start (options.c).  Every key that a user may give
 * is a field here; the parser fills defaults for the rest.
 */
typedef enum MigrateMethod
{
	METHOD_AUTO,
	METHOD_REPLICATION,
	METHOD_DUMP
} MigrateMethod;

typedef enum MigrateVerify
{
	VERIFY_NONE,
	VERIFY_COUNTS,
	VERIFY_CHECKSUMS
} MigrateVerify;

typedef struct RolePassword
{
	char	   *rolname;
	char	   *password;
} RolePassword;

typedef struct MigrateOptions
{
	MigrateMethod method;
	List	   *databases;		/* patterns (char *); NIL means all */
	List	   *exclude_databases;	/* patterns */
	List	   *tables;			/* patterns db.schema.table */
	List	   *exclude_tables;
	bool		roles;
	List	   *role_passwords; /* RolePassword * */
	List	   *exclude_roles;	/* patterns */
	bool		copy_password_hashes;
	bool		sync_existing_roles;
	bool		grant_predefined_roles;
	bool		replicate_extension_tables;
	int64		max_replication_lag;	/* bytes, -1 when not given */
	bool		stop_replication;
	bool		fence_writes;	/* the migrated databases read-only on the
								 * source for the cutover */
	int			workers;		/* 0 means migrate.max_workers */
	int64		split_size;		/* bytes */
	int64		dbs_max_total_size; /* bytes, -1 when not given */
	MigrateVerify verify;
	char	   *notify_url;
	bool		if_exists_merge;	/* migrate into existing user tables */
} MigrateOptions;

extern MigrateOptions *migrate_parse_options(Jsonb *options);
extern void migrate_require_arg(FunctionCallInfo fcinfo, int argno, const char *name);
extern bool migrate_pattern_match(const char *pattern, const char *name);
extern bool migrate_split_table_pattern(const char *pattern, char **parts);
extern bool migrate_database_selected(const MigrateOptions *opts,
									  const char *dbname);

#endif							/* MIGRATE_OPTIONS_H */
