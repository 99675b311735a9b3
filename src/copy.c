/*-------------------------------------------------------------------------
 *
 * copy.c
 *		Streaming COPY from the source straight into the target table, in
 *		process: the source's COPY TO STDOUT is read with libpq and fed to
 *		this server's own COPY FROM machinery through a data-source callback,
 *		as the built-in table synchronization worker does.  Bytes cross one
 *		socket and are parsed once; nothing is buffered beyond one message.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/table.h"
#include "access/transam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/copy.h"
#include "executor/spi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "parser/parse_relation.h"
#include "pgstat.h"
#include "portability/instr_time.h"
#include "storage/latch.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/rls.h"
#include "utils/snapmgr.h"
#include "utils/guc.h"
#include "utils/syscache.h"

#include "compat.h"
#include "copy.h"
#include "protocol.h"
#include "source.h"
#include "target.h"

/* Report progress at most this often. */
#define PROGRESS_BYTES	(8 * 1024 * 1024)
#define PROGRESS_MS		1000

/* The stream being read; the COPY callback has no argument of its own. */
typedef struct CopyStream
{
	PGconn	   *conn;
	char	   *buf;			/* the current message from libpq */
	int			len;
	int			pos;
	bool		eof;
	int64		rows;
	int64		bytes;
	int64		reported_bytes;
	instr_time	reported_at;
	copy_progress_cb progress;
	void	   *progress_arg;
} CopyStream;

static CopyStream *stream = NULL;

/* Releases the current libpq message buffer. */
static void
stream_release_buffer(CopyStream *cs)
{
	if (cs->buf != NULL)
	{
		PQfreemem(cs->buf);
		cs->buf = NULL;
	}
	cs->len = cs->pos = 0;
}

static void
maybe_report(CopyStream *cs)
{
	instr_time	now;

	/* the clock is read every 1024 rows, not for every row */
	if (cs->progress == NULL || (cs->rows & 1023) != 0)
		return;
	if (cs->bytes - cs->reported_bytes < PROGRESS_BYTES)
	{
		INSTR_TIME_SET_CURRENT(now);
		INSTR_TIME_SUBTRACT(now, cs->reported_at);
		if (INSTR_TIME_GET_MILLISEC(now) < PROGRESS_MS)
			return;
	}
	cs->progress(cs->rows, cs->bytes, cs->progress_arg);
	cs->reported_bytes = cs->bytes;
	INSTR_TIME_SET_CURRENT(cs->reported_at);
}

/*
 * COPY FROM's data source: at least MINREAD and at most MAXREAD bytes of
 * the source's COPY stream into OUTBUF; fewer only at the end.  Waits on
 * the latch and the socket.
 */
static int
copy_read_cb(void *outbuf, int minread, int maxread)
{
	CopyStream *cs = stream;
	int			nread = 0;
	bool		consumed = false;

	/*
	 * Fill at least MINREAD bytes, waiting if need be; past that, keep taking
	 * what libpq already holds, up to MAXREAD, without waiting.
	 */
	while (nread < maxread && !cs->eof)
	{
		int			n;

		if (cs->buf != NULL && cs->pos < cs->len)
		{
			int			avail = Min(cs->len - cs->pos, maxread - nread);

			memcpy((char *) outbuf + nread, cs->buf + cs->pos, avail);
			cs->pos += avail;
			nread += avail;
			if (cs->pos == cs->len)
				stream_release_buffer(cs);
			continue;
		}

		CHECK_FOR_INTERRUPTS();
		n = PQgetCopyData(cs->conn, &cs->buf, 1);
		if (n > 0)
		{
			consumed = false;
			cs->len = n;
			cs->pos = 0;
			cs->rows++;
			cs->bytes += n;
			maybe_report(cs);
			continue;
		}
		if (n == -1)
		{
			cs->eof = true;
			break;
		}
		if (n == -2)
			ereport(ERROR,
					(errcode(ERRCODE_CONNECTION_FAILURE),
					 errmsg("could not read COPY data from the source: %s",
							PQerrorMessage(cs->conn))));
		/* nothing buffered: enough for now; or take what the socket has */
		if (nread >= minread)
			break;
		if (!consumed)
		{
			if (!PQconsumeInput(cs->conn))
				ereport(ERROR,
						(errcode(ERRCODE_CONNECTION_FAILURE),
						 errmsg("lost the connection to the source during COPY: %s",
								PQerrorMessage(cs->conn))));
			consumed = true;
			continue;
		}
		/* the socket had nothing either: wait for it (bounded) */
		consumed = false;
		migrate_source_wait_readable(cs->conn);
	}
	return nread;
}

