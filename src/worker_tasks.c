/*-------------------------------------------------------------------------
 *
 * worker_tasks.c
 *		What a copy worker does for each kind of task, one function a kind
 *		(the kinds' table in tasks.c names them).  Each runs in the
 *		transaction the worker's loop started for the task and fills the
 *		result's rows and bytes; what is worth saying but fails nothing goes
 *		to the warnings, anything else is an error that fails the task.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/tablespace.h"
#include "commands/vacuum.h"
#include "executor/spi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/parsenodes.h"
#include "pgstat.h"
#include "storage/bufmgr.h"
#include "storage/latch.h"
#include "storage/lock.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/regproc.h"
#include "utils/snapmgr.h"

#include "compat.h"
#include "copy.h"
#include "protocol.h"
#include "replication.h"
#include "schema.h"
#include "source.h"
#include "state.h"
#include "target.h"
#include "tasks.h"
#include "worker.h"

/* ---- shared by the tasks that run statements ----------------------------- */

/*
 * Did a statement fail because what it creates is there already?  On a
 * retry that means a previous attempt committed it before its result was
 * recorded; in a merge, that a migration made it before: done, not failed.
 */
static bool
already_there(int sqlerrcode)
{
	return sqlerrcode == ERRCODE_DUPLICATE_TABLE ||
		sqlerrcode == ERRCODE_DUPLICATE_OBJECT ||
		sqlerrcode == ERRCODE_DUPLICATE_SCHEMA ||
		sqlerrcode == ERRCODE_DUPLICATE_FUNCTION ||
		sqlerrcode == ERRCODE_DUPLICATE_DATABASE ||
		sqlerrcode == ERRCODE_INVALID_TABLE_DEFINITION;	/* a second primary key */
}


/*
 * The table whose CHECK constraint post-data statement SQL adds (validated)
 * or validates, which evaluates the source's expressions as the caller
 * unless run as the table's owner; or InvalidOid.
 */
static Oid
statement_table(const char *sql)
{
	List	   *parsed = migrate_try_raw_parse(sql);
	RangeVar   *rv = NULL;
	Node	   *stmt;

	if (list_length(parsed) != 1)
		return InvalidOid;
	stmt = ((RawStmt *) linitial(parsed))->stmt;

	/*
	 * Index builds (CREATE INDEX, primary and unique keys) are not among
	 * them: the server runs an index's expressions as the table's owner in
	 * a restricted operation by itself, and checks the caller's right to
	 * create it in the schema.  Validating a CHECK constraint runs as the
	 * caller.
	 */
	if (IsA(stmt, AlterTableStmt) &&
		((AlterTableStmt *) stmt)->objtype == OBJECT_TABLE &&
		list_length(((AlterTableStmt *) stmt)->cmds) == 1)
	{
		/* one subcommand: nothing else rides on the owner's identity */
		AlterTableCmd *cmd = linitial(((AlterTableStmt *) stmt)->cmds);

		if (cmd->subtype == AT_ValidateConstraint ||
			(cmd->subtype == AT_AddConstraint && IsA(cmd->def, Constraint) &&
			 ((Constraint *) cmd->def)->contype == CONSTR_CHECK &&
			 !((Constraint *) cmd->def)->skip_validation))
			rv = ((AlterTableStmt *) stmt)->relation;
	}
	if (rv == NULL)
		return InvalidOid;
	return RangeVarGetRelid(rv, NoLock, true);
}

/*
 * Runs post-data statement ARG (a string).  One that validates a CHECK
 * constraint evaluates an expression the source defined: it runs inside a
 * security-restricted operation as the table's owner where the migration's
 * owner may act as that role, and as the migration's owner otherwise (whose
 * rights the server then checks, as for any ALTER TABLE), never as a role
 * the migration's owner could not become.  The subtransaction it runs in
 * restores the identity and the settings, also on error.
 */
typedef struct PostStatement
{
	const char *sql;
	const char *tablespace;		/* its default_tablespace, or NULL */
} PostStatement;

static void
exec_post_data(void *arg)
{
	PostStatement *ps = arg;
	const char *sql = ps->sql;
	Oid			relid = statement_table(sql);
	Oid			save_userid;
	int			save_sec_context;
	int			save_nestlevel = -1;

	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	if (OidIsValid(relid))
		SetUserIdAndSecContext(migrate_evaluating_role(relid),
							   save_sec_context | SECURITY_RESTRICTED_OPERATION);
	if (OidIsValid(relid) || ps->tablespace != NULL)
		save_nestlevel = NewGUCNestLevel();
	if (ps->tablespace != NULL)
		(void) set_config_option("default_tablespace", ps->tablespace, PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_LOCAL, true, 0, false);
	migrate_target_exec_sql((void *) sql);
	if (save_nestlevel >= 0)
		AtEOXact_GUC(false, save_nestlevel);
	SetUserIdAndSecContext(save_userid, save_sec_context);
}

/* Is SQL an ALTER ... OWNER TO statement of a dump? */
static bool
is_owner_statement(const char *sql)
{
	return migrate_is_owner_statement(sql);
}

/*
 * The first MAX characters of statement SQL on one line (each run of white
 * space one blank), "..." where it was cut: what a warning names it by.
 */
static char *
statement_start(const char *sql, int max)
{
	StringInfoData buf;
	const char *p;

	initStringInfo(&buf);
	for (p = sql; *p != '\0' && buf.len < max; p++)
	{
		if (isspace((unsigned char) *p))
		{
			while (isspace((unsigned char) p[1]))
				p++;
			appendStringInfoChar(&buf, ' ');
		}
		else
			appendStringInfoChar(&buf, *p == MIGRATE_WARNING_OBJECT_END ? ' ' : *p);
	}
	if (*p != '\0')
	{
		/* (cut between characters, never in one) */
		buf.len = pg_mbcliplen(buf.data, buf.len, buf.len);
		buf.data[buf.len] = '\0';
		appendStringInfoString(&buf, "...");
	}
	return buf.data;
}

/*
 * Adds a warning about OBJECT (NULL: none in particular) to the task's
 * warnings, a line each (bounded): MESSAGE, with the start of statement SQL
 * when given (statements that carry no secrets: ownership).  The
 * coordinator records each line as a warning event, the object apart.
 */
#define MAX_WARNINGS_BYTES	(4 * 1024 * 1024)
#define WARNINGS_CUT		"more warnings than a task reports: the rest are left out"

static void
add_object_warning(StringInfo warnings, const char *object, const char *message,
				   const char *sql)
{
	const char *p;

	/* (bounded: each is an event; a schema of thousands of objects fits) */
	if (warnings->len >= MAX_WARNINGS_BYTES)
	{
		if (strstr(warnings->data + warnings->len - strlen(WARNINGS_CUT), WARNINGS_CUT) == NULL)
			appendStringInfoString(warnings, "\n" WARNINGS_CUT);
		return;
	}
	if (warnings->len > 0)
		appendStringInfoChar(warnings, '\n');
	/* (a name of the source's may hold either byte: a blank instead) */
	if (object != NULL)
	{
		for (p = object; *p != '\0'; p++)
			appendStringInfoChar(warnings, *p == '\n' || *p == MIGRATE_WARNING_OBJECT_END ? ' ' : *p);
		appendStringInfoChar(warnings, MIGRATE_WARNING_OBJECT_END);
	}
	for (p = message; *p != '\0'; p++)
		appendStringInfoChar(warnings, *p == '\n' || *p == MIGRATE_WARNING_OBJECT_END ? ' ' : *p);
	if (sql != NULL)
		appendStringInfo(warnings, " (%s)", statement_start(sql, 120));
}

/* A warning about no object in particular. */
static void
add_warning(StringInfo warnings, const char *message, const char *sql)
{
	add_object_warning(warnings, NULL, message, sql);
}

