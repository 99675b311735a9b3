/*-------------------------------------------------------------------------
 *
 * cleanup.c
 *		Removing the replication method's objects: when a migration is
 *		cancelled, and for migrate.cleanup(source), which finds every
 *		aiven_db_migrate_* subscription, publication and slot on both sides
 *		(of failed runs, of the original Python tool) and drops those that
 *		no active migration uses.
 *
 * A subscription can only be dropped from its own database, and the caller
 * (or the coordinator) is connected to the database that holds the state:
 * a short-lived background worker connects to the subscription's database
 * as the role that asks, drops it, and exits.  Its slot stays on the
 * source, for the caller to drop there.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

#include "cleanup.h"
#include "conninfo.h"
#include "launcher.h"
#include "options.h"
#include "replication.h"
#include "source.h"
#include "target.h"

/* The extra data of an unsubscribe worker: who it acts as, what it drops. */
typedef struct UnsubscribeArgs
{
	char		role[NAMEDATALEN];
	char		subscription[NAMEDATALEN - 1];
	bool		ours;			/* of a migration of the role */
} UnsubscribeArgs;

StaticAssertDecl(sizeof(UnsubscribeArgs) <= BGW_EXTRALEN, "unsubscribe arguments fit in bgw_extra");

/* Entry point of an unsubscribe worker; MAIN_ARG is the database's oid. */
void
migrate_unsubscribe_main(Datum main_arg)
{
	UnsubscribeArgs args;

	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	memcpy(&args, MyBgworkerEntry->bgw_extra, sizeof(args));
	args.role[NAMEDATALEN - 1] = '\0';
	args.subscription[NAMEDATALEN - 2] = '\0';
	BackgroundWorkerInitializeConnectionByOid(DatumGetObjectId(main_arg), InvalidOid, 0);
	/* (the role by name: by oid would need the catalog before a transaction) */
	SetConfigOption("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION);
	SetConfigOption("application_name", "migrate unsubscribe", PGC_USERSET, PGC_S_SESSION);

	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	{
		Oid			role = get_role_oid(args.role, false);

		SetUserIdAndSecContext(role, SECURITY_LOCAL_USERID_CHANGE);
		(void) migrate_drop_subscription(args.subscription, args.ours);
	}
	PopActiveSnapshot();
	CommitTransactionCommand();
	proc_exit(0);
}

/*
 * Drops subscription SUBNAME of database DBNAME of this server, acting as
 * ROLE, in a background worker of that database; waits for it.  Returns
 * NULL when it is gone, or what went wrong.
 */
char *
migrate_drop_subscription_in(const char *dbname, const char *subname, Oid role, bool ours)
{
	BackgroundWorker bgw;
	BackgroundWorkerHandle *handle;
	UnsubscribeArgs args;
	BgwHandleStatus status;
	pid_t		pid;
	Oid			dboid = get_database_oid(dbname, true);
	SourceResult *res;

	if (!OidIsValid(dboid))
		return NULL;
	memset(&args, 0, sizeof(args));
	strlcpy(args.role, GetUserNameFromId(role, false), NAMEDATALEN);
	strlcpy(args.subscription, subname, sizeof(args.subscription));
	args.ours = ours;
	migrate_bgworker_init(&bgw, "migrate_unsubscribe_main", "migrate unsubscribe",
						  "migrate unsubscribe");
	bgw.bgw_main_arg = ObjectIdGetDatum(dboid);
	memcpy(bgw.bgw_extra, &args, sizeof(args));
	bgw.bgw_notify_pid = MyProcPid;
	if (!RegisterDynamicBackgroundWorker(&bgw, &handle))
		return pstrdup("no background worker slot is free (max_worker_processes)");
	status = WaitForBackgroundWorkerStartup(handle, &pid);
	if (status == BGWH_STARTED)
		status = WaitForBackgroundWorkerShutdown(handle);
	if (status == BGWH_POSTMASTER_DIED)
		ereport(FATAL,
				(errcode(ERRCODE_ADMIN_SHUTDOWN),
				 errmsg("the postmaster died")));

	res = migrate_target_query("SELECT 1 FROM pg_catalog.pg_subscription s"
							   " JOIN pg_catalog.pg_database d ON d.oid OPERATOR(pg_catalog.=) s.subdbid"
							   " WHERE s.subname OPERATOR(pg_catalog.=) $1 AND d.datname OPERATOR(pg_catalog.=) $2",
							   2, (Oid[]) {TEXTOID, TEXTOID},
							   (Datum[]) {CStringGetTextDatum(subname), CStringGetTextDatum(dbname)});
	if (res->nrows > 0)
		return psprintf("it is still there: role \"%s\" may not drop it, or it failed (the server log says why)",
						args.role);
	return NULL;
}

/* ---- migrate.cleanup(source) --------------------------------------------- */

typedef struct CleanupOut
{
	ReturnSetInfo *rsinfo;
} CleanupOut;

static void
out_row(CleanupOut *out, const char *side, const char *dbname, const char *type,
		const char *name, const char *status)
{
	Datum		values[5];
	bool		nulls[5] = {false, dbname == NULL, false, false, false};

	values[0] = CStringGetTextDatum(side);
	values[1] = dbname ? CStringGetTextDatum(dbname) : (Datum) 0;
	values[2] = CStringGetTextDatum(type);
	values[3] = CStringGetTextDatum(name);
	values[4] = CStringGetTextDatum(status);
	tuplestore_putvalues(out->rsinfo->setResult, out->rsinfo->setDesc, values, nulls);
}

/*
 * Runs FN(ARG) as a subtransaction; returns NULL, or its error message
 * (redacted): one object's failure is that object's row, not the end.
 */
static char *
try_step(void (*fn) (void *), void *arg)
{
	char	   *failure = NULL;
	int			code;

	return migrate_target_run_isolated(fn, arg, &failure, &code) ? NULL : failure;
}

typedef struct SourceStep
{
	SourceConn *conn;
	const char *name;
	bool		dropped;
} SourceStep;

static void
drop_slot_step(void *arg)
{
	SourceStep *s = arg;

	s->dropped = migrate_source_drop_slot(s->conn, s->name, 3000);
}

static void
drop_publication_step(void *arg)
{
	SourceStep *s = arg;

	migrate_source_drop_publication(s->conn, s->name);
	s->dropped = true;
}

static void
restore_identity_step(void *arg)
{
	SourceStep *s = arg;

	migrate_source_identity_restore(s->conn, list_make1((char *) s->name));
	s->dropped = true;
}

/* Is NAME, of column COLUMN of migrate.database_state, used by an active migration? */
static char *
used_by(const char *column, const char *name, const char *dbname)
{
	SourceResult *res = migrate_state_query(psprintf("SELECT m.id FROM migrate.database_state d"
													 " JOIN migrate.migration m ON m.id = d.migration_id"
													 " WHERE d.%s = $1 AND ($2 = '' OR d.dbname = $2)"
													 " AND m.state IN ('pending', 'running', 'stopping', 'stopped')"
													 " ORDER BY 1 LIMIT 1", column),
											2, (Oid[]) {TEXTOID, TEXTOID},
											(Datum[]) {CStringGetTextDatum(name),
											CStringGetTextDatum(dbname ? dbname : "")});

	return res->nrows > 0 ? psprintf("kept: migration %s uses it", SR_VALUE(res, 0, 0)) : NULL;
}

PG_FUNCTION_INFO_V1(migrate_cleanup_sql);

/*
 * SQL: migrate.cleanup(source) — drops every aiven_db_migrate_*
 * subscription of this server and slot and publication of SOURCE that no
 * active migration uses, and gives back the replica identities that ended
 * migrations changed; one row an object.  Safe to run again.
 */
Datum
migrate_cleanup_sql(PG_FUNCTION_ARGS)
{
	CleanupOut	out;
	char	   *source;
	SourceInfo *src;
	SourceConn *conn;
	SourceResult *res;
	SourceResult *dbs;
	int			r,
				d;
	const char *like = MIGRATE_REPLICATION_PREFIX "%";

	migrate_require_arg(fcinfo, 0, "source");
	source = text_to_cstring(PG_GETARG_TEXT_PP(0));
	src = migrate_parse_source(source);
	migrate_check_source_rules(src, GetUserId());
	out.rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	InitMaterializedSRF(fcinfo, 0);

	/* the target's subscriptions first: their slots are busy until they go */
	res = migrate_target_query("SELECT d.datname, s.subname, s.oid FROM pg_catalog.pg_subscription s"
							   " JOIN pg_catalog.pg_database d ON d.oid OPERATOR(pg_catalog.=) s.subdbid"
							   " WHERE s.subname OPERATOR(pg_catalog.~~) 'aiven\\_db\\_migrate\\_%' ORDER BY 1, 2",
							   0, NULL, NULL);
	for (r = 0; r < res->nrows; r++)
	{
		char	   *kept = used_by("subscription", SR_VALUE(res, r, 1), SR_VALUE(res, r, 0));
		char	   *failure;

		CHECK_FOR_INTERRUPTS();
		if (kept == NULL)
		{
			/* of an ended migration of the caller's: dropped as it was made */
			SourceResult *mine = migrate_state_query("SELECT 1 FROM migrate.database_state d"
													 " JOIN migrate.migration m ON m.id = d.migration_id"
													 " WHERE d.subscription_oid = $1::oid AND d.dbname = $2"
													 " AND pg_catalog.pg_has_role(m.owner, 'MEMBER') LIMIT 1",
													 2, (Oid[]) {TEXTOID, TEXTOID},
													 (Datum[]) {CStringGetTextDatum(SR_VALUE(res, r, 2)),
													 CStringGetTextDatum(SR_VALUE(res, r, 0))});

			failure = migrate_drop_subscription_in(SR_VALUE(res, r, 0), SR_VALUE(res, r, 1), GetUserId(),
												   mine->nrows > 0);
		}
		out_row(&out, "target", SR_VALUE(res, r, 0), "subscription", SR_VALUE(res, r, 1),
				kept ? kept : failure ? psprintf("failed: %s", failure) : "dropped");
	}

	/* the source's slots, of the whole server */
	conn = migrate_source_connect(src, NULL, NULL);
	res = migrate_source_query(conn, "SELECT slot_name, coalesce(database, '') FROM pg_replication_slots"
							   " WHERE slot_name LIKE $1 ORDER BY 1", 1, &like);
	for (r = 0; r < res->nrows; r++)
	{
		SourceStep	step = {conn, SR_VALUE(res, r, 0), false};
		char	   *kept = used_by("slot", step.name, NULL);
		char	   *failure = NULL;

		CHECK_FOR_INTERRUPTS();
		if (kept == NULL)
			failure = try_step(drop_slot_step, &step);
		out_row(&out, "source", SR_VALUE(res, r, 1)[0] ? SR_VALUE(res, r, 1) : NULL, "slot", step.name,
				kept ? kept : failure ? psprintf("failed: %s", failure) :
				step.dropped ? "dropped" : "failed: it is still in use on the source");
	}

	/* the publications and the replica identities, database by database */
	dbs = migrate_source_query(conn, "SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate"
							   " AND has_database_privilege(oid, 'CONNECT') ORDER BY 1", 0, NULL);
	for (d = 0; d < dbs->nrows; d++)
	{
		const char *dbname = SR_VALUE(dbs, d, 0);
		char	   *err = NULL;
		SourceConn *dbconn = migrate_source_connect(src, dbname, &err);
		SourceResult *ids;

		CHECK_FOR_INTERRUPTS();
		if (dbconn == NULL)
		{
			out_row(&out, "source", dbname, "database", dbname, psprintf("failed: %s", err));
			continue;
		}
		res = migrate_source_query(dbconn, "SELECT pubname FROM pg_publication WHERE pubname LIKE $1 ORDER BY 1",
								   1, &like);
		for (r = 0; r < res->nrows; r++)
		{
			SourceStep	step = {dbconn, SR_VALUE(res, r, 0), false};
			char	   *kept = used_by("publication", step.name, dbname);
			char	   *failure = NULL;

			if (kept == NULL)
				failure = try_step(drop_publication_step, &step);
			out_row(&out, "source", dbname, "publication", step.name,
					kept ? kept : failure ? psprintf("failed: %s", failure) : "dropped");
		}

		/* what ended migrations of this source left changed */
		ids = migrate_state_query("SELECT DISTINCT unnest(d.identity_full) FROM migrate.database_state d"
								  " JOIN migrate.migration m ON m.id = d.migration_id"
								  " WHERE d.dbname = $1 AND m.state IN ('failed', 'cancelled', 'done')"
								  " AND pg_catalog.pg_has_role(m.owner, 'MEMBER') ORDER BY 1",
								  1, (Oid[]) {TEXTOID}, (Datum[]) {CStringGetTextDatum(dbname)});
		for (r = 0; r < ids->nrows; r++)
		{
			SourceStep	step = {dbconn, SR_VALUE(ids, r, 0), false};
			char	   *failure = try_step(restore_identity_step, &step);

			out_row(&out, "source", dbname, "replica_identity",
					step.name[0] && step.name[1] == ':' ? step.name + 2 : step.name,
					failure ? psprintf("failed: %s", failure) : "restored");
			if (failure == NULL)
				migrate_state_exec("UPDATE migrate.database_state d SET identity_full = array_remove(identity_full, $2)"
								   " FROM migrate.migration m WHERE m.id = d.migration_id AND d.dbname = $1"
								   " AND m.state IN ('failed', 'cancelled', 'done')",
								   2, (Oid[]) {TEXTOID, TEXTOID},
								   (Datum[]) {CStringGetTextDatum(dbname), CStringGetTextDatum(step.name)}, NULL);
		}
		migrate_source_close(dbconn);
	}
	migrate_source_close(conn);
	return (Datum) 0;
}
