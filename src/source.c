/*-------------------------------------------------------------------------
 *
 * source.c
 *		libpq connections to the source server, made and used without ever
 *		blocking: every wait is on the latch and the socket, so a cancel or
 *		a SIGTERM stops it at once.
 *
 * A connection belongs to the memory context it was opened in: when that
 * context goes away (normally, or because of an error) the connection is
 * closed, and a query still running on the source is cancelled.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "pgstat.h"
#include "portability/instr_time.h"
#include "storage/latch.h"
#include "utils/memutils.h"

#include "conninfo.h"
#include "migrate.h"
#include "redact.h"
#include "source.h"

/*
 * Settings every source session gets, so that its output is predictable;
 * row security off, as pg_dump sets it, so that rows a policy would hide
 * are an error and never a silent loss; writable even where the cutover's
 * fence made new transactions read-only; and a bound on waiting for a lock
 * (migrate.source_lock_timeout, in ms), so that a table locked on the
 * source is a retry, not a hang.
 */
static const char *const session_setup =
"SELECT pg_catalog.set_config('search_path', 'pg_catalog', false),"
" pg_catalog.set_config('datestyle', 'ISO', false),"
" pg_catalog.set_config('intervalstyle', 'postgres', false),"
" pg_catalog.set_config('extra_float_digits', '3', false),"
" pg_catalog.set_config('statement_timeout', '0', false),"
" pg_catalog.set_config('row_security', 'off', false),"
" pg_catalog.set_config('default_transaction_read_only', 'off', false),"
" pg_catalog.set_config('lock_timeout', $1, false)";

/*
 * The connection whose source stopped answering (migrate_source_wait_readable gave
 * up on it).  No cancel is sent on it when it closes: PQcancel blocks until
 * the source's postmaster answers, and a frozen source never does.
 */
static PGconn *silent_conn = NULL;
/* migrate_source_collect_patiently: no silence limit on the wait */
static bool patient = false;

/* Memory context callback: close the connection, cancelling a running query. */
static void
source_conn_release(void *arg)
{
	SourceConn *sc = (SourceConn *) arg;

	if (sc->conn == NULL)
		return;
	/* a connection libpq knows is broken has no server to cancel on */
	if (sc->cancel_on_close && sc->conn != silent_conn &&
		PQstatus(sc->conn) == CONNECTION_OK &&
		PQtransactionStatus(sc->conn) == PQTRANS_ACTIVE)
	{
		PGcancel   *cancel = PQgetCancel(sc->conn);
		char		errbuf[256];

		if (cancel != NULL)
		{
			(void) PQcancel(cancel, errbuf, sizeof(errbuf));
			PQfreeCancel(cancel);
		}
	}
	if (sc->conn == silent_conn)
		silent_conn = NULL;
	PQfinish(sc->conn);
	sc->conn = NULL;
}

/* 'database "x"' for messages, or "server" when no database was named. */
static char *
source_dbname_label(SourceConn *sc)
{
	if (sc->dbname == NULL)
		return "server";
	return psprintf("database \"%s\"", sc->dbname);
}

/* libpq's message without its trailing newline, passwords redacted. */
static char *
conn_error_message(PGconn *conn)
{
	char	   *msg = migrate_redact(PQerrorMessage(conn));
	int			len = strlen(msg);

	while (len > 0 && (msg[len - 1] == '\n' || msg[len - 1] == ' '))
		msg[--len] = '\0';
	return msg;
}