/*
 * The first NEEDLE in SQL outside a quoted identifier or a string literal,
 * or NULL.
 */
static const char *
find_unquoted(const char *sql, const char *needle)
{
	size_t		n = strlen(needle);
	char		quote = 0;
	const char *p;

	for (p = sql; *p != '\0'; p++)
	{
		if (quote != 0)
		{
			if (*p == quote)
				quote = 0;		/* (a doubled quote closes and opens again) */
		}
		else if (*p == '"' || *p == '\'')
			quote = *p;
		else if (strncmp(p, needle, n) == 0)
			return p;
	}
	return NULL;
}

/*
 * The object that the text from START to END names ("TABLE public.t"), as
 * warnings name it: its kind in lower case, then its name ("table
 * public.t").
 */
static char *
object_of(const char *start, const char *end)
{
	StringInfoData buf;
	const char *p = start;

	initStringInfo(&buf);
	/* the kind: the keywords before the name */
	while (p < end && (isupper((unsigned char) *p) || *p == ' ') &&
		   strncmp(p, "ONLY ", 5) != 0)
	{
		appendStringInfoChar(&buf, pg_ascii_tolower((unsigned char) *p));
		p++;
	}
	appendBinaryStringInfo(&buf, p, end - p);
	return buf.data;
}

/*
 * Of an ownership statement SQL ("ALTER <kind> <name> OWNER TO <role>"),
 * the object (its kind in lower case, then its name) into *OBJECT and the
 * role into *ROLE.
 */
static void
owner_statement_parts(const char *sql, char **object, char **role)
{
	const char *to = find_unquoted(sql, " OWNER TO ");
	char	   *r;

	if (to == NULL)
		to = sql + strlen(sql);
	*object = object_of(sql + 6, to);
	r = pstrdup(*to != '\0' ? to + 10 : "");
	r[strcspn(r, ";")] = '\0';
	*role = r;
}

/*
 * The object of a grant, a revoke, a comment or a security label that a
 * dump holds ("GRANT SELECT ON TABLE public.t TO r": "table public.t"), or
 * NULL (a membership, default privileges).
 */
static char *
tolerated_statement_object(const char *sql)
{
	const char *start = NULL;
	const char *end = NULL;

	if (pg_strncasecmp(sql, "GRANT ", 6) == 0 || pg_strncasecmp(sql, "REVOKE ", 7) == 0)
	{
		start = find_unquoted(sql, " ON ");
		if (start != NULL)
		{
			start += 4;
			end = find_unquoted(start, pg_strncasecmp(sql, "GRANT ", 6) == 0 ? " TO " : " FROM ");
		}
	}
	else if (pg_strncasecmp(sql, "COMMENT ON ", 11) == 0)
	{
		start = sql + 11;
		end = find_unquoted(start, " IS ");
	}
	else if (pg_strncasecmp(sql, "SECURITY LABEL ", 15) == 0)
	{
		start = find_unquoted(sql, " ON ");
		if (start != NULL)
		{
			start += 4;
			end = find_unquoted(start, " IS ");
		}
	}
	if (start == NULL || end == NULL || end <= start)
		return NULL;
	return object_of(start, end);
}

/*
 * The warning of ownership statement SQL that failed (ERR): the object stays
 * owned by the migration's owner, and code the source defined on it then
 * runs as that role.
 */
static void
owner_warning(StringInfo warnings, const char *sql, const char *err)
{
	char	   *object;
	char	   *role;

	owner_statement_parts(sql, &object, &role);
	add_object_warning(warnings, object,
					   psprintf("owner %s not kept: it stays owned by %s (%s)", role,
								quote_identifier(GetUserNameFromId(GetUserId(), false)), err),
					   NULL);
}

/*
 * The relation statement STMT of a dump creates (*CREATES true) or alters,
 * or NULL.
 */
static RangeVar *
statement_relation(Node *stmt, bool *creates)
{
	*creates = true;
	if (IsA(stmt, CreateStmt))
		return ((CreateStmt *) stmt)->relation;
	if (IsA(stmt, CreateSeqStmt))
		return ((CreateSeqStmt *) stmt)->sequence;
	if (IsA(stmt, ViewStmt))
		return ((ViewStmt *) stmt)->view;
	if (IsA(stmt, CreateTableAsStmt))
		return ((CreateTableAsStmt *) stmt)->into->rel;
	*creates = false;
	if (IsA(stmt, AlterTableStmt))
		return ((AlterTableStmt *) stmt)->relation;
	if (IsA(stmt, AlterSeqStmt))
		return ((AlterSeqStmt *) stmt)->sequence;
	return NULL;
}

/*
 * What a script found there already (a merge into what a migration made
 * before, or a retry): the relations whose creation it skipped, by name, and
 * how many statements it kept as they were.
 */
typedef struct ThereAlready
{
	HTAB	   *relations;
	int			kept;
	StringInfoData first;		/* the first few, named */
} ThereAlready;

typedef struct ThereKey
{
	char		name[NAMEDATALEN * 2 + 8];
} ThereKey;

static char *
relation_key(const RangeVar *rv)
{
	return psprintf("%s.%s", rv->schemaname ? rv->schemaname : "", rv->relname);
}

/*
 * Is the failure (CODE) of statement SQL what comes of its object being
 * there already?  A CREATE of an object that exists; then, of a relation
 * whose CREATE was skipped, what pg_dump does to it next that is done
 * already: an identity added, a partition attached, a key or column added.
 * A large object that exists is a unique violation, not a duplicate.
 * Anything else is a real failure.  Records what was kept in THERE.
 */
static bool
kept_as_there(ThereAlready *there, const char *sql, int code)
{
	List	   *parsed;
	RangeVar   *rv = NULL;
	bool		creates = false;
	bool		kept = false;
	bool		exists = already_there(code) || code == ERRCODE_DUPLICATE_COLUMN ||
		(code == ERRCODE_UNIQUE_VIOLATION &&
		 strncmp(sql, "SELECT pg_catalog.lo_create(", 28) == 0);

	if (exists || code == ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE ||
		code == ERRCODE_WRONG_OBJECT_TYPE)
	{
		parsed = migrate_try_raw_parse(sql);
		if (list_length(parsed) == 1)
			rv = statement_relation(((RawStmt *) linitial(parsed))->stmt, &creates);
	}
	if (exists)
	{
		kept = true;
		if (rv != NULL && creates)
		{
			ThereKey	key;

			if (there->relations == NULL)
			{
				HASHCTL		ctl;

				memset(&ctl, 0, sizeof(ctl));
				ctl.keysize = sizeof(ThereKey);
				ctl.entrysize = sizeof(ThereKey);
				ctl.hcxt = GetMemoryChunkContext(there->first.data);
				there->relations = hash_create("migrate relations there already", 256, &ctl,
											   HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
			}
			strlcpy(key.name, relation_key(rv), sizeof(key.name));
			(void) hash_search(there->relations, &key, HASH_ENTER, NULL);
		}
	}
	else if (rv != NULL && !creates && there->relations != NULL)
	{
		ThereKey	key;

		strlcpy(key.name, relation_key(rv), sizeof(key.name));
		kept = hash_search(there->relations, &key, HASH_FIND, NULL) != NULL;
	}
	if (kept)
	{
		if (there->kept < 3)
			appendStringInfo(&there->first, "%s%s", there->kept > 0 ? "; " : "",
							 statement_start(sql, 80));
		there->kept++;
	}
	return kept;
}

/*
 * The tables (their oids) that the CREATE TABLE statements of a pre-data
 * script make and that exist on the target now.
 */
static List *
script_tables_here(List *statements)
{
	List	   *oids = NIL;
	ListCell   *lc;

	foreach(lc, statements)
	{
		const char *sql = lfirst(lc);
		List	   *parsed;
		Node	   *stmt;
		Oid			relid;

		CHECK_FOR_INTERRUPTS();
		if (pg_strncasecmp(sql, "CREATE TABLE ", 13) != 0 &&
			pg_strncasecmp(sql, "CREATE UNLOGGED TABLE ", 22) != 0)
			continue;
		parsed = migrate_try_raw_parse(sql);
		if (list_length(parsed) != 1)
			continue;
		stmt = ((RawStmt *) linitial(parsed))->stmt;
		if (!IsA(stmt, CreateStmt))
			continue;
		relid = RangeVarGetRelid(((CreateStmt *) stmt)->relation, NoLock, true);
		if (OidIsValid(relid))
			oids = lappend_oid(oids, relid);
	}
	return oids;
}

/* OIDS (of tables) as an oid[] literal */
static char *
oid_array(List *oids)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	foreach(lc, oids)
		appendStringInfo(&buf, "%s%u", foreach_current_index(lc) > 0 ? "," : "", lfirst_oid(lc));
	appendStringInfoChar(&buf, '}');
	return buf.data;
}

