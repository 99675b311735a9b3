/*-------------------------------------------------------------------------
 *
 * target.h
 *		Statements on the target, isolated in subtransactions, and the
 *		extension's own state tables (target.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATE_TARGET_H
#define MIGRATE_TARGET_H

#include "postgres.h"

#include "source.h"

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

extern void migrate_exec_toplevel(const char *sql);

#endif							/* MIGRATE_TARGET_H */