/* Sends SQL on CONN and waits for the COPY OUT to start; raises on error. */
static void
start_copy_out(SourceConn *sc, const char *sql)
{
	PGresult   *res;

	if (!PQsendQuery(sc->conn, sql))
		ereport(ERROR,
				(errcode(ERRCODE_CONNECTION_FAILURE),
				 errmsg("could not send COPY to the source: %s", PQerrorMessage(sc->conn))));
	for (;;)
	{
		migrate_source_await_result(sc);
		res = PQgetResult(sc->conn);
		if (res == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_PROTOCOL_VIOLATION),
					 errmsg("the source ended the COPY before it started")));
		if (PQresultStatus(res) == PGRES_COPY_OUT)
		{
			PQclear(res);
			return;
		}
		{
			char	   *msg = pstrdup(PQresultErrorMessage(res));
			char	   *sqlstate = PQresultErrorField(res, PG_DIAG_SQLSTATE);
			int			code = ERRCODE_CONNECTION_FAILURE;

			if (sqlstate != NULL && strlen(sqlstate) == 5)
				code = MAKE_SQLSTATE(sqlstate[0], sqlstate[1], sqlstate[2],
									 sqlstate[3], sqlstate[4]);
			PQclear(res);
			ereport(ERROR,
					(errcode(code),
					 errmsg("COPY on the source failed: %s", msg)));
		}
	}
}

/*
 * Reads the results of a COPY OUT on SC that has ended, to the last one:
 * returns the first that failed (the caller clears it), or NULL.
 */
static PGresult *
copy_out_end(SourceConn *sc)
{
	PGresult   *failed = NULL;

	for (;;)
	{
		PGresult   *res;

		migrate_source_await_result(sc);
		res = PQgetResult(sc->conn);
		if (res == NULL)
			break;
		if (PQresultStatus(res) != PGRES_COMMAND_OK && failed == NULL)
			failed = res;
		else
			PQclear(res);
	}
	return failed;
}

/*
 * After the stream's end, every result must be read and checked: an error
 * at the end of a COPY is otherwise lost.
 */
static void
finish_copy_out(SourceConn *sc)
{
	PGresult   *failed = copy_out_end(sc);

	if (failed != NULL)
		migrate_source_raise_result(sc, failed, "COPY ... TO STDOUT");
}

/*
 * The receive function of char(n) columns in a binary COPY, faster than the
 * built-in bpcharrecv for the common case and the same datum in every case.
 * bpcharrecv converts and validates the encoding, then counts the characters
 * one by one (pg_mbstrlen_with_len) to pad to n: a fifth of a copy worker's
 * time on a table like pgbench_accounts.  A value of plain ASCII (bytes 1 to
 * 127: valid in every server encoding, one character a byte) no longer than
 * n bytes is padded here; anything else goes to bpcharrecv itself.
 */