/*
 * Before the pre-data of a database whose tables may be there already (a
 * merge, a retry): the tables the script makes are emptied by their copies,
 * which a foreign key of a table the migration does not copy forbids.  That
 * stops the migration here, before anything of the database is changed,
 * naming the key.
 */
static void
refuse_foreign_referrers(const char *tables)
{
	SourceResult *res = migrate_target_query(
											 "SELECT pg_catalog.format('%I.%I', rn.nspname, r.relname),"
											 " pg_catalog.quote_ident(con.conname),"
											 " pg_catalog.format('%I.%I', fn.nspname, f.relname)"
											 " FROM pg_catalog.pg_constraint con"
											 " JOIN pg_catalog.pg_class r ON r.oid = con.conrelid"
											 " JOIN pg_catalog.pg_namespace rn ON rn.oid = r.relnamespace"
											 " JOIN pg_catalog.pg_class f ON f.oid = con.confrelid"
											 " JOIN pg_catalog.pg_namespace fn ON fn.oid = f.relnamespace"
											 " WHERE con.contype = 'f' AND con.conparentid = 0"
											 " AND con.confrelid OPERATOR(pg_catalog.=) ANY ($1::pg_catalog.oid[])"
											 " AND NOT con.conrelid OPERATOR(pg_catalog.=) ANY ($1::pg_catalog.oid[])"
											 " ORDER BY 1, 2",
											 1, (Oid[]) {TEXTOID},
											 (Datum[]) {CStringGetTextDatum(tables)});

	if (res->nrows > 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("table %s, which the migration does not copy, keeps foreign key %s to table %s, which the migration empties and copies again",
						SR_VALUE(res, 0, 0), SR_VALUE(res, 0, 1), SR_VALUE(res, 0, 2)),
				 res->nrows > 1 ? errdetail("%d foreign keys of tables the migration does not copy refer to tables it copies.", res->nrows) : 0,
				 errhint("Drop the foreign key (ALTER TABLE %s DROP CONSTRAINT %s) and add it again after the migration, or migrate into a new database.",
						 SR_VALUE(res, 0, 0), SR_VALUE(res, 0, 1))));
}

/*
 * After the pre-data of such a database: what acts on the rows a copy loads
 * is dropped, for post-data to make again as the source has it.  Foreign
 * keys between the copied tables would check (and a truncate refuse) a
 * table against one not copied yet; triggers would change the rows as they
 * are loaded.
 */
static int
drop_row_actors(const char *tables)
{
	SourceResult *res = migrate_target_query(
											 "SELECT pg_catalog.format('ALTER TABLE %I.%I DROP CONSTRAINT %I', n.nspname, c.relname, con.conname)"
											 " FROM pg_catalog.pg_constraint con"
											 " JOIN pg_catalog.pg_class c ON c.oid = con.conrelid"
											 " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
											 " WHERE con.contype = 'f' AND con.conparentid = 0"
											 " AND con.confrelid OPERATOR(pg_catalog.=) ANY ($1::pg_catalog.oid[])"
											 " AND con.conrelid OPERATOR(pg_catalog.=) ANY ($1::pg_catalog.oid[])"
											 " UNION ALL"
											 " SELECT pg_catalog.format('DROP TRIGGER %I ON %I.%I', t.tgname, n.nspname, c.relname)"
											 " FROM pg_catalog.pg_trigger t"
											 " JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid"
											 " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
											 " WHERE NOT t.tgisinternal AND t.tgparentid = 0"
											 " AND t.tgrelid OPERATOR(pg_catalog.=) ANY ($1::pg_catalog.oid[])",
											 1, (Oid[]) {TEXTOID},
											 (Datum[]) {CStringGetTextDatum(tables)});
	int			r;

	for (r = 0; r < res->nrows; r++)
	{
		char	   *err = NULL;
		int			code = 0;

		CHECK_FOR_INTERRUPTS();
		if (!migrate_target_exec_isolated_code(SR_VALUE(res, r, 0), &err, &code))
			ereport(ERROR,
					(errcode(code),
					 errmsg("%s", err),
					 errcontext("statement: %s", SR_VALUE(res, r, 0)),
					 errhint("A merge drops the foreign keys and triggers of the tables it copies again, and makes them again after the copy: the migration's owner must own those tables.")));
	}
	return res->nrows;
}

/*
 * Is the failure (CODE, ERR) of statement SQL that of what only a superuser
 * may make (an event trigger, a publication of all tables or of a
 * schema's), for a migration's owner who is not one?  Then it is left out,
 * with a warning that names it, and so is what the script does to it
 * afterwards (LEFT_OUT: the objects left out so far, in the task's memory).
 */
static bool
left_out_for_superuser(List **left_out, const char *sql, int code, const char *err,
					   StringInfo warnings)
{
	bool		superuser_part;
	char	   *object;
	MemoryContext old;

	if (superuser())
		return false;
	object = migrate_superuser_object(sql, &superuser_part);
	if (object == NULL)
		return false;
	if (!superuser_part)
		return list_member(*left_out, makeString(object));
	if (code != ERRCODE_INSUFFICIENT_PRIVILEGE)
		return false;
	if (pg_strncasecmp(sql, "CREATE ", 7) == 0)
	{
		old = MemoryContextSwitchTo(GetMemoryChunkContext(warnings->data));
		*left_out = lappend(*left_out, makeString(pstrdup(object)));
		MemoryContextSwitchTo(old);
		add_object_warning(warnings, object,
						   psprintf("left out: %s, which only a superuser can make here (%s); a superuser can run its statements from the source's dump after the migration",
									object, err),
						   sql);
	}
	else
		add_object_warning(warnings, object,
						   psprintf("left out of %s: what only a superuser can add to it here (%s)", object, err),
						   sql);
	return true;
}

/*
 * Tablespace NAME of the source as it is used here: NULL (the default
 * tablespace) where the target does not have it, with a warning, once a
 * task.
 */
static const char *
tablespace_here(const char *name, StringInfo warnings)
{
	char	   *object;

	if (name == NULL || name[0] == '\0')
		return NULL;
	if (OidIsValid(get_tablespace_oid(name, true)))
		return name;
	object = psprintf("tablespace %s", quote_identifier(name));
	if (strstr(warnings->data, psprintf("%s%c", object, MIGRATE_WARNING_OBJECT_END)) == NULL)
		add_object_warning(warnings, object,
						   "not on the target: what the source holds in it is made in the default tablespace", NULL);
	return NULL;
}

/*
 * Runs the statements of TASK in the current transaction, each in a
 * subtransaction.  Ownership, privileges and comments that cannot be given
 * become warnings.  Where the objects may be there already (post-data; the
 * pre-data of a merge, or of a retry) those that are there are kept as they
 * are and counted in a warning.  Anything else fails the task.
 */
