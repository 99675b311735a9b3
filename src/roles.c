/*-------------------------------------------------------------------------
 *
 * roles.c
 *		Copy the roles of a source server: attributes, passwords (placeholder,
 *		given, or the source's own hashes), memberships, settings and
 *		comments, as far as the calling role may, saying what it could not.
 *
 * Every statement runs in a subtransaction of its own, so one role that
 * cannot be created does not stop the others.  Nothing is created before
 * the options and the source have been checked.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/varlena.h"

#include "conninfo.h"
#include "options.h"
#include "redact.h"
#include "roles.h"
#include "source.h"
#include "target.h"

/*
 * The server's SCRAM verifier builder (libpq/scram.h, whose header pulls in
 * GSSAPI's headers through libpq-be.h: declared here instead).
 */
extern char *pg_be_scram_build_secret(const char *password);

#define PLACEHOLDER_PREFIX "placeholder_"
#define PLACEHOLDER_LETTERS 16

/* Provider-internal roles that are never copied. */
static const char *const provider_role_patterns[] = {
	"rdsadmin", "rdsrepladmin", "rdstopmgr", "rds_*",
	"cloudsqladmin", "cloudsql*", "azure_*", "azuresu",
	NULL
};

typedef struct SourceRole
{
	char	   *name;
	bool		super;
	bool		inherit;
	bool		createrole;
	bool		createdb;
	bool		login;
	bool		replication;
	bool		bypassrls;
	int			connlimit;
	char	   *validuntil;
	char	   *comment;
	char	   *hash;			/* the source's verifier, when copied */
	/* the outcome */
	RoleCopyResult *result;
	bool		created;		/* created by this run */
	bool		ours;			/* created now, or synchronized */
	bool		on_target;		/* exists on the target after the run */
	StringInfoData notes;		/* what went wrong with details */
} SourceRole;

/* Is ROLNAME provider-internal or excluded by the options? */
bool
migrate_role_skipped(const char *rolname, const MigrateOptions *opts,
					 const char **why)
{
	int			i;
	ListCell   *lc;

	for (i = 0; provider_role_patterns[i] != NULL; i++)
		if (migrate_pattern_match(provider_role_patterns[i], rolname))
		{
			*why = "provider-internal role";
			return true;
		}
	foreach(lc, opts->exclude_roles)
		if (migrate_pattern_match(lfirst(lc), rolname))
		{
			*why = "excluded by option \"exclude_roles\"";
			return true;
		}
	return false;
}

/* placeholder_ and 16 random lowercase letters from a strong source. */
static char *
placeholder_password(void)
{
	char	   *pw = palloc(strlen(PLACEHOLDER_PREFIX) + PLACEHOLDER_LETTERS + 1);
	char	   *p;
	int			n = 0;

	strcpy(pw, PLACEHOLDER_PREFIX);
	p = pw + strlen(PLACEHOLDER_PREFIX);
	while (n < PLACEHOLDER_LETTERS)
	{
		unsigned char buf[32];
		int			i;

		if (!pg_strong_random(buf, sizeof(buf)))
			ereport(ERROR,
					(errcode(ERRCODE_INTERNAL_ERROR),
					 errmsg("could not generate a random password")));
		/* rejection sampling: 234 = 9 * 26, so every letter is equally likely */
		for (i = 0; i < (int) sizeof(buf) && n < PLACEHOLDER_LETTERS; i++)
			if (buf[i] < 234)
				p[n++] = 'a' + buf[i] % 26;
	}
	p[n] = '\0';
	return pw;
}

static bool
str_true(const char *s)
{
	return s != NULL && s[0] == 't';
}

/* The password given for ROLNAME in role_passwords, or NULL. */
static const char *
given_password(const MigrateOptions *opts, const char *rolname)
{
	ListCell   *lc;

	foreach(lc, opts->role_passwords)
	{
		RolePassword *rp = lfirst(lc);

		if (strcmp(rp->rolname, rolname) == 0)
			return rp->password;
	}
	return NULL;
}

/*
 * May this run give CREATEROLE?  On PostgreSQL 15 a CREATEROLE role may
 * grant every role that is not a superuser, the predefined roles that reach
 * the server's files and programs included: given by a non-superuser's run,
 * it would undo every rule of copy_memberships.  Only a superuser's run
 * gives it there; from 16 on, a CREATEROLE role grants only what it has the
 * ADMIN OPTION of.
 */
