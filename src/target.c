/*-------------------------------------------------------------------------
 *
 * target.c
 *		Statements on this (the target) server through SPI: queries whose
 *		rows outlive SPI, statements that may fail one by one without
 *		failing the whole run, and writes to our state tables as the
 *		extension's owner.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_class.h"
#include "catalog/pg_extension.h"
#include "commands/dbcommands.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "tcop/tcopprot.h"
#include "tcop/utility.h"
#include "utils/acl.h"
#include "storage/proc.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/syscache.h"
#include "access/table.h"
#include "access/genam.h"
#include "utils/rel.h"

#include "redact.h"
#include "source.h"
#include "target.h"

/*
 * Plans of the parameterized statements this process runs again and again
 * (the coordinator's state updates: a few per task), kept across
 * transactions: parsing and planning them each time was most of a
 * coordinator's work with thousands of tables.  A statement without
 * parameters (built with its values in it) is planned each time.
 */
#define PLAN_CACHE_SIZE 64
#define PLAN_CACHE_MAX_ARGS 16

typedef struct KeptPlan
{
	char	   *sql;
	int			nargs;
	Oid			argtypes[PLAN_CACHE_MAX_ARGS];
	SPIPlanPtr	plan;
} KeptPlan;

static KeptPlan plan_cache[PLAN_CACHE_SIZE];
static int	plan_cache_next = 0;

/* Runs SQL through SPI (connected), with a kept plan when it has parameters. */
static int
spi_execute(const char *sql, int nargs, Oid *argtypes, Datum *args, const char *nulls)
{
	KeptPlan *cp = NULL;
	int			i;

	if (nargs == 0 || nargs > PLAN_CACHE_MAX_ARGS)
		return SPI_execute_with_args(sql, nargs, argtypes, args, nulls, false, 0);
	for (i = 0; i < PLAN_CACHE_SIZE && cp == NULL; i++)
		if (plan_cache[i].sql != NULL && plan_cache[i].nargs == nargs &&
			memcmp(plan_cache[i].argtypes, argtypes, sizeof(Oid) * nargs) == 0 &&
			strcmp(plan_cache[i].sql, sql) == 0)
			cp = &plan_cache[i];
	if (cp == NULL)
	{
		SPIPlanPtr	plan = SPI_prepare(sql, nargs, argtypes);

		if (plan == NULL)
			elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
		if (SPI_keepplan(plan) != 0)
			elog(ERROR, "SPI_keepplan failed");
		cp = &plan_cache[plan_cache_next];
		plan_cache_next = (plan_cache_next + 1) % PLAN_CACHE_SIZE;
		if (cp->plan != NULL)
			SPI_freeplan(cp->plan);
		if (cp->sql != NULL)
			pfree(cp->sql);
		cp->sql = MemoryContextStrdup(TopMemoryContext, sql);
		cp->nargs = nargs;
		memcpy(cp->argtypes, argtypes, sizeof(Oid) * nargs);
		cp->plan = plan;
	}
	return SPI_execute_plan(cp->plan, args, nulls, false, 0);
}

/* Runs SQL here; its rows are copied into the caller's memory context. */
SourceResult *
migrate_target_query(const char *sql, int nargs, Oid *argtypes, Datum *args)
{
	MemoryContext outer = CurrentMemoryContext;
	SourceResult *result = palloc0(sizeof(SourceResult));
	int			ret;
	int			r,
				col;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	ret = spi_execute(sql, nargs, argtypes, args, NULL);
	if (ret < 0)
		elog(ERROR, "SPI_execute_with_args failed: %s", SPI_result_code_string(ret));

	if (SPI_tuptable != NULL)
	{
		result->nrows = SPI_processed;
		result->ncols = SPI_tuptable->tupdesc->natts;
		if (result->nrows > 0)
		{
			result->values = MemoryContextAlloc(outer, sizeof(char *) * result->nrows * result->ncols);
			for (r = 0; r < result->nrows; r++)
				for (col = 0; col < result->ncols; col++)
				{
					char	   *v = SPI_getvalue(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, col + 1);

					SR_SLOT(result, r, col) = v ? MemoryContextStrdup(outer, v) : NULL;
				}
		}
	}
	SPI_finish();
	return result;
}

