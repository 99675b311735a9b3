/*-------------------------------------------------------------------------
 *
 * validate.c
 *		migrate.validate(source, options): what will and will not work when
 *		migrating a source server into this one, and why.  It changes
 *		nothing on either side.
 *
 * The checks are also the first step of every migration: start refuses to
 * begin while any of them says "error".
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>
#include <unistd.h>

#include "access/xlog.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "mb/pg_wchar.h"
#include "utils/memutils.h"

#include "child.h"
#include "conninfo.h"
#include "migrate.h"
#include "options.h"
#include "redact.h"
#include "roles.h"
#include "source.h"
#include "target.h"
#include "validate.h"

/* How many names a detail lists before it says "and N more". */
#define MAX_NAMES_LISTED 20

typedef struct Checks
{
	List	   *rows;			/* CheckRow * */
	MemoryContext cxt;			/* where rows live */
	char	   *dump_reason;	/* why replication is not possible, or NULL */
} Checks;

/* A database of the source that the checks look into. */
typedef struct SourceDb
{
	char	   *name;
	char	   *owner;
	char	   *encoding;
	char	   *collate;
	char	   *ctype;
	char	   *locprovider;	/* "c", "i" (ICU), or NULL before PG15 */
	int64		size;
	SourceConn *conn;
} SourceDb;

static void
add_row(Checks *c, const char *check_name, const char *status,
		const char *hint, const char *fmt,...) pg_attribute_printf(5, 6);

/* Adds one result row; the detail is a format string. */
static void
add_row(Checks *c, const char *check_name, const char *status,
		const char *hint, const char *fmt,...)
{
	MemoryContext old = MemoryContextSwitchTo(c->cxt);
	CheckRow   *row = palloc(sizeof(CheckRow));
	StringInfoData buf;

	initStringInfo(&buf);
	for (;;)
	{
		va_list		args;
		int			needed;

		va_start(args, fmt);
		needed = appendStringInfoVA(&buf, fmt, args);
		va_end(args);
		if (needed == 0)
			break;
		enlargeStringInfo(&buf, needed);
	}
	row->check_name = check_name;
	row->status = status;
	row->detail = migrate_redact(buf.data);
	row->hint = hint ? pstrdup(hint) : NULL;
	c->rows = lappend(c->rows, row);
	MemoryContextSwitchTo(old);
}

/* "a, b, c and 3 more" from a list of names. */
static char *
name_list(List *names)
{
	StringInfoData buf;
	ListCell   *lc;
	int			i = 0;

	initStringInfo(&buf);
	foreach(lc, names)
	{
		if (i == MAX_NAMES_LISTED)
		{
			appendStringInfo(&buf, " and %d more", list_length(names) - i);
			break;
		}
		appendStringInfo(&buf, "%s%s", i ? ", " : "", (char *) lfirst(lc));
		i++;
	}
	return buf.data;
}

static bool
str_true(const char *s)
{
	return s != NULL && s[0] == 't';
}

/* Major version of a server_version_num: 150004 -> 15, 90624 -> 9.6 as 906. */
static int
major_of(int version_num)
{
	return version_num >= 100000 ? version_num / 10000 : version_num / 100;
}

static char *
major_string(int version_num)
{
	if (version_num >= 100000)
		return psprintf("%d", version_num / 10000);
	return psprintf("%d.%d", version_num / 10000, (version_num / 100) % 100);
}

/*
 * Compares extension versions: numeric parts numerically, others as text.
 * Returns <0, 0, >0 like strcmp.
 */
static int
compare_versions(const char *a, const char *b)
{
	while (*a || *b)
	{
		while (*a && !isalnum((unsigned char) *a))
			a++;
		while (*b && !isalnum((unsigned char) *b))
			b++;
		if (!*a || !*b)
			return (*a != 0) - (*b != 0);
		if (isdigit((unsigned char) *a) && isdigit((unsigned char) *b))
		{
			char	   *ea,
					   *eb;
			long		na = strtol(a, &ea, 10);
			long		nb = strtol(b, &eb, 10);

			if (na != nb)
				return na < nb ? -1 : 1;
			a = ea;
			b = eb;
		}
		else
		{
			const char *sa = a,
					   *sb = b;
			int			cmp;

			while (*a && isalnum((unsigned char) *a) && !isdigit((unsigned char) *a))
				a++;
			while (*b && isalnum((unsigned char) *b) && !isdigit((unsigned char) *b))
				b++;
			cmp = strncmp(sa, sb, Min(a - sa, b - sb));
			if (cmp != 0)
				return cmp;
			if ((a - sa) != (b - sb))
				return (a - sa) < (b - sb) ? -1 : 1;
			if (a == sa)
			{
				/* a digit against a letter */
				return isdigit((unsigned char) *a) ? 1 : -1;
			}
		}
	}
	return 0;
}

/* The pg_dump check: found in migrate.pg_bin_dir and not older than the source. */
static void
check_pg_dump(Checks *c, int source_version)
{
	char	   *path = migrate_bin_path("pg_dump");
	const char *argv[3];
	StringInfoData out;
	int			rc;
	const char *p;
	int			major = 0,
				minor = 0;
	char	   *where = superuser() ? psprintf(" (%s)", path) : "";

	if (access(path, X_OK) != 0)
	{
		add_row(c, "pg_dump", "error",
				"Set migrate.pg_bin_dir to a directory holding pg_dump of the source's major version or newer.",
				"pg_dump was not found in migrate.pg_bin_dir%s", where);
		return;
	}

	argv[0] = path;
	argv[1] = "--version";
	argv[2] = NULL;
	initStringInfo(&out);
	rc = migrate_run_program(path, argv, &out, 30000);
	p = strstr(out.data, ") ");
	if (rc != 0 || p == NULL || sscanf(p + 2, "%d.%d", &major, &minor) < 1)
	{
		add_row(c, "pg_dump", "error",
				"Set migrate.pg_bin_dir to a directory holding a working pg_dump.",
				"pg_dump%s did not run (exit code %d)", where, rc);
		return;
	}
	if (major * 10000 < (source_version >= 100000 ? source_version / 10000 * 10000 : source_version))
		add_row(c, "pg_dump", "error",
				"Install pg_dump of the source's major version or newer on the target server and set migrate.pg_bin_dir to its directory.",
				"pg_dump %d.%d is older than the source (PostgreSQL %s)",
				major, minor, major_string(source_version));
	else
		add_row(c, "pg_dump", "ok", NULL,
				"pg_dump %d.%d%s can dump PostgreSQL %s", major, minor, where,
				major_string(source_version));
}