static bool
createrole_allowed(void)
{
	return superuser() || PG_VERSION_NUM >= 160000;
}

/*
 * Appends the attribute clauses of ROLE that CREATE/ALTER ROLE take.  Only a
 * superuser may name the superuser attribute at all, even to say
 * NOSUPERUSER: for anyone else it is left out (a role such a caller may
 * alter is not a superuser anyway).
 */
static void
append_attributes(StringInfo sql, SourceRole *role)
{
	appendStringInfo(sql, " %s %s %s %s",
					 role->login ? "LOGIN" : "NOLOGIN",
					 role->inherit ? "INHERIT" : "NOINHERIT",
					 role->createdb ? "CREATEDB" : "NOCREATEDB",
					 role->createrole && createrole_allowed() ? "CREATEROLE" : "NOCREATEROLE");
	if (superuser())
		appendStringInfo(sql, " %s", role->super ? "SUPERUSER" : "NOSUPERUSER");
	if (role->replication)
		appendStringInfoString(sql, " REPLICATION");
	if (role->bypassrls)
		appendStringInfoString(sql, " BYPASSRLS");
	appendStringInfo(sql, " CONNECTION LIMIT %d", role->connlimit);
	if (role->validuntil != NULL)
		appendStringInfo(sql, " VALID UNTIL %s", quote_literal_cstr(role->validuntil));
}

/*
 * The attribute of a source role (SUPER, REPLICATION, BYPASSRLS) that the
 * current user may not give, or NULL; "CREATEROLE" with *WHY_CREATEROLE set
 * when it may create no role at all.  On PostgreSQL 15 only a superuser
 * creates superuser, replication and bypassrls roles; from 16 on, a
 * CREATEROLE role may give what it has itself.  validate and the role copy
 * both ask here, so that they never disagree.
 */
const char *
migrate_role_missing_right(bool super, bool replication, bool bypassrls,
						   bool *why_createrole)
{
	Oid			me = GetUserId();
	bool		su = superuser();
	bool		createrole = su || has_createrole_privilege(me);
	bool		can_replication = su;
	bool		can_bypassrls = su;

#if PG_VERSION_NUM >= 160000
	can_replication = su || (createrole && has_rolreplication(me));
	can_bypassrls = su || (createrole && has_bypassrls_privilege(me));
#endif

	*why_createrole = false;
	if (!createrole)
	{
		*why_createrole = true;
		return "CREATEROLE";
	}
	if (super && !su)
		return "SUPERUSER";
	if (replication && !can_replication)
		return "REPLICATION";
	if (bypassrls && !can_bypassrls)
		return "BYPASSRLS";
	return NULL;
}

/*
 * The statement that sets NAME = VALUE for role ROLNAME (IN DATABASE DBNAME
 * when not NULL), or for database DBNAME when ROLNAME is NULL.  A list-valued setting whose elements are quoted (search_path
 * and the like) is given element by element, so that "app, public" stays
 * two schemas and does not become one quoted name.
 */
char *
migrate_role_setting_statement(const char *rolname, const char *dbname,
							   const char *name, const char *value)
{
	StringInfoData sql;
	int			flags = GetConfigOptionFlags(name, true);

	initStringInfo(&sql);
	if (rolname == NULL)
		appendStringInfo(&sql, "ALTER DATABASE %s", quote_identifier(dbname));
	else
	{
		appendStringInfo(&sql, "ALTER ROLE %s", quote_identifier(rolname));
		if (dbname != NULL)
			appendStringInfo(&sql, " IN DATABASE %s", quote_identifier(dbname));
	}
	appendStringInfo(&sql, " SET %s TO ", quote_identifier(name));

	if (flags & GUC_LIST_QUOTE)
	{
		char	   *raw = pstrdup(value);
		List	   *elems = NIL;
		ListCell   *lc;

		if (SplitGUCList(raw, ',', &elems) && elems != NIL)
		{
			foreach(lc, elems)
				appendStringInfo(&sql, "%s%s",
								 foreach_current_index(lc) > 0 ? ", " : "",
								 quote_literal_cstr(lfirst(lc)));
			return sql.data;
		}
	}
	appendStringInfoString(&sql, quote_literal_cstr(value));
	return sql.data;
}

