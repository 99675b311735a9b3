/*-------------------------------------------------------------------------
 *
 * plan.h
 *		What the steps of a migration plan: its databases, each database on
 *		the target, and the tasks of each (plan.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATE_PLAN_H
#define MIGRATE_PLAN_H

#include "postgres.h"

#include "coordinator.h"

extern void migrate_plan_databases(void);
extern void migrate_create_database(DbState *db);
extern void migrate_database_properties(DbState *db);
extern void migrate_plan_tasks(DbState *db);
extern char *migrate_text_array_literal(List *list);
extern List *migrate_left_out_relations(SourceConn *conn, const char *dbname);
extern char *migrate_target_db_encoding(const char *dbname);
extern bool migrate_table_selected(const char *dbname, const char *nsp, const char *rel,
								   const char *root_nsp, const char *root_rel);

#endif							/* MIGRATE_PLAN_H */