/* Databases of the source chosen by the options; rows for the ones left out. */
static List *
choose_databases(Checks *c, SourceConn *conn, const MigrateOptions *opts,
				 int source_version)
{
	SourceResult *res;
	List	   *dbs = NIL;
	List	   *names = NIL;
	ListCell   *lc;
	int			r;

	res = migrate_source_query(conn,
					   source_version >= 150000 ?
					   "SELECT d.datname, d.datallowconn,"
					   " has_database_privilege(d.oid, 'CONNECT'),"
					   " pg_encoding_to_char(d.encoding), d.datcollate, d.datctype,"
					   " CASE WHEN has_database_privilege(d.oid, 'CONNECT')"
					   "  THEN pg_database_size(d.oid) END,"
					   " pg_get_userbyid(d.datdba), d.datlocprovider::text"
					   " FROM pg_database d WHERE NOT d.datistemplate ORDER BY 1" :
					   "SELECT d.datname, d.datallowconn,"
					   " has_database_privilege(d.oid, 'CONNECT'),"
					   " pg_encoding_to_char(d.encoding), d.datcollate, d.datctype,"
					   " CASE WHEN has_database_privilege(d.oid, 'CONNECT')"
					   "  THEN pg_database_size(d.oid) END,"
					   " pg_get_userbyid(d.datdba), NULL"
					   " FROM pg_database d WHERE NOT d.datistemplate ORDER BY 1",
					   0, NULL);

	/* a databases pattern that matches nothing is a mistake */
	foreach(lc, opts->databases)
	{
		bool		found = false;

		for (r = 0; r < res->nrows && !found; r++)
			found = migrate_pattern_match(lfirst(lc), SR_VALUE(res, r, 0));
		if (!found)
			add_row(c, "databases", "error",
					"List the source's databases with: SELECT datname FROM pg_database WHERE NOT datistemplate;",
					"the pattern \"%s\" of option \"databases\" matches no database of the source",
					(char *) lfirst(lc));
	}

	for (r = 0; r < res->nrows; r++)
	{
		const char *name = SR_VALUE(res, r, 0);
		SourceDb   *db;

		if (!migrate_database_selected(opts, name))
			continue;
		if (!str_true(SR_VALUE(res, r, 1)))
		{
			add_row(c, "databases", "warning",
					"Allow connections on the source (ALTER DATABASE ... ALLOW_CONNECTIONS true) to migrate it, or exclude it with \"exclude_databases\".",
					"database \"%s\" does not allow connections and will not be migrated", name);
			continue;
		}
		if (!str_true(SR_VALUE(res, r, 2)))
		{
			add_row(c, "databases", "error",
					"Grant CONNECT on it to the source user, or exclude it with \"exclude_databases\".",
					"the source user may not connect to database \"%s\"", name);
			continue;
		}
		db = palloc0(sizeof(SourceDb));
		db->name = pstrdup(name);
		db->encoding = SR_VALUE(res, r, 3);
		db->collate = SR_VALUE(res, r, 4);
		db->ctype = SR_VALUE(res, r, 5);
		db->size = SR_VALUE(res, r, 6) ? strtoi64(SR_VALUE(res, r, 6), NULL, 10) : 0;
		db->owner = SR_VALUE(res, r, 7);
		db->locprovider = SR_VALUE(res, r, 8);
		dbs = lappend(dbs, db);
	}

	foreach(lc, dbs)
		names = lappend(names, (char *) quote_identifier(((SourceDb *) lfirst(lc))->name));
	if (dbs == NIL)
		add_row(c, "databases", "error",
				"Check the options \"databases\" and \"exclude_databases\".",
				"no database of the source is selected for migration");
	else
		add_row(c, "databases", "ok", NULL, "%d database%s will be migrated: %s",
				list_length(dbs), list_length(dbs) == 1 ? "" : "s", name_list(names));
	return dbs;
}

/* Connects to each database; rows for those that cannot be reached. */
static List *
connect_databases(Checks *c, const SourceInfo *src, List *dbs)
{
	List	   *connected = NIL;
	ListCell   *lc;

	foreach(lc, dbs)
	{
		SourceDb   *db = lfirst(lc);
		char	   *err = NULL;

		db->conn = migrate_source_connect(src, db->name, &err);
		if (db->conn == NULL)
		{
			add_row(c, "database_connect", "error",
					"Make sure the source user can log in to every database to migrate, or exclude it with \"exclude_databases\".",
					"cannot connect to database \"%s\": %s", db->name, err);
			continue;
		}
		connected = lappend(connected, db);
	}
	if (connected != NIL && list_length(connected) == list_length(dbs))
		add_row(c, "database_connect", "ok", NULL,
				"connected to every database to migrate");
	return connected;
}

/* The target's databases with the same names as the source's. */
static void
check_target_databases(Checks *c, List *dbs)
{
	SourceResult *res = migrate_target_query("SELECT datname FROM pg_catalog.pg_database", 0, NULL, NULL);
	ListCell   *lc;
	List	   *existing = NIL;
	int			r;

	foreach(lc, dbs)
	{
		SourceDb   *db = lfirst(lc);

		for (r = 0; r < res->nrows; r++)
			if (strcmp(SR_VALUE(res, r, 0), db->name) == 0)
				existing = lappend(existing, (char *) quote_identifier(db->name));
	}
	{
		SourceResult *cdb = migrate_target_query("SELECT rolcreatedb OR rolsuper FROM pg_catalog.pg_roles"
										 " WHERE rolname = current_user", 0, NULL, NULL);

		if (list_length(existing) < list_length(dbs) &&
			(cdb->nrows == 0 || strcmp(SR_VALUE(cdb, 0, 0), "t") != 0))
			add_row(c, "target_databases", "error",
					"Grant CREATEDB to this role, or create the databases on the target beforehand.",
					"this role lacks CREATEDB, and %d database%s to migrate must be created on the target",
					list_length(dbs) - list_length(existing),
					list_length(dbs) - list_length(existing) == 1 ? "" : "s");
	}
	if (existing != NIL)
		add_row(c, "target_databases", "warning",
				"Databases that exist are migrated into as they are; their user tables must not clash with the source's.",
				"already on the target: %s", name_list(existing));
	else
		add_row(c, "target_databases", "ok", NULL,
				"no database to migrate exists on the target yet");
}

/* Encoding and locale of each database against what the target can create. */
static void
check_locales(Checks *c, List *dbs)
{
	ListCell   *lc;
	int			problems = 0;
	bool		icu_checked = false;
	bool		have_icu = false;

	foreach(lc, dbs)
	{
		SourceDb   *db = lfirst(lc);
		const char *locales[2];
		int			i;

		if (db->locprovider != NULL && db->locprovider[0] == 'i')
		{
			if (!icu_checked)
			{
				SourceResult *res = migrate_target_query("SELECT 1 FROM pg_catalog.pg_collation WHERE collprovider = 'i' LIMIT 1",
												 0, NULL, NULL);

				have_icu = res->nrows > 0;
				icu_checked = true;
			}
			if (!have_icu)
			{
				add_row(c, "encoding_collation", "error",
						"Use a target server built with ICU, or create the database on the target beforehand with a libc locale.",
						"database \"%s\" uses the ICU locale provider, which the target does not have",
						db->name);
				problems++;
			}
		}

		locales[0] = db->collate;
		locales[1] = db->ctype;
		for (i = 0; i < 2; i++)
		{
			const char *loc = locales[i];
			Oid			argtypes[1] = {TEXTOID};
			Datum		args[1];
			SourceResult *res;

			if (loc == NULL || strcmp(loc, "C") == 0 || strcmp(loc, "POSIX") == 0 ||
				(i == 1 && strcmp(db->ctype, db->collate) == 0))
				continue;
			args[0] = CStringGetTextDatum(loc);
			res = migrate_target_query("SELECT 1 FROM pg_catalog.pg_collation"
							   " WHERE collprovider = 'c' AND (collcollate = $1"
							   "  OR pg_catalog.lower(pg_catalog.replace(collcollate, '-', ''))"
							   "   = pg_catalog.lower(pg_catalog.replace($1, '-', '')))"
							   " UNION ALL SELECT 1 FROM pg_catalog.pg_database"
							   " WHERE datcollate = $1 OR datctype = $1 LIMIT 1",
							   1, argtypes, args);
			if (res->nrows == 0)
			{
				add_row(c, "encoding_collation", "warning",
						"Install the locale on the target's operating system, or create the database on the target beforehand with a locale of your choice.",
						"database \"%s\" uses locale \"%s\", which the target does not seem to have",
						db->name, loc);
				problems++;
			}
		}
		if (strcmp(db->encoding, GetDatabaseEncodingName()) != 0)
			add_row(c, "encoding_collation", "ok", NULL,
					"database \"%s\" uses encoding %s (this database uses %s); it is created with %s",
					db->name, db->encoding, GetDatabaseEncodingName(), db->encoding);
	}
	if (problems == 0)
		add_row(c, "encoding_collation", "ok", NULL,
				"every database's encoding and locale can be created on the target");
}

