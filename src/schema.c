/*-------------------------------------------------------------------------
 *
 * schema.c
 *		The schema of a source database: pg_dump --schema-only of one section
 *		at an exported snapshot, run as a child process (no shell, the
 *		password in a 0600 passfile, never on argv), split into statements
 *		in process, and post-data sorted into tasks.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "parser/parser.h"
#include "storage/fd.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "child.h"
#include "compat.h"
#include "conninfo.h"
#include "migrate.h"
#include "redact.h"
#include "schema.h"

/* Where passfiles live while pg_dump runs: inside the data directory. */
#define MIGRATE_TMP_DIR "pg_migrate_tmp"

typedef struct PassFile
{
	char	   *path;
} PassFile;

/* Memory context callback: remove the passfile. */
static void
passfile_release(void *arg)
{
	PassFile   *pf = (PassFile *) arg;

	if (pf->path != NULL)
	{
		unlink(pf->path);
		pf->path = NULL;
	}
}

/* Appends S to BUF escaped for a .pgpass field. */
static void
append_pgpass_field(StringInfo buf, const char *s)
{
	for (; *s; s++)
	{
		if (*s == ':' || *s == '\\')
			appendStringInfoChar(buf, '\\');
		appendStringInfoChar(buf, *s);
	}
}

/* The directory of passfiles and error files: inside the data directory. */
static char *
tmp_dir(void)
{
	char	   *dir = psprintf("%s/%s", DataDir, MIGRATE_TMP_DIR);

	if (mkdir(dir, S_IRWXU) < 0 && errno != EEXIST)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not create directory \"%s\": %m", dir)));
	return dir;
}

/* A new file name there, removed when the current memory context goes. */
static char *
tmp_file_path(const char *kind)
{
	PassFile   *pf = palloc0(sizeof(PassFile));
	MemoryContextCallback *cb = palloc0(sizeof(MemoryContextCallback));

	pf->path = psprintf("%s/%s.%d.%lu", tmp_dir(), kind, MyProcPid, (unsigned long) random());
	cb->func = passfile_release;
	cb->arg = pf;
	MemoryContextRegisterResetCallback(CurrentMemoryContext, cb);
	return pf->path;
}

/* The first 8kB of file PATH, or "" when it cannot be read. */
static char *
read_small_file(const char *path)
{
	char		buf[8192];
	int			fd = open(path, O_RDONLY);
	ssize_t		n;

	if (fd < 0)
		return "";
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return "";
	buf[n] = '\0';
	return pstrdup(buf);
}

/*
 * Removes what processes that are gone left in the directory (a process
 * that exits with FATAL runs no callbacks).
 */
void
migrate_clean_tmp_dir(void)
{
	char	   *dir = psprintf("%s/%s", DataDir, MIGRATE_TMP_DIR);
	DIR		   *d = AllocateDir(dir);
	struct dirent *de;

	if (d == NULL)
		return;
	while ((de = ReadDirExtended(d, dir, LOG)) != NULL)
	{
		char	   *dot = strchr(de->d_name, '.');
		int			pid;

		if (dot == NULL || sscanf(dot + 1, "%d.", &pid) != 1)
			continue;
		if (pid != MyProcPid && kill(pid, 0) != 0 && errno == ESRCH)
			unlink(psprintf("%s/%s", dir, de->d_name));
	}
	FreeDir(d);
}

/* The value of KEYWORD in SRC, or DEFVAL. */
static const char *
src_value(const SourceInfo *src, const char *keyword, const char *defval)
{
	int			i;

	for (i = 0; i < src->nparams; i++)
		if (strcmp(src->keywords[i], keyword) == 0)
			return src->values[i];
	return defval;
}

/* Writes CONTENT to a new 0600 file of KIND; removed with the context. */
static char *
write_private_file(const char *kind, const char *content)
{
	char	   *path = tmp_file_path(kind);
	int			len = strlen(content);
	int			fd;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, S_IRUSR | S_IWUSR);
	if (fd < 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not create file \"%s\": %m", path)));
	if (write(fd, content, len) != len)
	{
		int			save = errno;

		close(fd);
		errno = save;
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not write file \"%s\": %m", path)));
	}
	close(fd);
	return path;
}

/*
 * A passfile holding SRC's password for exactly the one server SRC names
 * (its connection string is pinned to one host and port), for its user.
 */
