/*-------------------------------------------------------------------------
 *
 * state.c
 *		What the coordinator writes: small transactions on the state tables
 *		(as the extension's owner, with text parameters), the events of a
 *		migration and the webhooks they send once committed, and the one
 *		function that tells a transient error from a lasting one.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

#include "coordinator.h"
#include "notify.h"
#include "redact.h"
#include "source.h"
#include "state.h"
#include "target.h"

#define MIGRATE_MAX_BACKOFF_S	30

static void flush_notices(void);

/* ---- small transactions on the state --------------------------------- */

/*
 * Transactions leave the caller's memory context current: what a step
 * reads outlives the transaction that read it.
 */
void
migrate_tx_begin(void)
{
	MemoryContext cxt = CurrentMemoryContext;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	MemoryContextSwitchTo(cxt);
}

void
migrate_tx_commit(void)
{
	MemoryContext cxt = CurrentMemoryContext;

	PopActiveSnapshot();
	CommitTransactionCommand();
	MemoryContextSwitchTo(cxt);
	flush_notices();
}

/*
 * One transaction for all that a round of results writes: begun by the
 * first result that needs it, committed by migrate_round_tx_end.
 */
static bool round_tx_open = false;

void
migrate_round_tx_begin(void)
{
	/* (an error aborted the last one: it is not open any more) */
	if (!round_tx_open || !IsTransactionState())
	{
		migrate_tx_begin();
		round_tx_open = true;
	}
}

void
migrate_round_tx_end(void)
{
	if (round_tx_open)
	{
		round_tx_open = false;
		if (IsTransactionState())
			migrate_tx_commit();
	}
}

/* Runs one state statement with text parameters, as the extension owner. */
void
migrate_coord_exec(const char *sql, int nargs, const char **args)
{
	Oid		   *types = palloc(sizeof(Oid) * Max(nargs, 1));
	Datum	   *values = palloc(sizeof(Datum) * Max(nargs, 1));
	char	   *nulls = palloc(Max(nargs, 1) + 1);
	int			i;

	for (i = 0; i < nargs; i++)
	{
		types[i] = TEXTOID;
		values[i] = args[i] ? CStringGetTextDatum(args[i]) : (Datum) 0;
		nulls[i] = args[i] ? ' ' : 'n';
	}
	nulls[nargs] = '\0';
	migrate_state_exec(sql, nargs, types, values, nulls);
}

/* The same in a transaction of its own. */
void
migrate_coord_exec_tx(const char *sql, int nargs, const char **args)
{
	migrate_tx_begin();
	migrate_coord_exec(sql, nargs, args);
	migrate_tx_commit();
}

/* Rows of a state query (text parameters), as the extension owner. */
SourceResult *
migrate_coord_query(const char *sql, int nargs, const char **args)
{
	Oid		   *types = palloc(sizeof(Oid) * Max(nargs, 1));
	Datum	   *values = palloc(sizeof(Datum) * Max(nargs, 1));
	int			i;

	for (i = 0; i < nargs; i++)
	{
		types[i] = TEXTOID;
		values[i] = CStringGetTextDatum(args[i]);
	}
	return migrate_state_query(sql, nargs, types, values);
}

char *
migrate_coord_id(void)
{
	return psprintf(INT64_FORMAT, migrate_coord.migration_id);
}

/* Records an event; DETAIL_JSON is a JSON object's text (or NULL). */
void
migrate_event(int64 id, const char *kind, const char *detail_json)
{
	const char *args[3];

	args[0] = psprintf(INT64_FORMAT, id);
	args[1] = kind;
	args[2] = detail_json ? detail_json : "{}";
	migrate_coord_exec("INSERT INTO migrate.event (migration_id, kind, detail)"
			   " VALUES ($1::bigint, $2, $3::jsonb)", 3, args);
}

/* A JSON object of string pairs: key, value, key, value, ..., NULL. */
char *
migrate_json_obj(const char *first,...)
{
	StringInfoData buf;
	va_list		args;
	const char *k;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	va_start(args, first);
	for (k = first; k != NULL; k = va_arg(args, const char *))
	{
		const char *v = va_arg(args, const char *);

		if (buf.len > 1)
			appendStringInfoString(&buf, ", ");
		escape_json(&buf, k);
		appendStringInfoString(&buf, ": ");
		if (v)
			escape_json(&buf, v);
		else
			appendStringInfoString(&buf, "null");
	}
	va_end(args);
	appendStringInfoChar(&buf, '}');
	return buf.data;
}

/* Webhook documents waiting for the end of the transaction that made them. */
static List *pending_notices = NIL;
static bool flushing_notices = false;

/* The text of KEY in the JSON object DETAIL_JSON, or NULL. */
static char *
json_field(const char *detail_json, const char *key)
{
	Jsonb	   *jb;
	JsonbValue	k;
	JsonbValue *v;

	if (detail_json == NULL)
		return NULL;
	jb = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(detail_json)));
	k.type = jbvString;
	k.val.string.val = (char *) key;
	k.val.string.len = strlen(key);
	v = findJsonbValueFromContainer(&jb->root, JB_FOBJECT, &k);
	if (v == NULL || v->type != jbvString)
		return NULL;
	return pnstrdup(v->val.string.val, v->val.string.len);
}

/*
 * Records an event of this migration and, when the migration has a
 * notify_url, prepares its webhook (sent once the transaction commits).
 * Every state change and every failure is sent; warnings and retries are
 * only recorded.
 */