/*
 * Extensions and procedural languages of every database: available on the
 * target at the same or a newer version, and installable by the caller.
 */
static void
check_extensions(Checks *c, List *dbs)
{
	SourceResult *avail;
	ListCell   *lc;
	int			problems = 0;
	int			total = 0;
	bool		su = superuser();

	avail = migrate_target_query("SELECT e.name, e.default_version,"
						 " COALESCE(v.superuser, true), COALESCE(v.trusted, false)"
						 " FROM pg_catalog.pg_available_extensions e"
						 " LEFT JOIN pg_catalog.pg_available_extension_versions v"
						 "  ON v.name = e.name AND v.version = e.default_version",
						 0, NULL, NULL);

	foreach(lc, dbs)
	{
		SourceDb   *db = lfirst(lc);
		SourceResult *res;
		int			r;

		res = migrate_source_query(db->conn,
						   "SELECT extname, extversion FROM pg_extension ORDER BY 1",
						   0, NULL);
		for (r = 0; r < res->nrows; r++)
		{
			const char *name = SR_VALUE(res, r, 0);
			const char *version = SR_VALUE(res, r, 1);
			int			a;
			int			found = -1;

			if (strcmp(name, "plpgsql") == 0)
				continue;
			total++;
			for (a = 0; a < avail->nrows; a++)
				if (strcmp(SR_VALUE(avail, a, 0), name) == 0)
					found = a;
			if (found < 0)
			{
				add_row(c, "extensions", "error",
						"Install the extension's package on the target server, or drop the extension on the source.",
						"extension \"%s\" %s of database \"%s\" is not available on the target",
						name, version, db->name);
				problems++;
				continue;
			}
			if (compare_versions(SR_VALUE(avail, found, 1), version) < 0)
			{
				add_row(c, "extensions", "error",
						"Install the same or a newer version of the extension on the target server.",
						"extension \"%s\" of database \"%s\" is at version %s on the source but only %s on the target",
						name, db->name, version, SR_VALUE(avail, found, 1));
				problems++;
				continue;
			}
			if (!su && str_true(SR_VALUE(avail, found, 2)) && !str_true(SR_VALUE(avail, found, 3)))
			{
				add_row(c, "extensions", "error",
						"Have a superuser create the extension in the target database beforehand, or run the migration as a superuser.",
						"extension \"%s\" of database \"%s\" can only be created by a superuser on the target",
						name, db->name);
				problems++;
			}
		}

		/* procedural languages that are not part of an extension */
		res = migrate_source_query(db->conn,
						   "SELECT l.lanname FROM pg_language l WHERE l.lanispl"
						   " AND NOT EXISTS (SELECT 1 FROM pg_depend d"
						   "  WHERE d.classid = 'pg_language'::regclass"
						   "  AND d.objid = l.oid AND d.deptype = 'e')"
						   " ORDER BY 1",
						   0, NULL);
		for (r = 0; r < res->nrows; r++)
		{
			add_row(c, "languages", "warning",
					"Turn the language into its extension on the source (CREATE EXTENSION ... FROM unpackaged on old servers), or create it on the target beforehand.",
					"procedural language \"%s\" of database \"%s\" is not part of an extension; creating it needs its handler functions on the target",
					SR_VALUE(res, r, 0), db->name);
			problems++;
		}
	}
	if (problems == 0 && total == 0)
		add_row(c, "extensions", "ok", NULL,
				"no extensions in the migrated databases besides plpgsql");
	else if (problems == 0)
		add_row(c, "extensions", "ok", NULL,
				"%d extension%s in the migrated databases, all available on the target and installable by this role",
				total, total == 1 ? "" : "s");
}

/*
 * Counts in HITS (one a pattern) the patterns of PATTERNS that match table
 * DBNAME.NSP.REL by its name or by its root partitioned table's.
 */
static void
count_hits(List *patterns, int *hits, const char *dbname, const char *nsp, const char *rel,
		   const char *root_nsp, const char *root_rel)
{
	ListCell   *pc;

	foreach(pc, patterns)
		if (migrate_table_pattern_match(lfirst(pc), dbname, nsp, rel) ||
			(root_nsp != NULL && migrate_table_pattern_match(lfirst(pc), dbname, root_nsp, root_rel)))
			hits[foreach_current_index(pc)]++;
}

/* An error row for each pattern of option OPTION (PATTERNS) that HITS saw match nothing. */
static void
report_unmatched(Checks *c, const char *option, List *patterns, const int *hits)
{
	ListCell   *pc;

	foreach(pc, patterns)
		if (hits[foreach_current_index(pc)] == 0)
			add_row(c, "tables", "error",
					"A table pattern is database.schema.table, each part matched exactly or with *.",
					"the pattern \"%s\" of option \"%s\" matches no table of the migrated databases",
					(char *) lfirst(pc), option);
}

/*
 * Foreign keys of the tables DB keeps to tables the filters leave out
 * (LEFT_OUT: "schema\x1ftable" each): the key could not be made on the
 * target, and the database would fail at its very end.
 */
static void
check_left_out_keys(Checks *c, SourceDb *db, List *left_out)
{
	SourceResult *res;
	int			r;

	res = migrate_source_query(db->conn,
							   "SELECT n.nspname, t.relname, fn.nspname, f.relname, k.conname"
							   " FROM pg_constraint k JOIN pg_class t ON t.oid = k.conrelid"
							   " JOIN pg_namespace n ON n.oid = t.relnamespace"
							   " JOIN pg_class f ON f.oid = k.confrelid JOIN pg_namespace fn ON fn.oid = f.relnamespace"
							   " WHERE k.contype = 'f' ORDER BY 1, 2, 5",
							   0, NULL);
	for (r = 0; r < res->nrows; r++)
	{
		char	   *from;
		char	   *to;
		bool		from_out = false;
		bool		to_out = false;
		ListCell   *lc;
		int			col;

		for (col = 0; col < 5; col++)
			if (SR_VALUE(res, r, col) == NULL)
				break;
		if (col < 5)
			continue;
		from = psprintf("%s\x1f%s", SR_VALUE(res, r, 0), SR_VALUE(res, r, 1));
		to = psprintf("%s\x1f%s", SR_VALUE(res, r, 2), SR_VALUE(res, r, 3));

		foreach(lc, left_out)
		{
			if (strcmp(lfirst(lc), from) == 0)
				from_out = true;
			if (strcmp(lfirst(lc), to) == 0)
				to_out = true;
		}
		if (to_out && !from_out)
			add_row(c, "tables", "error",
					"Leave the referencing table out too, or keep the referenced one.",
					"database \"%s\": table %s keeps foreign key %s to table %s, which the table filters leave out",
					db->name, quote_qualified_identifier(SR_VALUE(res, r, 0), SR_VALUE(res, r, 1)),
					quote_identifier(SR_VALUE(res, r, 4)),
					quote_qualified_identifier(SR_VALUE(res, r, 2), SR_VALUE(res, r, 3)));
	}
}