static char *
write_passfile(const SourceInfo *src)
{
	StringInfoData content;

	initStringInfo(&content);
	append_pgpass_field(&content, src_value(src, "host", "localhost"));
	appendStringInfoChar(&content, ':');
	append_pgpass_field(&content, src_value(src, "port", "5432"));
	appendStringInfoString(&content, ":*:");
	if (src_value(src, "user", NULL) != NULL)
		append_pgpass_field(&content, src_value(src, "user", NULL));
	else
		appendStringInfoChar(&content, '*');
	appendStringInfoChar(&content, ':');
	append_pgpass_field(&content, src->password);
	appendStringInfoChar(&content, '\n');
	return write_private_file("pass", content.data);
}

/*
 * A service file holding the secrets of SRC other than the password
 * (sslpassword), which must never be on an argv; NULL when there are none.
 */
static char *
write_service_file(const SourceInfo *src)
{
	const char *sslpassword = src_value(src, "sslpassword", NULL);

	if (sslpassword == NULL)
		return NULL;
	if (strpbrk(sslpassword, "\r\n") != NULL ||
		isspace((unsigned char) sslpassword[strlen(sslpassword) - 1]))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the sslpassword of the source cannot be passed to pg_dump"),
				 errdetail("It ends in white space or contains a line break."),
				 errhint("Give the client key a pass phrase without line breaks or trailing white space.")));
	return write_private_file("service", psprintf("[migrate]\nsslpassword=%s\n", sslpassword));
}

/* SRC as a conninfo string for DBNAME, without its secrets. */
static char *
conninfo_without_password(const SourceInfo *src, const char *dbname, bool service)
{
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	if (service)
		migrate_append_conninfo_pair(&buf, "service", "migrate");
	for (i = 0; i < src->nparams; i++)
	{
		if (strcmp(src->keywords[i], "password") == 0 ||
			strcmp(src->keywords[i], "sslpassword") == 0 ||
			strcmp(src->keywords[i], "dbname") == 0)
			continue;
		migrate_append_conninfo_pair(&buf, src->keywords[i], src->values[i]);
	}
	migrate_append_conninfo_pair(&buf, "dbname", dbname);
	return buf.data;
}

/*
 * The SQLSTATE a failed pg_dump run stands for, from its message: a lock it
 * could not get in time and a connection that failed are transient (the
 * step is tried again later); anything else is not.
 */
static int
pg_dump_error_code(const char *msg)
{
	static const char *const connection_failures[] = {
		"could not connect", "connection to server", "server closed the connection",
		"terminating connection", "the database system is", "Connection refused",
		"timeout expired", "could not receive data", "could not send data",
		"SSL SYSCALL error", "no connection to the server", NULL
	};
	int			i;

	/* --lock-wait-timeout is a statement_timeout on its LOCK TABLE */
	if (strstr(msg, "could not obtain lock") != NULL ||
		strstr(msg, "lock timeout") != NULL ||
		(strstr(msg, "statement timeout") != NULL && strstr(msg, "LOCK TABLE") != NULL))
		return ERRCODE_LOCK_NOT_AVAILABLE;
	for (i = 0; connection_failures[i] != NULL; i++)
		if (strstr(msg, connection_failures[i]) != NULL)
			return ERRCODE_CONNECTION_FAILURE;
	return ERRCODE_EXTERNAL_ROUTINE_EXCEPTION;
}

/*
 * Runs pg_dump --section=pre-data and --section=post-data of database DBNAME
 * at SNAPSHOT (NULL: as it is now), both at once (most of a pg_dump's time
 * is its round trips to the source), and sets *PRE and *POST to their
 * outputs: of the whole database, or of the tables TABLES only (quoted,
 * qualified names; their owned sequences come with them), without the
 * relations EXCLUDE names (quoted, qualified).  Raises an
 * error with pg_dump's own message when one fails.
 */