/*
 * Runs the utility statement SQL in a subtransaction.  Returns true when it
 * succeeded; otherwise rolls it back, sets *errmsg (the message, in the
 * caller's context) and returns false.  A cancel, a shutdown or running out
 * of memory is not a per-statement failure and is raised again.
 */
bool
migrate_target_exec_isolated(const char *sql, char **errmsg)
{
	int			code;

	return migrate_target_exec_isolated_code(sql, errmsg, &code);
}

/*
 * Runs statement ARG (a string) through SPI, raising its error; the body of
 * migrate_target_exec_isolated_code.
 */
void
migrate_target_exec_sql(void *arg)
{
	const char *sql = arg;
	int			ret;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	ret = SPI_execute(sql, false, 0);
	if (ret < 0)
		elog(ERROR, "SPI_execute failed: %s", SPI_result_code_string(ret));
	SPI_finish();
}

/* The same, setting *SQLERRCODE to the error's code when it fails. */
bool
migrate_target_exec_isolated_code(const char *sql, char **errmsg, int *sqlerrcode)
{
	return migrate_target_run_isolated(migrate_target_exec_sql, (void *) sql, errmsg, sqlerrcode);
}

/*
 * Runs FN(ARG) in a subtransaction of its own.  An ordinary error rolls the
 * subtransaction back and is returned (false, *ERRMSG, *SQLERRCODE); what
 * must stop the caller (a cancel, a shutdown, running out of resources) is
 * raised again.
 */
bool
migrate_target_run_isolated(void (*fn) (void *arg), void *arg, char **errmsg, int *sqlerrcode)
{
	MemoryContext outer = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	volatile bool ok = true;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(outer);
	PG_TRY();
	{
		fn(arg);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(outer);
		CurrentResourceOwner = owner;
	}
	PG_CATCH();
	{
		ErrorData  *edata;
		int			category;

		MemoryContextSwitchTo(outer);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(outer);
		CurrentResourceOwner = owner;

		category = ERRCODE_TO_CATEGORY(edata->sqlerrcode);
		if (category == ERRCODE_OPERATOR_INTERVENTION ||
			category == ERRCODE_INSUFFICIENT_RESOURCES ||
			category == ERRCODE_PROGRAM_LIMIT_EXCEEDED ||
			edata->elevel >= FATAL)
			ReThrowError(edata);
		*errmsg = migrate_redact(edata->message);
		*sqlerrcode = edata->sqlerrcode;
		ok = false;
	}
	PG_END_TRY();
	return ok;
}

/*
 * The role that code defined on relation RELID runs as while the migration
 * loads or indexes it: the relation's owner, where the current user (the
 * migration's owner) has that role's privileges; the current user itself
 * otherwise, so that no step ever acts with rights its caller lacks.
 */
Oid
migrate_evaluating_role(Oid relid)
{
	Oid			owner = migrate_rel_owner(relid);

	return has_privs_of_role(GetUserId(), owner) ? owner : GetUserId();
}

/* The owner of relation RELID. */
Oid
migrate_rel_owner(Oid relid)
{
	HeapTuple	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	Oid			owner;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for relation %u", relid);
	owner = ((Form_pg_class) GETSTRUCT(tup))->relowner;
	ReleaseSysCache(tup);
	return owner;
}

/*
 * Raises an error when the extension's version in this database is not the
 * library's own (MIGRATE_VERSION): after ALTER EXTENSION UPDATE, or a new
 * library installed under a running server, a process of the old library
 * would act on a catalog and state tables it does not know.  In a
 * transaction.
 */
void
migrate_check_library_version(void)
{
	Oid			extoid = get_extension_oid("migrate", true);
	Relation	rel;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	char	   *version = NULL;

	if (!OidIsValid(extoid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("extension \"migrate\" is not installed in database \"%s\"",
						get_database_name(MyDatabaseId)),
				 errhint("CREATE EXTENSION migrate in the database that migrate.database names.")));
	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_extension_oid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(extoid));
	scan = systable_beginscan(rel, ExtensionOidIndexId, true, NULL, 1, &key);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
	{
		bool		isnull;
		Datum		d = heap_getattr(tup, Anum_pg_extension_extversion,
									 RelationGetDescr(rel), &isnull);

		if (!isnull)
			version = text_to_cstring(DatumGetTextPP(d));
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	if (version == NULL || strcmp(version, MIGRATE_VERSION) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the migrate library is version %s, but the extension in database \"%s\" is version %s",
						MIGRATE_VERSION, get_database_name(MyDatabaseId), version ? version : "unknown"),
				 errhint("Install the library of the extension's version and restart the server, or ALTER EXTENSION migrate UPDATE to the library's version.")));
}