/*
 * Tables of every database: replica identity, unlogged tables, materialized
 * views, large objects, ownership (for publishing) and the table filters.
 * Sets *all_owned when the source user owns every table.
 */
static void
check_tables(Checks *c, List *dbs, const MigrateOptions *opts, bool *all_owned)
{
	ListCell   *lc;
	int			no_identity_total = 0;
	int			unlogged_total = 0;
	int			matview_total = 0;
	int64		lo_total = 0;
	int			tables_total = 0;
	int			not_owned = 0;
	int		   *include_hits = palloc0(sizeof(int) * (list_length(opts->tables) + 1));
	int		   *exclude_hits = palloc0(sizeof(int) * (list_length(opts->exclude_tables) + 1));

	foreach(lc, dbs)
	{
		SourceDb   *db = lfirst(lc);
		SourceResult *res;
		List	   *no_identity = NIL;
		List	   *unlogged = NIL;
		List	   *matviews = NIL;
		List	   *left_out = NIL;
		int			r;
		int64		lo;

		res = migrate_source_query(db->conn,
						   "SELECT n.nspname, c.relname, c.relkind, c.relpersistence,"
						   " CASE WHEN c.relkind <> 'r' OR c.relpersistence <> 'p' THEN false"
						   "  WHEN c.relreplident = 'f' THEN false"
						   "  WHEN c.relreplident = 'n' THEN true"
						   "  WHEN c.relreplident = 'i' THEN NOT EXISTS (SELECT 1 FROM pg_index i"
						   "   WHERE i.indrelid = c.oid AND i.indisreplident)"
						   "  ELSE NOT EXISTS (SELECT 1 FROM pg_index i"
						   "   WHERE i.indrelid = c.oid AND i.indisprimary) END,"
						   " pg_has_role(c.relowner, 'USAGE'),"
						   " EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass"
						   "  AND d.objid = c.oid AND d.deptype = 'e'),"
						   " root.root_nsp, root.root_rel,"
						   " c.relrowsecurity AND (c.relforcerowsecurity OR NOT pg_has_role(c.relowner, 'USAGE'))"
						   "  AND NOT (SELECT r.rolsuper OR r.rolbypassrls FROM pg_roles r WHERE r.rolname = current_user)"
						   " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
						   MIGRATE_PARTITION_ROOT_JOIN
						   " WHERE c.relkind IN ('r', 'p', 'm')"
						   " AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
						   " AND n.nspname !~ '^pg_toast' AND n.nspname !~ '^pg_temp_'"
						   " ORDER BY 1, 2",
						   0, NULL);
		for (r = 0; r < res->nrows; r++)
		{
			const char *nsp = SR_VALUE(res, r, 0);
			const char *rel = SR_VALUE(res, r, 1);
			char		kind = SR_VALUE(res, r, 2)[0];
			char		persistence = SR_VALUE(res, r, 3)[0];
			bool		from_extension = str_true(SR_VALUE(res, r, 6));
			const char *root_nsp = SR_VALUE(res, r, 7);
			const char *root_rel = SR_VALUE(res, r, 8);
			char	   *qname = quote_qualified_identifier(nsp, rel);

			if (kind == 'm')
			{
				matviews = lappend(matviews, qname);
				continue;
			}
			count_hits(opts->tables, include_hits, db->name, nsp, rel, root_nsp, root_rel);
			count_hits(opts->exclude_tables, exclude_hits, db->name, nsp, rel, root_nsp, root_rel);
			if (from_extension)
				continue;
			if (!migrate_options_table_selected(opts, db->name, nsp, rel, root_nsp, root_rel))
			{
				left_out = lappend(left_out, psprintf("%s\x1f%s", nsp, rel));
				continue;
			}
			tables_total++;
			if (persistence == 'u')
				unlogged = lappend(unlogged, qname);
			if (str_true(SR_VALUE(res, r, 4)))
				no_identity = lappend(no_identity, qname);
			if (kind == 'r' && !str_true(SR_VALUE(res, r, 5)))
				not_owned++;
			/* (the copy reads with row security off: a policy that applies is an error there) */
			if (str_true(SR_VALUE(res, r, 9)))
				add_row(c, "tables", "error",
						"Migrate as the table's owner or as a role with BYPASSRLS, or leave the table out with \"exclude_tables\".",
						"database \"%s\": row level security of table %s applies to the source user, so its rows cannot all be read",
						db->name, qname);
		}

		if (no_identity != NIL)
			add_row(c, "replica_identity", "warning",
					"Add a primary key, or set REPLICA IDENTITY FULL or USING INDEX; once such a table is published, UPDATE and DELETE on it fail on the source.",
					"database \"%s\": %d table%s without a primary key or replica identity: %s",
					db->name, list_length(no_identity),
					list_length(no_identity) == 1 ? "" : "s", name_list(no_identity));
		if (unlogged != NIL)
			add_row(c, "unlogged_tables", "warning",
					"Logical replication does not carry their changes: the replication method copies them again at cutover (writes to them while it replicates show on the target only then).",
					"database \"%s\": %d unlogged table%s: %s",
					db->name, list_length(unlogged),
					list_length(unlogged) == 1 ? "" : "s", name_list(unlogged));
		if (matviews != NIL)
			add_row(c, "materialized_views", "warning",
					"They are refreshed on the target after the copy; logical replication does not carry them.",
					"database \"%s\": %d materialized view%s: %s",
					db->name, list_length(matviews),
					list_length(matviews) == 1 ? "" : "s", name_list(matviews));

		if (left_out != NIL)
			check_left_out_keys(c, db, left_out);

		res = migrate_source_query(db->conn, "SELECT count(*) FROM pg_largeobject_metadata", 0, NULL);
		lo = strtoi64(SR_VALUE(res, 0, 0), NULL, 10);
		if (lo > 0)
			add_row(c, "large_objects", "warning",
					"Large objects are copied by the dump; changes to them after the copy are not replicated.",
					"database \"%s\": " INT64_FORMAT " large object%s",
					db->name, lo, lo == 1 ? "" : "s");

		no_identity_total += list_length(no_identity);
		unlogged_total += list_length(unlogged);
		matview_total += list_length(matviews);
		lo_total += lo;
	}

	if (no_identity_total == 0)
		add_row(c, "replica_identity", "ok", NULL,
				"every table has a primary key or a replica identity");
	if (unlogged_total == 0)
		add_row(c, "unlogged_tables", "ok", NULL, "no unlogged tables");
	if (matview_total == 0)
		add_row(c, "materialized_views", "ok", NULL, "no materialized views");
	if (lo_total == 0)
		add_row(c, "large_objects", "ok", NULL, "no large objects");

	report_unmatched(c, "tables", opts->tables, include_hits);
	report_unmatched(c, "exclude_tables", opts->exclude_tables, exclude_hits);
	*all_owned = (not_owned == 0);
	add_row(c, "tables", "ok", NULL, "%d table%s in the migrated databases",
			tables_total, tables_total == 1 ? "" : "s");
}

/*
 * The rows of check superuser_objects of one kind: for each database, the
 * objects (one a row) of the query SQL_OF gives for its source's version,
 * run there, in a row of STATUS with HINT and a detail that says what they
 * are (WHAT).  Their number.
 */