void
migrate_pg_dump_schema(const SourceInfo *src, const char *dbname, const char *snapshot,
					   const char *encoding, List *tables, List *exclude, char **pre, char **post)
{
	MemoryContext outer = CurrentMemoryContext;
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "migrate pg_dump",
											  ALLOCSET_DEFAULT_SIZES);
	static const char *const sections[2] = {"pre-data", "post-data"};

	/* the passfile, error files and children go with this context */
	PG_TRY();
	{
		char	   *path;
		char	   *passfile = NULL;
		char	   *servicefile;
		MigrateProgram progs[2];
		int			p;
		int			bad;

		MemoryContextSwitchTo(cxt);
		path = migrate_bin_path("pg_dump");
		if (src->password != NULL)
			passfile = write_passfile(src);
		servicefile = write_service_file(src);

		for (p = 0; p < 2; p++)
		{
			const char **argv = palloc0(sizeof(char *) * (16 + list_length(tables) + list_length(exclude)));
			int			n = 0;
			ListCell   *lc;

			argv[n++] = path;
			/* no --schema-only: post-data then carries REFRESH MATERIALIZED VIEW */
			argv[n++] = psprintf("--section=%s", sections[p]);
			argv[n++] = "--no-password";
			/* (a subscription carries the source's password and its subscriber's slot) */
			argv[n++] = "--no-subscriptions";
			argv[n++] = psprintf("--encoding=%s", encoding);
			/* a table locked on the source is a retry later, not a hang */
			argv[n++] = psprintf("--lock-wait-timeout=%d", migrate_source_lock_timeout);
			if (snapshot != NULL)
				argv[n++] = psprintf("--snapshot=%s", snapshot);

			/*
			 * (a quoted name is a pattern of itself: inside double quotes
			 * pg_dump takes every character literally)
			 */
			foreach(lc, tables)
				argv[n++] = psprintf("--table=%s", (char *) lfirst(lc));
			foreach(lc, exclude)
				argv[n++] = psprintf("--exclude-table=%s", (char *) lfirst(lc));
			argv[n++] = "--dbname";
			argv[n++] = conninfo_without_password(src, dbname, servicefile != NULL);
			argv[n] = NULL;

			progs[p].path = path;
			progs[p].argv = argv;
			progs[p].passfile = passfile;
			progs[p].servicefile = servicefile;
			progs[p].stderr_path = tmp_file_path("stderr");
			progs[p].output = makeStringInfo();
		}
		migrate_run_programs(progs, 2, migrate_source_timeout * 1000);

		/* the one that failed, not the one stopped because of it */
		bad = -1;
		for (p = 1; p >= 0; p--)
			if (progs[p].status != 0 &&
				(bad < 0 || progs[bad].status == MIGRATE_PROGRAM_STOPPED))
				bad = p;

		/*
		 * Each pg_dump locks every table it dumps: a source whose lock table
		 * holds one pg_dump's locks but not two gets them one after the
		 * other.
		 */
		if (bad >= 0 && strstr(read_small_file(progs[bad].stderr_path),
							   "max_locks_per_transaction") != NULL)
		{
			bad = -1;
			for (p = 0; p < 2 && bad < 0; p++)
			{
				resetStringInfo(progs[p].output);
				migrate_run_programs(&progs[p], 1, migrate_source_timeout * 1000);
				if (progs[p].status != 0)
					bad = p;
			}
		}
		if (bad >= 0)
		{
			char	   *msg = read_small_file(progs[bad].stderr_path);
			char	   *e;

			/* killed for its silence: a source that stopped answering */
			if (progs[bad].status == MIGRATE_PROGRAM_SILENT)
				msg = psprintf("pg_dump: error: timeout expired: it wrote nothing for %d seconds (migrate.source_timeout)%s%s",
							   migrate_source_timeout, msg[0] ? "; " : "", msg);
			e = strstr(msg, "pg_dump: error:");

			ereport(ERROR,
					(errcode(pg_dump_error_code(msg)),
					 errmsg("pg_dump of the %s schema of database \"%s\" failed (exit code %d)",
							sections[bad], dbname, progs[bad].status),
					 errdetail("%s", migrate_redact(e ? e : (msg[0] ? msg : "no output")))));
		}
		*pre = MemoryContextStrdup(outer, progs[0].output->data);
		*post = MemoryContextStrdup(outer, progs[1].output->data);
	}
	PG_FINALLY();
	{
		MemoryContextSwitchTo(outer);
		MemoryContextDelete(cxt);
	}
	PG_END_TRY();
}

/* The byte offset in TEXT of 1-based character position CHARPOS. */
static int
char_to_byte_offset(const char *text, int charpos)
{
	int			offset = 0;

	while (--charpos > 0 && text[offset] != '\0')
		offset += pg_mblen(text + offset);
	return offset;
}