/*
 * The role that owns the extension: state rows are written as it.  Read
 * once a transaction (the coordinator writes the state thousands of times a
 * minute at thousands of tables).
 */
Oid
migrate_extension_owner(void)
{
	static Oid	cached_owner = InvalidOid;
	static LocalTransactionId cached_lxid = InvalidLocalTransactionId;
	Oid			extoid;
	Relation	rel;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	Oid			owner;

	/*
	 * A background process of a migration keeps it for its life (the owner
	 * of an extension changes only by REASSIGN OWNED, never under a running
	 * migration's feet); a session reads it once a transaction.
	 */
	if (OidIsValid(cached_owner) &&
		(MyBackendType == B_BG_WORKER ||
		 (cached_lxid == MyProc->lxid && cached_lxid != InvalidLocalTransactionId)))
		return cached_owner;
	extoid = get_extension_oid("migrate", false);
	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_extension_oid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(extoid));
	scan = systable_beginscan(rel, ExtensionOidIndexId, true, NULL, 1, &key);
	tup = systable_getnext(scan);
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "could not find extension \"migrate\"");
	owner = ((Form_pg_extension) GETSTRUCT(tup))->extowner;
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	cached_owner = owner;
	cached_lxid = MyProc->lxid;
	return owner;
}

/*
 * Rows of query SQL on the state, run as the extension's owner (who sees
 * every row); callers check the caller's rights first.
 */
SourceResult *
migrate_state_query(const char *sql, int nargs, Oid *argtypes, Datum *args)
{
	Oid			saved_user;
	int			saved_sec;
	SourceResult *res;

	GetUserIdAndSecContext(&saved_user, &saved_sec);
	SetUserIdAndSecContext(migrate_extension_owner(),
						   saved_sec | SECURITY_LOCAL_USERID_CHANGE);
	res = migrate_target_query(sql, nargs, argtypes, args);
	SetUserIdAndSecContext(saved_user, saved_sec);
	return res;
}

/*
 * Runs the DML statement SQL with ARGS as the extension's owner, whatever
 * the caller may do: callers check the caller's rights first.  An error
 * restores the identity through transaction abort.  SPI_processed holds the
 * number of rows affected afterwards.
 */
void
migrate_state_exec(const char *sql, int nargs, Oid *argtypes, Datum *args,
				   const char *nulls)
{
	Oid			saved_user;
	int			saved_sec;
	int			ret;
	uint64		processed;

	GetUserIdAndSecContext(&saved_user, &saved_sec);
	SetUserIdAndSecContext(migrate_extension_owner(),
						   saved_sec | SECURITY_LOCAL_USERID_CHANGE);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	ret = spi_execute(sql, nargs, argtypes, args, nulls);
	if (ret < 0)
		elog(ERROR, "SPI_execute_with_args failed: %s", SPI_result_code_string(ret));
	processed = SPI_processed;
	SPI_finish();
	SetUserIdAndSecContext(saved_user, saved_sec);
	SPI_processed = processed;
}

/*
 * Runs a utility statement that refuses a transaction block (CREATE
 * DATABASE) as a top-level statement, the way exec_simple_query does.
 */
void
migrate_exec_toplevel(const char *sql)
{
	List	   *parsetrees = pg_parse_query(sql);
	ListCell   *lc;

	foreach(lc, parsetrees)
	{
		RawStmt    *raw = lfirst_node(RawStmt, lc);
		List	   *querytrees;
		List	   *plans;

		querytrees = pg_analyze_and_rewrite_fixedparams(raw, sql, NULL, 0, NULL);
		plans = pg_plan_queries(querytrees, sql, CURSOR_OPT_PARALLEL_OK, NULL);
		ProcessUtility(linitial_node(PlannedStmt, plans), sql, false,
					   PROCESS_UTILITY_TOPLEVEL, NULL, NULL, None_Receiver, NULL);
	}
}
