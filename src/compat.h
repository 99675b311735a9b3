/*-------------------------------------------------------------------------
 *
 * compat.h
 *		What migrate needs of PostgreSQL's internals that is not a stable
 *		API, in one place: the state of an in-process COPY FROM, the
 *		parameters of an ANALYZE, and a subscription's relations.  Each is
 *		written for the majors the library builds on (today 15); a new
 *		major changes this file, not the engine.
 *
 *		Known for the majors to come: 16 lets a member of
 *		pg_create_subscription create a subscription and gives it
 *		run_as_owner and password_required (replication.c then makes a
 *		non-superuser's subscription as that user, with run_as_owner =
 *		false, instead of as the bootstrap superuser behind its guard);
 *		16 gives GetSubscriptionRelations a not_ready argument; 17 gives
 *		AddSubscriptionRelState a retain_lock argument.
 *
 *		Of the source's major (verify.c, as SQL it sends): a source
 *		before 14 has no hash_record_extended (large objects' data is then
 *		hashed by its text); before 12, no attgenerated (the inventory's
 *		columns); 13 is the oldest the inventory is written for.  A parse
 *		node's constant (A_Const) is a Value before 15: see
 *		migrate_const_string.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATE_COMPAT_H
#define MIGRATE_COMPAT_H

#include "postgres.h"

#include "catalog/pg_subscription_rel.h"
#include "nodes/parsenodes.h"
#include "commands/copyfrom_internal.h"
#include "commands/vacuum.h"

#if PG_VERSION_NUM < 150000 || PG_VERSION_NUM >= 160000
#error "migrate is built and tested on PostgreSQL 15: another major starts with compat.h"
#endif

/* The string of a parsed constant, or NULL when it is no string. */
static inline const char *
migrate_const_string(A_Const *c)
{
	if (c->isnull || !IsA(&c->val, String))
		return NULL;
	return strVal(&c->val);
}

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

/*
 * Adds relation RELID to subscription SUBID in STATE (a SUBREL_STATE_*)
 * at position LSN, as the server's own table sync records it.
 */
static inline void
migrate_add_subscription_rel(Oid subid, Oid relid, char state, XLogRecPtr lsn)
{
	AddSubscriptionRelState(subid, relid, state, lsn);
}

/* Takes relation RELID out of subscription SUBID. */
static inline void
migrate_remove_subscription_rel(Oid subid, Oid relid)
{
	RemoveSubscriptionRel(subid, relid);
}

/* The relations of subscription SUBID (SubscriptionRelState *), read now. */
static inline List *
migrate_subscription_relations(Oid subid)
{
	return GetSubscriptionRelations(subid);
}

#endif							/* MIGRATE_COMPAT_H */