static void
run_script(const TaskMsg *task, StringInfo warnings)
{
	ListCell   *lc;
	List	   *owners = NIL;
	PostStatement ps = {NULL, NULL};
	bool		may_exist = task->kind != MTK_SCHEMA || !task->truncate || task->attempt > 1;
	ThereAlready there = {NULL, 0};
	const char *tablespace;
	List	   *left_out = NIL;
	char	   *tables = NULL;
	int			dropped = 0;

	/* in the task's memory: a batch's transaction ends before it */
	{
		MemoryContext old = MemoryContextSwitchTo(GetMemoryChunkContext(warnings->data));

		initStringInfo(&there.first);
		if (task->kind == MTK_SCHEMA && may_exist)
			tables = oid_array(script_tables_here(task->statements));
		MemoryContextSwitchTo(old);
	}
	if (tables != NULL)
		refuse_foreign_referrers(tables);

	foreach(lc, task->statements)
	{
		const char *sql = lfirst(lc);
		char	   *err = NULL;
		int			code = 0;

		CHECK_FOR_INTERRUPTS();

		/*
		 * The schema of thousands of tables locks more objects than the lock
		 * table holds in one transaction: it commits in batches that fit.
		 * A task that fails after a batch is run again, and what a batch
		 * created is then there already (already_there).
		 */
		if (task->kind == MTK_SCHEMA && foreach_current_index(lc) > 0 &&
			foreach_current_index(lc) % Max(max_locks_per_xact * 4, 64) == 0)
		{
			PopActiveSnapshot();
			CommitTransactionCommand();
			StartTransactionCommand();
			PushActiveSnapshot(GetTransactionSnapshot());
		}
		/* this session's encoding is the database's already */
		if (pg_strncasecmp(sql, "SET client_encoding", 19) == 0)
			continue;
		/* a tablespace the target lacks: the default one, with a warning */
		if (migrate_default_tablespace_of(sql, &tablespace) && tablespace_here(tablespace, warnings) == NULL)
			sql = "SET default_tablespace = ''";
		ps.sql = sql;
		if (task->kind == MTK_POST ?
			migrate_target_run_isolated(exec_post_data, &ps, &err, &code) :
			migrate_target_exec_isolated_code(sql, &err, &code))
			continue;

		/*
		 * An owner the object cannot be given yet (the new owner lacks
		 * CREATE on a schema whose grants come later in the script) is
		 * given again once the script's grants are in.
		 */
		if (left_out_for_superuser(&left_out, sql, code, err, warnings))
			continue;
		if (code == ERRCODE_INSUFFICIENT_PRIVILEGE && is_owner_statement(sql))
		{
			MemoryContext old = MemoryContextSwitchTo(GetMemoryChunkContext(warnings->data));

			owners = lappend(owners, (void *) sql);
			MemoryContextSwitchTo(old);
			continue;
		}
		if (may_exist && kept_as_there(&there, sql, code))
			continue;
		if (migrate_statement_tolerated(sql))
		{
			if (is_owner_statement(sql))
				owner_warning(warnings, sql, err);
			else
				add_object_warning(warnings, tolerated_statement_object(sql), err, sql);
			continue;
		}
		ereport(ERROR,
				(errcode(code),
				 errmsg("%s", err),
				 errcontext("statement: %.400s", sql)));
	}

	/*
	 * What still cannot be given stays owned by the migration's owner, and
	 * code the source defined on it then runs as that role: said per object.
	 */
	foreach(lc, owners)
	{
		const char *sql = lfirst(lc);
		char	   *err = NULL;
		int			code = 0;

		CHECK_FOR_INTERRUPTS();
		if (!migrate_target_exec_isolated_code(sql, &err, &code))
			owner_warning(warnings, sql, err);
	}

	if (tables != NULL)
		dropped = drop_row_actors(tables);
	if (there.kept > 0 || dropped > 0)
		add_warning(warnings,
					psprintf("kept as they were: %d %s that %s there already (%s)%s",
							 there.kept, there.kept == 1 ? "object" : "objects",
							 there.kept == 1 ? "was" : "were", there.first.data,
							 dropped > 0 ? psprintf("; %d foreign keys and triggers of the tables copied again dropped, made again after the copy", dropped) : ""),
					NULL);
}

/*
 * The statistics of a partitioned table across its partitions, and only
 * those: ANALYZE of a partitioned table would analyze every partition again
 * (each had its own task as soon as it was copied) and lock them all.
 */
static void
analyze_partitioned(void *arg)
{
	const TaskMsg *task = arg;
	RangeVar   *rv = makeRangeVar(task->schema_name, task->table_name, -1);
	Oid			relid = RangeVarGetRelid(rv, NoLock, false);
	VacuumParams params;

	migrate_analyze_params(&params);
	analyze_rel(relid, rv, &params, NIL, true, GetAccessStrategy(BAS_VACUUM));
}

/* ---- one function a kind ------------------------------------------------ */

/*
 * schema: the pre-data script.  Into a database that was there before, and
 * unless merging, only when it holds no user tables.
 */
void
migrate_run_schema(const TaskMsg *task, ResultMsg *result, StringInfo warnings)
{
	if (task->truncate && task->attempt == 1)
	{
		SourceResult *res = migrate_target_query("SELECT count(*) FROM pg_catalog.pg_class c"
												 " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
												 " WHERE c.relkind IN ('r', 'p')"
												 " AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
												 " AND n.nspname !~ '^pg_toast'"
												 " AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d"
												 "  WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass"
												 "  AND d.objid = c.oid AND d.deptype = 'e')",
												 0, NULL, NULL);

		if (strcmp(SR_VALUE(res, 0, 0), "0") != 0)
			ereport(ERROR,
					(errcode(ERRCODE_DUPLICATE_TABLE),
					 errmsg("database \"%s\" already exists on the target with %s user tables",
							migrate_worker_shared->dbname, SR_VALUE(res, 0, 0)),
					 errhint("Migrate into a new database (drop or rename this one), or set \"if_exists\": \"merge\" to migrate into it as it is.")));
	}
	/* the script's own SET statements belong to this session only */
	run_script(task, warnings);
}

/* post: the rest of post-data (triggers, rules, refreshes, ...), in order. */
void
migrate_run_post(const TaskMsg *task, ResultMsg *result, StringInfo warnings)
{
	run_script(task, warnings);
}

/*
 * Runs post-data statement SQL of TASK (an index, a key, a foreign key),
 * raising its error with its SQLSTATE.  A task run again after a try whose
 * end nobody heard (the coordinator or the server went down) may find what
 * the statement makes committed already: it is kept.
 */
static void
run_post_statement(const TaskMsg *task, const char *sql, const char *tablespace,
				   StringInfo warnings)
{
	char	   *err = NULL;
	int			code = 0;
	PostStatement ps = {sql, tablespace};

	if (migrate_target_run_isolated(exec_post_data, &ps, &err, &code))
		return;
	if (!already_there(code))
		ereport(ERROR,
				(errcode(code),
				 errmsg("%s", err),
				 errcontext("statement: %.400s", sql)));
	/* (a merge into what a migration made: said; a retry's own: not) */
	if (task->attempt == 1)
		add_warning(warnings, psprintf("kept as they were: 1 object that was there already (%s)",
									   statement_start(sql, 80)),
					NULL);
}

/*
 * Post-data statements in their order; pg_dump's "SET default_tablespace"
 * before one (plan.c keeps it with an index or key) places what follows:
 * in a tablespace the target does not have, in the default one, with a
 * warning.
 */
static void
run_post_statements(const TaskMsg *task, List *statements, StringInfo warnings)
{
	const char *tablespace = NULL;
	ListCell   *lc;

	foreach(lc, statements)
	{
		const char *sql = lfirst(lc);
		const char *name;

		CHECK_FOR_INTERRUPTS();
		if (migrate_default_tablespace_of(sql, &name))
		{
			tablespace = tablespace_here(name, warnings);
			continue;
		}
		run_post_statement(task, sql, tablespace, warnings);
	}
}