/* SQL from its first token on: leading white space and comments skipped. */
static const char *
skip_leading_comments(const char *sql, const char *end)
{
	for (;;)
	{
		while (sql < end && isspace((unsigned char) *sql))
			sql++;
		if (sql + 1 < end && sql[0] == '-' && sql[1] == '-')
		{
			while (sql < end && *sql != '\n')
				sql++;
			continue;
		}
		if (sql + 1 < end && sql[0] == '/' && sql[1] == '*')
		{
			int			depth = 1;

			sql += 2;
			while (sql < end && depth > 0)
			{
				if (sql + 1 < end && sql[0] == '/' && sql[1] == '*')
				{
					depth++;
					sql += 2;
				}
				else if (sql + 1 < end && sql[0] == '*' && sql[1] == '/')
				{
					depth--;
					sql += 2;
				}
				else
					sql++;
			}
			continue;
		}
		return sql;
	}
}

/*
 * Splits a script of SQL statements, as pg_dump writes them, into a list of
 * statements (char *), each without its final semicolon and without the
 * comments before it, with the server's own parser: quotes, dollar quotes,
 * comments and bodies such as BEGIN ATOMIC ... END are what the server
 * says they are.  psql meta-commands (\\restrict, \\connect, ...) are not
 * SQL: a line that starts with one where the parser stops is left out, and
 * the script parsed again.  Any other syntax error is raised.
 */
List *
migrate_split_sql(const char *script)
{
	MemoryContext cxt = CurrentMemoryContext;
	char	   *text = pstrdup(script);
	List	   *volatile parsed = NIL;
	List	   *result = NIL;
	ListCell   *lc;
	int			len = strlen(text);

	for (;;)
	{
		ErrorData  *volatile edata = NULL;
		int			at;

		CHECK_FOR_INTERRUPTS();
		PG_TRY();
		{
			parsed = raw_parser(text, RAW_PARSE_DEFAULT);
		}
		PG_CATCH();
		{
			MemoryContextSwitchTo(cxt);
			edata = CopyErrorData();
			if (edata->sqlerrcode != ERRCODE_SYNTAX_ERROR || edata->cursorpos <= 0)
				PG_RE_THROW();
			FlushErrorState();
		}
		PG_END_TRY();
		if (edata == NULL)
			break;

		/* a meta-command at the start of a line, where a statement may start */
		at = char_to_byte_offset(text, edata->cursorpos);
		if (text[at] != '\\' || (at > 0 && text[at - 1] != '\n'))
			ereport(ERROR,
					(errcode(ERRCODE_SYNTAX_ERROR),
					 errmsg("the schema from pg_dump does not parse: %s", edata->message),
					 errdetail("At: %.200s", text + at),
					 errhint("pg_dump must be of this server's version or older than it: see migrate.pg_bin_dir.")));
		while (at < len && text[at] != '\n')
			text[at++] = ' ';
	}

	foreach(lc, parsed)
	{
		RawStmt    *rs = lfirst_node(RawStmt, lc);
		const char *start = text + rs->stmt_location;
		const char *end = rs->stmt_len > 0 ? start + rs->stmt_len : text + len;
		int			n;

		start = skip_leading_comments(start, end);
		n = end - start;
		while (n > 0 && isspace((unsigned char) start[n - 1]))
			n--;
		if (n > 0)
			result = lappend(result, pnstrdup(start, n));
	}
	return result;
}

/*
 * Is SQL pg_dump's "SET default_tablespace = ..."?  Then *TABLESPACE is
 * the name it sets ("" for the database's default).
 */
bool
migrate_default_tablespace_of(const char *sql, const char **tablespace)
{
	List	   *parsed;
	VariableSetStmt *vs;
	A_Const    *arg;

	if (pg_strncasecmp(sql, "SET default_tablespace", 22) != 0)
		return false;
	parsed = migrate_try_raw_parse(sql);
	if (list_length(parsed) != 1 ||
		!IsA(((RawStmt *) linitial(parsed))->stmt, VariableSetStmt))
		return false;
	vs = (VariableSetStmt *) ((RawStmt *) linitial(parsed))->stmt;
	if (vs->kind != VAR_SET_VALUE || strcmp(vs->name, "default_tablespace") != 0 ||
		list_length(vs->args) != 1 || !IsA(linitial(vs->args), A_Const))
		return false;
	arg = linitial(vs->args);
	*tablespace = migrate_const_string(arg);
	return *tablespace != NULL;
}