static int
superuser_object_rows(Checks *c, List *dbs, const char *(*sql_of) (int version),
					  const char *status, const char *hint, const char *what)
{
	ListCell   *lc;
	int			total = 0;

	foreach(lc, dbs)
	{
		SourceDb   *db = lfirst(lc);
		List	   *names = NIL;
		SourceResult *res;
		int			r;

		res = migrate_source_query(db->conn, sql_of(migrate_source_server_version(db->conn)), 0, NULL);

		for (r = 0; r < res->nrows; r++)
			names = lappend(names, SR_VALUE(res, r, 0));
		if (names == NIL)
			continue;
		total += list_length(names);
		add_row(c, "superuser_objects", status, hint, "database \"%s\": %d object%s %s: %s",
				db->name, list_length(names), list_length(names) == 1 ? "" : "s", what, name_list(names));
	}
	return total;
}

/*
 * What only a superuser may make and the migration cannot leave out, none
 * of an extension's (nor made with another object, as a range type's
 * constructors): functions in an untrusted language or leakproof (an
 * aggregate is made by anyone), operator classes and families, text search
 * parsers and templates, foreign-data wrappers, casts without a function,
 * access methods.
 */
#define SUPERUSER_ONLY_SQL \
	"WITH own(classid, objid, name) AS (" \
	"  SELECT 'pg_catalog.pg_proc'::pg_catalog.regclass, p.oid, 'function '" \
	"   || p.oid::pg_catalog.regprocedure::text || CASE WHEN NOT l.lanpltrusted" \
	"    THEN ' (language ' || pg_catalog.quote_ident(l.lanname) || ')' ELSE ' (leakproof)' END" \
	"  FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_language l ON l.oid = p.prolang" \
	"  WHERE (NOT l.lanpltrusted OR p.proleakproof) AND %s" \
	"  AND p.pronamespace <> 'pg_catalog'::pg_catalog.regnamespace" \
	"  AND p.pronamespace <> 'information_schema'::pg_catalog.regnamespace" \
	" UNION ALL SELECT 'pg_catalog.pg_opclass'::pg_catalog.regclass, o.oid, 'operator class '" \
	"   || pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(o.opcname)" \
	"  FROM pg_catalog.pg_opclass o JOIN pg_catalog.pg_namespace n ON n.oid = o.opcnamespace" \
	"  WHERE n.nspname <> 'pg_catalog'" \
	" UNION ALL SELECT 'pg_catalog.pg_opfamily'::pg_catalog.regclass, o.oid, 'operator family '" \
	"   || pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(o.opfname)" \
	"  FROM pg_catalog.pg_opfamily o JOIN pg_catalog.pg_namespace n ON n.oid = o.opfnamespace" \
	"  WHERE n.nspname <> 'pg_catalog'" \
	" UNION ALL SELECT 'pg_catalog.pg_ts_parser'::pg_catalog.regclass, t.oid, 'text search parser '" \
	"   || pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(t.prsname)" \
	"  FROM pg_catalog.pg_ts_parser t JOIN pg_catalog.pg_namespace n ON n.oid = t.prsnamespace" \
	"  WHERE n.nspname <> 'pg_catalog'" \
	" UNION ALL SELECT 'pg_catalog.pg_ts_template'::pg_catalog.regclass, t.oid, 'text search template '" \
	"   || pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(t.tmplname)" \
	"  FROM pg_catalog.pg_ts_template t JOIN pg_catalog.pg_namespace n ON n.oid = t.tmplnamespace" \
	"  WHERE n.nspname <> 'pg_catalog'" \
	" UNION ALL SELECT 'pg_catalog.pg_foreign_data_wrapper'::pg_catalog.regclass, w.oid," \
	"   'foreign-data wrapper ' || pg_catalog.quote_ident(w.fdwname)" \
	"  FROM pg_catalog.pg_foreign_data_wrapper w" \
	" UNION ALL SELECT 'pg_catalog.pg_cast'::pg_catalog.regclass, c.oid, 'cast (' || c.castsource::pg_catalog.regtype::text" \
	"   || ' AS ' || c.casttarget::pg_catalog.regtype::text || ') without function'" \
	"  FROM pg_catalog.pg_cast c WHERE c.castmethod = 'b' AND c.oid >= 16384" \
	" UNION ALL SELECT 'pg_catalog.pg_am'::pg_catalog.regclass, a.oid, 'access method ' || pg_catalog.quote_ident(a.amname)" \
	"  FROM pg_catalog.pg_am a WHERE a.oid >= 16384)" \
	" SELECT own.name FROM own WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d" \
	"  WHERE d.classid = own.classid AND d.objid = own.objid AND d.deptype IN ('e', 'i'))" \
	" ORDER BY 1"

/* The objects the migration leaves out, on a source of VERSION. */
static const char *
left_out_objects_sql(int version)
{
	if (version < 100000)		/* (no publications) */
		return "SELECT 'event trigger ' || pg_catalog.quote_ident(evtname) FROM pg_catalog.pg_event_trigger ORDER BY 1";
	if (version < 150000)		/* (no publications of a schema's) */
		return "SELECT 'event trigger ' || pg_catalog.quote_ident(evtname) FROM pg_catalog.pg_event_trigger"
			" UNION ALL SELECT 'publication ' || pg_catalog.quote_ident(p.pubname) || ' (all tables)'"
			" FROM pg_catalog.pg_publication p WHERE p.puballtables ORDER BY 1";
	return "SELECT 'event trigger ' || pg_catalog.quote_ident(evtname) FROM pg_catalog.pg_event_trigger"
		" UNION ALL"
		" SELECT 'publication ' || pg_catalog.quote_ident(p.pubname)"
		"  || CASE WHEN p.puballtables THEN ' (all tables)' ELSE ' (tables in schema)' END"
		" FROM pg_catalog.pg_publication p WHERE p.puballtables"
		"  OR EXISTS (SELECT 1 FROM pg_catalog.pg_publication_namespace pn WHERE pn.pnpubid = p.oid)"
		" ORDER BY 1";
}

/* What the migration cannot leave out (SUPERUSER_ONLY_SQL), on a source of VERSION. */
static const char *
superuser_only_sql(int version)
{
	/* (an aggregate: prokind from 11, proisagg before) */
	return psprintf(SUPERUSER_ONLY_SQL, version >= 110000 ? "p.prokind <> 'a'" : "NOT p.proisagg");
}

/*
 * What only a superuser may make on the target, for a target user who is
 * not one: the event triggers of the migrated databases, their
 * publications of all tables or of a schema's, which the migration leaves
 * out (a warning names each), and what it cannot leave out (an error), as
 * what uses it would fail too (SUPERUSER_ONLY_SQL).
 */
static void
check_superuser_objects(Checks *c, List *dbs)
{
	int			total;

	if (superuser())
	{
		add_row(c, "superuser_objects", "ok", NULL,
				"the target user is a superuser and may make event triggers and publications of all tables");
		return;
	}
	total = superuser_object_rows(c, dbs, left_out_objects_sql, "warning",
								  "Run the migration as a superuser, or have one make them after it: the migration leaves them out and names each in a warning.",
								  "that only a superuser can make on the target");
	total += superuser_object_rows(c, dbs, superuser_only_sql, "error",
								   "Run the migration as a superuser, or drop them on the source, or make them part of an extension that this role may create on the target: they cannot be left out, as what uses them would fail too.",
								   "that only a superuser can make on the target, and that the migration cannot leave out");
	if (total == 0)
		add_row(c, "superuser_objects", "ok", NULL,
				"nothing that only a superuser can make: no event trigger, no publication of all tables or of a schema's,"
				" no function in an untrusted language or leakproof, no operator class or family, text search parser"
				" or template, foreign-data wrapper, cast without function or access method outside an extension");
}

