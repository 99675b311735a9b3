/*-------------------------------------------------------------------------
 *
 * launcher.c
 *		Starting coordinators, and the launcher: a static background worker
 *		(when the library is preloaded) that starts a coordinator for every
 *		migration that should be running and has none, such as after a
 *		crash or a server restart.
 *
 * Running out of worker slots is a wait and a retry, never an error.  A
 * round that fails is logged and the next one tried: a failure never
 * escapes into the launcher's loop.  Migrations whose owner was dropped are
 * left alone.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

#include "launcher.h"
#include "verify.h"
#include "migrate.h"
#include "protocol.h"

#define LAUNCHER_NAPTIME_MS 5000

/* A background worker of this library running FUNCTION, of type TYPE. */
void
migrate_bgworker_init(BackgroundWorker *bgw, const char *function,
					  const char *type, const char *name)
{
	memset(bgw, 0, sizeof(*bgw));
	bgw->bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	bgw->bgw_start_time = BgWorkerStart_RecoveryFinished;
	bgw->bgw_restart_time = BGW_NEVER_RESTART;
	strlcpy(bgw->bgw_library_name, "migrate", BGW_MAXLEN);
	strlcpy(bgw->bgw_function_name, function, BGW_MAXLEN);
	strlcpy(bgw->bgw_type, type, BGW_MAXLEN);
	strlcpy(bgw->bgw_name, name, BGW_MAXLEN);
}

StaticAssertDecl(NAMEDATALEN + sizeof(VerifyRequest) <= BGW_EXTRALEN,
				 "an owner and a verify request fit in bgw_extra");

/*
 * A coordinator of migration MIGRATION_ID acting as OWNER_NAME; in verify
 * mode with REQ (else NULL), telling NOTIFY_PID (or nobody: 0) when it
 * stops.  False when no worker slot is free now.  No catalog access.
 */
static bool
launch(int64 migration_id, const char *owner_name, const VerifyRequest *req,
	   pid_t notify_pid, BackgroundWorkerHandle **handle)
{
	BackgroundWorker bgw;

	migrate_bgworker_init(&bgw, "migrate_coordinator_main", "migrate coordinator",
						  psprintf("migrate %s " INT64_FORMAT, req ? "verify" : "coordinator", migration_id));
	bgw.bgw_main_arg = Int64GetDatum(migration_id);
	strlcpy(bgw.bgw_extra, owner_name, NAMEDATALEN);
	if (req != NULL)
		memcpy(bgw.bgw_extra + NAMEDATALEN, req, sizeof(VerifyRequest));
	bgw.bgw_notify_pid = notify_pid;
	return RegisterDynamicBackgroundWorker(&bgw, handle);
}

/*
 * Starts the coordinator of migration MIGRATION_ID, acting as the role
 * OWNER_NAME.  Returns false when no worker slot is free now.  No catalog
 * access: it may run while a transaction commits.
 */
bool
migrate_launch_coordinator(int64 migration_id, const char *owner_name,
						   BackgroundWorkerHandle **handle)
{
	return launch(migration_id, owner_name, NULL, 0, handle);
}

/*
 * Starts a coordinator of migration MIGRATION_ID in verify mode (REQ),
 * acting as OWNER_NAME, that tells this backend when it stops.
 */
bool
migrate_launch_verifier(int64 migration_id, const char *owner_name, const VerifyRequest *req,
						BackgroundWorkerHandle **handle)
{
	return launch(migration_id, owner_name, req, MyProcPid, handle);
}

/* Registers the launcher; only while shared_preload_libraries loads us. */
void
migrate_register_launcher(void)
{
	BackgroundWorker bgw;

	migrate_bgworker_init(&bgw, "migrate_launcher_main", "migrate launcher",
						  "migrate launcher");
	bgw.bgw_restart_time = 5;
	RegisterBackgroundWorker(&bgw);
}

/*
 * One round: start a coordinator for each migration that should run and
 * whose coordinator does not hold its lock.
 */
static void
launch_round(void)
{
	int			ret;
	uint64		i;
	List	   *to_launch = NIL;
	ListCell   *lc;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	ret = SPI_execute(psprintf("SELECT m.id, m.owner::pg_catalog.oid FROM migrate.migration m"
							   " WHERE m.state OPERATOR(pg_catalog.=) ANY"
							   "  ('{pending,running,stopping,cancelling}'::pg_catalog.text[])"
							   " AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_locks l"
							   "  WHERE l.locktype OPERATOR(pg_catalog.=) 'advisory'"
							   "  AND l.database OPERATOR(pg_catalog.=) %u::pg_catalog.oid"
							   "  AND l.classid OPERATOR(pg_catalog.=) %u::pg_catalog.oid"
							   "  AND l.objid OPERATOR(pg_catalog.=)"
							   "   (m.id OPERATOR(pg_catalog.%%) 4294967296)::pg_catalog.oid"
							   "  AND l.objsubid OPERATOR(pg_catalog.=) 2::pg_catalog.int2 AND l.granted)"
							   " AND EXISTS (SELECT 1 FROM pg_catalog.pg_roles r"
							   "  WHERE r.oid OPERATOR(pg_catalog.=) m.owner::pg_catalog.oid)"
							   " ORDER BY m.id",
							   MyDatabaseId, (uint32) MIGRATE_ADVISORY_KEY),
					  true, 0);
	if (ret == SPI_OK_SELECT)
		for (i = 0; i < SPI_processed; i++)
		{
			bool		isnull;
			int64		id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
			Oid			owner = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &isnull));
			int64	   *item = MemoryContextAlloc(TopTransactionContext, sizeof(int64) * 2);

			item[0] = id;
			item[1] = owner;
			to_launch = lappend(to_launch, item);
		}
	SPI_finish();

	foreach(lc, to_launch)
	{
		int64	   *item = lfirst(lc);
		BackgroundWorkerHandle *handle;

		if (!migrate_launch_coordinator(item[0], GetUserNameFromId((Oid) item[1], false), &handle))
		{
			ereport(LOG,
					(errmsg("migrate launcher: no background worker slot free for migration " INT64_FORMAT "; will retry",
							item[0])));
			break;
		}
	}
	PopActiveSnapshot();
	CommitTransactionCommand();
}

/* Is the extension installed in this database? */
static bool
extension_present(void)
{
	bool		present;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	present = OidIsValid(get_namespace_oid("migrate", true)) &&
		OidIsValid(get_extension_oid("migrate", true));
	CommitTransactionCommand();
	return present;
}

/* Entry point of the launcher. */
void
migrate_launcher_main(Datum main_arg)
{
	pqsignal(SIGTERM, die);
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	BackgroundWorkerUnblockSignals();

	BackgroundWorkerInitializeConnection(migrate_database, NULL, 0);
	pgstat_report_appname("migrate launcher");

	/*
	 * It runs as the bootstrap superuser in a database where others may
	 * create objects: nothing but pg_catalog is looked up by name (and its
	 * queries qualify their operators too), so an operator or function
	 * planted in public is never called.
	 */
	SetConfigOption("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION);

	for (;;)
	{
		MemoryContext cxt = CurrentMemoryContext;

		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}

		/* one bad round is logged, never a crash loop */
		PG_TRY();
		{
			if (extension_present())
				launch_round();
		}
		PG_CATCH();
		{
			HOLD_INTERRUPTS();
			MemoryContextSwitchTo(cxt);
			EmitErrorReport();
			FlushErrorState();
			AbortCurrentTransaction();
			RESUME_INTERRUPTS();
		}
		PG_END_TRY();

		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 LAUNCHER_NAPTIME_MS, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}