static Datum
fast_bpchar_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int32		typmod = PG_GETARG_INT32(2);
	const unsigned char *p = (const unsigned char *) buf->data + buf->cursor;
	int			len = buf->len - buf->cursor;
	int			maxlen = typmod - VARHDRSZ;
	BpChar	   *result;
	int			i;

	if (typmod < (int32) VARHDRSZ || len > maxlen)
		return DirectFunctionCall3(bpcharrecv, PG_GETARG_DATUM(0), PG_GETARG_DATUM(1),
								   PG_GETARG_DATUM(2));
	for (i = 0; i < len; i++)
		if (p[i] == 0 || p[i] > 127)
			return DirectFunctionCall3(bpcharrecv, PG_GETARG_DATUM(0), PG_GETARG_DATUM(1),
									   PG_GETARG_DATUM(2));

	result = (BpChar *) palloc(maxlen + VARHDRSZ);
	SET_VARSIZE(result, maxlen + VARHDRSZ);
	memcpy(VARDATA(result), p, len);
	if (maxlen > len)
		memset(VARDATA(result) + len, ' ', maxlen - len);
	buf->cursor = buf->len;
	PG_RETURN_BPCHAR_P(result);
}

/*
 * In a binary COPY FROM, char(n) columns get fast_bpchar_recv.  Only where
 * bpcharrecv would not convert the encoding: the session's client encoding
 * is the database's, or SQL_ASCII (then it only validates).
 */
static void
use_fast_receive(CopyFromState cstate, TupleDesc desc)
{
	ListCell   *lc;
	int			client = pg_get_client_encoding();

	if (client != GetDatabaseEncoding() && client != PG_SQL_ASCII)
		return;
	foreach(lc, migrate_copy_attnums(cstate))
	{
		int			attnum = lfirst_int(lc);
		Form_pg_attribute att = TupleDescAttr(desc, attnum - 1);
		FmgrInfo   *in = migrate_copy_in_function(cstate, attnum);

		if (att->atttypid == BPCHAROID && in->fn_addr == bpcharrecv)
			in->fn_addr = fast_bpchar_recv;
	}
}

/*
 * Does loading rows into relation RELID evaluate a function or operator
 * that is not built in?  Its CHECK constraints and those of its columns'
 * domains (at any depth), its defaults and generated columns, the partition
 * keys of it and its ancestors, its indexes and its enabled triggers are
 * looked at, through what they depend on.
 */
static bool
loading_runs_user_code(Oid relid)
{
	SourceResult *res;

	res = migrate_target_query("WITH RECURSIVE rels(oid) AS ("
					   "  SELECT $1::pg_catalog.oid"
					   "  UNION SELECT i.inhparent FROM pg_catalog.pg_inherits i JOIN rels r ON i.inhrelid OPERATOR(pg_catalog.=) r.oid),"
					   " doms(oid) AS ("
					   "  SELECT a.atttypid FROM pg_catalog.pg_attribute a"
					   "  WHERE a.attrelid OPERATOR(pg_catalog.=) $1 AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped"
					   "  UNION SELECT t.typbasetype FROM pg_catalog.pg_type t JOIN doms d ON t.oid OPERATOR(pg_catalog.=) d.oid"
					   "  WHERE t.typtype OPERATOR(pg_catalog.=) 'd'),"
					   " objs(classid, objid) AS ("
					   "  SELECT 'pg_catalog.pg_class'::pg_catalog.regclass, r.oid FROM rels r"
					   "  UNION ALL SELECT 'pg_catalog.pg_constraint'::pg_catalog.regclass, c.oid FROM pg_catalog.pg_constraint c"
					   "   WHERE c.conrelid OPERATOR(pg_catalog.=) $1 OR c.contypid IN (SELECT oid FROM doms)"
					   "  UNION ALL SELECT 'pg_catalog.pg_attrdef'::pg_catalog.regclass, d.oid FROM pg_catalog.pg_attrdef d"
					   "   WHERE d.adrelid OPERATOR(pg_catalog.=) $1"
					   "  UNION ALL SELECT 'pg_catalog.pg_class'::pg_catalog.regclass, i.indexrelid FROM pg_catalog.pg_index i"
					   "   WHERE i.indrelid OPERATOR(pg_catalog.=) $1"
					   "  UNION ALL SELECT 'pg_catalog.pg_trigger'::pg_catalog.regclass, t.oid FROM pg_catalog.pg_trigger t"
					   "   WHERE t.tgrelid OPERATOR(pg_catalog.=) $1 AND t.tgenabled OPERATOR(pg_catalog.<>) 'D')"
					   " SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d JOIN objs o"
					   "  ON d.classid OPERATOR(pg_catalog.=) o.classid AND d.objid OPERATOR(pg_catalog.=) o.objid"
					   "  WHERE d.refclassid IN ('pg_catalog.pg_proc'::pg_catalog.regclass, 'pg_catalog.pg_operator'::pg_catalog.regclass)"
					   "  AND d.refobjid OPERATOR(pg_catalog.>=) " CppAsString2(FirstNormalObjectId) "::pg_catalog.oid)",
					   1, (Oid[]) {OIDOID}, (Datum[]) {ObjectIdGetDatum(relid)});
	return strcmp(SR_VALUE(res, 0, 0), "t") == 0;
}