/*
 * The memberships the roles step will refuse (migrate_membership_refusal):
 * in roles that are on the target already, and in predefined roles that
 * reach the server's files, programs or data.  EXISTING: the target's roles.
 */
static void
check_memberships(Checks *c, SourceConn *conn, const MigrateOptions *opts,
				  SourceResult *existing)
{
	SourceResult *res;
	StringInfoData list;
	int			refused = 0;
	int			r;

	res = migrate_source_query(conn,
					   "SELECT g.rolname, m.rolname"
					   " FROM pg_auth_members a"
					   " JOIN pg_roles g ON g.oid = a.roleid"
					   " JOIN pg_roles m ON m.oid = a.member"
					   " WHERE m.oid <> 10 AND m.rolname !~ '^pg_' ORDER BY 2, 1",
					   0, NULL);
	initStringInfo(&list);
	for (r = 0; r < res->nrows; r++)
	{
		const char *granted = SR_VALUE(res, r, 0);
		const char *member = SR_VALUE(res, r, 1);
		const char *why;
		bool		exists = false;
		int			e;

		if (migrate_role_skipped(member, opts, &why))
			continue;
		for (e = 0; e < existing->nrows && !exists; e++)
			exists = strcmp(SR_VALUE(existing, e, 0), granted) == 0;
		/* a predefined role always exists; its own rule decides */
		if (migrate_membership_refusal(granted, exists, opts) == NULL)
			continue;
		if (refused++ < 20)
			appendStringInfo(&list, "%s%s in %s", list.len ? ", " : "",
							 quote_identifier(member), quote_identifier(granted));
	}
	if (refused == 0)
		add_row(c, "role_memberships", "ok", NULL, "every membership of the source's roles can be copied");
	else
		add_row(c, "role_memberships", "warning",
				"Memberships in roles that are on the target already are never copied, nor those in predefined roles that reach the server's files, programs or data unless a superuser sets \"grant_predefined_roles\"; grant them by hand afterwards if they are meant.",
				"%d membership%s will not be copied: %s%s", refused, refused == 1 ? "" : "s",
				list.data, refused > 20 ? ", ..." : "");
}

/*
 * Roles of the source: which this caller can create, which exist, which are
 * skipped.
 */
static void
check_roles(Checks *c, SourceConn *conn, const MigrateOptions *opts)
{
	SourceResult *res;
	SourceResult *existing;
	bool		no_createrole = false;
	int			to_create = 0,
				exist = 0,
				skipped = 0;
	int			r;
	ListCell   *lc;

	if (!opts->roles)
	{
		add_row(c, "roles", "ok", NULL, "roles are not copied (option \"roles\" is false)");
		return;
	}

	res = migrate_source_query(conn,
					   "SELECT r.rolname, r.rolsuper, r.rolreplication, r.rolbypassrls,"
					   " r.oid = 10"
					   " FROM pg_roles r WHERE r.rolname !~ '^pg_' ORDER BY 1",
					   0, NULL);
	existing = migrate_target_query("SELECT rolname FROM pg_catalog.pg_roles", 0, NULL, NULL);

	/* role_passwords must name roles of the source */
	foreach(lc, opts->role_passwords)
	{
		RolePassword *rp = lfirst(lc);
		bool		found = false;

		for (r = 0; r < res->nrows && !found; r++)
			found = strcmp(SR_VALUE(res, r, 0), rp->rolname) == 0;
		if (!found)
		{
			add_row(c, "roles", "error",
					"Give passwords only for roles of the source.",
					"option \"role_passwords\" names role \"%s\", which the source does not have",
					rp->rolname);
		}
	}

	for (r = 0; r < res->nrows; r++)
	{
		const char *name = SR_VALUE(res, r, 0);
		bool		exists = false;
		int			e;
		const char *missing;
		const char *why;
		bool		why_createrole;

		if (str_true(SR_VALUE(res, r, 4)) || migrate_role_skipped(name, opts, &why))
		{
			skipped++;
			continue;
		}
		for (e = 0; e < existing->nrows && !exists; e++)
			exists = strcmp(SR_VALUE(existing, e, 0), name) == 0;
		if (exists)
		{
			exist++;
			continue;
		}
		missing = migrate_role_missing_right(str_true(SR_VALUE(res, r, 1)),
											 str_true(SR_VALUE(res, r, 2)),
											 str_true(SR_VALUE(res, r, 3)),
											 &why_createrole);
		if (missing != NULL && !why_createrole)
		{
			add_row(c, "roles", "warning",
					"Create the role on the target beforehand as a superuser, run the migration as a superuser, or leave it out with \"exclude_roles\".",
					"role \"%s\" has %s, which this role cannot grant; it will not be created",
					name, missing);
			continue;
		}
		no_createrole |= why_createrole;
		to_create++;
	}

	check_memberships(c, conn, opts, existing);

	if (to_create > 0 && no_createrole)
		add_row(c, "roles", "error",
				"Grant CREATEROLE to this role, or set the option \"roles\" to false and create the roles beforehand.",
				"this role lacks CREATEROLE, so none of the %d role%s to copy can be created",
				to_create, to_create == 1 ? "" : "s");
	else
		add_row(c, "roles", "ok", NULL,
				"%d role%s will be created, %d already exist%s on the target, %d skipped (bootstrap superuser, provider-internal or excluded)",
				to_create, to_create == 1 ? "" : "s", exist, exist == 1 ? "s" : "",
				skipped);
}

/* Integer value of a GUC of this server. */
static int
target_setting_int(const char *name)
{
	const char *v = GetConfigOption(name, false, false);

	return v ? atoi(v) : 0;
}

/*
 * Can the databases be replicated logically, and which method would "auto"
 * choose?  Adds the rows and returns true when replication is possible.
 */