static SourceRole *
find_role(List *roles, const char *name)
{
	ListCell   *lc;

	foreach(lc, roles)
	{
		SourceRole *r = lfirst(lc);

		if (strcmp(r->name, name) == 0)
			return r;
	}
	return NULL;
}

static void
note(SourceRole *role, const char *fmt,...) pg_attribute_printf(2, 3);

/* Adds a remark to ROLE's message. */
static void
note(SourceRole *role, const char *fmt,...)
{
	if (role->notes.len > 0)
		appendStringInfoString(&role->notes, "; ");
	for (;;)
	{
		va_list		args;
		int			needed;

		va_start(args, fmt);
		needed = appendStringInfoVA(&role->notes, fmt, args);
		va_end(args);
		if (needed == 0)
			break;
		enlargeStringInfo(&role->notes, needed);
	}
}

/* Reads the source's roles, checks the options against them. */
static List *
read_source_roles(SourceConn *conn, const MigrateOptions *opts)
{
	SourceResult *res;
	List	   *roles = NIL;
	ListCell   *lc;
	int			r;

	if (opts->copy_password_hashes)
	{
		res = migrate_source_query(conn,
						   "SELECT has_table_privilege('pg_catalog.pg_authid', 'SELECT')",
						   0, NULL);
		if (!str_true(SR_VALUE(res, 0, 0)))
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("option \"copy_password_hashes\" needs a source user that can read pg_authid"),
					 errdetail("Password hashes are in pg_authid, which only superusers of the source may read."),
					 errhint("Connect to the source as a superuser, or leave the option out to get placeholder passwords.")));
	}

	res = migrate_source_query(conn,
					   opts->copy_password_hashes ?
					   "SELECT r.rolname, r.rolsuper, r.rolinherit, r.rolcreaterole,"
					   " r.rolcreatedb, r.rolcanlogin, r.rolreplication, r.rolbypassrls,"
					   " r.rolconnlimit, r.rolvaliduntil::text, shobj_description(r.oid, 'pg_authid'),"
					   " r.oid = 10, a.rolpassword"
					   " FROM pg_roles r JOIN pg_authid a ON a.oid = r.oid"
					   " WHERE r.rolname !~ '^pg_' ORDER BY 1" :
					   "SELECT r.rolname, r.rolsuper, r.rolinherit, r.rolcreaterole,"
					   " r.rolcreatedb, r.rolcanlogin, r.rolreplication, r.rolbypassrls,"
					   " r.rolconnlimit, r.rolvaliduntil::text, shobj_description(r.oid, 'pg_authid'),"
					   " r.oid = 10, NULL"
					   " FROM pg_roles r WHERE r.rolname !~ '^pg_' ORDER BY 1",
					   0, NULL);

	for (r = 0; r < res->nrows; r++)
	{
		SourceRole *role = palloc0(sizeof(SourceRole));

		role->name = SR_VALUE(res, r, 0);
		role->super = str_true(SR_VALUE(res, r, 1));
		role->inherit = str_true(SR_VALUE(res, r, 2));
		role->createrole = str_true(SR_VALUE(res, r, 3));
		role->createdb = str_true(SR_VALUE(res, r, 4));
		role->login = str_true(SR_VALUE(res, r, 5));
		role->replication = str_true(SR_VALUE(res, r, 6));
		role->bypassrls = str_true(SR_VALUE(res, r, 7));
		role->connlimit = atoi(SR_VALUE(res, r, 8));
		role->validuntil = SR_VALUE(res, r, 9);
		role->comment = SR_VALUE(res, r, 10);
		/*
		 * (A verifier is not registered as a secret: it is never in a logged
		 * statement, and hundreds of them would push the source's password
		 * out of the bounded list.)
		 */
		role->hash = SR_VALUE(res, r, 12);
		role->result = palloc0(sizeof(RoleCopyResult));
		role->result->rolname = role->name;
		initStringInfo(&role->notes);
		if (str_true(SR_VALUE(res, r, 11)))
		{
			role->result->status = "skipped";
			note(role, "bootstrap superuser of the source; the target has its own");
		}
		roles = lappend(roles, role);
	}

	/* every password given must be for a role of the source */
	foreach(lc, opts->role_passwords)
	{
		RolePassword *rp = lfirst(lc);

		if (find_role(roles, rp->rolname) == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("option \"role_passwords\" names role \"%s\", which the source does not have",
							rp->rolname),
					 errhint("Give passwords only for roles of the source; role names are case-sensitive.")));
	}
	return roles;
}

