/*-------------------------------------------------------------------------
 *
 * verify.h
 *		migrate.verify: the source against the target, at one of four
 *		levels (verify.c runs the checks in a worker; verify_run.c plans
 *		them, stores their results and answers the SQL function).
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATE_VERIFY_H
#define MIGRATE_VERIFY_H

#include "postgres.h"

#include "lib/stringinfo.h"

#include "protocol.h"

/*
 * The levels, each doing what the one before does and more: schema (the
 * objects of each database, compared by name and definition; sequences'
 * values), counts (rows of each table), checksums (an order-independent
 * hash of the rows of each table, by ranges of its key), rows (the rows of
 * the ranges that differ, found one by one).
 */
typedef enum MigrateVerifyLevel
{
	MVL_NONE = 0,
	MVL_SCHEMA,
	MVL_COUNTS,
	MVL_CHECKSUMS,
	MVL_ROWS,
	MVL_REPAIR					/* not a level: migrate.repair's runs */
} MigrateVerifyLevel;

/*
 * What a verify task's schema check is told, a line each after its level
 * and kind: the relations the table filters left out
 * (MIGRATE_VERIFY_RELATIONS, then a JSON array of their names); what the
 * migration left out (an object) or did not keep (an object's owner, then
 * \x1f and the role that owns it instead; a publication's part; a
 * tablespace) and warned about, one of the prefixes, then the object as its
 * warning names it ("event trigger x", "table s.t", "tablespace x").
 */
#define MIGRATE_VERIFY_RELATIONS	"relations: "
#define MIGRATE_VERIFY_LEFT_OUT		"left out: "
#define MIGRATE_VERIFY_NOT_KEPT		"not kept: "

/*
 * The statuses of verify results that are no difference: equal, the
 * target's own (a merge), left out or an owner not kept by the migration,
 * with a warning that names the object.
 */
#define MIGRATE_VERIFY_NO_DIFFERENCE	"('ok', 'own', 'left_out', 'not_kept')"

/* At most this many differing rows are named a table (level rows). */
#define MIGRATE_VERIFY_MAX_ROWS		100

/* What a verify request passes a coordinator in bgw_extra, after the owner. */
typedef struct VerifyRequest
{
	char		level[16];		/* empty: not a verify request */
	int64		token;			/* names the run the caller waits for */
} VerifyRequest;

extern int	migrate_verify_level(const char *name);
extern const char *migrate_verify_level_name(int level);
extern void migrate_run_verify(const TaskMsg *task, ResultMsg *result, StringInfo out);
extern void migrate_run_repair(const TaskMsg *task, ResultMsg *result, StringInfo out);

/* verify_run.c */
extern void migrate_verify_plan(const char *dbname, int run, int level, List *left_out,
								bool fenced);
extern void migrate_verify_store(int64 task_id, const char *results);
extern void migrate_verify_task_failed(int64 task_id, const char *error);
extern char *migrate_verify_finish_database(const char *dbname, int run);
extern void migrate_verify_end_run(int run);
extern void migrate_repair_plan(const char *dbname, int run, int from_run);
extern void migrate_verify_coordinate(const VerifyRequest *req);

#endif							/* MIGRATE_VERIFY_H */