static bool
check_replication(Checks *c, SourceConn *conn, int source_version, int ndb,
				  bool all_owned, const MigrateOptions *opts)
{
	List	   *reasons = NIL;
	SourceResult *res;
	int			free_slots,
				free_senders;
	bool		role_ok;
	int			target_workers,
				target_slots;
	bool		possible;

	if (source_version < 100000)
	{
		reasons = lappend(reasons, "the source is older than PostgreSQL 10");
		add_row(c, "replication", "warning",
				"Upgrade the source to PostgreSQL 10 or newer to migrate with replication.",
				"PostgreSQL %s has no logical replication", major_string(source_version));
		goto decide;
	}

	res = migrate_source_query(conn,
					   "SELECT current_setting('wal_level'),"
					   " current_setting('max_replication_slots')::int"
					   "  - (SELECT count(*) FROM pg_replication_slots)::int,"
					   " current_setting('max_wal_senders')::int"
					   "  - (SELECT count(*) FROM pg_stat_replication)::int,"
					   " r.rolsuper, r.rolreplication,"
					   " CASE WHEN EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rds_replication')"
					   "  THEN pg_has_role('rds_replication', 'MEMBER') ELSE false END,"
					   " EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'aiven_extras')"
					   " FROM pg_roles r WHERE r.rolname = current_user",
					   0, NULL);

	if (strcmp(SR_VALUE(res, 0, 0), "logical") != 0)
	{
		reasons = lappend(reasons, psprintf("wal_level is %s", SR_VALUE(res, 0, 0)));
		add_row(c, "wal_level", "warning",
				"Set wal_level = logical on the source and restart it (on managed services, the provider's logical replication setting) to migrate with replication.",
				"wal_level is \"%s\" on the source; logical replication needs \"logical\"",
				SR_VALUE(res, 0, 0));
	}
	else
		add_row(c, "wal_level", "ok", NULL, "wal_level is logical on the source");

	free_slots = atoi(SR_VALUE(res, 0, 1));
	if (free_slots < ndb)
	{
		reasons = lappend(reasons, "too few free replication slots on the source");
		add_row(c, "replication_slots", "warning",
				"Raise max_replication_slots on the source (it needs a restart), or drop unused slots.",
				"the source has %d free replication slot%s; migrating %d database%s needs %d",
				free_slots, free_slots == 1 ? "" : "s", ndb, ndb == 1 ? "" : "s", ndb);
	}
	else
		add_row(c, "replication_slots", "ok", NULL,
				"the source has %d free replication slot%s for %d database%s",
				free_slots, free_slots == 1 ? "" : "s", ndb, ndb == 1 ? "" : "s");

	/*
	 * Slots that a run of aiven-db-migrate or of this tool left behind keep
	 * the source's WAL for ever: named, with what each retains.
	 */
	{
		SourceResult *left = migrate_source_query(conn,
												  "SELECT s.slot_name, coalesce(s.database, '-'), s.active,"
												  " CASE WHEN pg_is_in_recovery() OR s.restart_lsn IS NULL THEN NULL"
												  "  ELSE pg_size_pretty(pg_wal_lsn_diff(pg_current_wal_lsn(), s.restart_lsn)) END"
												  " FROM pg_replication_slots s"
												  " WHERE s.slot_name LIKE 'aiven\\_db\\_migrate\\_%'"
												  " ORDER BY 1",
												  0, NULL);
		StringInfoData names;
		int			r;

		initStringInfo(&names);
		for (r = 0; r < left->nrows; r++)
			appendStringInfo(&names, "%s%s (database \"%s\", %s%s%s)", r > 0 ? ", " : "",
							 SR_VALUE(left, r, 0), SR_VALUE(left, r, 1),
							 SR_VALUE(left, r, 2)[0] == 't' ? "active" : "inactive",
							 SR_VALUE(left, r, 3) ? ", retains " : "",
							 SR_VALUE(left, r, 3) ? SR_VALUE(left, r, 3) : "");
		if (left->nrows > 0)
			add_row(c, "replication_leftovers", "warning",
					"A slot that no migration uses keeps WAL on the source until the disk is full: drop it on the source with pg_drop_replication_slot() once no migration uses it.",
					"%d aiven_db_migrate_* replication slot%s on the source: %s",
					left->nrows, left->nrows == 1 ? "" : "s", names.data);
		else
			add_row(c, "replication_leftovers", "ok", NULL,
					"no aiven_db_migrate_* replication slot on the source");
	}

	free_senders = atoi(SR_VALUE(res, 0, 2));
	if (free_senders < ndb)
	{
		reasons = lappend(reasons, "too few free WAL senders on the source");
		add_row(c, "wal_senders", "warning",
				"Raise max_wal_senders on the source (it needs a restart).",
				"the source has %d free WAL sender%s; migrating %d database%s needs %d",
				free_senders, free_senders == 1 ? "" : "s", ndb, ndb == 1 ? "" : "s", ndb);
	}
	else
		add_row(c, "wal_senders", "ok", NULL,
				"the source has %d free WAL sender%s for %d database%s",
				free_senders, free_senders == 1 ? "" : "s", ndb, ndb == 1 ? "" : "s");

	role_ok = str_true(SR_VALUE(res, 0, 3)) || str_true(SR_VALUE(res, 0, 4)) ||
		str_true(SR_VALUE(res, 0, 5));
	if (!role_ok)
	{
		reasons = lappend(reasons, "the source user lacks REPLICATION");
		add_row(c, "replication_role", "warning",
				"ALTER ROLE ... REPLICATION on the source (on managed services, the provider's replication role).",
				"the source user has neither SUPERUSER nor REPLICATION");
	}
	else
		add_row(c, "replication_role", "ok", NULL,
				"the source user may create replication slots");

	if (str_true(SR_VALUE(res, 0, 3)))
		add_row(c, "publication", "ok", NULL,
				"the source user is a superuser and may publish all tables");
	else if (str_true(SR_VALUE(res, 0, 6)))
		add_row(c, "publication", "ok", NULL,
				"the source has aiven_extras, whose functions publish all tables");
	else if (all_owned)
		add_row(c, "publication", "ok", NULL,
				"the source user owns every table and may publish them one by one");
	else
	{
		reasons = lappend(reasons, "the source user may not publish every table");
		add_row(c, "publication", "warning",
				"Publishing FOR ALL TABLES needs a superuser on the source; otherwise the source user must own every table.",
				"the source user is not a superuser and does not own every table");
	}

	/* the target: one apply worker and one replication origin a database */
	target_workers = target_setting_int("max_logical_replication_workers");
	target_slots = target_setting_int("max_replication_slots");
	if (target_workers < ndb || target_slots < ndb)
	{
		reasons = lappend(reasons, "the target's logical replication limits are too low");
		add_row(c, "target_replication_limits", "warning",
				"Raise max_logical_replication_workers and max_replication_slots on the target (they need a restart).",
				"the target allows %d logical replication worker%s and %d replication origin%s; %d database%s need%s one of each",
				target_workers, target_workers == 1 ? "" : "s",
				target_slots, target_slots == 1 ? "" : "s",
				ndb, ndb == 1 ? "" : "s", ndb == 1 ? "s" : "");
	}
	else
		add_row(c, "target_replication_limits", "ok", NULL,
				"the target allows %d logical replication workers and %d replication origins",
				target_workers, target_slots);

	if (!superuser())
		add_row(c, "target_subscription", "ok", NULL,
				"on PostgreSQL %d only a superuser may create a subscription: migrate creates it as the bootstrap superuser for the tables whose apply runs no code but the server's (others make auto copy the database with dump), and guards them until the cutover",
				PG_VERSION_NUM / 10000);
	else
		add_row(c, "target_subscription", "ok", NULL,
				"the target user is a superuser and may create subscriptions");

decide:
	possible = (reasons == NIL);
	if (!possible)
		c->dump_reason = MemoryContextStrdup(c->cxt, name_list(reasons));
	if (opts->method == METHOD_DUMP)
		add_row(c, "method", "ok", NULL, "dump (chosen by option \"method\")");
	else if (possible)
		add_row(c, "method", "ok", NULL, "%s: the source is ready for logical replication",
				opts->method == METHOD_AUTO ? "auto would use replication" : "replication");
	else if (opts->method == METHOD_REPLICATION)
		add_row(c, "method", "error",
				"Fix the warnings above, or use \"method\": \"dump\" or \"auto\".",
				"replication is not possible: %s", name_list(reasons));
	else
		add_row(c, "method", "ok", NULL,
				"auto would use dump (no changes are carried after the copy): %s",
				name_list(reasons));
	return possible;
}

/* Total and per-database size against dbs_max_total_size. */
static void
check_size(Checks *c, List *dbs, const MigrateOptions *opts)
{
	ListCell   *lc;
	int64		total = 0;
	StringInfoData each;

	initStringInfo(&each);
	foreach(lc, dbs)
	{
		SourceDb   *db = lfirst(lc);

		total += db->size;
		appendStringInfo(&each, "%s%s %s", each.len ? ", " : "",
						 quote_identifier(db->name),
						 text_to_cstring(DatumGetTextPP(DirectFunctionCall1(pg_size_pretty,
																			Int64GetDatum(db->size)))));
	}
	if (opts->dbs_max_total_size >= 0 && total > opts->dbs_max_total_size)
		add_row(c, "size", "error",
				"Raise \"dbs_max_total_size\", or migrate fewer databases with \"databases\" / \"exclude_databases\".",
				"the databases to migrate hold " INT64_FORMAT " bytes, more than dbs_max_total_size (" INT64_FORMAT "): %s",
				total, opts->dbs_max_total_size, each.data);
	else
		add_row(c, "size", "ok", NULL, "%s in all: %s",
				text_to_cstring(DatumGetTextPP(DirectFunctionCall1(pg_size_pretty,
																   Int64GetDatum(total)))),
				each.len ? each.data : "nothing");
}