/* Creates (or, when asked, synchronizes) one role. */
static void
create_role(SourceRole *role, const MigrateOptions *opts, bool exists)
{
	StringInfoData sql;
	const char *missing;
	bool		why_createrole;
	const char *password = NULL;
	char	   *err;

	missing = migrate_role_missing_right(role->super, role->replication, role->bypassrls,
										 &why_createrole);

	if (exists && !opts->sync_existing_roles)
	{
		role->result->status = "exists";
		note(role, "already exists on the target; left as it is");
		return;
	}
	/* a source could otherwise take the migrating role's own rights away */
	if (exists && get_role_oid(role->name, true) == GetUserId())
	{
		role->result->status = "exists";
		note(role, "not synchronized: it is the role running this migration");
		return;
	}
	if (missing != NULL)
	{
		role->result->status = exists ? "exists" : "failed";
		if (why_createrole)
			note(role, "%s: this role lacks CREATEROLE",
				 exists ? "not synchronized" : "not created");
		else
			note(role, "%s: the source role has %s, which only %s may give on PostgreSQL %d",
				 exists ? "not synchronized" : "not created", missing,
				 PG_VERSION_NUM >= 160000 ? "a role that has it" : "a superuser",
				 PG_VERSION_NUM / 10000);
		return;
	}

	initStringInfo(&sql);
	appendStringInfo(&sql, "%s ROLE %s WITH", exists ? "ALTER" : "CREATE",
					 quote_identifier(role->name));
	append_attributes(&sql, role);

	if (!exists && role->login)
	{
		const char *given = given_password(opts, role->name);

		if (given != NULL)
			password = given;
		else if (role->hash != NULL)
			password = role->hash;
		else if (opts->copy_password_hashes)
			password = NULL;	/* no password on the source: none here */
		else
		{
			password = placeholder_password();
			migrate_register_secret(password);
			role->result->rolpassword = (char *) password;
		}
		/*
		 * A password in clear would be kept by pg_stat_statements and seen
		 * by log hooks: the statement carries its SCRAM verifier, computed
		 * here, as psql's \\password does.  A hash copied from the source
		 * is a verifier already.
		 */
		if (password != NULL && password != role->hash)
			password = pg_be_scram_build_secret(password);
		if (password != NULL)
			appendStringInfo(&sql, " PASSWORD %s", quote_literal_cstr(password));
	}

	if (!migrate_target_exec_isolated(sql.data, &err))
	{
		role->result->status = exists ? "exists" : "failed";
		role->result->rolpassword = NULL;
		note(role, "%s: %s", exists ? "not synchronized" : "not created", err);
		return;
	}

	role->ours = true;
	role->on_target = true;
	role->created = !exists;

	/*
	 * A CREATEROLE role that is not a superuser becomes a member of the
	 * roles it creates (as PostgreSQL 16 does by itself), so that the
	 * schema's objects can be given to their owners on the source, and code
	 * the source defined then runs as those owners, not as the caller.
	 */
	if (!exists && !superuser())
	{
		char	   *grant_err;

		if (!migrate_target_exec_isolated(psprintf("GRANT %s TO CURRENT_USER",
										   quote_identifier(role->name)), &grant_err))
			note(role, "the migrating role could not become a member of it (%s): objects stay owned by the migrating role",
				 grant_err);
	}
	if (exists)
	{
		role->result->status = "exists";
		note(role, "attributes synchronized with the source");
		return;
	}
	role->result->status = "created";
	if (role->createrole && !createrole_allowed())
		note(role, "without CREATEROLE: on PostgreSQL %d only a superuser's migration gives it (it could grant any role); grant it by hand if it is meant",
			 PG_VERSION_NUM / 10000);
	if (!role->login)
		return;
	if (given_password(opts, role->name) != NULL)
		note(role, "password from option \"role_passwords\"");
	else if (role->hash != NULL)
		note(role, "password hash copied from the source");
	else if (opts->copy_password_hashes)
		note(role, "no password on the source, none here");
	else
		note(role, "placeholder password: change it before the users log in");
}