/* index, constraint: one post-data statement (and its tablespace). */
void
migrate_run_statement(const TaskMsg *task, ResultMsg *result, StringInfo warnings)
{
	run_post_statements(task, migrate_split_sql(task->statement), warnings);
}

/*
 * copy: a table or a block range of one, at the database's snapshot; binary
 * between servers of the same major version.
 */
void
migrate_run_copy(const TaskMsg *task, ResultMsg *result, StringInfo warnings)
{
	SourceConn *conn = migrate_worker_snapshot_conn(task->snapshot);
	int64		bytes = 0;
	bool		binary = (migrate_worker_shared->source_version / 10000 == PG_VERSION_NUM / 10000);

	result->rows = migrate_copy_table(conn, task, NULL, binary, migrate_worker_progress,
									  (void *) &task->task_id, &bytes);
	result->bytes = bytes;

	/*
	 * A small table's indexes and keys, planned with its copy (plan.c): in
	 * the same transaction, so that a failure leaves neither rows nor
	 * indexes.  Run again, the table was emptied and filled again above,
	 * and keys a lost try committed are kept.
	 */
	if (task->statement == NULL)
		return;
	run_post_statements(task, migrate_split_sql(task->statement), warnings);
}

/* sequences: every sequence's value at the snapshot. */
void
migrate_run_sequences(const TaskMsg *task, ResultMsg *result, StringInfo warnings)
{
	SourceConn *conn = migrate_worker_snapshot_conn(task->snapshot);
	SourceResult *list;
	StringInfoData batch;
	int			r;
	int			first = 0;

	/*
	 * Every sequence the source user may read, with its last value and
	 * is_called from its own row: pg_sequences shows no value for one never
	 * called since a RESTART or setval(..., false), whose next value is
	 * still that one.
	 */
	list = migrate_source_query(conn,
								"SELECT n.nspname, c.relname, pg_catalog.has_sequence_privilege(c.oid, 'SELECT')"
								" FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
								" WHERE c.relkind = 'S' AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
								" AND n.nspname !~ '^pg_temp_' ORDER BY 1, 2",
								0, NULL);
	initStringInfo(&batch);
	for (r = 0; r <= list->nrows; r++)
	{
		SourceResult *vals;
		int			v;

		CHECK_FOR_INTERRUPTS();
		/* (a source that answers what no server would: nothing of it) */
		if (r < list->nrows && (SR_VALUE(list, r, 0) == NULL || SR_VALUE(list, r, 1) == NULL))
			continue;
		if (r < list->nrows && (SR_VALUE(list, r, 2) == NULL || SR_VALUE(list, r, 2)[0] != 't'))
		{
			add_object_warning(warnings,
							   psprintf("sequence %s", quote_qualified_identifier(SR_VALUE(list, r, 0), SR_VALUE(list, r, 1))),
							   "the source user may not read it, so its value is not copied", NULL);
			continue;
		}
		if (r < list->nrows)
			appendStringInfo(&batch, "%sSELECT %d, last_value, is_called FROM %s",
							 batch.len ? " UNION ALL " : "", r,
							 quote_qualified_identifier(SR_VALUE(list, r, 0), SR_VALUE(list, r, 1)));
		/* (a query reads up to a hundred of them: one round trip, not one each) */
		if (batch.len == 0 || (r < list->nrows && r - first < 99))
			continue;
		vals = migrate_source_query(conn, batch.data, 0, NULL);
		resetStringInfo(&batch);
		first = r + 1;
		for (v = 0; v < vals->nrows; v++)
		{
			int			idx = SR_VALUE(vals, v, 0) ? atoi(SR_VALUE(vals, v, 0)) : -1;
			char	   *err = NULL;
			char	   *sql;

			if (idx < 0 || idx >= list->nrows || SR_VALUE(list, idx, 0) == NULL || SR_VALUE(list, idx, 1) == NULL ||
				SR_VALUE(vals, v, 1) == NULL || SR_VALUE(vals, v, 2) == NULL)
				ereport(ERROR,
						(errcode(ERRCODE_PROTOCOL_VIOLATION),
						 errmsg("the source answered a sequence value that was not asked for")));
			sql = psprintf("SELECT pg_catalog.setval(%s, %s::bigint, %s)",
									   quote_literal_cstr(quote_qualified_identifier(SR_VALUE(list, idx, 0),
																					 SR_VALUE(list, idx, 1))),
									   quote_literal_cstr(SR_VALUE(vals, v, 1)),
									   SR_VALUE(vals, v, 2)[0] == 't' ? "true" : "false");

			CHECK_FOR_INTERRUPTS();
			if (!migrate_target_exec_isolated(sql, &err))
				add_object_warning(warnings,
								   psprintf("sequence %s", quote_qualified_identifier(SR_VALUE(list, idx, 0),
																				  SR_VALUE(list, idx, 1))),
								   err, NULL);
			result->rows++;
		}
	}
}

/* ---- large objects ------------------------------------------------------- */

#define LO_CHUNK 4194304
#define LO_INV_WRITE 131072		/* INV_WRITE of libpq-fs.h */

/* a chunk of large object LO from OFFSET on the source, NULL past its end */
static bytea *
source_lo_chunk(SourceConn *conn, const char *lo, int64 offset)
{
	SourceResult *chunk = migrate_source_query(conn, "SELECT lo_get($1::oid, $2::bigint, 4194304)",
											   2, (const char *[]) {lo, psprintf(INT64_FORMAT, offset)});
	bytea	   *data = DatumGetByteaPP(DirectFunctionCall1(byteain,
														   CStringGetDatum(SR_VALUE(chunk, 0, 0))));

	return VARSIZE_ANY_EXHDR(data) > 0 ? data : NULL;
}

/*
 * Runs SQL on the target with large object LO as $1, then N as $2 (unless
 * negative) and DATA as $3 (when given).
 */
static void
target_lo_exec(const char *sql, Oid lo, int64 n, bytea *data)
{
	Oid			types[3] = {OIDOID, INT8OID, BYTEAOID};
	Datum		args[3] = {ObjectIdGetDatum(lo), Int64GetDatum(n), PointerGetDatum(data)};
	int			ret;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	ret = SPI_execute_with_args(sql, data != NULL ? 3 : n >= 0 ? 2 : 1, types, args, NULL, false, 0);
	if (ret < 0)
		elog(ERROR, "%s failed: %s", sql, SPI_result_code_string(ret));
	SPI_finish();
}

/*
 * Copies large object LO from OFFSET to its end, 4MB at a time in a context
 * of its own (bounded memory), then cuts the target's copy at the source's
 * length.  Returns the bytes written.
 */
static int64
copy_large_object(SourceConn *conn, const char *lo, int64 offset)
{
	Oid			loid = atooid(lo);
	int64		bytes = 0;

	for (;;)
	{
		MemoryContext chunk_cxt = AllocSetContextCreate(CurrentMemoryContext,
														"migrate large object",
														ALLOCSET_DEFAULT_SIZES);
		MemoryContext old = MemoryContextSwitchTo(chunk_cxt);
		bytea	   *data;
		int			len;

		CHECK_FOR_INTERRUPTS();
		data = source_lo_chunk(conn, lo, offset);
		len = data ? VARSIZE_ANY_EXHDR(data) : 0;
		if (data != NULL)
			target_lo_exec("SELECT pg_catalog.lo_put($1, $2, $3)", loid, offset, data);
		MemoryContextSwitchTo(old);
		MemoryContextDelete(chunk_cxt);
		if (len == 0)
			break;
		offset += len;
		bytes += len;
	}
	target_lo_exec(psprintf("SELECT pg_catalog.lo_truncate64(pg_catalog.lo_open($1, %d), $2)", LO_INV_WRITE),
				   loid, offset, NULL);
	return bytes;
}

