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
	int			verify;			/* a MigrateVerifyLevel (verify.h) */
	char	   *notify_url;
	bool		if_exists_merge;	/* migrate into existing user tables */
} MigrateOptions;

extern MigrateOptions *migrate_parse_options(Jsonb *options);
extern void migrate_require_arg(FunctionCallInfo fcinfo, int argno, const char *name);
extern bool migrate_pattern_match(const char *pattern, const char *name);
extern bool migrate_split_table_pattern(const char *pattern, char **parts);
/*
 * The root partitioned table of pg_class row "c" of a source query, as
 * columns root.root_nsp and root.root_rel (NULL for a table that is no
 * partition), for migrate_options_table_selected: a join to add after the
 * query's pg_class c.
 */
#define MIGRATE_PARTITION_ROOT_JOIN \
	" LEFT JOIN LATERAL (WITH RECURSIVE up(relid, depth) AS (" \
	"  SELECT c.oid, 0 UNION ALL SELECT i.inhparent, up.depth + 1 FROM pg_inherits i" \
	"  JOIN up ON i.inhrelid = up.relid JOIN pg_class p ON p.oid = i.inhparent AND p.relkind = 'p')" \
	" SELECT rn.nspname AS root_nsp, r.relname AS root_rel FROM up JOIN pg_class r ON r.oid = up.relid" \
	"  JOIN pg_namespace rn ON rn.oid = r.relnamespace WHERE up.depth > 0 ORDER BY up.depth DESC LIMIT 1) root ON true"

extern bool migrate_table_pattern_match(const char *pattern, const char *dbname,
										const char *nsp, const char *rel);
extern bool migrate_options_table_selected(const MigrateOptions *opts, const char *dbname,
										   const char *nsp, const char *rel,
										   const char *root_nsp, const char *root_rel);
extern bool migrate_database_selected(const MigrateOptions *opts,
									  const char *dbname);

#endif							/* MIGRATE_OPTIONS_H */
