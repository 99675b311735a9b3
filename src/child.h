/*-------------------------------------------------------------------------
 *
 * child.h
 *		Child processes (pg_dump): started, read, bounded in time (child.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATE_CHILD_H
#define MIGRATE_CHILD_H

#include "postgres.h"

#include "lib/stringinfo.h"

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

#endif							/* MIGRATE_CHILD_H */