/*
 * Is the binary form of type TYPID the same on both servers?  Only for a
 * built-in type (a type made by the source has another OID here) that has
 * binary I/O at all (aclitem has none), and not one whose value is an OID
 * (regclass, regtype, regprocedure, ...: the binary form is the source's
 * OID, which names another object here, or none; in text it is the name);
 * for an array, its element's.
 */
static bool
binary_portable(Oid typid)
{
	HeapTuple	tup;
	Form_pg_type typ;
	bool		portable;

	if (typid >= FirstNormalObjectId)
		return false;
	switch (typid)
	{
		case REGPROCOID:
		case REGPROCEDUREOID:
		case REGOPEROID:
		case REGOPERATOROID:
		case REGCLASSOID:
		case REGTYPEOID:
		case REGCOLLATIONOID:
		case REGCONFIGOID:
		case REGDICTIONARYOID:
		case REGNAMESPACEOID:
		case REGROLEOID:
			return false;
		default:
			break;
	}
	tup = SearchSysCache1(TYPEOID, ObjectIdGetDatum(typid));
	if (!HeapTupleIsValid(tup))
		return false;
	typ = (Form_pg_type) GETSTRUCT(tup);
	portable = OidIsValid(typ->typsend) && OidIsValid(typ->typreceive);
	if (portable && OidIsValid(typ->typelem) && IsTrueArrayType(typ))
		portable = binary_portable(typ->typelem);
	ReleaseSysCache(tup);
	return portable;
}

/*
 * What the copy of TASK's table needs to know of it on the source, in one
 * round trip: its owner, whether that is a superuser there, and its
 * columns' types, a line "column schema.type" each (quoted as needed).
 */
static SourceResult *
source_table_facts(SourceConn *conn, const TaskMsg *task)
{
	const char *params[2] = {task->schema_name, task->table_name};

	return migrate_source_query(conn,
								"SELECT pg_catalog.pg_get_userbyid(c.relowner), r.rolsuper,"
								" (SELECT pg_catalog.string_agg(pg_catalog.format('%I %I.%I', a.attname, tn.nspname, t.typname), E'\\n')"
								"  FROM pg_catalog.pg_attribute a"
								"  JOIN pg_catalog.pg_type t ON t.oid OPERATOR(pg_catalog.=) a.atttypid"
								"  JOIN pg_catalog.pg_namespace tn ON tn.oid OPERATOR(pg_catalog.=) t.typnamespace"
								"  WHERE a.attrelid OPERATOR(pg_catalog.=) c.oid AND a.attnum > 0 AND NOT a.attisdropped)"
								" FROM pg_catalog.pg_class c"
								" JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace"
								" LEFT JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) c.relowner"
								" WHERE n.nspname OPERATOR(pg_catalog.=) $1 AND c.relname OPERATOR(pg_catalog.=) $2",
								2, params);
}

/*
 * Does column ATT have the type here that it has on the source (FACTS'
 * column list)?  Binary data is only read back right by the type that
 * wrote it: a table that was there already (a merge) may have another.
 */