/*
 * Statements are logged before the function they call runs: unless the
 * library is preloaded, log_statement = all writes the source string, with
 * its password, to the log before our log hook exists.
 */
static void
check_server_log(Checks *c)
{
	const char *log_statement = GetConfigOption("log_statement", false, false);
	const char *spl = GetConfigOption("shared_preload_libraries", false, false);
	const char *sepl = GetConfigOption("session_preload_libraries", false, false);
	bool		preloaded = (spl && strstr(spl, "migrate") != NULL) ||
		(sepl && strstr(sepl, "migrate") != NULL);

	if (!preloaded && log_statement && strcmp(log_statement, "all") == 0)
		add_row(c, "server_log", "warning",
				"Add migrate to shared_preload_libraries (or session_preload_libraries): loaded at session start, it masks passwords in logged statements.",
				"log_statement = all writes statements, and the passwords in them, to the server log before migrate is loaded");
	else
		add_row(c, "server_log", "ok", NULL,
				"passwords of source strings are masked in the server log");
}

/*
 * Runs every check of SOURCE with OPTIONS as the current user and returns the
 * rows (CheckRow *) allocated in the current memory context.  Raises an
 * error for malformed input (source string, options, password rule).
 */
List *
migrate_run_checks(const char *source, Jsonb *options)
{
	return migrate_run_checks_reason(source, options, NULL);
}

/*
 * migrate_run_checks, and why the replication method is not possible
 * (*dump_reason, NULL when it is).
 */
List *
migrate_run_checks_reason(const char *source, Jsonb *options, char **dump_reason)
{
	Checks		checks;
	Checks	   *c = &checks;
	MigrateOptions *opts;
	SourceInfo *src;
	SourceConn *conn;
	SourceResult *res;
	char	   *err = NULL;
	int			source_version;
	int			source_major;
	List	   *dbs;
	bool		all_owned = true;
	MemoryContext work;
	MemoryContext old;

	checks.rows = NIL;
	checks.cxt = CurrentMemoryContext;
	checks.dump_reason = NULL;
	if (dump_reason != NULL)
		*dump_reason = NULL;

	/* connections live in this context and close when it goes */
	work = AllocSetContextCreate(CurrentMemoryContext, "migrate validate",
								 ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(work);

	/* the source first: its password is then kept out of every report */
	src = migrate_parse_source(source);
	opts = migrate_parse_options(options);
	migrate_check_source_rules(src, GetUserId());
	migrate_check_role_options(opts);

	add_row(c, "source", "ok", NULL, "%s", src->masked);
	check_server_log(c);

	conn = migrate_source_connect(src, NULL, &err);
	if (conn == NULL)
	{
		add_row(c, "connection", "error",
				"Check the host, port, user and password, that the source accepts connections from the target's address (pg_hba.conf), and that no firewall is in the way.",
				"cannot connect to the source: %s", err);
		MemoryContextSwitchTo(old);
		MemoryContextDelete(work);
		return checks.rows;
	}

	res = migrate_source_query(conn,
					   "SELECT current_setting('server_version'),"
					   " current_setting('server_version_num')::int,"
					   " CASE WHEN current_setting('server_version_num')::int >= 90600"
					   "  AND has_function_privilege('pg_catalog.pg_control_system()', 'EXECUTE')"
					   "  THEN (SELECT system_identifier::text FROM pg_control_system()) END,"
					   " current_user",
					   0, NULL);
	source_version = atoi(SR_VALUE(res, 0, 1));
	source_major = major_of(source_version);

	add_row(c, "connection", "ok", NULL,
			"connected to PostgreSQL %s as \"%s\"%s",
			SR_VALUE(res, 0, 0), SR_VALUE(res, 0, 3),
			src->require_password ? " with a password" : "");

	/* the same server? */
	if (SR_VALUE(res, 0, 2) == NULL)
		add_row(c, "distinct_servers", "warning",
				"Make sure the source is not this server itself.",
				"cannot read the source's system identifier (pg_control_system)");
	else if (strtou64(SR_VALUE(res, 0, 2), NULL, 10) == GetSystemIdentifier())
	{
		add_row(c, "distinct_servers", "error",
				"Give the connection string of the server to migrate from, not of this one.",
				"the source is this server itself (same system identifier " UINT64_FORMAT ")",
				GetSystemIdentifier());
	}
	else
		add_row(c, "distinct_servers", "ok", NULL,
				"the source and the target are different servers");

	/* versions */
	if (source_version < 90200)
		add_row(c, "source_version", "error",
				"Upgrade the source to PostgreSQL 9.2 or newer first.",
				"PostgreSQL %s is older than pg_dump supports", major_string(source_version));
	else if (source_major > major_of(PG_VERSION_NUM))
		add_row(c, "source_version", "error",
				"Migrate into a server of the same or a newer major version.",
				"the source runs PostgreSQL %s, newer than this server's %d",
				major_string(source_version), PG_VERSION_NUM / 10000);
	else
		add_row(c, "source_version", "ok", NULL,
				"the source runs PostgreSQL %s, this server %d",
				major_string(source_version), PG_VERSION_NUM / 10000);

	check_pg_dump(c, source_version);

	dbs = choose_databases(c, conn, opts, source_version);
	check_roles(c, conn, opts);
	if (dbs != NIL)
	{
		List	   *connected;

		check_target_databases(c, dbs);
		connected = connect_databases(c, src, dbs);
		if (connected != NIL)
		{
			check_extensions(c, connected);
			check_tables(c, connected, opts, &all_owned);
			check_superuser_objects(c, connected);
			check_locales(c, connected);
		}
		check_replication(c, conn, source_version, list_length(dbs), all_owned, opts);
		check_size(c, dbs, opts);
	}

	MemoryContextSwitchTo(old);
	MemoryContextDelete(work);	/* closes every connection */
	if (dump_reason != NULL)
		*dump_reason = checks.dump_reason;
	return checks.rows;
}

PG_FUNCTION_INFO_V1(migrate_validate);

/* SQL: migrate.validate(source text, options jsonb) */
Datum
migrate_validate(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *source;
	Jsonb	   *options;
	List	   *rows;
	ListCell   *lc;

	migrate_require_arg(fcinfo, 0, "source");
	migrate_require_arg(fcinfo, 1, "options");
	source = text_to_cstring(PG_GETARG_TEXT_PP(0));
	options = PG_GETARG_JSONB_P(1);
	InitMaterializedSRF(fcinfo, 0);
	rows = migrate_run_checks(source, options);

	foreach(lc, rows)
	{
		CheckRow   *row = lfirst(lc);
		Datum		values[4];
		bool		nulls[4] = {false, false, false, false};

		values[0] = CStringGetTextDatum(row->check_name);
		values[1] = CStringGetTextDatum(row->status);
		values[2] = CStringGetTextDatum(row->detail);
		if (row->hint)
			values[3] = CStringGetTextDatum(row->hint);
		else
			nulls[3] = true;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