/* The connection of migrate_source_connect and of ..._replication. */
static SourceConn *
source_connect(const SourceInfo *src, const char *dbname, char **errmsg_out,
			   bool replication)
{
	SourceConn *sc = palloc0(sizeof(SourceConn));
	MemoryContextCallback *cb = palloc0(sizeof(MemoryContextCallback));
	const char **keywords = palloc0(sizeof(char *) * (src->nparams + 5));
	const char **values = palloc0(sizeof(char *) * (src->nparams + 5));
	PostgresPollingStatusType poll = PGRES_POLLING_WRITING;
	instr_time	start;
	char	   *failure = NULL;
	int			i,
				n = 0;

	for (i = 0; i < src->nparams; i++)
	{
		if (dbname != NULL && strcmp(src->keywords[i], "dbname") == 0)
			continue;
		keywords[n] = src->keywords[i];
		values[n] = src->values[i];
		n++;
	}
	if (dbname != NULL)
	{
		keywords[n] = "dbname";
		values[n] = dbname;
		n++;
	}
	if (replication)
	{
		/* a walsender of the database; kept alive while it holds a snapshot */
		keywords[n] = "replication";
		values[n] = "database";
		n++;
		keywords[n] = "keepalives";
		values[n] = "1";
		n++;
	}

	sc->dbname = dbname ? pstrdup(dbname) : migrate_source_dbname(src);
	cb->func = source_conn_release;
	cb->arg = sc;
	MemoryContextRegisterResetCallback(CurrentMemoryContext, cb);

	sc->conn = PQconnectStartParams(keywords, values, false);
	if (sc->conn == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory while connecting to the source")));

	INSTR_TIME_SET_CURRENT(start);
	if (PQstatus(sc->conn) == CONNECTION_BAD)
		poll = PGRES_POLLING_FAILED;

	while (poll != PGRES_POLLING_OK && poll != PGRES_POLLING_FAILED)
	{
		int			events = WL_LATCH_SET | WL_EXIT_ON_PM_DEATH;
		long		timeout = -1;
		int			rc;

		if (poll == PGRES_POLLING_READING)
			events |= WL_SOCKET_READABLE;
		else
			events |= WL_SOCKET_WRITEABLE;

		if (src->connect_timeout > 0)
		{
			instr_time	now;

			INSTR_TIME_SET_CURRENT(now);
			INSTR_TIME_SUBTRACT(now, start);
			timeout = src->connect_timeout * 1000L - (long) INSTR_TIME_GET_MILLISEC(now);
			if (timeout <= 0)
			{
				failure = psprintf("timeout expired after %d seconds", src->connect_timeout);
				break;
			}
			events |= WL_TIMEOUT;
		}

		rc = WaitLatchOrSocket(MyLatch, events, PQsocket(sc->conn), timeout,
							   PG_WAIT_EXTENSION);
		if (rc & WL_LATCH_SET)
		{
			ResetLatch(MyLatch);
			CHECK_FOR_INTERRUPTS();
		}
		if (rc & (WL_SOCKET_READABLE | WL_SOCKET_WRITEABLE))
			poll = PQconnectPoll(sc->conn);
	}

	if (failure == NULL && poll == PGRES_POLLING_FAILED)
		failure = conn_error_message(sc->conn);

	if (failure == NULL && src->require_password &&
		!PQconnectionUsedPassword(sc->conn))
	{
		migrate_source_close(sc);
		ereport(ERROR,
				(errcode(ERRCODE_S_R_E_PROHIBITED_SQL_STATEMENT_ATTEMPTED),
				 errmsg("password is required"),
				 errdetail("The source server did not ask for the password, so a non-superuser may not use this connection."),
				 errhint("Make the source's pg_hba.conf ask this user for a password (scram-sha-256 or md5).")));
	}

	if (failure != NULL)
	{
		migrate_source_close(sc);
		if (errmsg_out != NULL)
		{
			*errmsg_out = failure;
			return NULL;
		}
		ereport(ERROR,
				(errcode(ERRCODE_SQLCLIENT_UNABLE_TO_ESTABLISH_SQLCONNECTION),
				 sc->dbname ?
				 errmsg("could not connect to database \"%s\" of the source", sc->dbname) :
				 errmsg("could not connect to the source"),
				 errdetail("%s", failure),
				 errhint("Check that the source is reachable from the target server and that the connection string is right.")));
	}

	sc->cancel_on_close = true;
	if (replication)
	{
		/* a walsender takes simple queries only; its snapshot must not time out */
		sc->replication = true;
		(void) migrate_source_simple_query(sc, "SET statement_timeout = 0");
		(void) migrate_source_simple_query(sc, "SET idle_in_transaction_session_timeout = 0");
		return sc;
	}
	{
		const char *lock_timeout = psprintf("%d", migrate_source_lock_timeout);

		(void) migrate_source_query(sc, session_setup, 1, &lock_timeout);
	}
	/* a snapshot is held open in a transaction while tables copy */
	if (PQserverVersion(sc->conn) >= 90600)
		(void) migrate_source_query(sc, "SELECT pg_catalog.set_config('idle_in_transaction_session_timeout', '0', false)",
							0, NULL);
	return sc;
}

/*
 * Opens a connection to database DBNAME (NULL: the one SRC names) of the
 * source, waiting on the latch, bounded by SRC's connect timeout.  On
 * failure, sets *errmsg_out and returns NULL when errmsg_out is given, or
 * raises an error.  Applies the password rule of migrate_check_source_rules.
 */
SourceConn *
migrate_source_connect(const SourceInfo *src, const char *dbname, char **errmsg_out)
{
	return source_connect(src, dbname, errmsg_out, false);
}

/*
 * A replication connection (a walsender) to database DBNAME of the source,
 * for the replication protocol's commands and simple queries
 * (migrate_source_simple_query); the same rules as migrate_source_connect.
 */
SourceConn *
migrate_source_connect_replication(const SourceInfo *src, const char *dbname)
{
	return source_connect(src, dbname, NULL, true);
}

/* Closes SC now (it is also closed when its memory context goes away). */
void
migrate_source_close(SourceConn *sc)
{
	source_conn_release(sc);
}

/* The source's server_version_num. */
int
migrate_source_server_version(SourceConn *sc)
{
	return PQserverVersion(sc->conn);
}

/*
 * Raises the error that RES (a failed result of SQL, on SC) carries, with
 * the source's SQLSTATE and texts.
 */
void
migrate_source_raise_result(SourceConn *sc, PGresult *res, const char *sql)
{
	char	   *sqlstate = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	char	   *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	char	   *detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
	char	   *hint = PQresultErrorField(res, PG_DIAG_MESSAGE_HINT);
	int			code = ERRCODE_CONNECTION_FAILURE;

	if (sqlstate != NULL && strlen(sqlstate) == 5)
		code = MAKE_SQLSTATE(sqlstate[0], sqlstate[1], sqlstate[2],
							 sqlstate[3], sqlstate[4]);
	primary = primary ? pstrdup(primary) : conn_error_message(sc->conn);
	detail = detail ? pstrdup(detail) : NULL;
	hint = hint ? pstrdup(hint) : NULL;
	PQclear(res);

	ereport(ERROR,
			(errcode(code),
			 errmsg("source %s: %s",
					source_dbname_label(sc), primary),
			 detail ? errdetail("%s", detail) : 0,
			 hint ? errhint("%s", hint) : 0,
			 errcontext("source query: %s", sql)));
}

/*
 * Waits on the latch until CONN's socket is readable.  A source that sends
 * nothing for migrate.source_timeout seconds (a frozen server, a network
 * that drops everything) is an error of class 08, which callers retry: no
 * wait on the source is longer than that.
 */
void
migrate_source_wait_readable(PGconn *conn)
{
	instr_time	start;

	INSTR_TIME_SET_CURRENT(start);
	for (;;)
	{
		long		timeout = -1;
		int			events = WL_LATCH_SET | WL_SOCKET_READABLE | WL_EXIT_ON_PM_DEATH;
		int			rc;

		if (migrate_source_timeout > 0 && !patient)
		{
			instr_time	now;

			INSTR_TIME_SET_CURRENT(now);
			INSTR_TIME_SUBTRACT(now, start);
			timeout = migrate_source_timeout * 1000L - (long) INSTR_TIME_GET_MILLISEC(now);
			if (timeout <= 0)
			{
				silent_conn = conn;
				ereport(ERROR,
						(errcode(ERRCODE_CONNECTION_FAILURE),
						 errmsg("the source did not answer for %d seconds", migrate_source_timeout),
						 errhint("Check that the source server is running and reachable; migrate.source_timeout sets how long to wait.")));
			}
			events |= WL_TIMEOUT;
		}
		rc = WaitLatchOrSocket(MyLatch, events, PQsocket(conn), timeout,
							   PG_WAIT_EXTENSION);
		if (rc & WL_LATCH_SET)
		{
			ResetLatch(MyLatch);
			CHECK_FOR_INTERRUPTS();
		}
		if (rc & WL_SOCKET_READABLE)
			return;
	}
}

/*
 * Waits, on the latch and the socket, until SC's next result can be read
 * without blocking.
 */
void
migrate_source_await_result(SourceConn *sc)
{
	while (PQisBusy(sc->conn))
	{
		migrate_source_wait_readable(sc->conn);
		if (!PQconsumeInput(sc->conn))
			ereport(ERROR,
					(errcode(ERRCODE_CONNECTION_FAILURE),
					 errmsg("lost the connection to the source %s",
							source_dbname_label(sc)),
					 errdetail("%s", conn_error_message(sc->conn))));
	}
}

/* The rows of the last result of the query sent on SC, copied; or its error. */
static SourceResult *
collect_result(SourceConn *sc, const char *sql)
{
	SourceResult *result = palloc0(sizeof(SourceResult));
	PGresult   *last = NULL;
	PGresult   *res;

	for (;;)
	{
		migrate_source_await_result(sc);
		res = PQgetResult(sc->conn);
		if (res == NULL)
			break;
		if (last != NULL)
			PQclear(last);
		last = res;
	}

	if (last == NULL ||
		(PQresultStatus(last) != PGRES_TUPLES_OK &&
		 PQresultStatus(last) != PGRES_COMMAND_OK))
		migrate_source_raise_result(sc, last, sql);

	result->nrows = PQntuples(last);
	result->ncols = PQnfields(last);
	if (result->nrows > 0 && result->ncols > 0)
	{
		int			r,
					c;

		result->names = palloc(sizeof(char *) * result->ncols);
		for (c = 0; c < result->ncols; c++)
			result->names[c] = pstrdup(PQfname(last, c));
		result->values = palloc(sizeof(char *) * result->nrows * result->ncols);
		for (r = 0; r < result->nrows; r++)
			for (c = 0; c < result->ncols; c++)
				SR_SLOT(result, r, c) = PQgetisnull(last, r, c) ? NULL :
					pstrdup(PQgetvalue(last, r, c));
	}
	PQclear(last);
	return result;
}

/*
 * Runs SQL (with text parameters PARAMS) on the source, waiting on the latch,
 * and returns its rows copied into palloc'd memory.  Raises the source's
 * error as our own.
 */
SourceResult *
migrate_source_query(SourceConn *sc, const char *sql, int nparams,
			 const char *const *params)
{
	migrate_source_send(sc, sql, nparams, params);
	return collect_result(sc, sql);
}

/*
 * Sends SQL without waiting for its result: the caller does something else
 * meanwhile (the same query on the target), then migrate_source_collect.
 */
void
migrate_source_send(SourceConn *sc, const char *sql, int nparams,
					const char *const *params)
{
	if (sc->conn == NULL)
		elog(ERROR, "source connection is closed");
	if (sc->replication)
		elog(ERROR, "a parameterized query on a replication connection");
	if (!PQsendQueryParams(sc->conn, sql, nparams, NULL, params, NULL, NULL, 0))
		ereport(ERROR,
				(errcode(ERRCODE_CONNECTION_FAILURE),
				 errmsg("could not send a query to the source %s",
						source_dbname_label(sc)),
				 errdetail("%s", conn_error_message(sc->conn))));
}

/* The result of the query migrate_source_send sent (SQL: for errors). */
SourceResult *
migrate_source_collect(SourceConn *sc, const char *sql)
{
	return collect_result(sc, sql);
}

/*
 * The same, for a query that sends nothing until it has read a whole
 * table (a count, a hash): migrate.source_timeout does not apply to it; a
 * stop, a cancel or a connection the kernel finds broken ends the wait.
 */
SourceResult *
migrate_source_collect_patiently(SourceConn *sc, const char *sql)
{
	SourceResult *volatile res = NULL;

	patient = true;
	PG_TRY();
	{
		res = collect_result(sc, sql);
	}
	PG_FINALLY();
	{
		patient = false;
	}
	PG_END_TRY();
	return res;
}

/*
 * Runs SQL, one statement or command without parameters, with the simple
 * query protocol: what a replication connection understands.
 */
SourceResult *
migrate_source_simple_query(SourceConn *sc, const char *sql)
{
	if (sc->conn == NULL)
		elog(ERROR, "source connection is closed");
	if (!PQsendQuery(sc->conn, sql))
		ereport(ERROR,
				(errcode(ERRCODE_CONNECTION_FAILURE),
				 errmsg("could not send a query to the source %s",
						source_dbname_label(sc)),
				 errdetail("%s", conn_error_message(sc->conn))));
	return collect_result(sc, sql);
}

/*
 * The column named NAME of RES, or an error: replication commands are read
 * by column name, as servers differ in what else they send.
 */
int
migrate_source_column(const SourceResult *res, const char *name)
{
	int			c;

	for (c = 0; c < res->ncols && res->names != NULL; c++)
		if (strcmp(res->names[c], name) == 0)
			return c;
	ereport(ERROR,
			(errcode(ERRCODE_PROTOCOL_VIOLATION),
			 errmsg("the source's answer has no column \"%s\"", name),
			 errhint("The source server did not answer as PostgreSQL does: check that the source is the server it should be.")));
	return -1;					/* keep compiler quiet */
}
