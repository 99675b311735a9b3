/*-------------------------------------------------------------------------
 *
 * validate.h
 *		What will and will not work, checked before anything changes
 *		(validate.c); start runs the same checks.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATE_VALIDATE_H
#define MIGRATE_VALIDATE_H

#include "postgres.h"

#include "nodes/pg_list.h"
#include "utils/jsonb.h"

typedef struct CheckRow
{
	const char *check_name;
	const char *status;
	char	   *detail;
	char	   *hint;
} CheckRow;

extern List *migrate_run_checks(const char *source, Jsonb *options);
extern List *migrate_run_checks_reason(const char *source, Jsonb *options,
									   char **dump_reason);

#endif							/* MIGRATE_VALIDATE_H */