void
migrate_coord_event(const char *kind, const char *detail_json)
{
	SourceResult *res;
	StringInfoData body;
	MemoryContext old;
	char	   *database;
	char	   *error;

	migrate_event(migrate_coord.migration_id, kind, detail_json);
	if (migrate_coord.options == NULL || migrate_coord.options->notify_url == NULL ||
		strcmp(kind, "warning") == 0 || strcmp(kind, "task_retry") == 0)
		return;

	res = migrate_coord_query("SELECT state, phase, percent::text,"
					  " to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
					  " FROM migrate.status WHERE id = $1::bigint",
					  1, (const char *[]) {migrate_coord_id()});
	if (res->nrows == 0)
		return;
	database = json_field(detail_json, "database");
	error = json_field(detail_json, "error");

	initStringInfo(&body);
	appendStringInfo(&body, "{\"migration_id\": " INT64_FORMAT ", \"event\": ", migrate_coord.migration_id);
	escape_json(&body, kind);
	appendStringInfoString(&body, ", \"state\": ");
	escape_json(&body, SR_VALUE(res, 0, 0));
	appendStringInfoString(&body, ", \"phase\": ");
	escape_json(&body, SR_VALUE(res, 0, 1));
	appendStringInfoString(&body, ", \"database\": ");
	if (database)
		escape_json(&body, database);
	else
		appendStringInfoString(&body, "null");
	appendStringInfo(&body, ", \"percent\": %s, \"error\": ",
					 SR_VALUE(res, 0, 2) ? SR_VALUE(res, 0, 2) : "null");
	if (error)
		escape_json(&body, migrate_redact(error));
	else
		appendStringInfoString(&body, "null");
	appendStringInfoString(&body, ", \"at\": ");
	escape_json(&body, SR_VALUE(res, 0, 3));
	appendStringInfoChar(&body, '}');

	old = MemoryContextSwitchTo(migrate_coord.cxt);
	pending_notices = lappend(pending_notices, pstrdup(body.data));
	MemoryContextSwitchTo(old);
}

/*
 * Sends the webhooks prepared by committed transactions.  A delivery that
 * fails is an event of its own, never a failure of the migration.
 */
static void
flush_notices(void)
{
	List	   *batch;
	ListCell   *lc;

	if (flushing_notices || pending_notices == NIL)
		return;
	flushing_notices = true;
	batch = pending_notices;
	pending_notices = NIL;
	foreach(lc, batch)
	{
		char	   *failure = migrate_notify_post(migrate_coord.options->notify_url, lfirst(lc));

		if (failure != NULL)
		{
			SetCurrentStatementStartTimestamp();
			StartTransactionCommand();
			PushActiveSnapshot(GetTransactionSnapshot());
			migrate_event(migrate_coord.migration_id, "notify_failed", migrate_json_obj("error", failure, NULL));
			PopActiveSnapshot();
			CommitTransactionCommand();
		}
	}
	list_free_deep(batch);
	flushing_notices = false;
}

void
migrate_set_phase(const char *phase)
{
	const char *args[2] = {migrate_coord_id(), phase};

	migrate_coord_exec_tx("UPDATE migrate.migration SET phase = $2, updated_at = now()"
				  " WHERE id = $1::bigint AND phase IS DISTINCT FROM $2", 2, args);
}

/*
 * Is an error of SQLSTATE worth trying again later: a connection that failed
 * or was cut (a source restarting, a network blip), a lock that was not
 * granted in time, a serialization failure or deadlock, a server shutting
 * down or refusing connections for now?
 */
bool
migrate_sqlstate_transient(const char *sqlstate)
{
	static const char *const codes[] = {
		"40001", "40P01", "55P03", "57P01", "57P02", "57P03", "53300", NULL
	};
	int			i;

	if (strncmp(sqlstate, "08", 2) == 0)
		return true;
	for (i = 0; codes[i] != NULL; i++)
		if (strcmp(sqlstate, codes[i]) == 0)
			return true;
	return false;
}

/* The back-off before try ATTEMPT + 1, in seconds. */
int
migrate_backoff_seconds(int attempt)
{
	return Min(1 << Min(attempt, 5), MIGRATE_MAX_BACKOFF_S);
}

/*
 * Records a transient failure of a step of database DBNAME (NULL: the
 * whole source) as an event: source_lock_wait for a lock on the source,
 * source_retry otherwise.  The caller tries again after RETRY_IN seconds.
 */
void
migrate_retry_event(const char *dbname, ErrorData *edata, int attempt, int retry_in)
{
	char	   *msg = migrate_redact(edata->detail ?
									 psprintf("%s: %s", edata->message, edata->detail) :
									 edata->message);

	migrate_tx_begin();
	migrate_coord_event(edata->sqlerrcode == ERRCODE_LOCK_NOT_AVAILABLE ? "source_lock_wait" : "source_retry",
				migrate_json_obj("database", dbname, "error", msg,
						 "sqlstate", unpack_sql_state(edata->sqlerrcode),
						 "attempt", psprintf("%d", attempt),
						 "retry_in_seconds", psprintf("%d", retry_in), NULL));
	migrate_tx_commit();
}


/*
 * Runs FN(ARG); an error of it (not a cancel, which goes on up) ends the
 * transaction it was in and comes back as its message, redacted: for the
 * steps whose failure is an event and not the end of the migration.
 * Returns NULL when FN went through.
 */
char *
migrate_run_catching(void (*fn) (void *arg), void *arg)
{
	MemoryContext cxt = CurrentMemoryContext;
	char	   *volatile failure = NULL;

	PG_TRY();
	{
		fn(arg);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED)
			PG_RE_THROW();
		FlushErrorState();
		AbortCurrentTransaction();
		MemoryContextSwitchTo(cxt);
		failure = migrate_redact(edata->message);
	}
	PG_END_TRY();
	return failure;
}