static bool
same_type_there(SourceResult *facts, Form_pg_attribute att)
{
	const char *types = facts->nrows > 0 ? SR_VALUE(facts, 0, 2) : NULL;
	HeapTuple	tup;
	Form_pg_type typ;
	char	   *line;
	const char *p;
	size_t		len;

	if (types == NULL)
		return false;
	tup = SearchSysCache1(TYPEOID, ObjectIdGetDatum(att->atttypid));
	if (!HeapTupleIsValid(tup))
		return false;
	typ = (Form_pg_type) GETSTRUCT(tup);
	line = psprintf("%s %s", quote_identifier(NameStr(att->attname)),
					quote_qualified_identifier(get_namespace_name(typ->typnamespace),
											   NameStr(typ->typname)));
	ReleaseSysCache(tup);
	len = strlen(line);
	for (p = types;;)
	{
		if (strncmp(p, line, len) == 0 && (p[len] == '\n' || p[len] == '\0'))
			return true;
		p = strchr(p, '\n');
		if (p == NULL)
			return false;
		p++;
	}
}

/*
 * Refuses to load a table whose owner on the source (FACTS), a role
 * without superuser there, could not be given it here (the role is
 * missing, or the migration's owner may not give it) when loading it runs
 * code the source defined: that code would run as the role that owns the
 * table here instead, the migration's owner or a superuser, with rights
 * its author never had.
 */
static void
check_owner_kept(SourceResult *res, const TaskMsg *task, Oid relid, Oid runs_as)
{
	char	   *here = GetUserNameFromId(migrate_rel_owner(relid), false);

	if (res->nrows == 0 || SR_VALUE(res, 0, 0) == NULL ||
		strcmp(SR_VALUE(res, 0, 0), here) == 0)
		return;

	/*
	 * A superuser's table on the source: its code already ran with every
	 * right there, and the source's superuser is trusted to the level of
	 * the role that migrates (who runs its DDL anyway).
	 */
	if (SR_VALUE(res, 0, 1) != NULL && strcmp(SR_VALUE(res, 0, 1), "t") == 0)
		return;
	if (!loading_runs_user_code(relid))
		return;
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("table %s is owned by %s here but by %s on the source, and loading it runs code the source defined",
					quote_qualified_identifier(task->schema_name, task->table_name),
					quote_identifier(here), quote_identifier(SR_VALUE(res, 0, 0))),
			 errdetail("Its constraints, defaults, generated columns, partition keys or triggers call functions or operators of the source, which would run as %s.",
					   quote_identifier(GetUserNameFromId(runs_as, false))),
			 errhint("Have role %s on the target (let the roles step create it, or create it) so that the table can be given to it, then resume the migration; or leave the table out with \"exclude_tables\".",
					 quote_identifier(SR_VALUE(res, 0, 0)))));
}

/*
 * CopyFrom of CSTATE, fed by the source's COPY on CONN.  A COPY that fails
 * on the source (a type without binary output, a privilege) ends its
 * stream early, and COPY FROM then fails on what it got ("COPY file
 * signature not recognized", a row cut short): the source's own error is
 * raised instead, which says why.
 */
static uint64
copy_from_source(CopyFromState cstate, SourceConn *conn)
{
	MemoryContext cxt = CurrentMemoryContext;
	volatile uint64 rows = 0;

	PG_TRY();
	{
		rows = CopyFrom(cstate);
	}
	PG_CATCH();
	{
		if (stream != NULL && stream->eof)
		{
			PGresult   *failed;

			MemoryContextSwitchTo(cxt);
			failed = copy_out_end(conn);
			if (failed != NULL)
			{
				FlushErrorState();
				migrate_source_raise_result(conn, failed, "COPY ... TO STDOUT");
			}
		}
		PG_RE_THROW();
	}
	PG_END_TRY();
	return rows;
}