/* Session settings of a pg_dump script, which no task needs on its own. */
static bool
is_session_setting(const char *sql)
{
	return pg_strncasecmp(sql, "SET ", 4) == 0 ||
		pg_strncasecmp(sql, "SELECT pg_catalog.set_config(", 29) == 0;
}

/* The raw parse of SQL, or NIL when it does not parse. */
List *
migrate_try_raw_parse(const char *sql)
{
	MemoryContext cxt = CurrentMemoryContext;
	List	   *volatile parsed = NIL;

	PG_TRY();
	{
		parsed = raw_parser(sql, RAW_PARSE_DEFAULT);
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(cxt);
		FlushErrorState();
		parsed = NIL;
	}
	PG_END_TRY();
	return parsed;
}

/*
 * Sorts post-data statements into tasks: indexes and primary, unique and
 * exclusion keys (MTK_INDEX, with their table), foreign keys
 * (MTK_CONSTRAINT), and everything else in order (MTK_POST).  Returns
 * DumpStatement *.
 */
List *
migrate_classify_post_data(List *statements)
{
	List	   *result = NIL;
	ListCell   *lc;
	const char *tablespace = NULL;	/* pg_dump's SET default_tablespace */

	foreach(lc, statements)
	{
		char	   *sql = lfirst(lc);
		DumpStatement *ds = palloc0(sizeof(DumpStatement));
		List	   *parsed;
		const char *ts;

		ds->sql = sql;
		ds->kind = MTK_POST;
		if (migrate_default_tablespace_of(sql, &ts))
		{
			tablespace = ts[0] != '\0' ? sql : NULL;
			continue;
		}
		if (is_session_setting(sql))
			continue;
		parsed = migrate_try_raw_parse(sql);

		if (list_length(parsed) == 1)
		{
			Node	   *stmt = ((RawStmt *) linitial(parsed))->stmt;

			if (IsA(stmt, IndexStmt))
			{
				IndexStmt  *is = (IndexStmt *) stmt;

				ds->kind = MTK_INDEX;
				ds->schema_name = is->relation->schemaname;
				ds->table_name = is->relation->relname;
			}
			else if (IsA(stmt, AlterTableStmt) &&
					 ((AlterTableStmt *) stmt)->objtype == OBJECT_TABLE &&
					 list_length(((AlterTableStmt *) stmt)->cmds) == 1)
			{
				AlterTableStmt *ats = (AlterTableStmt *) stmt;
				AlterTableCmd *cmd = linitial(ats->cmds);

				if (cmd->subtype == AT_AddConstraint && IsA(cmd->def, Constraint))
				{
					Constraint *con = (Constraint *) cmd->def;

					if (con->contype == CONSTR_PRIMARY || con->contype == CONSTR_UNIQUE ||
						con->contype == CONSTR_EXCLUSION)
					{
						ds->kind = MTK_INDEX;
						ds->schema_name = ats->relation->schemaname;
						ds->table_name = ats->relation->relname;
					}
					else if (con->contype == CONSTR_FOREIGN)
						ds->kind = MTK_CONSTRAINT;
				}
			}
		}

		/*
		 * An index or key pg_dump placed in a tablespace with the SET
		 * before it: the SET goes with it, the statement's own task runs
		 * it (migrate_run_post_statements).
		 */
		if (ds->kind != MTK_POST && tablespace != NULL)
			ds->sql = psprintf("%s;\n%s", tablespace, sql);
		result = lappend(result, ds);
	}
	return result;
}

/*
 * Statements of a dump whose failure does not stop a migration: ownership,
 * privileges and comments, which a non-superuser may not be able to give.
 */
bool
migrate_statement_tolerated(const char *sql)
{
	if (pg_strncasecmp(sql, "GRANT ", 6) == 0 ||
		pg_strncasecmp(sql, "REVOKE ", 7) == 0 ||
		pg_strncasecmp(sql, "COMMENT ON ", 11) == 0 ||
		pg_strncasecmp(sql, "SECURITY LABEL ", 15) == 0 ||
		pg_strncasecmp(sql, "ALTER DEFAULT PRIVILEGES ", 25) == 0)
		return true;
	return migrate_is_owner_statement(sql);
}

/*
 * Is SQL an ownership statement, "ALTER <kind> <name> OWNER TO <role>", as
 * the server's parser reads it (a name of the source's may hold " OWNER TO
 * " in quotes)?
 */