/*
 * large_objects: their data; pre-data created them empty, with owners and
 * rights.
 */
void
migrate_run_large_objects(const TaskMsg *task, ResultMsg *result, StringInfo warnings)
{
	SourceConn *conn = migrate_worker_snapshot_conn(task->snapshot);
	SourceResult *los;
	int			r;
	int64		bytes = 0;

	los = migrate_source_query(conn, "SELECT oid::text FROM pg_largeobject_metadata ORDER BY oid",
							   0, NULL);
	for (r = 0; r < los->nrows; r++)
		bytes += copy_large_object(conn, SR_VALUE(los, r, 0), 0);
	result->rows = los->nrows;
	result->bytes = bytes;
}

/* one large object to bring up to date at the cutover */
typedef struct LoSync
{
	SourceConn *conn;
	const char *lo;
	const char *owner;			/* on the source; NULL: on the target only */
	bool		on_target;
	int64		bytes;			/* written */
	bool		changed;
	StringInfo	warnings;		/* an owner or a right not given */
} LoSync;

/* SQL (ownership, a right) on the target; a failure is a warning */
static void
lo_right(LoSync *ls, const char *sql)
{
	char	   *err = NULL;

	if (migrate_target_exec_isolated(sql, &err))
		return;
	if (is_owner_statement(sql))
		owner_warning(ls->warnings, sql, err);
	else
		add_object_warning(ls->warnings, psprintf("large object %s", ls->lo), err, sql);
}

/* the first offset where LO differs between source and target, -1 if none */
static int64
large_object_differs(SourceConn *conn, const char *lo)
{
	int64		offset = 0;

	for (;;)
	{
		const char *at = psprintf(INT64_FORMAT, offset);
		SourceResult *src;
		SourceResult *dst;
		int64		len;

		CHECK_FOR_INTERRUPTS();
		src = migrate_source_query(conn, "SELECT md5(c), length(c) FROM lo_get($1::oid, $2::bigint, 4194304) c",
								   2, (const char *[]) {lo, at});
		dst = migrate_target_query("SELECT pg_catalog.md5(c), pg_catalog.length(c)"
								   " FROM pg_catalog.lo_get($1, $2, 4194304) c",
								   2, (Oid[]) {OIDOID, INT8OID},
								   (Datum[]) {ObjectIdGetDatum(atooid(lo)), Int64GetDatum(offset)});
		if (strcmp(SR_VALUE(src, 0, 0), SR_VALUE(dst, 0, 0)) != 0)
			return offset;
		len = strtoi64(SR_VALUE(src, 0, 1), NULL, 10);
		if (len == 0)
			return -1;
		offset += len;
	}
}

/*
 * Brings one large object to what the source has now: made (with its owner
 * and rights) if new, removed if gone, rewritten from its first differing
 * chunk if changed.
 */
static void
sync_large_object(void *arg)
{
	LoSync	   *ls = arg;
	Oid			loid = atooid(ls->lo);
	int64		from = 0;

	if (ls->owner == NULL)
	{
		target_lo_exec("SELECT pg_catalog.lo_unlink($1)", loid, -1, NULL);
		ls->changed = true;
		return;
	}
	if (!ls->on_target)
	{
		SourceResult *acl;
		int			r;

		target_lo_exec("SELECT pg_catalog.lo_create($1)", loid, -1, NULL);
		lo_right(ls, psprintf("ALTER LARGE OBJECT %u OWNER TO %s", loid, quote_identifier(ls->owner)));
		acl = migrate_source_query(ls->conn,
								   "SELECT a.grantee = 0, pg_get_userbyid(a.grantee), a.privilege_type, a.is_grantable"
								   " FROM pg_largeobject_metadata m, aclexplode(m.lomacl) a"
								   " WHERE m.oid = $1::oid AND a.grantee <> m.lomowner",
								   1, (const char *[]) {ls->lo});
		for (r = 0; r < acl->nrows; r++)
		{
			const char *priv = SR_VALUE(acl, r, 2);

			if (strcmp(priv, "SELECT") != 0 && strcmp(priv, "UPDATE") != 0)
				ereport(ERROR,
						(errcode(ERRCODE_PROTOCOL_VIOLATION),
						 errmsg("the source names privilege \"%s\" on large object %u", priv, loid)));
			lo_right(ls, psprintf("GRANT %s ON LARGE OBJECT %u TO %s%s", priv, loid,
								  SR_VALUE(acl, r, 0)[0] == 't' ? "PUBLIC" :
								  quote_identifier(SR_VALUE(acl, r, 1)),
								  SR_VALUE(acl, r, 3)[0] == 't' ? " WITH GRANT OPTION" : ""));
		}
		ls->changed = true;
	}
	else if ((from = large_object_differs(ls->conn, ls->lo)) < 0)
		return;
	ls->bytes = copy_large_object(ls->conn, ls->lo, from);
	ls->changed = true;
}

/*
 * Large objects are not replicated: at the cutover, each made, changed or
 * removed on the source since the copy is made so on the target, one at a
 * time in a subtransaction of its own (one that cannot be written is a
 * warning).  Compared by the digests of their chunks: only what differs
 * crosses the network.  Returns how many changed; *BYTES the bytes written.
 */
static int
sync_large_objects(SourceConn *conn, StringInfo warnings, int64 *bytes)
{
	SourceResult *src = migrate_source_query(conn,
											 "SELECT oid::text, pg_get_userbyid(lomowner) FROM pg_largeobject_metadata ORDER BY oid",
											 0, NULL);
	SourceResult *dst = migrate_target_query("SELECT oid::text FROM pg_catalog.pg_largeobject_metadata ORDER BY oid",
											 0, NULL, NULL);
	int			s = 0;
	int			d = 0;
	int			changed = 0;

	*bytes = 0;
	while (s < src->nrows || d < dst->nrows)
	{
		int64		so = s < src->nrows ? strtoi64(SR_VALUE(src, s, 0), NULL, 10) : PG_INT64_MAX;
		int64		dn = d < dst->nrows ? strtoi64(SR_VALUE(dst, d, 0), NULL, 10) : PG_INT64_MAX;
		LoSync		ls = {conn, NULL, NULL, false, 0, false, warnings};
		char	   *err = NULL;
		int			code;

		CHECK_FOR_INTERRUPTS();
		ls.lo = so <= dn ? SR_VALUE(src, s, 0) : SR_VALUE(dst, d, 0);
		ls.owner = so <= dn ? SR_VALUE(src, s, 1) : NULL;
		ls.on_target = dn <= so;
		if (so <= dn)
			s++;
		if (dn <= so)
			d++;
		if (!migrate_target_run_isolated(sync_large_object, &ls, &err, &code))
			add_object_warning(warnings, psprintf("large object %s", ls.lo), err, NULL);
		else if (ls.changed)
			changed++;
		*bytes += ls.bytes;
	}
	return changed;
}

/*
 * analyze, analyze_small: the statistics of a copied table, or of many small
 * ones (their qualified names).
 */
void
migrate_run_analyze(const TaskMsg *task, ResultMsg *result, StringInfo warnings)
{
	ListCell   *lc;

	foreach(lc, task->statements)
	{
		char	   *err = NULL;

		CHECK_FOR_INTERRUPTS();

		/*
		 * Many small tables at once (analyze_small): a commit now and then
		 * keeps their locks within the lock table, as the schema's batches
		 * do.  Statistics taken twice when the task runs again cost nothing.
		 */
		if (foreach_current_index(lc) > 0 &&
			foreach_current_index(lc) % Max(max_locks_per_xact, 16) == 0)
		{
			PopActiveSnapshot();
			CommitTransactionCommand();
			StartTransactionCommand();
			PushActiveSnapshot(GetTransactionSnapshot());
		}
		if (!migrate_target_exec_isolated(psprintf("ANALYZE %s", (char *) lfirst(lc)), &err))
			add_warning(warnings, err, NULL);
	}
}