/*
 * Predefined roles that a source may ask for by default: they read
 * settings and table statistics.  The others reach the server's files and
 * programs, all data, or other sessions (pg_monitor and pg_read_all_stats
 * see every session's query, and so the connection strings of other
 * migrations), and are given only when a superuser asks for them (option
 * "grant_predefined_roles").
 */
static const char *const harmless_predefined_roles[] = {
	"pg_read_all_settings", "pg_stat_scan_tables", NULL
};

/*
 * Why membership in role GRANTED is not given to a source role, or NULL
 * when it may be.  EXISTED: GRANTED was on the target before this run.
 */
const char *
migrate_membership_refusal(const char *granted, bool existed,
						   const MigrateOptions *opts)
{
	int			i;

	if (strncmp(granted, "pg_", 3) == 0)
	{
		for (i = 0; harmless_predefined_roles[i] != NULL; i++)
			if (strcmp(granted, harmless_predefined_roles[i]) == 0)
				return NULL;
		if (opts->grant_predefined_roles)
			return NULL;
		return "a predefined role that reaches the server's files, programs, data or sessions; a superuser may allow it with option \"grant_predefined_roles\"";
	}
	if (existed)
		return "that role existed on the target before this run, and a source may not grant it";
	return NULL;
}

/*
 * The option "grant_predefined_roles" is a superuser's to give: checked
 * before anything is done.
 */
void
migrate_check_role_options(const MigrateOptions *opts)
{
	if (opts->grant_predefined_roles && !superuser())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("only superusers may use option \"grant_predefined_roles\""),
				 errdetail("It gives source roles memberships that reach the server's files, programs and all data."),
				 errhint("Leave the option out, or ask a superuser to run the migration or to grant those roles afterwards.")));
}

/*
 * Memberships among the copied roles, with ADMIN OPTION as on the source:
 * only in roles this run created, and in the predefined roles that
 * migrate_membership_refusal allows.  Each refusal is noted on the member.
 */
static void
copy_memberships(SourceConn *conn, List *roles, const MigrateOptions *opts)
{
	SourceResult *res;
	int			r;

	res = migrate_source_query(conn,
					   "SELECT g.rolname, m.rolname, a.admin_option"
					   " FROM pg_auth_members a"
					   " JOIN pg_roles g ON g.oid = a.roleid"
					   " JOIN pg_roles m ON m.oid = a.member"
					   " ORDER BY 2, 1",
					   0, NULL);
	for (r = 0; r < res->nrows; r++)
	{
		const char *granted = SR_VALUE(res, r, 0);
		SourceRole *member = find_role(roles, SR_VALUE(res, r, 1));
		SourceRole *grole = find_role(roles, granted);
		const char *refusal;
		char	   *sql;
		char	   *err;

		/* only memberships of roles this run created or synchronized */
		if (member == NULL || !member->ours)
			continue;
		if (grole != NULL && !grole->on_target)
		{
			note(member, "not a member of \"%s\": that role is not on the target", granted);
			continue;
		}
		if (grole == NULL && strncmp(granted, "pg_", 3) != 0)
			continue;
		refusal = migrate_membership_refusal(granted, grole != NULL && !grole->created, opts);
		if (refusal != NULL)
		{
			note(member, "not a member of \"%s\": %s", granted, refusal);
			continue;
		}

		sql = psprintf("GRANT %s TO %s%s", quote_identifier(granted),
					   quote_identifier(member->name),
					   str_true(SR_VALUE(res, r, 2)) ? " WITH ADMIN OPTION" : "");
		if (!migrate_target_exec_isolated(sql, &err))
			note(member, "not a member of \"%s\": %s", granted, err);
	}
}

/*
 * Settings of the copied roles: ALTER ROLE ... SET, and ... IN DATABASE ...
 * SET where that database exists on the target.
 */