/*
 * Copies the table (or block range) of TASK from the source reached by CONN,
 * whose transaction already uses the task's snapshot, into the target table
 * of the same name, in the current transaction; with WHERE (an expression
 * of the table's columns that this code built, migrate.repair's ranges),
 * only the rows it holds for.  Binary when BINARY_OK and
 * every column's binary form means the same here (binary_portable), else
 * text.  Returns the rows copied and sets
 * *bytes_out to the bytes read.
 */
uint64
migrate_copy_table(SourceConn *conn, const TaskMsg *task, const char *where, bool binary_ok,
				   copy_progress_cb progress, void *progress_arg,
				   int64 *bytes_out)
{
	RangeVar   *rv = makeRangeVar(task->schema_name, task->table_name, -1);
	Relation	rel;
	TupleDesc	desc;
	List	   *attnames = NIL;
	StringInfoData cols;
	StringInfoData sql;
	volatile bool binary = binary_ok;
	List	   *options = NIL;
	const char *src_encoding;
	ParseState *pstate;
	CopyFromState cstate;
	CopyStream	cs;
	uint64		rows;
	int			i;
	AclResult	aclresult;
	char	   *qualified = quote_qualified_identifier(task->schema_name, task->table_name);
	LOCKMODE	lockmode;
	Oid			relid;
	Oid			runs_as;
	SourceResult *facts;
	Oid			save_userid;
	int			save_sec_context;
	int			save_nestlevel;

	/*
	 * Checked as the migration's owner, before anything: BeginCopyFrom checks
	 * nothing by itself.
	 */
	lockmode = task->truncate ? AccessExclusiveLock : RowExclusiveLock;
	relid = RangeVarGetRelid(rv, lockmode, false);
	aclresult = pg_class_aclcheck(relid, GetUserId(), ACL_INSERT);
	if (aclresult == ACLCHECK_OK && task->truncate)
		aclresult = pg_class_aclcheck(relid, GetUserId(), ACL_TRUNCATE);
	if (aclresult != ACLCHECK_OK)
		aclcheck_error(aclresult, get_relkind_objtype(get_rel_relkind(relid)),
					   task->table_name);
	if (check_enable_rls(relid, InvalidOid, false) == RLS_ENABLED)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("row level security of table \"%s\" applies to the migration's owner",
						task->table_name),
				 errhint("Run the migration as the table's owner or as a role with BYPASSRLS.")));

	/*
	 * Loading rows runs code the source defined: CHECK and domain
	 * constraints, generated columns, partition keys, and in a merge the
	 * table's indexes and triggers.  It runs inside a security-restricted
	 * operation as the table's owner, as the server itself builds indexes
	 * and refreshes materialized views, so that whatever those functions
	 * try, they have no more rights than the role that owns the table; as
	 * the migration's owner only where it may not act as the table's owner
	 * (a table of another role that it may insert into, in a merge).  The
	 * transaction's end (or abort) restores the identity and the settings.
	 */
	runs_as = migrate_evaluating_role(relid);
	facts = source_table_facts(conn, task);
	check_owner_kept(facts, task, relid, runs_as);
	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	SetUserIdAndSecContext(runs_as, save_sec_context | SECURITY_RESTRICTED_OPERATION);
	save_nestlevel = NewGUCNestLevel();

	if (task->truncate)
	{
		int			ret;

		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		ret = SPI_execute(psprintf("TRUNCATE ONLY %s", qualified), false, 0);
		if (ret < 0)
			elog(ERROR, "TRUNCATE failed: %s", SPI_result_code_string(ret));
		SPI_finish();
	}

	rel = table_open(relid, NoLock);

	/* the columns to copy: all but dropped and generated ones */
	desc = RelationGetDescr(rel);
	initStringInfo(&cols);
	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (att->attisdropped || att->attgenerated)
			continue;
		attnames = lappend(attnames, makeString(pstrdup(NameStr(att->attname))));
		appendStringInfo(&cols, "%s%s", cols.len ? ", " : "",
						 quote_identifier(NameStr(att->attname)));
		/*
		 * binary only where every column's binary form means the same here,
		 * and its type is the source's
		 */
		if (binary && (!binary_portable(att->atttypid) || !same_type_there(facts, att)))
			binary = false;
	}

	/*
	 * The source sends text in its session's encoding (its database's, by
	 * default), and in binary a text datum goes as the bytes the source
	 * stores: between databases of different encodings, text, converted
	 * from the source's.
	 */
	src_encoding = PQparameterStatus(conn->conn, "client_encoding");
	if (src_encoding != NULL && pg_char_to_encoding(src_encoding) >= 0 &&
		pg_char_to_encoding(src_encoding) != GetDatabaseEncoding())
	{
		binary = false;
		options = lappend(options, makeDefElem("encoding", (Node *) makeString(pstrdup(src_encoding)), -1));
	}
	if (attnames == NIL)
	{
		table_close(rel, NoLock);
		AtEOXact_GUC(false, save_nestlevel);
		SetUserIdAndSecContext(save_userid, save_sec_context);
		*bytes_out = 0;
		return 0;
	}

	initStringInfo(&sql);
	if (where != NULL)
		appendStringInfo(&sql, "COPY (SELECT %s FROM ONLY %s WHERE %s) TO STDOUT", cols.data, qualified, where);
	else if (task->block_from < 0 && task->block_to < 0)
		appendStringInfo(&sql, "COPY %s (%s) TO STDOUT", qualified, cols.data);
	else
	{
		appendStringInfo(&sql, "COPY (SELECT %s FROM ONLY %s WHERE ", cols.data, qualified);
		if (task->block_from >= 0)
			appendStringInfo(&sql, "ctid >= '(" INT64_FORMAT ",0)'::tid", task->block_from);
		if (task->block_from >= 0 && task->block_to >= 0)
			appendStringInfoString(&sql, " AND ");
		if (task->block_to >= 0)
			appendStringInfo(&sql, "ctid < '(" INT64_FORMAT ",0)'::tid", task->block_to);
		appendStringInfoString(&sql, ") TO STDOUT");
	}
	if (binary)
	{
		appendStringInfoString(&sql, " (FORMAT binary)");
		options = lappend(options, makeDefElem("format", (Node *) makeString("binary"), -1));
	}
	/*
	 * Emptied in this transaction (a whole table, or the first part of a
	 * split one): its rows go in frozen and all-visible, so that the first
	 * reader (the index builds) does not write every page again to set hint
	 * bits, and no anti-wraparound VACUUM rewrites it later.
	 */
	if (task->truncate)
		options = lappend(options, makeDefElem("freeze", (Node *) makeBoolean(true), -1));

	start_copy_out(conn, sql.data);

	memset(&cs, 0, sizeof(cs));
	cs.conn = conn->conn;
	cs.progress = progress;
	cs.progress_arg = progress_arg;
	INSTR_TIME_SET_CURRENT(cs.reported_at);
	stream = &cs;

	PG_TRY();
	{
		pstate = make_parsestate(NULL);
		(void) addRangeTableEntryForRelation(pstate, rel, RowExclusiveLock,
											 NULL, false, false);
		cstate = BeginCopyFrom(pstate, rel, NULL, NULL, false, copy_read_cb,
							   attnames, options);
		if (binary)
			use_fast_receive(cstate, desc);
		rows = copy_from_source(cstate, conn);
		EndCopyFrom(cstate);

		/* COPY FROM may stop before the stream's end: read it to the end */
		while (!cs.eof)
		{
			char		sink[8192];

			(void) copy_read_cb(sink, sizeof(sink), sizeof(sink));
		}
		stream_release_buffer(&cs);
		finish_copy_out(conn);
	}
	PG_FINALLY();
	{
		stream_release_buffer(&cs);
		stream = NULL;
	}
	PG_END_TRY();

	table_close(rel, NoLock);
	AtEOXact_GUC(false, save_nestlevel);
	SetUserIdAndSecContext(save_userid, save_sec_context);
	*bytes_out = cs.bytes;
	return rows;
}
