/*-------------------------------------------------------------------------
 *
 * migrate.h
 *		Declarations shared by the files of the migrate extension.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATE_H
#define MIGRATE_H

#include "postgres.h"

#include "lib/stringinfo.h"
#include "nodes/pg_list.h"
#include "utils/jsonb.h"

#include "libpq-fe.h"

/* GUCs (migrate.c) */
extern char *migrate_database;
extern int	migrate_max_workers;
extern char *migrate_pg_bin_dir;
extern int	migrate_source_timeout;
extern int	migrate_source_lock_timeout;
extern char *migrate_notify_allowed_urls;

/* migrate.c */
extern char *migrate_bin_path(const char *program);

/* redact.c */
extern void migrate_install_log_hook(void);
extern void migrate_register_secret(const char *secret);
extern char *migrate_redact(const char *text);

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

/*
 * A parsed source connection string (conninfo.c).  keywords/values are the
 * non-empty options of the string, ready for PQconnectStartParams; dbname
 * may be replaced per database.
 */
typedef struct SourceInfo
{
	int			nparams;
	const char **keywords;
	const char **values;
	char	   *password;		/* NULL when none was given */
	char	   *masked;			/* key=value form, password masked */
	int			connect_timeout;	/* seconds */
	bool		require_password;	/* the asking role is not a superuser */
} SourceInfo;

extern SourceInfo *migrate_parse_source(const char *source);
extern char *migrate_source_dbname(const SourceInfo *src);
extern void migrate_check_source_rules(SourceInfo *src, Oid roleid);
extern char *migrate_pinned_source(const SourceInfo *src, PGconn *conn);
extern void migrate_append_conninfo_pair(StringInfo buf, const char *keyword,
										 const char *value);

/* Role copy (roles.c). */
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

/* Connections to the source (source.c). */
typedef struct SourceConn
{
	PGconn	   *conn;
	char	   *dbname;
	bool		cancel_on_close;
} SourceConn;

typedef struct SourceResult
{
	int			nrows;
	int			ncols;
	char	  **values;			/* nrows * ncols; NULL for SQL NULL */
} SourceResult;

/*
 * A value of a result, NULL for SQL NULL.  Out of the result's rows or
 * columns is an error, never a read of whatever lies there: a source may
 * answer with fewer rows or columns than any honest server would.
 */
static inline char *
sr_value(const SourceResult *res, int row, int col)
{
	if (row < 0 || row >= res->nrows || col < 0 || col >= res->ncols)
		ereport(ERROR,
				(errcode(ERRCODE_PROTOCOL_VIOLATION),
				 errmsg("a query answered with %d row%s of %d column%s where row %d column %d was expected",
						res->nrows, res->nrows == 1 ? "" : "s", res->ncols,
						res->ncols == 1 ? "" : "s", row + 1, col + 1),
				 errhint("The source server did not answer as PostgreSQL does: check that the source is the server it should be.")));
	return res->values[row * res->ncols + col];
}

#define SR_VALUE(res, row, col) sr_value((res), (row), (col))
/* where a result is filled in */
#define SR_SLOT(res, row, col) ((res)->values[(row) * (res)->ncols + (col)])

extern SourceConn *migrate_source_connect(const SourceInfo *src, const char *dbname,
								  char **errmsg_out);
extern SourceResult *migrate_source_query(SourceConn *sc, const char *sql,
								  int nparams, const char *const *params);
extern void migrate_source_close(SourceConn *sc);
extern void migrate_source_await_result(SourceConn *sc);
extern void migrate_source_wait_readable(PGconn *conn);
extern int	migrate_source_server_version(SourceConn *sc);

/* Statements on the target (target.c). */
extern SourceResult *migrate_target_query(const char *sql, int nargs, Oid *argtypes,
								  Datum *args);
extern bool migrate_target_exec_isolated(const char *sql, char **errmsg);
extern void migrate_target_exec_sql(void *arg);
extern bool migrate_target_exec_isolated_code(const char *sql, char **errmsg, int *sqlerrcode);
extern bool migrate_target_run_isolated(void (*fn) (void *arg), void *arg, char **errmsg,
								int *sqlerrcode);
extern Oid	migrate_extension_owner(void);
extern Oid	migrate_rel_owner(Oid relid);
extern Oid	migrate_evaluating_role(Oid relid);
extern void migrate_check_library_version(void);
extern SourceResult *migrate_state_query(const char *sql, int nargs,
										 Oid *argtypes, Datum *args);
extern void migrate_state_exec(const char *sql, int nargs, Oid *argtypes,
							   Datum *args, const char *nulls);

/* Role copy, continued (roles.c). */
extern List *migrate_copy_roles(SourceConn *conn, const MigrateOptions *opts);
extern void migrate_record_roles(int64 migration_id, List *results);
extern char *migrate_role_setting_statement(const char *rolname, const char *dbname,
											const char *name, const char *value);
extern char *migrate_copy_database_role_settings(SourceConn *conn, int64 migration_id,
												 const char *dbname);

/* Child processes (child.c). */
typedef struct MigrateProgram
{
	const char *path;
	const char *const *argv;	/* argv[0] included, NULL-terminated */
	const char *passfile;		/* PGPASSFILE of the child, or NULL */
	const char *servicefile;	/* PGSERVICEFILE of the child, or NULL */
	const char *stderr_path;	/* its stderr to this file, or NULL: output */
	StringInfo	output;			/* what it writes */
	int			status;			/* set: exit status, 127 not started, -1
								 * killed, or: */
} MigrateProgram;

#define MIGRATE_PROGRAM_STOPPED (-2)	/* killed because another one failed */
#define MIGRATE_PROGRAM_SILENT	(-3)	/* killed: wrote nothing for too long */

extern void migrate_run_programs(MigrateProgram *progs, int n, int timeout_ms);
extern int	migrate_run_program(const char *path, const char *const *argv,
								StringInfo output, int timeout_ms);
extern int	migrate_run_program_env(const char *path, const char *const *argv,
									const char *passfile, const char *stderr_path,
									StringInfo output, int timeout_ms);

#endif							/* MIGRATE_H */