bool
migrate_is_owner_statement(const char *sql)
{
	List	   *parsed;
	Node	   *stmt;

	if (pg_strncasecmp(sql, "ALTER ", 6) != 0 || strstr(sql, " OWNER TO ") == NULL)
		return false;
	parsed = migrate_try_raw_parse(sql);
	if (list_length(parsed) != 1)
		return false;
	stmt = ((RawStmt *) linitial(parsed))->stmt;
	if (IsA(stmt, AlterOwnerStmt))
		return true;
	/* ALTER TABLE, SEQUENCE, VIEW ... OWNER TO: a subcommand of ALTER TABLE */
	if (IsA(stmt, AlterTableStmt))
	{
		List	   *cmds = ((AlterTableStmt *) stmt)->cmds;

		return list_length(cmds) == 1 &&
			((AlterTableCmd *) linitial(cmds))->subtype == AT_ChangeOwner;
	}
	return false;
}

/* Does publication statement OBJECTS (PublicationObjSpec) name a schema? */
static bool
publishes_a_schema(List *objects)
{
	ListCell   *lc;

	foreach(lc, objects)
	{
		PublicationObjSpec *o = lfirst(lc);

		if (o->pubobjtype == PUBLICATIONOBJ_TABLES_IN_SCHEMA ||
			o->pubobjtype == PUBLICATIONOBJ_TABLES_IN_CUR_SCHEMA)
			return true;
	}
	return false;
}

/*
 * The object ("event trigger x", "publication p") that dump statement SQL
 * acts on, when it is of a kind part of which only a superuser may make:
 * an event trigger, a publication of all tables or of a schema's.  NULL
 * for any other statement.  *SUPERUSER_PART: the statement itself is that
 * part (it creates the event trigger, publishes all tables or a schema);
 * else it only acts on the object (alters it, comments on it, gives it an
 * owner).
 */
char *
migrate_superuser_object(const char *sql, bool *superuser_part)
{
	List	   *parsed;
	Node	   *stmt;
	const char *kind = NULL;
	const char *name = NULL;

	*superuser_part = false;
	if (pg_strncasecmp(sql, "CREATE ", 7) != 0 && pg_strncasecmp(sql, "ALTER ", 6) != 0 &&
		pg_strncasecmp(sql, "COMMENT ON ", 11) != 0)
		return NULL;
	parsed = migrate_try_raw_parse(sql);
	if (list_length(parsed) != 1)
		return NULL;
	stmt = ((RawStmt *) linitial(parsed))->stmt;
	switch (nodeTag(stmt))
	{
		case T_CreateEventTrigStmt:
			kind = "event trigger";
			name = ((CreateEventTrigStmt *) stmt)->trigname;
			*superuser_part = true;
			break;
		case T_AlterEventTrigStmt:
			kind = "event trigger";
			name = ((AlterEventTrigStmt *) stmt)->trigname;
			break;
		case T_CreatePublicationStmt:
			{
				CreatePublicationStmt *c = (CreatePublicationStmt *) stmt;

				kind = "publication";
				name = c->pubname;
				*superuser_part = c->for_all_tables || publishes_a_schema(c->pubobjects);
				break;
			}
		case T_AlterPublicationStmt:
			{
				AlterPublicationStmt *a = (AlterPublicationStmt *) stmt;

				kind = "publication";
				name = a->pubname;
				*superuser_part = publishes_a_schema(a->pubobjects);
				break;
			}
		case T_AlterOwnerStmt:
			{
				AlterOwnerStmt *a = (AlterOwnerStmt *) stmt;

				if (a->objectType == OBJECT_EVENT_TRIGGER || a->objectType == OBJECT_PUBLICATION)
				{
					kind = a->objectType == OBJECT_EVENT_TRIGGER ? "event trigger" : "publication";
					name = strVal(a->object);
				}
				break;
			}
		case T_CommentStmt:
			{
				CommentStmt *c = (CommentStmt *) stmt;

				if (c->objtype == OBJECT_EVENT_TRIGGER || c->objtype == OBJECT_PUBLICATION)
				{
					kind = c->objtype == OBJECT_EVENT_TRIGGER ? "event trigger" : "publication";
					name = strVal(c->object);
				}
				break;
			}
		default:
			break;
	}
	return kind != NULL ? psprintf("%s %s", kind, quote_identifier(name)) : NULL;
}
