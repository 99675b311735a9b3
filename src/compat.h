/*-------------------------------------------------------------------------
 *
 * compat.h
 *		What migrate needs of PostgreSQL's internals that is not a stable
 *		API, in one place: the state of an in-process COPY FROM and the
 *		parameters of an ANALYZE.  Each is written for the majors the
 *		library builds on (today 15); a new major changes this file, not
 *		the engine.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATE_COMPAT_H
#define MIGRATE_COMPAT_H

#include "postgres.h"

#include "commands/copyfrom_internal.h"
#include "commands/vacuum.h"

#if PG_VERSION_NUM < 150000 || PG_VERSION_NUM >= 160000
#error "migrate is built and tested on PostgreSQL 15: another major starts with compat.h"
#endif

/* The attribute numbers a COPY FROM fills, in the order of its columns. */
static inline List *
migrate_copy_attnums(CopyFromState cstate)
{
	return cstate->attnumlist;
}

/* The input (or receive) function a COPY FROM uses for attribute ATTNUM. */
static inline FmgrInfo *
migrate_copy_in_function(CopyFromState cstate, int attnum)
{
	return &cstate->in_functions[attnum - 1];
}

/*
 * VacuumParams of a plain ANALYZE, as ExecVacuum would fill them for
 * "ANALYZE table" (the struct has no constructor of its own).
 */
static inline void
migrate_analyze_params(VacuumParams *params)
{
	memset(params, 0, sizeof(*params));
	params->options = VACOPT_ANALYZE;
	params->freeze_min_age = -1;
	params->freeze_table_age = -1;
	params->multixact_freeze_min_age = -1;
	params->multixact_freeze_table_age = -1;
	params->is_wraparound = false;
	params->log_min_duration = -1;
	params->index_cleanup = VACOPTVALUE_UNSPECIFIED;
	params->truncate = VACOPTVALUE_UNSPECIFIED;
	params->nworkers = -1;
}

#endif							/* MIGRATE_COMPAT_H */