static void
copy_settings(SourceConn *conn, List *roles)
{
	SourceResult *res;
	SourceResult *dbs;
	int			r;

	res = migrate_source_query(conn,
					   "SELECT r.rolname, d.datname, c.item"
					   " FROM pg_db_role_setting s"
					   " JOIN pg_roles r ON r.oid = s.setrole"
					   " LEFT JOIN pg_database d ON d.oid = s.setdatabase,"
					   " unnest(s.setconfig) WITH ORDINALITY c(item, n)"
					   " ORDER BY 1, 2 NULLS FIRST, c.n",
					   0, NULL);
	dbs = migrate_target_query("SELECT datname FROM pg_catalog.pg_database", 0, NULL, NULL);

	for (r = 0; r < res->nrows; r++)
	{
		SourceRole *role = find_role(roles, SR_VALUE(res, r, 0));
		const char *dbname = SR_VALUE(res, r, 1);
		char	   *item = SR_VALUE(res, r, 2);
		char	   *eq;
		char	   *err;

		/* a role that was here keeps its own settings, synchronized or not */
		if (role == NULL || !role->created || item == NULL)
			continue;
		if (dbname != NULL)
		{
			bool		found = false;
			int			d;

			for (d = 0; d < dbs->nrows && !found; d++)
				found = strcmp(SR_VALUE(dbs, d, 0), dbname) == 0;
			if (!found)
			{
				/* once a database, not once a setting */
				if (r == 0 || strcmp(SR_VALUE(res, r - 1, 0), role->name) != 0 ||
					SR_VALUE(res, r - 1, 1) == NULL ||
					strcmp(SR_VALUE(res, r - 1, 1), dbname) != 0)
					note(role, "settings in database \"%s\" not applied: the database is not on the target yet",
						 dbname);
				continue;
			}
		}
		eq = strchr(item, '=');
		if (eq == NULL)
			continue;
		*eq = '\0';
		if (!migrate_target_exec_isolated(migrate_role_setting_statement(role->name, dbname, item, eq + 1), &err))
			note(role, "setting %s%s%s not applied: %s", item,
				 dbname ? " in database " : "", dbname ? quote_identifier(dbname) : "", err);
	}
}

/*
 * The settings IN DATABASE DBNAME of the roles that migration MIGRATION_ID
 * created, once that database exists on the target.  Returns what could not
 * be applied, or NULL.
 */
char *
migrate_copy_database_role_settings(SourceConn *conn, int64 migration_id,
									const char *dbname)
{
	SourceResult *res;
	StringInfoData failures;
	int			r;

	res = migrate_source_query(conn,
					   "SELECT r.rolname, c.item"
					   " FROM pg_db_role_setting s"
					   " JOIN pg_roles r ON r.oid = s.setrole"
					   " JOIN pg_database d ON d.oid = s.setdatabase,"
					   " unnest(s.setconfig) WITH ORDINALITY c(item, n)"
					   " WHERE d.datname = $1 ORDER BY 1, c.n",
					   1, (const char *[]) {dbname});
	initStringInfo(&failures);
	for (r = 0; r < res->nrows; r++)
	{
		char	   *item = SR_VALUE(res, r, 1);
		char	   *eq = strchr(item, '=');
		SourceResult *ours;
		char	   *err;

		if (eq == NULL)
			continue;
		ours = migrate_state_query("SELECT 1 FROM migrate.roles WHERE migration_id = $1"
								   " AND rolname = $2 AND status = 'created'",
								   2, (Oid[]) {INT8OID, TEXTOID},
								   (Datum[]) {Int64GetDatum(migration_id),
											  CStringGetTextDatum(SR_VALUE(res, r, 0))});
		if (ours->nrows == 0)
			continue;
		*eq = '\0';
		if (!migrate_target_exec_isolated(migrate_role_setting_statement(SR_VALUE(res, r, 0), dbname,
																 item, eq + 1), &err))
			appendStringInfo(&failures, "%srole %s setting %s: %s", failures.len ? "; " : "",
							 quote_identifier(SR_VALUE(res, r, 0)), item, err);
	}
	return failures.len ? failures.data : NULL;
}

/* Comments on the roles this run created. */
static void
copy_comments(List *roles)
{
	ListCell   *lc;

	foreach(lc, roles)
	{
		SourceRole *role = lfirst(lc);
		char	   *err;

		if (!role->ours || role->comment == NULL)
			continue;
		if (!migrate_target_exec_isolated(psprintf("COMMENT ON ROLE %s IS %s",
										   quote_identifier(role->name),
										   quote_literal_cstr(role->comment)),
								  &err))
			note(role, "comment not copied: %s", err);
	}
}

/*
 * Copies the roles of the source reached through CONN into this server, as
 * the current user.  Returns a RoleCopyResult for every source role, in
 * name order.  Raises an error, before creating anything, for options that
 * do not fit the source.
 */