/* analyze_partitioned: see analyze_partitioned above. */
void
migrate_run_analyze_partitioned(const TaskMsg *task, ResultMsg *result, StringInfo warnings)
{
	char	   *err = NULL;
	int			code;

	if (!migrate_target_run_isolated(analyze_partitioned, (void *) task, &err, &code))
		add_warning(warnings, err, NULL);
}

/* The elements of TASK's statement, a text[] literal. */
static List *
statement_array(const TaskMsg *task)
{
	ArrayType  *arr;
	Datum	   *elems;
	bool	   *nulls;
	int			n,
				i;
	List	   *l = NIL;

	if (task->statement == NULL)
		elog(ERROR, "task " INT64_FORMAT " has no statement", task->task_id);
	/* (array_in keeps a cache in its flinfo: a direct call has none) */
	arr = DatumGetArrayTypeP(OidInputFunctionCall(F_ARRAY_IN, task->statement, TEXTOID, -1));
	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	for (i = 0; i < n; i++)
		if (!nulls[i])
			l = lappend(l, TextDatumGetCString(elems[i]));
	return l;
}

/*
 * subscribe: the subscription of the replication method, on the slot the
 * tables were copied at, for the tables copied (the statement: subscription,
 * publication, slot, then the tables' qualified names).
 */
void
migrate_run_subscribe(const TaskMsg *task, ResultMsg *result, StringInfo warnings)
{
	List	   *args = statement_array(task);

	char	   *refused;

	if (list_length(args) < 3)
		elog(ERROR, "subscribe task " INT64_FORMAT " names no subscription", task->task_id);
	refused = migrate_create_subscription(linitial(args), lsecond(args), lthird(args),
										  migrate_subscription_conninfo(migrate_worker_source(),
																		migrate_worker_shared->dbname),
										  list_copy_tail(args, 3));
	/* the coordinator finds no subscription, and says why with this */
	if (refused != NULL)
		add_warning(warnings, psprintf("no subscription: %s", refused), NULL);
	result->rows = (list_length(args) - 3) / 2;
}

/* An unlogged table copied again at cutover (copy_again). */
typedef struct CopyAgain
{
	TaskMsg		task;			/* a copy task of the whole table, emptying it */
	int64		rows;
	int64		bytes;
} CopyAgain;

/*
 * Copies the table of ARG (a CopyAgain) again, as the source has it now,
 * on a connection of its own: one that fails half-way is closed with the
 * subtransaction that migrate_target_run_isolated gives it, and nothing of
 * it is left on either side.
 */
static void
copy_again(void *arg)
{
	CopyAgain  *ca = arg;
	MemoryContext outer = CurrentMemoryContext;
	MemoryContext cxt = AllocSetContextCreate(outer, "migrate copy again", ALLOCSET_SMALL_SIZES);

	/* (the connection goes with its context, also on error) */
	PG_TRY();
	{
		SourceConn *conn;

		MemoryContextSwitchTo(cxt);
		conn = migrate_source_connect(migrate_worker_source(), migrate_worker_shared->dbname, NULL);
		MemoryContextSwitchTo(outer);
		(void) migrate_source_query(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL);
		ca->rows = migrate_copy_table(conn, &ca->task, NULL,
									  migrate_worker_shared->source_version / 10000 == PG_VERSION_NUM / 10000,
									  migrate_worker_progress, (void *) &ca->task.task_id, &ca->bytes);
	}
	PG_FINALLY();
	{
		MemoryContextSwitchTo(outer);
		MemoryContextDelete(cxt);
	}
	PG_END_TRY();
}

/*
 * cutover: once the target has every change up to the cutover position,
 * every sequence from the source as it is now (sequences are not
 * replicated), the large objects made, changed or removed since the copy
 * (nor are they), the unlogged tables copied again (nor are their rows),
 * every populated materialized view refreshed (its rows came from the
 * copy), then the subscription dropped (its slot stays for the
 * coordinator to drop).  The statement: the subscription, then a schema
 * and a table name for each unlogged table.
 */
void
migrate_run_cutover(const TaskMsg *task, ResultMsg *result, StringInfo warnings)
{
	List	   *args = statement_array(task);
	TaskMsg		now = *task;
	SourceResult *mv;
	ListCell   *lc;
	int			r;

	if (list_length(args) < 1)
		elog(ERROR, "cutover task " INT64_FORMAT " names no subscription", task->task_id);

	/* the sequences as the source has them now, not at the snapshot */
	now.snapshot = NULL;
	migrate_run_sequences(&now, result, warnings);
	result->rows += sync_large_objects(migrate_worker_snapshot_conn(NULL), warnings, &result->bytes);

	/*
	 * Unlogged tables (the statement's pairs of schema and table after the
	 * subscription): their changes are not in the WAL, so not replicated;
	 * each is emptied and copied again as the source has it now, in this
	 * transaction.
	 */
	for_each_from(lc, args, 1)
	{
		CopyAgain	ca;
		char	   *err = NULL;
		int			code;

		if (foreach_current_index(lc) % 2 != 1 || lnext(args, lc) == NULL)
			continue;
		CHECK_FOR_INTERRUPTS();
		ca.task = now;
		ca.task.kind = MTK_COPY;
		ca.task.schema_name = lfirst(lc);
		ca.task.table_name = lfirst(lnext(args, lc));
		ca.task.block_from = -1;
		ca.task.block_to = -1;
		ca.task.truncate = true;
		ca.task.statement = NULL;
		ca.task.statements = NIL;
		ca.rows = 0;
		ca.bytes = 0;
		if (!migrate_target_run_isolated(copy_again, &ca, &err, &code))
		{
			if (migrate_sqlstate_transient(unpack_sql_state(code)))
				ereport(ERROR,
						(errcode(code),
						 errmsg("%s", err),
						 errcontext("copying unlogged table %s again",
									quote_qualified_identifier(ca.task.schema_name, ca.task.table_name))));
			/* (one dropped or changed on the source, or referenced by another's key) */
			add_object_warning(warnings,
							   psprintf("table %s", quote_qualified_identifier(ca.task.schema_name, ca.task.table_name)),
							   psprintf("unlogged: not copied again at cutover, it keeps the rows of the copy: %s", err),
							   NULL);
		}
		result->rows += ca.rows;
		result->bytes += ca.bytes;
	}

	mv = migrate_target_query("SELECT pg_catalog.quote_ident(schemaname) OPERATOR(pg_catalog.||) '.'"
							  " OPERATOR(pg_catalog.||) pg_catalog.quote_ident(matviewname)"
							  " FROM pg_catalog.pg_matviews WHERE ispopulated ORDER BY 1",
							  0, NULL, NULL);
	for (r = 0; r < mv->nrows; r++)
	{
		CHECK_FOR_INTERRUPTS();
		run_post_statement(task, psprintf("REFRESH MATERIALIZED VIEW %s", SR_VALUE(mv, r, 0)), NULL,
						   warnings);
	}
	(void) migrate_drop_subscription(linitial(args), true);
}

/* One table of a join task: what join_table makes and adds. */
typedef struct JoinTable
{
	const TaskMsg *task;
	const char *subscription;
	const char *publication;
	const char *table;			/* quoted, qualified */
	const char *pre;			/* its pre-data script */
	const char *post;			/* its post-data script */
	StringInfo	warnings;
	int			added;
} JoinTable;

/*
 * Table JT->table in the publication on the source, where that names its
 * tables (FOR ALL TABLES has it already, and a partition goes with its
 * parent); the source user must own it.
 */