List *
migrate_copy_roles(SourceConn *conn, const MigrateOptions *opts)
{
	List	   *roles = read_source_roles(conn, opts);
	List	   *results = NIL;
	SourceResult *existing;
	ListCell   *lc;

	existing = migrate_target_query("SELECT rolname FROM pg_catalog.pg_roles", 0, NULL, NULL);

	foreach(lc, roles)
	{
		SourceRole *role = lfirst(lc);
		const char *why;
		bool		exists = false;
		int			e;

		if (role->result->status != NULL)
			continue;			/* the bootstrap superuser */
		for (e = 0; e < existing->nrows && !exists; e++)
			exists = strcmp(SR_VALUE(existing, e, 0), role->name) == 0;
		role->on_target = exists;
		if (migrate_role_skipped(role->name, opts, &why))
		{
			role->result->status = "skipped";
			note(role, "%s", why);
			continue;
		}
		create_role(role, opts, exists);
		CHECK_FOR_INTERRUPTS();
	}

	copy_memberships(conn, roles, opts);
	copy_settings(conn, roles);
	copy_comments(roles);

	foreach(lc, roles)
	{
		SourceRole *role = lfirst(lc);

		role->result->message = role->notes.len > 0 ? role->notes.data : NULL;
		results = lappend(results, role->result);
	}
	return results;
}

/* Records RESULTS in migrate.roles (MIGRATION_ID 0: none), as the owner. */
void
migrate_record_roles(int64 migration_id, List *results)
{
	ListCell   *lc;
	Oid			argtypes[6] = {INT8OID, NAMEOID, TEXTOID, TEXTOID, TEXTOID, OIDOID};

	foreach(lc, results)
	{
		RoleCopyResult *rr = lfirst(lc);
		Datum		args[6];
		char		nulls[7] = "      ";

		args[0] = Int64GetDatum(migration_id);
		if (migration_id == 0)
			nulls[0] = 'n';
		args[1] = DirectFunctionCall1(namein, CStringGetDatum(rr->rolname));
		args[2] = rr->rolpassword ? CStringGetTextDatum(rr->rolpassword) : (Datum) 0;
		if (rr->rolpassword == NULL)
			nulls[2] = 'n';
		args[3] = CStringGetTextDatum(rr->status);
		args[4] = rr->message ? CStringGetTextDatum(rr->message) : (Datum) 0;
		if (rr->message == NULL)
			nulls[4] = 'n';
		args[5] = ObjectIdGetDatum(GetUserId());
		migrate_state_exec("INSERT INTO migrate.roles"
						   " (migration_id, rolname, rolpassword, status, message, owner)"
						   " VALUES ($1, $2, $3, $4, $5, $6)",
						   6, argtypes, args, nulls);
	}
}

PG_FUNCTION_INFO_V1(migrate_copy_roles_sql);

/* SQL: migrate.copy_roles(source text, options jsonb) */
Datum
migrate_copy_roles_sql(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *source;
	Jsonb	   *options;
	SourceInfo *src;
	MigrateOptions *opts;
	SourceConn *conn;
	List	   *results;
	ListCell   *lc;

	migrate_require_arg(fcinfo, 0, "source");
	migrate_require_arg(fcinfo, 1, "options");
	source = text_to_cstring(PG_GETARG_TEXT_PP(0));
	options = PG_GETARG_JSONB_P(1);
	InitMaterializedSRF(fcinfo, 0);

	/* the source first: its password is then kept out of every report */
	src = migrate_parse_source(source);
	opts = migrate_parse_options(options);
	migrate_check_source_rules(src, GetUserId());
	migrate_check_role_options(opts);

	conn = migrate_source_connect(src, NULL, NULL);
	results = migrate_copy_roles(conn, opts);
	migrate_source_close(conn);
	migrate_record_roles(0, results);

	foreach(lc, results)
	{
		RoleCopyResult *rr = lfirst(lc);
		Datum		values[4];
		bool		nulls[4] = {false, false, false, false};

		values[0] = DirectFunctionCall1(namein, CStringGetDatum(rr->rolname));
		if (rr->rolpassword)
			values[1] = CStringGetTextDatum(rr->rolpassword);
		else
			nulls[1] = true;
		values[2] = CStringGetTextDatum(rr->status);
		if (rr->message)
			values[3] = CStringGetTextDatum(rr->message);
		else
			nulls[3] = true;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