static void
publish_table(JoinTable *jt)
{
	SourceConn *conn = migrate_source_connect(migrate_worker_source(), migrate_worker_shared->dbname, NULL);

	PG_TRY();
	{
		SourceResult *res;

		res = migrate_source_query(conn,
								   "SELECT c.relispartition OR p.puballtables OR EXISTS (SELECT 1 FROM pg_publication_rel pr"
								   "  WHERE pr.prpubid = p.oid AND pr.prrelid = c.oid)"
								   " FROM pg_class c, pg_publication p WHERE c.oid = $1::regclass AND p.pubname = $2",
								   2, (const char *[]) {jt->table, jt->publication});
		if (res->nrows == 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("publication \"%s\" is gone from the source", jt->publication)));
		if (SR_VALUE(res, 0, 0) == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_PROTOCOL_VIOLATION),
					 errmsg("the source answered no membership of table %s in publication \"%s\"",
							jt->table, jt->publication)));
		if (SR_VALUE(res, 0, 0)[0] == 'f')
			(void) migrate_source_query(conn, psprintf("ALTER PUBLICATION %s ADD TABLE %s",
													   quote_identifier(jt->publication), jt->table),
										0, NULL);
	}
	PG_FINALLY();
	{
		migrate_source_close(conn);
	}
	PG_END_TRY();
}

/*
 * A table of a join (ARG, a JoinTable) created with its indexes, keys and
 * the rest of its post-data, added to the subscription, and published on
 * the source: all in the subtransaction migrate_target_run_isolated gives
 * it, so that a table that cannot be made, or may not be subscribed (see
 * migrate_subscription_add_tables), leaves nothing behind.  A table that
 * is there already (a try whose commit nobody heard, or the operator made
 * it) is only added.
 */
static void
join_table(void *arg)
{
	JoinTable  *jt = arg;
	TaskMsg		script = *jt->task;
	char	   *refused;
	RangeVar   *rv = makeRangeVarFromNameList(stringToQualifiedNameList(jt->table));
	Oid			relid = RangeVarGetRelid(rv, NoLock, true);
	int			nestlevel = NewGUCNestLevel();

	if (!OidIsValid(relid))
	{
		/* (the kind of each script picks how run_script runs its statements) */
		script.kind = MTK_JOIN;
		script.statements = migrate_split_sql(jt->pre);
		run_script(&script, jt->warnings);

		/*
		 * A partition attached to a partitioned table here got its parent's
		 * indexes and keys at once: post-data's own of them are there
		 * already, and taken as done.
		 */
		script.kind = MTK_POST;
		script.attempt = Max(script.attempt, 2);
		script.statements = migrate_split_sql(jt->post);
		run_script(&script, jt->warnings);
		relid = RangeVarGetRelid(rv, NoLock, false);
	}
	else if (get_rel_relkind(relid) == RELKIND_RELATION &&
			 strcmp(SR_VALUE(migrate_target_query(psprintf("SELECT EXISTS (SELECT 1 FROM ONLY %s)", jt->table),
												  0, NULL, NULL), 0, 0), "t") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_TABLE),
				 errmsg("table %s is on the target already, with rows: the table sync would add the source's to them",
						jt->table)));
	refused = migrate_subscription_add_tables(jt->subscription, list_make1((char *) jt->table), &jt->added);
	if (refused != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("%s", refused)));
	/* the scripts' own settings end here */
	AtEOXact_GUC(false, nestlevel);

	/*
	 * Published last: a table published that the target lacks stops the
	 * apply.  (A partitioned table publishes its partitions; nothing else
	 * that was not added is published.)
	 */
	if (jt->added > 0 || get_rel_relkind(relid) == RELKIND_PARTITIONED_TABLE)
		publish_table(jt);
}

/*
 * join: tables made on the source while replicating, joined to the stream
 * (the statement: the subscription, the publication, then for each table
 * its quoted, qualified name and its pre-data and post-data scripts; a
 * partitioned table before its partitions).  Once they are created and
 * added to the subscription, the task waits until the server's table sync
 * has them ready: the database is not in sync, and no cutover starts,
 * before.  A table that cannot join is a warning that names it and why;
 * the others, and the rest of the database, go on.
 */
void
migrate_run_join(const TaskMsg *task, ResultMsg *result, StringInfo warnings)
{
	/* (in the task's memory: the transaction commits before the end) */
	MemoryContext keep = GetMemoryChunkContext(warnings->data);
	MemoryContext old = MemoryContextSwitchTo(keep);
	List	   *args = statement_array(task);
	List	   *joined = NIL;
	ListCell   *lc;

	MemoryContextSwitchTo(old);
	if (list_length(args) < 5 || (list_length(args) - 2) % 3 != 0)
		elog(ERROR, "join task " INT64_FORMAT " has a malformed statement", task->task_id);
	for_each_from(lc, args, 2)
	{
		JoinTable	jt;
		char	   *err = NULL;
		int			code;

		if ((foreach_current_index(lc) - 2) % 3 != 0)
			continue;
		CHECK_FOR_INTERRUPTS();
		jt.task = task;
		jt.subscription = linitial(args);
		jt.publication = lsecond(args);
		jt.table = lfirst(lc);
		jt.pre = list_nth(args, foreach_current_index(lc) + 1);
		jt.post = list_nth(args, foreach_current_index(lc) + 2);
		jt.warnings = warnings;
		jt.added = 0;
		if (migrate_target_run_isolated(join_table, &jt, &err, &code))
		{
			old = MemoryContextSwitchTo(keep);
			joined = lappend(joined, (void *) jt.table);
			MemoryContextSwitchTo(old);

			/*
			 * Each table committed once it is added and published: the
			 * apply worker starts its table sync, the guard sees it, and a
			 * publication never names it long before the target has it.
			 */
			PopActiveSnapshot();
			CommitTransactionCommand();
			StartTransactionCommand();
			PushActiveSnapshot(GetTransactionSnapshot());
		}
		else if (migrate_sqlstate_transient(unpack_sql_state(code)))
			/* (the source away, a lock, a deadlock: the task is tried again) */
			ereport(ERROR,
					(errcode(code),
					 errmsg("%s", err),
					 errcontext("joining table %s to the stream", jt.table)));
		else
			add_object_warning(warnings, psprintf("table %s", jt.table),
							   psprintf("table %s, made on the source while replicating, is not joined to the stream: %s;"
										   " its rows are not migrated (published FOR ALL TABLES, the apply stops on its changes"
										   " until the target has it): make it on the target and copy it after the cutover",
										   jt.table, err), NULL);
	}

	for (int round = 1; joined != NIL && migrate_subscription_unready(linitial(args), joined) > 0; round++)
	{
		/*
		 * A table dropped on the source before its table sync ended would
		 * keep the sync failing, and this task waiting, for ever: it leaves
		 * the stream (looked at every 10 s).
		 */
		if (round % 10 == 0)
		{
			SourceConn *conn = migrate_worker_snapshot_conn(NULL);
			List	   *still = NIL;

			foreach(lc, joined)
			{
				SourceResult *res = migrate_source_query(conn, "SELECT to_regclass($1) IS NOT NULL", 1,
														 (const char *[]) {lfirst(lc)});

				if (SR_VALUE(res, 0, 0) != NULL && SR_VALUE(res, 0, 0)[0] == 'f')
				{
					migrate_subscription_remove_table(linitial(args), lfirst(lc));
					add_object_warning(warnings, psprintf("table %s", (char *) lfirst(lc)),
									   psprintf("table %s was dropped on the source before its table sync ended:"
												   " it is left out of the stream (on the target it stays as far as it got)",
												   (char *) lfirst(lc)), NULL);
				}
				else
				{
					old = MemoryContextSwitchTo(keep);
					still = lappend(still, lfirst(lc));
					MemoryContextSwitchTo(old);
				}
			}
			joined = still;
		}
		/* (each look in a transaction of its own: it sees the catalog now) */
		PopActiveSnapshot();
		CommitTransactionCommand();
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 1000L, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
		StartTransactionCommand();
		PushActiveSnapshot(GetTransactionSnapshot());
	}
	result->rows = list_length(joined);
}
