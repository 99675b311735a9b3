/*-------------------------------------------------------------------------
 *
 * verify.c
 *		The checks of migrate.verify, as a worker bound to one target
 *		database runs them: each query goes to the source (at the
 *		migration's snapshot when there is one) and, while the source works
 *		on it, the same query runs here; then the answers are compared.
 *
 *	schema		the objects of the database by kind and name, with what
 *				defines them (columns and types, indexes, constraints,
 *				sequences and their values, views, functions, triggers,
 *				policies, extensions, owners, privileges, comments,
 *				settings); large objects counted
 *	counts		the rows of each table
 *	checksums	the rows of each table hashed into ranges of its key: a
 *				count and a sum of 64-bit row hashes a range (a sum, not an
 *				XOR, so that duplicate rows do not cancel); large objects'
 *				data hashed
 *	rows		the ranges that differ fetched row by row (key, hash, the
 *				row), so that each differing row is named
 *
 * Rows are hashed with each column type's own hash function where that is
 * a function of the value alone (integers, text, timestamps, uuid, ...);
 * other columns by their text, with the settings that text depends on
 * pinned on both sides.  A table without a usable key is hashed into
 * ranges of the row hash itself: a changed row shows as one missing and one
 * extra.
 *
 * The results go back to the coordinator as a JSON array (verify_run.c
 * stores them); the worker writes nothing.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/regproc.h"

#include "copy.h"
#include "plan.h"
#include "source.h"
#include "target.h"
#include "verify.h"
#include "worker.h"

static const char *const level_names[] = {"none", "schema", "counts", "checksums", "rows", "repair"};

/* The level named NAME, or -1. */
int
migrate_verify_level(const char *name)
{
	int			i;

	for (i = 0; i < lengthof(level_names); i++)
		if (strcmp(level_names[i], name) == 0)
			return i;
	return -1;
}

const char *
migrate_verify_level_name(int level)
{
	if (level < 0 || level >= lengthof(level_names))
		elog(ERROR, "unknown verify level %d", level);
	return level_names[level];
}

/* ---- results ------------------------------------------------------------ */

typedef struct Results
{
	StringInfo	out;
	const char *at;				/* where the source was read */
	int			n;
} Results;

static void
json_field(StringInfo out, const char *key, const char *value, bool last)
{
	escape_json(out, key);
	appendStringInfoChar(out, ':');
	if (value == NULL)
		appendStringInfoString(out, "null");
	else
		escape_json(out, value);
	if (!last)
		appendStringInfoChar(out, ',');
}

/* A value as a result holds it: at most MAX_VALUE bytes, valid here. */
#define MAX_VALUE	2000

static const char *
fit(const char *v)
{
	int			len;

	if (v == NULL)
		return NULL;
	len = strlen(v);
	if (!pg_verifymbstr(v, len, true))
		return "(not valid in the target's encoding)";
	if (len <= MAX_VALUE)
		return v;
	len = pg_mbcliplen(v, len, MAX_VALUE);
	return psprintf("%.*s... (%d bytes)", len, v, (int) strlen(v));
}

static void
add_result(Results *r, const char *relation, const char *check, const char *status,
		   const char *source_value, const char *target_value, const char *detail)
{
	relation = fit(relation);
	check = fit(check);
	source_value = fit(source_value);
	target_value = fit(target_value);
	detail = fit(detail);
	appendStringInfoString(r->out, r->n++ == 0 ? "[{" : ",{");
	json_field(r->out, "relation", relation, false);
	json_field(r->out, "check_name", check, false);
	json_field(r->out, "status", status, false);
	json_field(r->out, "source_value", source_value, false);
	json_field(r->out, "target_value", target_value, false);
	json_field(r->out, "detail", detail, false);
	json_field(r->out, "source_at", r->at, true);
	appendStringInfoChar(r->out, '}');
}

static void
end_results(Results *r)
{
	appendStringInfoString(r->out, r->n == 0 ? "[]" : "]");
}

/* ---- both sides ----------------------------------------------------------- */

/*
 * What text output depends on, the same on both sides (the source's
 * transaction and this one): dates, intervals, time zones, floats, bytea.
 * Row security off: a policy that hides rows is an error, never a count.
 * No timeouts here: the database's own settings (given before a verify
 * run) must not cut a check short.
 */
#define PIN_SETTINGS \
	"SELECT pg_catalog.set_config('datestyle', 'ISO, YMD', true)," \
	" pg_catalog.set_config('intervalstyle', 'postgres', true)," \
	" pg_catalog.set_config('timezone', 'UTC', true)," \
	" pg_catalog.set_config('extra_float_digits', '3', true)," \
	" pg_catalog.set_config('bytea_output', 'hex', true)," \
	" pg_catalog.set_config('row_security', 'off', true)"
/* (the source's sessions have their own: no statement timeout, a lock timeout) */
#define PIN_TARGET_TIMEOUTS \
	"SELECT pg_catalog.set_config('statement_timeout', '0', true)," \
	" pg_catalog.set_config('lock_timeout', '0', true)"

/* Runs SQL on the source and here at once; the source's answer in *SRC. */
static SourceResult *
both(SourceConn *conn, const char *sql, SourceResult **src)
{
	SourceResult *here;

	CHECK_FOR_INTERRUPTS();
	migrate_source_send(conn, sql, 0, NULL);
	here = migrate_target_query(sql, 0, NULL, NULL);
	/* (a table's hash sends nothing until the end: no silence limit) */
	*src = migrate_source_collect_patiently(conn, sql);
	return here;
}

/* Does the source hash records (14 and later), or only text? */
static bool
hash_records(void)
{
	return migrate_worker_shared->source_version >= 140000;
}

/* ---- schema --------------------------------------------------------------- */

static int64 int8_of(const char *s);
typedef struct Warned Warned;
static void compare_large_objects(SourceConn *conn, const char *check, const char *value, bool merged,
								  const Warned *warned, Results *out);

/*
 * The privileges of ACL, an aclitem[] of an object owned by OWNER, as text
 * that names its owner "(owner)", grantee and grantor: the same grants
 * read the same whoever owns it (an owner the migration could not give is
 * named by the owner rows), and names are quoted as identifiers.  'default'
 * where ACL is null, 'none' where it is empty.
 */
#define ACL_TEXT(acl, owner) \
"CASE WHEN " acl " IS NULL THEN 'default' ELSE coalesce((SELECT pg_catalog.string_agg(x.item, ',' ORDER BY x.item COLLATE \"C\")" \
"  FROM (SELECT CASE WHEN a.grantee OPERATOR(pg_catalog.=) " owner " THEN '(owner)' WHEN a.grantee OPERATOR(pg_catalog.=) 0 THEN ''" \
"   ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(a.grantee)) END OPERATOR(pg_catalog.||) '='" \
"   OPERATOR(pg_catalog.||) pg_catalog.string_agg(l.c OPERATOR(pg_catalog.||) CASE WHEN a.is_grantable THEN '*' ELSE '' END, ''" \
"    ORDER BY pg_catalog.strpos('arwdDxtXUCTcsA', l.c)) OPERATOR(pg_catalog.||) '/'" \
"   OPERATOR(pg_catalog.||) CASE WHEN a.grantor OPERATOR(pg_catalog.=) " owner " THEN '(owner)'" \
"    ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(a.grantor)) END AS item" \
"   FROM pg_catalog.aclexplode(" acl ") a, LATERAL (SELECT CASE a.privilege_type WHEN 'SELECT' THEN 'r' WHEN 'INSERT' THEN 'a'" \
"    WHEN 'UPDATE' THEN 'w' WHEN 'DELETE' THEN 'd' WHEN 'TRUNCATE' THEN 'D' WHEN 'REFERENCES' THEN 'x' WHEN 'TRIGGER' THEN 't'" \
"    WHEN 'EXECUTE' THEN 'X' WHEN 'USAGE' THEN 'U' WHEN 'CREATE' THEN 'C' WHEN 'TEMPORARY' THEN 'T' WHEN 'CONNECT' THEN 'c'" \
"    WHEN 'SET' THEN 's' WHEN 'ALTER SYSTEM' THEN 'A' ELSE a.privilege_type END AS c) l" \
"   GROUP BY a.grantee, a.grantor) x), 'none') END"

/* (15 and later) the schemas whose tables publication p publishes */
#define PUBLICATION_SCHEMAS \
"(SELECT pg_catalog.string_agg(pg_catalog.quote_ident(n.nspname), ', ' ORDER BY n.nspname COLLATE \"C\")" \
" FROM pg_catalog.pg_publication_namespace pn JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) pn.pnnspid" \
" WHERE pn.pnpubid OPERATOR(pg_catalog.=) p.oid)"

/*
 * The objects of a database: kind, name, what defines it; in the order of
 * the bytes of kind and name on either side.  %s: the relations left out
 * by the migration's table filters (a JSON array), not compared; %s:
 * the schemas of a publication (PUBLICATION_SCHEMAS, or NULL before 15).  The
 * extension's own objects, those of any extension, and the replication
 * method's aiven_db_migrate_* objects are not the database's.
 */
static const char *const inventory_sql =
"WITH ns AS (SELECT n.oid, n.nspname, n.nspowner, n.nspacl FROM pg_catalog.pg_namespace n"
"  WHERE n.nspname OPERATOR(pg_catalog.<>) ALL (ARRAY['pg_catalog', 'information_schema', 'migrate', 'migrate_private'])"
"  AND n.nspname OPERATOR(pg_catalog.!~) '^(pg_toast|pg_temp_|aiven_db_migrate)'"
"  AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend d WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_namespace'::pg_catalog.regclass"
"   AND d.objid OPERATOR(pg_catalog.=) n.oid AND d.deptype OPERATOR(pg_catalog.=) 'e')),"
" rel AS (SELECT c.oid, c.relkind, c.relpersistence, c.relowner, c.relacl, c.relrowsecurity,"
"  c.relforcerowsecurity, c.relispopulated, c.reltablespace, c.relispartition,"
"  pg_catalog.quote_ident(ns.nspname) OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(c.relname) AS q"
"  FROM pg_catalog.pg_class c JOIN ns ON ns.oid OPERATOR(pg_catalog.=) c.relnamespace"
"  WHERE c.relkind OPERATOR(pg_catalog.=) ANY (ARRAY['r', 'p', 'v', 'm', 'S', 'f', 'c']::\"char\"[])"
"  AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend d WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass"
"   AND d.objid OPERATOR(pg_catalog.=) c.oid AND d.deptype OPERATOR(pg_catalog.=) 'e')"
"  AND NOT EXISTS (SELECT FROM pg_catalog.jsonb_array_elements_text(%s::pg_catalog.jsonb) l(x)"
"   WHERE pg_catalog.to_regclass(l.x) OPERATOR(pg_catalog.=) c.oid)),"
" att AS (SELECT rel.q, rel.oid AS relid, a.attnum, a.attname, a.atttypid, a.atttypmod, a.attnotnull,"
"  a.attidentity, a.attgenerated, a.attcollation, a.attacl, t.typcollation, rel.relowner"
"  FROM rel JOIN pg_catalog.pg_attribute a ON a.attrelid OPERATOR(pg_catalog.=) rel.oid"
"  AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped"
"  JOIN pg_catalog.pg_type t ON t.oid OPERATOR(pg_catalog.=) a.atttypid"
"  WHERE rel.relkind OPERATOR(pg_catalog.<>) 'S'),"
" fn AS (SELECT p.oid, p.proowner, p.proacl,"
"  pg_catalog.quote_ident(ns.nspname) OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(p.proname)"
"  OPERATOR(pg_catalog.||) '(' OPERATOR(pg_catalog.||) pg_catalog.pg_get_function_identity_arguments(p.oid) OPERATOR(pg_catalog.||) ')' AS q"
"  FROM pg_catalog.pg_proc p JOIN ns ON ns.oid OPERATOR(pg_catalog.=) p.pronamespace"
"  WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_depend d WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::pg_catalog.regclass"
"   AND d.objid OPERATOR(pg_catalog.=) p.oid AND d.deptype OPERATOR(pg_catalog.=) 'e')),"
" typ AS (SELECT t.oid, t.typtype, t.typowner, t.typacl, t.typbasetype, t.typtypmod, t.typnotnull, t.typdefault,"
"  pg_catalog.quote_ident(ns.nspname) OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(t.typname) AS q"
"  FROM pg_catalog.pg_type t JOIN ns ON ns.oid OPERATOR(pg_catalog.=) t.typnamespace"
"  WHERE t.typtype OPERATOR(pg_catalog.=) ANY (ARRAY['e', 'd', 'r', 'm']::\"char\"[])"
"  AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend d WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_type'::pg_catalog.regclass"
"   AND d.objid OPERATOR(pg_catalog.=) t.oid AND d.deptype OPERATOR(pg_catalog.=) 'e'))"
" SELECT kind, name, value FROM ("
/* (text, typed: an untyped '' would make the union's values name, cut at 63 bytes) */
"  SELECT 'schema'::pg_catalog.text AS kind, pg_catalog.quote_ident(nspname) AS name, ''::pg_catalog.text AS value FROM ns"
"  UNION ALL SELECT 'owner', 'schema ' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(nspname), pg_catalog.pg_get_userbyid(nspowner) FROM ns"
"  UNION ALL SELECT 'privileges', 'schema ' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(nspname), " ACL_TEXT("nspacl", "nspowner") " FROM ns"
"  UNION ALL SELECT 'comment', 'schema ' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(nspname), d FROM ns,"
"   pg_catalog.obj_description(ns.oid, 'pg_namespace') d WHERE d IS NOT NULL"
"  UNION ALL SELECT 'relation', q, CASE relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'partitioned table' WHEN 'v' THEN 'view'"
"   WHEN 'm' THEN 'materialized view' WHEN 'S' THEN 'sequence' WHEN 'f' THEN 'foreign table' ELSE 'composite type' END"
"   OPERATOR(pg_catalog.||) CASE WHEN relpersistence OPERATOR(pg_catalog.=) 'u' THEN ', unlogged' ELSE '' END"
"   OPERATOR(pg_catalog.||) CASE WHEN relrowsecurity THEN ', row security' ELSE '' END"
"   OPERATOR(pg_catalog.||) CASE WHEN relforcerowsecurity THEN ', forced' ELSE '' END"
"   OPERATOR(pg_catalog.||) CASE WHEN relkind OPERATOR(pg_catalog.=) 'm' AND NOT relispopulated THEN ', not populated' ELSE '' END"
"   OPERATOR(pg_catalog.||) coalesce(', tablespace ' OPERATOR(pg_catalog.||) (SELECT spcname FROM pg_catalog.pg_tablespace s"
"    WHERE s.oid OPERATOR(pg_catalog.=) reltablespace), '')"
"   OPERATOR(pg_catalog.||) CASE WHEN relispartition THEN coalesce(', partition of ' OPERATOR(pg_catalog.||) (SELECT i.inhparent::pg_catalog.regclass::text"
"    FROM pg_catalog.pg_inherits i WHERE i.inhrelid OPERATOR(pg_catalog.=) rel.oid LIMIT 1)"
"    OPERATOR(pg_catalog.||) ' ' OPERATOR(pg_catalog.||) (SELECT pg_catalog.pg_get_expr(c.relpartbound, c.oid) FROM pg_catalog.pg_class c"
"    WHERE c.oid OPERATOR(pg_catalog.=) rel.oid), '') ELSE '' END"
"   FROM rel"
"  UNION ALL SELECT 'owner', 'relation ' OPERATOR(pg_catalog.||) q, pg_catalog.pg_get_userbyid(relowner) FROM rel"
"   WHERE relkind OPERATOR(pg_catalog.<>) 'c'"
"  UNION ALL SELECT 'privileges', 'relation ' OPERATOR(pg_catalog.||) q, " ACL_TEXT("relacl", "relowner") " FROM rel"
"   WHERE relkind OPERATOR(pg_catalog.<>) 'c'"
"  UNION ALL SELECT 'comment', 'relation ' OPERATOR(pg_catalog.||) q, d FROM rel, pg_catalog.obj_description(rel.oid, 'pg_class') d"
"   WHERE d IS NOT NULL"
"  UNION ALL SELECT 'column', q OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(attname),"
"   pg_catalog.format_type(atttypid, atttypmod)"
"   OPERATOR(pg_catalog.||) CASE WHEN attnotnull THEN ' not null' ELSE '' END"
"   OPERATOR(pg_catalog.||) coalesce(CASE WHEN attgenerated OPERATOR(pg_catalog.=) 's' THEN ' generated ' ELSE ' default ' END"
"    OPERATOR(pg_catalog.||) (SELECT pg_catalog.pg_get_expr(ad.adbin, ad.adrelid) FROM pg_catalog.pg_attrdef ad"
"    WHERE ad.adrelid OPERATOR(pg_catalog.=) relid AND ad.adnum OPERATOR(pg_catalog.=) attnum), '')"
"   OPERATOR(pg_catalog.||) CASE attidentity WHEN 'a' THEN ' identity always' WHEN 'd' THEN ' identity by default' ELSE '' END"
"   OPERATOR(pg_catalog.||) CASE WHEN attcollation OPERATOR(pg_catalog.<>) typcollation THEN coalesce(' collate ' OPERATOR(pg_catalog.||)"
"    (SELECT pg_catalog.quote_ident(collname) FROM pg_catalog.pg_collation WHERE oid OPERATOR(pg_catalog.=) attcollation), '') ELSE '' END"
"   FROM att"
"  UNION ALL SELECT 'privileges', 'column ' OPERATOR(pg_catalog.||) q OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(attname),"
"   " ACL_TEXT("attacl", "relowner") " FROM att WHERE attacl IS NOT NULL"
"  UNION ALL SELECT 'comment', 'column ' OPERATOR(pg_catalog.||) q OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(attname), d"
"   FROM att, pg_catalog.col_description(relid, attnum) d WHERE d IS NOT NULL"
"  UNION ALL SELECT 'index', pg_catalog.quote_ident(n.nspname) OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(ic.relname),"
"   pg_catalog.pg_get_indexdef(i.indexrelid) OPERATOR(pg_catalog.||) coalesce(' tablespace ' OPERATOR(pg_catalog.||) ts.spcname, '')"
"   OPERATOR(pg_catalog.||) CASE WHEN NOT i.indisvalid THEN ' (invalid)' ELSE '' END"
"   FROM pg_catalog.pg_index i JOIN rel ON rel.oid OPERATOR(pg_catalog.=) i.indrelid"
"   JOIN pg_catalog.pg_class ic ON ic.oid OPERATOR(pg_catalog.=) i.indexrelid"
"   JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) ic.relnamespace"
"   LEFT JOIN pg_catalog.pg_tablespace ts ON ts.oid OPERATOR(pg_catalog.=) ic.reltablespace"
"  UNION ALL SELECT 'constraint', rel.q OPERATOR(pg_catalog.||) ' ' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(co.conname),"
"   pg_catalog.pg_get_constraintdef(co.oid) FROM pg_catalog.pg_constraint co JOIN rel ON rel.oid OPERATOR(pg_catalog.=) co.conrelid"
"  UNION ALL SELECT 'sequence', rel.q, pg_catalog.format_type(s.seqtypid, NULL) OPERATOR(pg_catalog.||) ' increment '"
"   OPERATOR(pg_catalog.||) s.seqincrement OPERATOR(pg_catalog.||) ' min ' OPERATOR(pg_catalog.||) s.seqmin"
"   OPERATOR(pg_catalog.||) ' max ' OPERATOR(pg_catalog.||) s.seqmax OPERATOR(pg_catalog.||) ' start ' OPERATOR(pg_catalog.||) s.seqstart"
"   OPERATOR(pg_catalog.||) ' cache ' OPERATOR(pg_catalog.||) s.seqcache"
"   OPERATOR(pg_catalog.||) CASE WHEN s.seqcycle THEN ' cycle' ELSE '' END"
"   FROM pg_catalog.pg_sequence s JOIN rel ON rel.oid OPERATOR(pg_catalog.=) s.seqrelid"
"  UNION ALL SELECT 'view', q, pg_catalog.pg_get_viewdef(oid) FROM rel"
"   WHERE relkind OPERATOR(pg_catalog.=) ANY (ARRAY['v', 'm']::\"char\"[])"
"  UNION ALL SELECT 'rule', rel.q OPERATOR(pg_catalog.||) ' ' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(r.rulename),"
"   pg_catalog.pg_get_ruledef(r.oid) FROM pg_catalog.pg_rewrite r JOIN rel ON rel.oid OPERATOR(pg_catalog.=) r.ev_class"
"   WHERE r.rulename OPERATOR(pg_catalog.<>) '_RETURN'"
"  UNION ALL SELECT 'trigger', rel.q OPERATOR(pg_catalog.||) ' ' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(t.tgname),"
"   pg_catalog.pg_get_triggerdef(t.oid) OPERATOR(pg_catalog.||) CASE t.tgenabled WHEN 'D' THEN ' (disabled)'"
"   WHEN 'A' THEN ' (enabled always)' WHEN 'R' THEN ' (enabled replica)' ELSE '' END"
"   FROM pg_catalog.pg_trigger t JOIN rel ON rel.oid OPERATOR(pg_catalog.=) t.tgrelid WHERE NOT t.tgisinternal"
"  UNION ALL SELECT 'policy', rel.q OPERATOR(pg_catalog.||) ' ' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(p.polname),"
"   CASE p.polcmd WHEN 'r' THEN 'select' WHEN 'a' THEN 'insert' WHEN 'w' THEN 'update' WHEN 'd' THEN 'delete' ELSE 'all' END"
"   OPERATOR(pg_catalog.||) CASE WHEN p.polpermissive THEN '' ELSE ' restrictive' END"
"   OPERATOR(pg_catalog.||) ' to ' OPERATOR(pg_catalog.||) (SELECT pg_catalog.string_agg(CASE WHEN r OPERATOR(pg_catalog.=) 0 THEN 'public'"
"    ELSE pg_catalog.pg_get_userbyid(r) END, ', ' ORDER BY 1) FROM pg_catalog.unnest(p.polroles) r)"
"   OPERATOR(pg_catalog.||) coalesce(' using ' OPERATOR(pg_catalog.||) pg_catalog.pg_get_expr(p.polqual, p.polrelid), '')"
"   OPERATOR(pg_catalog.||) coalesce(' with check ' OPERATOR(pg_catalog.||) pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid), '')"
"   FROM pg_catalog.pg_policy p JOIN rel ON rel.oid OPERATOR(pg_catalog.=) p.polrelid"
"  UNION ALL SELECT 'function', q, p.prokind::text OPERATOR(pg_catalog.||) ' ' OPERATOR(pg_catalog.||) l.lanname"
"   OPERATOR(pg_catalog.||) coalesce(' returns ' OPERATOR(pg_catalog.||) pg_catalog.pg_get_function_result(p.oid), '')"
"   OPERATOR(pg_catalog.||) ' ' OPERATOR(pg_catalog.||) p.provolatile::text OPERATOR(pg_catalog.||) CASE WHEN p.prosecdef THEN ' security definer' ELSE '' END"
"   OPERATOR(pg_catalog.||) coalesce(' set ' OPERATOR(pg_catalog.||) p.proconfig::text, '')"
"   OPERATOR(pg_catalog.||) ' body ' OPERATOR(pg_catalog.||) pg_catalog.hashtextextended(coalesce(p.prosrc, '') OPERATOR(pg_catalog.||) coalesce(p.probin, ''), 0)"
"   FROM fn JOIN pg_catalog.pg_proc p ON p.oid OPERATOR(pg_catalog.=) fn.oid"
"   JOIN pg_catalog.pg_language l ON l.oid OPERATOR(pg_catalog.=) p.prolang"
"  UNION ALL SELECT 'owner', 'function ' OPERATOR(pg_catalog.||) q, pg_catalog.pg_get_userbyid(proowner) FROM fn"
"  UNION ALL SELECT 'privileges', 'function ' OPERATOR(pg_catalog.||) q, " ACL_TEXT("proacl", "proowner") " FROM fn"
"  UNION ALL SELECT 'type', q, CASE typtype WHEN 'e' THEN 'enum ' OPERATOR(pg_catalog.||) (SELECT pg_catalog.string_agg(pg_catalog.quote_literal(e.enumlabel), ', '"
"    ORDER BY e.enumsortorder) FROM pg_catalog.pg_enum e WHERE e.enumtypid OPERATOR(pg_catalog.=) typ.oid)"
"   WHEN 'd' THEN 'domain ' OPERATOR(pg_catalog.||) pg_catalog.format_type(typbasetype, typtypmod)"
"    OPERATOR(pg_catalog.||) CASE WHEN typnotnull THEN ' not null' ELSE '' END"
"    OPERATOR(pg_catalog.||) coalesce(' default ' OPERATOR(pg_catalog.||) typdefault, '')"
"    OPERATOR(pg_catalog.||) coalesce((SELECT ' ' OPERATOR(pg_catalog.||) pg_catalog.string_agg(pg_catalog.pg_get_constraintdef(c.oid), ' ' ORDER BY c.conname)"
"    FROM pg_catalog.pg_constraint c WHERE c.contypid OPERATOR(pg_catalog.=) typ.oid), '')"
"   WHEN 'r' THEN 'range' ELSE 'multirange' END FROM typ"
"  UNION ALL SELECT 'owner', 'type ' OPERATOR(pg_catalog.||) q, pg_catalog.pg_get_userbyid(typowner) FROM typ"
"  UNION ALL SELECT 'privileges', 'type ' OPERATOR(pg_catalog.||) q, " ACL_TEXT("typacl", "typowner") " FROM typ"
"  UNION ALL SELECT 'extension', pg_catalog.quote_ident(e.extname), e.extversion FROM pg_catalog.pg_extension e"
"   WHERE e.extname OPERATOR(pg_catalog.<>) 'migrate'"
"  UNION ALL SELECT 'publication', pg_catalog.quote_ident(p.pubname), CASE WHEN p.puballtables THEN 'all tables' ELSE 'tables' END"
"   OPERATOR(pg_catalog.||) ' ' OPERATOR(pg_catalog.||) pg_catalog.concat_ws(',', CASE WHEN p.pubinsert THEN 'insert' END,"
"   CASE WHEN p.pubupdate THEN 'update' END, CASE WHEN p.pubdelete THEN 'delete' END, CASE WHEN p.pubtruncate THEN 'truncate' END)"
"   OPERATOR(pg_catalog.||) coalesce(' of ' OPERATOR(pg_catalog.||) (SELECT pg_catalog.string_agg(r.q, ', ' ORDER BY r.q COLLATE \"C\")"
"    FROM pg_catalog.pg_publication_rel pr JOIN rel r ON r.oid OPERATOR(pg_catalog.=) pr.prrelid"
"    WHERE pr.prpubid OPERATOR(pg_catalog.=) p.oid), '')"
"   OPERATOR(pg_catalog.||) coalesce(' in schemas ' OPERATOR(pg_catalog.||) %s, '')"
"   FROM pg_catalog.pg_publication p WHERE p.pubname OPERATOR(pg_catalog.!~) '^aiven_db_migrate'"
"  UNION ALL SELECT 'event_trigger', pg_catalog.quote_ident(e.evtname), e.evtevent OPERATOR(pg_catalog.||) ' '"
"   OPERATOR(pg_catalog.||) e.evtfoid::pg_catalog.regproc::text OPERATOR(pg_catalog.||) ' ' OPERATOR(pg_catalog.||) e.evtenabled::text"
"   FROM pg_catalog.pg_event_trigger e WHERE e.evtname OPERATOR(pg_catalog.!~) '^aiven_db_migrate'"
"   AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend d WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_event_trigger'::pg_catalog.regclass"
"    AND d.objid OPERATOR(pg_catalog.=) e.oid AND d.deptype OPERATOR(pg_catalog.=) 'e')"
"  UNION ALL SELECT 'database', 'connection limit', d.datconnlimit::text FROM pg_catalog.pg_database d"
"   WHERE d.datname OPERATOR(pg_catalog.=) pg_catalog.current_database()"
"  UNION ALL SELECT 'privileges', 'database', " ACL_TEXT("d.datacl", "d.datdba") " FROM pg_catalog.pg_database d"
"   WHERE d.datname OPERATOR(pg_catalog.=) pg_catalog.current_database()"
"  UNION ALL SELECT 'comment', 'database', pg_catalog.shobj_description(d.oid, 'pg_database') FROM pg_catalog.pg_database d"
"   WHERE d.datname OPERATOR(pg_catalog.=) pg_catalog.current_database()"
"   AND pg_catalog.shobj_description(d.oid, 'pg_database') IS NOT NULL"
"  UNION ALL SELECT 'setting', coalesce(pg_catalog.pg_get_userbyid(NULLIF(s.setrole, 0)) OPERATOR(pg_catalog.||) ' ', '')"
"   OPERATOR(pg_catalog.||) pg_catalog.split_part(c, '=', 1), c"
"   FROM pg_catalog.pg_db_role_setting s, pg_catalog.unnest(s.setconfig) c"
"   WHERE s.setdatabase OPERATOR(pg_catalog.=) (SELECT oid FROM pg_catalog.pg_database"
"    WHERE datname OPERATOR(pg_catalog.=) pg_catalog.current_database())"
"  UNION ALL SELECT 'large_objects', 'count', pg_catalog.count(*)::text FROM pg_catalog.pg_largeobject_metadata"
"  UNION ALL SELECT 'large_objects', 'owners and privileges', pg_catalog.hashtextextended(coalesce(pg_catalog.string_agg("
"   m.oid::text OPERATOR(pg_catalog.||) ' ' OPERATOR(pg_catalog.||) pg_catalog.pg_get_userbyid(m.lomowner) OPERATOR(pg_catalog.||) ' '"
"   OPERATOR(pg_catalog.||) coalesce(m.lomacl::text, ''), ',' ORDER BY m.oid), ''), 0)::text FROM pg_catalog.pg_largeobject_metadata m"
" ) o ORDER BY kind COLLATE \"C\", name COLLATE \"C\"";

/* One object of an inventory, or of the sequences' values. */
typedef struct Entry
{
	const char *kind;
	const char *name;
	const char *value;
} Entry;

static int
entry_cmp(const Entry *a, const Entry *b)
{
	int			c = strcmp(a->kind, b->kind);

	return c != 0 ? c : strcmp(a->name, b->name);
}

/* A kind's tally, for its summary row. */
typedef struct KindTally
{
	const char *kind;
	int64		source;
	int64		target;
	int64		differ;
	int64		own;			/* only on the target, its own (a merge) */
	int64		left_out;		/* only on the source, left out by the
								 * migration (and warned about) */
	int64		not_kept;		/* an owner the migration could not give */
} KindTally;

/* Differences named a kind; the rest are counted in its summary. */
#define MAX_NAMED_A_KIND	10000

static int
entry_qsort_cmp(const void *a, const void *b)
{
	return entry_cmp((const Entry *) a, (const Entry *) b);
}

/*
 * The entries of RES, sorted here by the bytes of kind and name (each
 * server sorts its own text, in its own encoding); their number in *N.
 * SKIP_FENCE: without the database's default_transaction_read_only, which
 * is the cutover's fence on the source.  Without the large objects' totals,
 * which are compared apart (large_object_totals).
 */
static Entry *
entries_of(SourceResult *res, bool skip_fence, int *n)
{
	Entry	   *e = palloc(sizeof(Entry) * Max(res->nrows, 1));
	int			r;

	*n = 0;
	for (r = 0; r < res->nrows; r++)
	{
		Entry	   *x = &e[*n];

		x->kind = SR_VALUE(res, r, 0) ? SR_VALUE(res, r, 0) : "";
		x->name = SR_VALUE(res, r, 1) ? SR_VALUE(res, r, 1) : "";
		x->value = SR_VALUE(res, r, 2);
		if (skip_fence && strcmp(x->kind, "setting") == 0 &&
			strcmp(x->name, "default_transaction_read_only") == 0)
			continue;
		if (strcmp(x->kind, "large_objects") == 0)
			continue;
		(*n)++;
	}
	qsort(e, *n, sizeof(Entry), entry_qsort_cmp);
	return e;
}

static KindTally *
tally_of(List **tallies, const char *kind)
{
	KindTally  *t;

	if (*tallies != NIL)
	{
		t = llast(*tallies);
		if (strcmp(t->kind, kind) == 0)
			return t;
	}
	t = palloc0(sizeof(KindTally));
	t->kind = kind;
	*tallies = lappend(*tallies, t);
	return t;
}

static bool
values_equal(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/*
 * The objects the migration warned about: left out (kind and name as its
 * warnings name them: "event trigger x") and given another owner ("table
 * s.t").
 */
struct Warned
{
	List	   *left_out;
	List	   *not_kept;
	/* (the same, sorted for bsearch: a schema may have thousands) */
	char	  **left_out_sorted;
	char	  **not_kept_sorted;
};

static int
string_qsort_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/* LIST (of strings) as a sorted array. */
static char **
sorted_strings(List *list)
{
	char	  **a = palloc(sizeof(char *) * Max(list_length(list), 1));
	ListCell   *lc;

	foreach(lc, list)
		a[foreach_current_index(lc)] = lfirst(lc);
	qsort(a, list_length(list), sizeof(char *), string_qsort_cmp);
	return a;
}

/*
 * NAME as a warning holds it: a newline or the byte that ends a warning's
 * object (names of the source's may hold either) a blank.
 */
static char *
as_warned(const char *name)
{
	char	   *copy = pstrdup(name);
	char	   *p;

	for (p = copy; *p != '\0'; p++)
		if (*p == '\n' || *p == MIGRATE_WARNING_OBJECT_END)
			*p = ' ';
	return copy;
}

/* Is OBJECT among the N of SORTED? */
static bool
warned_about(char **sorted, int n, const char *object)
{
	return n > 0 && bsearch(&object, sorted, n, sizeof(char *), string_qsort_cmp) != NULL;
}

/* The last NEEDLE in HAYSTACK, or NULL. */
static const char *
last_of(const char *haystack, const char *needle)
{
	const char *last = NULL;
	const char *p = haystack;

	while ((p = strstr(p, needle)) != NULL)
		last = p++;
	return last;
}

/*
 * Do relation or index entries S (the source's) and T differ only in a
 * tablespace the target does not have (the migration's warning names it:
 * "tablespace x" among the not kept), which T is then not in?  The
 * tablespace's name if so, else NULL.  The inventory names a relation's
 * tablespace after its kind and flags (", tablespace x", then maybe its
 * partition bound), an index's after its definition (" tablespace x", then
 * maybe " (invalid)"): only there is it read.
 */
static const char *
tablespace_not_kept(const Warned *warned, const Entry *s, const Entry *t)
{
	bool		relation;
	ListCell   *lc;

	if (warned == NULL || s->value == NULL || t->value == NULL)
		return NULL;
	relation = strcmp(s->kind, "relation") == 0;
	if (!relation && strcmp(s->kind, "index") != 0)
		return NULL;
	foreach(lc, warned->not_kept)
	{
		const char *object = lfirst(lc);
		List	   *names;
		const char *name;
		char	   *marker;
		const char *at;
		const char *after;

		if (strncmp(object, "tablespace ", 11) != 0)
			continue;
		/* (the warning quotes the name, the inventory does not) */
		names = stringToQualifiedNameList(object + 11);
		if (list_length(names) != 1)
			continue;
		name = strVal(linitial(names));
		marker = psprintf("%stablespace %s", relation ? ", " : " ", name);
		at = relation ? strstr(s->value, marker) : last_of(s->value, marker);
		if (at == NULL)
			continue;
		after = at + strlen(marker);
		if (relation ? (*after == '\0' || strncmp(after, ", ", 2) == 0) :
			(*after == '\0' || strcmp(after, " (invalid)") == 0))
		{
			StringInfoData without;

			initStringInfo(&without);
			appendBinaryStringInfo(&without, s->value, at - s->value);
			appendStringInfoString(&without, after);
			if (strcmp(without.data, t->value) == 0)
				return name;
		}
	}
	return NULL;
}

/* Was inventory entry E (on the source only) left out by the migration? */
static bool
left_out_object(const Warned *warned, const Entry *e)
{
	if (warned == NULL || warned->left_out == NIL)
		return false;
	return warned_about(warned->left_out_sorted, list_length(warned->left_out),
						psprintf("%s %s", strcmp(e->kind, "event_trigger") == 0 ? "event trigger" : e->kind,
								 as_warned(e->name)));
}

/*
 * Is inventory entry E (T the target's) an owner the migration could not
 * give, the object owned instead by the role its warning names?  E's name
 * is "<class> <name>", the class coarser than the kinds a warning names;
 * the warned about are "<kind> <name>\x1f<role>".
 */
static bool
owner_not_kept(const Warned *warned, const Entry *e, const Entry *t)
{
	static const char *const relation[] = {"table", "sequence", "view", "materialized view",
	"foreign table", NULL};
	static const char *const function[] = {"function", "procedure", "aggregate", NULL};
	static const char *const type[] = {"type", "domain", NULL};
	static const char *const schema[] = {"schema", NULL};
	const char *const *kinds = NULL;
	const char *name;
	const char *owner;
	int			i;

	if (warned == NULL || warned->not_kept == NIL || strcmp(e->kind, "owner") != 0 || t->value == NULL)
		return false;
	if (strncmp(e->name, "relation ", 9) == 0)
		kinds = relation;
	else if (strncmp(e->name, "function ", 9) == 0)
		kinds = function;
	else if (strncmp(e->name, "type ", 5) == 0)
		kinds = type;
	else if (strncmp(e->name, "schema ", 7) == 0)
		kinds = schema;
	else
		return false;
	name = as_warned(strchr(e->name, ' ') + 1);
	owner = as_warned(quote_identifier(t->value));
	for (i = 0; kinds[i] != NULL; i++)
	{
		char	   *object = psprintf("%s %s%c%s", kinds[i], name, MIGRATE_WARNING_OBJECT_END, owner);

		if (warned_about(warned->not_kept_sorted, list_length(warned->not_kept), object))
			return true;
	}
	return false;
}

/*
 * Compares two lists in the same order, kind by kind: a difference a row
 * (missing: on the source only; extra: here only, or own where the
 * target's own objects are expected (OWN_EXTRAS: a merge); left_out and
 * not_kept where the migration WARNED of them; differs), then a row a kind
 * with the counts on both sides.  Both lists are sorted by the bytes
 * of kind and name; a source that sends them otherwise gets differences,
 * never a crash.
 */
static void
compare_entries(Results *out, Entry *src, int nsrc, Entry *tgt, int ntgt, const char *prefix,
				bool own_extras, const Warned *warned)
{
	int			i = 0,
				j = 0;
	List	   *tallies = NIL;
	const char *space;
	ListCell   *lc;

	while (i < nsrc || j < ntgt)
	{
		int			c;
		KindTally  *t;

		CHECK_FOR_INTERRUPTS();
		if (i >= nsrc)
			c = 1;
		else if (j >= ntgt)
			c = -1;
		else
			c = entry_cmp(&src[i], &tgt[j]);
		if (c < 0)
		{
			t = tally_of(&tallies, src[i].kind);
			t->source++;
			if (left_out_object(warned, &src[i]))
			{
				if (t->left_out++ < MAX_NAMED_A_KIND)
					add_result(out, src[i].name, src[i].kind, "left_out", src[i].value, NULL,
							   "on the source, left out by the migration: only a superuser may make it on the target (the migration's warning names it)");
			}
			else if (t->differ++ < MAX_NAMED_A_KIND)
				add_result(out, src[i].name, src[i].kind, "missing", src[i].value, NULL,
						   "on the source, not on the target");
			i++;
		}
		else if (c > 0)
		{
			t = tally_of(&tallies, tgt[j].kind);
			t->target++;
			if (own_extras)
			{
				if (t->own++ < MAX_NAMED_A_KIND)
					add_result(out, tgt[j].name, tgt[j].kind, "own", NULL, tgt[j].value,
							   "on the target only: the target's own, kept by the merge");
			}
			else if (t->differ++ < MAX_NAMED_A_KIND)
				add_result(out, tgt[j].name, tgt[j].kind, "extra", NULL, tgt[j].value,
						   "on the target, not on the source");
			j++;
		}
		else
		{
			t = tally_of(&tallies, src[i].kind);
			t->source++;
			t->target++;
			if (values_equal(src[i].value, tgt[j].value))
				 /* equal */ ;
			else if (owner_not_kept(warned, &src[i], &tgt[j]))
			{
				if (t->not_kept++ < MAX_NAMED_A_KIND)
					add_result(out, src[i].name, src[i].kind, "not_kept", src[i].value, tgt[j].value,
							   "the migration could not give it its source owner (the migration's warning says why)");
			}
			else if (strcmp(src[i].kind, "publication") == 0 && warned != NULL &&
					 warned_about(warned->not_kept_sorted, list_length(warned->not_kept),
								  psprintf("publication %s", as_warned(src[i].name))))
			{
				if (t->not_kept++ < MAX_NAMED_A_KIND)
					add_result(out, src[i].name, src[i].kind, "not_kept", src[i].value, tgt[j].value,
							   "what only a superuser can add to it was left out (the migration's warning names it)");
			}
			else if ((space = tablespace_not_kept(warned, &src[i], &tgt[j])) != NULL)
			{
				if (t->not_kept++ < MAX_NAMED_A_KIND)
					add_result(out, src[i].name, src[i].kind, "not_kept", src[i].value, tgt[j].value,
							   psprintf("in the default tablespace: tablespace %s is not on the target (the migration's warning says so)",
										quote_identifier(space)));
			}
			else if (t->differ++ < MAX_NAMED_A_KIND)
				add_result(out, src[i].name, src[i].kind, "differs", src[i].value, tgt[j].value, NULL);
			i++;
			j++;
		}
	}
	foreach(lc, tallies)
	{
		KindTally  *t = lfirst(lc);

		const char *own = t->own == 0 ? "" :
			psprintf("%s" INT64_FORMAT " the target's own", t->differ == 0 ? "" : "; ", t->own);

		if (t->left_out > 0)
			own = psprintf("%s%s" INT64_FORMAT " left out by the migration", own,
						   own[0] == '\0' && t->differ == 0 ? "" : "; ", t->left_out);
		if (t->not_kept > 0)
			own = psprintf("%s%s" INT64_FORMAT " not kept by the migration", own,
						   own[0] == '\0' && t->differ == 0 ? "" : "; ", t->not_kept);

		add_result(out, NULL, psprintf("%s%s", prefix, t->kind), t->differ == 0 ? "ok" : "differs",
				   psprintf(INT64_FORMAT, t->source), psprintf(INT64_FORMAT, t->target),
				   t->differ == 0 ? (own[0] == '\0' ? NULL : own) :
				   t->differ > MAX_NAMED_A_KIND ?
				   psprintf(INT64_FORMAT " differences, the first %d named%s", t->differ, MAX_NAMED_A_KIND, own) :
				   psprintf(INT64_FORMAT " difference%s%s", t->differ, t->differ == 1 ? "" : "s", own));
	}
}

/*
 * The values of the sequences of LIST (entries of kind sequence), read from
 * each sequence on CONN's side or here: "last_value" and whether it was
 * called, as the next nextval depends on both.
 */
#define SEQUENCE_BATCH	200

static Entry *
sequence_values(SourceConn *conn, Entry *seqs, int n, bool here)
{
	Entry	   *out = palloc(sizeof(Entry) * Max(n, 1));
	int			from;

	for (from = 0; from < n; from += SEQUENCE_BATCH)
	{
		StringInfoData sql;
		SourceResult *res;
		int			i;

		CHECK_FOR_INTERRUPTS();
		initStringInfo(&sql);
		for (i = from; i < n && i < from + SEQUENCE_BATCH; i++)
			appendStringInfo(&sql, "%sSELECT %d, CASE WHEN pg_catalog.has_sequence_privilege(%s, 'SELECT')"
							 " THEN (SELECT last_value::text OPERATOR(pg_catalog.||) CASE WHEN is_called THEN '' ELSE ' (not called)' END"
							 " FROM %s) ELSE 'not readable' END",
							 i == from ? "" : " UNION ALL ", i, quote_literal_cstr(seqs[i].name), seqs[i].name);
		res = here ? migrate_target_query(sql.data, 0, NULL, NULL) :
			migrate_source_query(conn, sql.data, 0, NULL);
		for (i = from; i < n && i < from + SEQUENCE_BATCH; i++)
		{
			out[i].kind = "sequence_value";
			out[i].name = seqs[i].name;
			out[i].value = "not read";
		}
		for (i = 0; i < res->nrows; i++)
		{
			int			at = SR_VALUE(res, i, 0) ? atoi(SR_VALUE(res, i, 0)) : -1;

			if (at >= from && at < n)
				out[at].value = SR_VALUE(res, i, 1);
		}
	}
	return out;
}

/*
 * At the copy's snapshot, the tables are as they were copied, but a
 * sequence is read as it is now: one that the source moved on since
 * (further in its direction than the target's, which the copy read after
 * the snapshot) is no loss.  It is named as ok, and compared as equal.
 */
static void
moved_on(Results *out, Entry *seqs, Entry *sv, Entry *tv, int n)
{
	int			i;

	for (i = 0; i < n; i++)
	{
		const char *inc_at = seqs[i].value ? strstr(seqs[i].value, " increment ") : NULL;
		char	   *end_s;
		char	   *end_t;
		int64		inc;
		int64		s;
		int64		t;

		if (inc_at == NULL || sv[i].value == NULL || tv[i].value == NULL ||
			strcmp(sv[i].value, tv[i].value) == 0)
			continue;
		inc = strtoi64(inc_at + strlen(" increment "), NULL, 10);
		errno = 0;
		s = strtoi64(sv[i].value, &end_s, 10);
		t = strtoi64(tv[i].value, &end_t, 10);
		if (errno != 0 || end_s == sv[i].value || end_t == tv[i].value || *end_s != '\0' || *end_t != '\0' ||
			inc == 0 || (inc > 0 ? s <= t : s >= t))
			continue;
		add_result(out, seqs[i].name, "sequence_value", "ok", sv[i].value, tv[i].value,
				   "the source moved on since the copy's snapshot (sequences are read as they are now)");
		tv[i].value = sv[i].value;
	}
}

/* The entries of kind sequence among E (N of them), and their count. */
static Entry *
sequences_of(Entry *e, int n, int *nseq)
{
	Entry	   *s = palloc(sizeof(Entry) * Max(n, 1));
	int			i;

	*nseq = 0;
	for (i = 0; i < n; i++)
		if (strcmp(e[i].kind, "sequence") == 0)
			s[(*nseq)++] = e[i];
	return s;
}

/* Of inventory RES, the large objects' totals: "<count> objects, <hash>". */
static char *
large_object_totals(SourceResult *res)
{
	const char *count = "0";
	const char *hash = "";
	int			r;

	for (r = 0; r < res->nrows; r++)
	{
		if (!values_equal(SR_VALUE(res, r, 0), "large_objects"))
			continue;
		if (values_equal(SR_VALUE(res, r, 1), "count"))
			count = SR_VALUE(res, r, 2) ? SR_VALUE(res, r, 2) : "";
		else
			hash = SR_VALUE(res, r, 2) ? SR_VALUE(res, r, 2) : "";
	}
	return psprintf("%s objects, %s", count, hash);
}

/*
 * Level schema: the inventories of both sides (at once), then the values
 * of the sequences that both have, read from each sequence on its side.
 */
static void
verify_schema(SourceConn *conn, List *left_out, bool fenced, bool merged, Results *out)
{
	const char *relations = "[]";
	Warned		warned = {NIL, NIL, NULL, NULL};
	ListCell   *lc;
	char	   *sql;
	SourceResult *src;
	SourceResult *tgt;
	Entry	   *se;
	Entry	   *te;
	Entry	   *sseq;
	Entry	   *tseq;
	Entry	   *common;
	int			ns,
				nt,
				nsseq,
				ntseq,
				ncommon = 0,
				i = 0,
				j = 0;

	/* the relations the filters left out, and the objects the run did */
	foreach(lc, left_out)
	{
		const char *line = lfirst(lc);

		if (strncmp(line, MIGRATE_VERIFY_LEFT_OUT, strlen(MIGRATE_VERIFY_LEFT_OUT)) == 0)
			warned.left_out = lappend(warned.left_out, (char *) line + strlen(MIGRATE_VERIFY_LEFT_OUT));
		else if (strncmp(line, MIGRATE_VERIFY_NOT_KEPT, strlen(MIGRATE_VERIFY_NOT_KEPT)) == 0)
			warned.not_kept = lappend(warned.not_kept, (char *) line + strlen(MIGRATE_VERIFY_NOT_KEPT));
		else if (strncmp(line, MIGRATE_VERIFY_RELATIONS, strlen(MIGRATE_VERIFY_RELATIONS)) == 0)
			relations = line + strlen(MIGRATE_VERIFY_RELATIONS);
	}
	warned.left_out_sorted = sorted_strings(warned.left_out);
	warned.not_kept_sorted = sorted_strings(warned.not_kept);
	sql = psprintf(inventory_sql, quote_literal_cstr(relations),
				   migrate_source_server_version(conn) >= 150000 ? PUBLICATION_SCHEMAS : "NULL");
	tgt = both(conn, sql, &src);
	se = entries_of(src, fenced, &ns);
	te = entries_of(tgt, false, &nt);
	compare_entries(out, se, ns, te, nt, "", merged, &warned);

	/*
	 * The large objects: their number and a hash of their owners and
	 * privileges; where these differ (or in a merge, where the target may
	 * hold its own), one by one, their privileges relative to their owner
	 * and their owners apart.
	 */
	if (!merged && values_equal(large_object_totals(src), large_object_totals(tgt)))
		add_result(out, NULL, "large_objects", "ok", large_object_totals(src), large_object_totals(tgt), NULL);
	else
		compare_large_objects(conn, "large_objects", ACL_TEXT("m.lomacl", "m.lomowner"), merged, &warned, out);

	/*
	 * The values of the sequences on both sides (one only on one side is
	 * already named).
	 */
	sseq = sequences_of(se, ns, &nsseq);
	tseq = sequences_of(te, nt, &ntseq);
	common = palloc(sizeof(Entry) * Max(nsseq, 1));
	while (i < nsseq && j < ntseq)
	{
		int			c = strcmp(sseq[i].name, tseq[j].name);

		if (c == 0)
		{
			common[ncommon++] = sseq[i];
			i++;
			j++;
		}
		else if (c < 0)
			i++;
		else
			j++;
	}
	if (ncommon > 0)
	{
		Entry	   *sv = sequence_values(conn, common, ncommon, false);
		Entry	   *tv = sequence_values(conn, common, ncommon, true);

		if (strcmp(out->at, "snapshot") == 0)
			moved_on(out, common, sv, tv, ncommon);
		compare_entries(out, sv, ncommon, tv, ncommon, "", false, NULL);
	}
}

/*
 * The large objects one by one: VALUE, an expression of m (a row of
 * pg_largeobject_metadata), compared for each; those on one side only or
 * whose values differ named (those only here the target's own where
 * MERGED), then a summary row.  Both sides come ordered by oid.
 */
static void
compare_large_objects(SourceConn *conn, const char *check, const char *value, bool merged,
					  const Warned *warned, Results *out)
{
	char	   *sql = psprintf("SELECT m.oid::pg_catalog.int8, %s, pg_catalog.pg_get_userbyid(m.lomowner)"
							   " FROM pg_catalog.pg_largeobject_metadata m ORDER BY m.oid", value);
	SourceResult *src;
	SourceResult *tgt = both(conn, sql, &src);
	int			i = 0,
				j = 0;
	int64		differ = 0,
				own = 0,
				not_kept = 0;

	while (i < src->nrows || j < tgt->nrows)
	{
		int64		a = i < src->nrows ? int8_of(SR_VALUE(src, i, 0)) : PG_INT64_MAX;
		int64		b = j < tgt->nrows ? int8_of(SR_VALUE(tgt, j, 0)) : PG_INT64_MAX;

		CHECK_FOR_INTERRUPTS();
		if (a == b)
		{
			if (!values_equal(SR_VALUE(src, i, 1), SR_VALUE(tgt, j, 1)))
			{
				if (differ++ < MAX_NAMED_A_KIND)
					add_result(out, psprintf("large object " INT64_FORMAT, a), check, "differs",
							   SR_VALUE(src, i, 1), SR_VALUE(tgt, j, 1), NULL);
			}
			else if (warned != NULL && !values_equal(SR_VALUE(src, i, 2), SR_VALUE(tgt, j, 2)))
			{
				/* (the owners: at the level schema, which is told the warnings) */
				const char *tgt_owner = SR_VALUE(tgt, j, 2) ? SR_VALUE(tgt, j, 2) : "";

				if (warned_about(warned->not_kept_sorted, list_length(warned->not_kept),
								 psprintf("large object " INT64_FORMAT "%c%s", a,
															MIGRATE_WARNING_OBJECT_END,
															as_warned(quote_identifier(tgt_owner)))))
				{
					if (not_kept++ < MAX_NAMED_A_KIND)
						add_result(out, psprintf("large object " INT64_FORMAT, a), "owner", "not_kept",
								   SR_VALUE(src, i, 2), SR_VALUE(tgt, j, 2),
								   "the migration could not give it its source owner (the migration's warning says why)");
				}
				else if (differ++ < MAX_NAMED_A_KIND)
					add_result(out, psprintf("large object " INT64_FORMAT, a), "owner", "differs",
							   SR_VALUE(src, i, 2), SR_VALUE(tgt, j, 2), NULL);
			}
			i++;
			j++;
		}
		else if (a < b)
		{
			if (differ++ < MAX_NAMED_A_KIND)
				add_result(out, psprintf("large object " INT64_FORMAT, a), check, "missing",
						   SR_VALUE(src, i, 1), NULL, "on the source, not on the target");
			i++;
		}
		else
		{
			if (merged)
			{
				if (own++ < MAX_NAMED_A_KIND)
					add_result(out, psprintf("large object " INT64_FORMAT, b), check, "own", NULL,
							   SR_VALUE(tgt, j, 1), "on the target only: the target's own, kept by the merge");
			}
			else if (differ++ < MAX_NAMED_A_KIND)
				add_result(out, psprintf("large object " INT64_FORMAT, b), check, "extra", NULL,
						   SR_VALUE(tgt, j, 1), "on the target, not on the source");
			j++;
		}
	}
	{
		StringInfoData detail;

		initStringInfo(&detail);
		if (differ > 0)
			appendStringInfo(&detail, INT64_FORMAT " difference%s%s", differ, differ == 1 ? "" : "s",
							 differ > MAX_NAMED_A_KIND ? psprintf(", the first %d named", MAX_NAMED_A_KIND) : "");
		if (own > 0)
			appendStringInfo(&detail, "%s" INT64_FORMAT " the target's own", detail.len ? "; " : "", own);
		if (not_kept > 0)
			appendStringInfo(&detail, "%s" INT64_FORMAT " owners not kept by the migration", detail.len ? "; " : "",
							 not_kept);
		add_result(out, NULL, check, differ == 0 ? "ok" : "differs",
				   psprintf("%d objects", src->nrows), psprintf("%d objects", tgt->nrows),
				   detail.len ? detail.data : NULL);
	}
}

/*
 * Level checksums, large objects: their number and a sum of hashes of
 * their oids and data; where they differ (or MERGED: the target has its
 * own), the large objects one by one.  Reading every large object needs
 * the right to.
 */
static void
verify_large_objects(SourceConn *conn, bool merged, Results *out)
{
	const char *hash = hash_records() ?
		"pg_catalog.hash_record_extended(ROW(m.oid, pg_catalog.lo_get(m.oid)), 0)" :
		"pg_catalog.hashtextextended(m.oid::text OPERATOR(pg_catalog.||) pg_catalog.encode(pg_catalog.lo_get(m.oid), 'hex'), 0)";
	SourceResult *src;
	SourceResult *tgt = both(conn, psprintf("SELECT pg_catalog.count(*)::text, coalesce(pg_catalog.sum(%s), 0)::text"
											" FROM pg_catalog.pg_largeobject_metadata m", hash),
							 &src);
	char	   *sv = psprintf("%s objects, hash %s", SR_VALUE(src, 0, 0), SR_VALUE(src, 0, 1));
	char	   *tv = psprintf("%s objects, hash %s", SR_VALUE(tgt, 0, 0), SR_VALUE(tgt, 0, 1));

	if (strcmp(sv, tv) == 0)
		add_result(out, NULL, "large_objects_data", "ok", sv, tv, NULL);
	else
		compare_large_objects(conn, "large_objects_data", hash, merged, NULL, out);
}

/* ---- tables --------------------------------------------------------------- */

/* How a table is read and hashed, from the source's catalog. */
typedef struct TablePlan
{
	char	   *qname;			/* ONLY this */
	char	   *row_hash;		/* an int8 expression of the row */
	char	   *key_hash;		/* of the key; NULL: no usable key */
	char	   *key_text;		/* the key's text; NULL: no usable key */
	char	   *key_names;		/* "(a, b)", for the detail */
	char	   *row_text;		/* the row's text, ROW(...)::text: the output
								 * functions of its columns, no cast */
	int64		mask;			/* ranges: hash & mask */
	int64		rows;			/* about this many, as the source thinks */
} TablePlan;

/* At most this many ranges a table (about a thousand rows each below it). */
#define MAX_RANGES		(1 << 20)
/* Level rows fetches about this many rows a side at a time. */
#define ROWS_A_FETCH	20000

/*
 * The int8 hash of column ATT of type TYPE, with SEED (its place: the same
 * value in another column hashes otherwise), never null.  Types whose own
 * extended hash function is a function of the value alone, and the same on
 * every version (hash partitioning needs that), are hashed with it, called
 * by name (a record of them costs a tuple a row); text and its kin under
 * "C" (a nondeterministic collation would hash 'A' as 'a').  numeric and
 * interval are not such types (1.0 and 1.00, '1 day' and '24 hours' hash
 * the same): they, and every other type, are hashed by their text.  With
 * CONVERT, text is hashed as UTF-8 (a source in another encoding).
 */
/*
 * The text of column C through its type's output function, never through
 * a cast: a cast to text is a function anyone owning the type may define.
 * (A null stays null.)
 */
static char *
text_of(const char *c)
{
	/* (num_nonnulls: IS NOT NULL of a composite asks its fields) */
	return psprintf("CASE WHEN pg_catalog.num_nonnulls(%s) OPERATOR(pg_catalog.=) 1 THEN pg_catalog.format('%%s', %s) END", c, c);
}

static char *
column_hash(const char *att, Oid type, int seed, bool convert)
{
	const char *c = quote_identifier(att);
	const char *fn = NULL;
	const char *arg = c;
	char	   *expr;

	switch (type)
	{
		case INT2OID:
			fn = "hashint2extended";
			break;
		case INT4OID:
			fn = "hashint4extended";
			break;
		case INT8OID:
			fn = "hashint8extended";
			break;
		case OIDOID:
			fn = "hashoidextended";
			break;
		case FLOAT4OID:
			fn = "hashfloat4extended";
			break;
		case FLOAT8OID:
			fn = "hashfloat8extended";
			break;
		case BOOLOID:
			fn = "hashint4extended";
			arg = psprintf("%s::pg_catalog.int4", c);
			break;
		case UUIDOID:
			fn = "uuid_hash_extended";
			break;
		case JSONBOID:
			if (!convert)
				fn = "jsonb_hash_extended";
			break;
		case TIMEOID:
			fn = "time_hash_extended";
			break;
		case TIMESTAMPOID:
			fn = "timestamp_hash_extended";
			break;
		case TIMESTAMPTZOID:
			/* (the same instant: the session's time zone is pinned) */
			fn = "timestamp_hash_extended";
			arg = psprintf("%s::pg_catalog.timestamp", c);
			break;
		case DATEOID:
			fn = "hashint4extended";
			arg = psprintf("CASE WHEN pg_catalog.isfinite(%s) THEN %s OPERATOR(pg_catalog.-) DATE '2000-01-01'"
						   " WHEN %s OPERATOR(pg_catalog.>) DATE '2000-01-01' THEN 2147483647 ELSE -2147483648 END",
						   c, c, c);
			break;
		case TEXTOID:
		case VARCHAROID:
			if (!convert)
			{
				fn = "hashtextextended";
				arg = psprintf("%s::text COLLATE \"C\"", c);
			}
			break;
		case BPCHAROID:
			if (!convert)
			{
				fn = "hashbpcharextended";
				arg = psprintf("%s COLLATE \"C\"", c);
			}
			break;
		case NAMEOID:
			if (!convert)
				fn = "hashnameextended";
			break;
		case CHAROID:
			if (!convert)
				fn = "hashcharextended";
			break;
		default:
			break;
	}
	if (fn != NULL)
		expr = psprintf("pg_catalog.%s(%s, %d)", fn, arg, seed);
	else if (convert)
		expr = psprintf("pg_catalog.hashtextextended(pg_catalog.encode(pg_catalog.convert_to(%s, 'UTF8'), 'base64'), %d)",
						text_of(c), seed);
	else
		expr = psprintf("pg_catalog.hashtextextended(%s COLLATE \"C\", %d)", text_of(c), seed);
	/* a null is a value of its own, in its place */
	return psprintf("coalesce(%s, " INT64_FORMAT ")", expr, (int64) 0x5bd1e9955bd1e995 ^ (int64) seed);
}

/* The hashes in HASHES (a list of column_hash) of one row, combined. */
static char *
hash_of(List *hashes)
{
	StringInfoData buf;
	ListCell   *lc;

	if (hashes == NIL)
		return "0::pg_catalog.int8";
	initStringInfo(&buf);
	foreach(lc, hashes)
		appendStringInfo(&buf, "%s%s", foreach_current_index(lc) ? " OPERATOR(pg_catalog.#) " : "",
						 (char *) lfirst(lc));
	return buf.data;
}

static char *ranges_sql(TablePlan *p);

static TablePlan *
plan_table(SourceConn *conn, const char *nsp, const char *rel, bool convert)
{
	TablePlan  *p = palloc0(sizeof(TablePlan));
	SourceResult *res;
	List	   *row = NIL;
	List	   *key = NIL;
	List	   *key_text = NIL;
	StringInfoData names;
	StringInfoData row_text;
	int64		rows;
	int64		ranges = 1;
	int			r;

	res = migrate_source_query(conn,
							   "SELECT a.attname, a.atttypid, coalesce(a.attnum OPERATOR(pg_catalog.=) ANY (k.key), false),"
							   " c.reltuples::bigint, pg_catalog.pg_relation_size(c.oid) / 100"
							   " FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace"
							   " LEFT JOIN LATERAL (SELECT i.indkey::pg_catalog.int2[] AS key FROM pg_catalog.pg_index i"
							   "  WHERE i.indrelid OPERATOR(pg_catalog.=) c.oid AND i.indisunique AND i.indisvalid"
							   "  AND i.indpred IS NULL AND i.indexprs IS NULL"
							   "  AND NOT EXISTS (SELECT FROM pg_catalog.pg_attribute ka WHERE ka.attrelid OPERATOR(pg_catalog.=) c.oid"
							   "   AND ka.attnum OPERATOR(pg_catalog.=) ANY (i.indkey::pg_catalog.int2[]) AND NOT ka.attnotnull)"
							   "  ORDER BY i.indisprimary DESC, i.indexrelid LIMIT 1) k ON true"
							   " LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid OPERATOR(pg_catalog.=) c.oid"
							   "  AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped"
							   " WHERE n.nspname OPERATOR(pg_catalog.=) $1 AND c.relname OPERATOR(pg_catalog.=) $2"
							   " ORDER BY a.attnum",
							   2, (const char *[]) {nsp, rel});
	if (res->nrows == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("table %s is not on the source any more", quote_qualified_identifier(nsp, rel))));
	initStringInfo(&names);
	initStringInfo(&row_text);
	for (r = 0; r < res->nrows; r++)
	{
		const char *att = SR_VALUE(res, r, 0);
		Oid			type;

		if (att == NULL)
			continue;			/* a table without columns */
		if (SR_VALUE(res, r, 1) == NULL || SR_VALUE(res, r, 2) == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_PROTOCOL_VIOLATION),
					 errmsg("the source described column \"%s\" of table %s without its type", att,
							quote_qualified_identifier(nsp, rel)),
					 errhint("The source server did not answer as PostgreSQL does: check that the source is the server it should be.")));
		type = atooid(SR_VALUE(res, r, 1));
		row = lappend(row, column_hash(att, type, r + 1, convert));
		appendStringInfo(&row_text, "%s%s", row_text.len ? ", " : "", quote_identifier(att));
		if (strcmp(SR_VALUE(res, r, 2), "t") == 0)
		{
			key = lappend(key, column_hash(att, type, r + 1001, convert));
			key_text = lappend(key_text, (char *) quote_identifier(att));
			appendStringInfo(&names, "%s%s", names.len ? ", " : "", quote_identifier(att));
		}
	}
	p->qname = quote_qualified_identifier(nsp, rel);
	p->row_hash = hash_of(row);
	p->row_text = psprintf("ROW(%s)::text", row_text.data);
	if (key != NIL)
	{
		ListCell   *lc;
		StringInfoData kt;

		p->key_hash = hash_of(key);
		initStringInfo(&kt);
		appendStringInfoString(&kt, "ROW(");
		foreach(lc, key_text)
			appendStringInfo(&kt, "%s%s", foreach_current_index(lc) ? ", " : "", (char *) lfirst(lc));
		appendStringInfoString(&kt, ")::text");
		p->key_text = kt.data;
		p->key_names = psprintf("(%s)", names.data);
	}

	/* about a thousand rows a range */
	rows = Max(int8_of(SR_VALUE(res, 0, 3)), int8_of(SR_VALUE(res, 0, 4)));
	p->rows = rows;
	while (ranges < MAX_RANGES && ranges * 1000 < rows)
		ranges *= 2;
	p->mask = ranges - 1;
	return p;
}

static void
verify_count(SourceConn *conn, TablePlan *p, Results *out)
{
	char	   *sql = psprintf("SELECT pg_catalog.count(*) FROM ONLY %s", p->qname);
	SourceResult *src;
	SourceResult *tgt = both(conn, sql, &src);
	const char *sv = SR_VALUE(src, 0, 0);
	const char *tv = SR_VALUE(tgt, 0, 0);

	add_result(out, p->qname, "count", values_equal(sv, tv) ? "ok" : "differs", sv, tv, NULL);
}

static int64
int8_of(const char *s)
{
	return s ? strtoi64(s, NULL, 10) : 0;
}

/* The ranges that differ among SRC and TGT (both ordered by range). */
static List *
differing_ranges(SourceResult *src, SourceResult *tgt, int64 *rows_src, int64 *rows_tgt)
{
	List	   *differ = NIL;
	int			i = 0,
				j = 0;

	*rows_src = *rows_tgt = 0;
	while (i < src->nrows || j < tgt->nrows)
	{
		int64		a = i < src->nrows ? int8_of(SR_VALUE(src, i, 0)) : PG_INT64_MAX;
		int64		b = j < tgt->nrows ? int8_of(SR_VALUE(tgt, j, 0)) : PG_INT64_MAX;

		if (a == b)
		{
			*rows_src += int8_of(SR_VALUE(src, i, 1));
			*rows_tgt += int8_of(SR_VALUE(tgt, j, 1));
			if (!values_equal(SR_VALUE(src, i, 1), SR_VALUE(tgt, j, 1)) ||
				!values_equal(SR_VALUE(src, i, 2), SR_VALUE(tgt, j, 2)))
				differ = lappend(differ, psprintf(INT64_FORMAT, a));
			i++;
			j++;
		}
		else if (a < b)
		{
			*rows_src += int8_of(SR_VALUE(src, i, 1));
			differ = lappend(differ, psprintf(INT64_FORMAT, a));
			i++;
		}
		else
		{
			*rows_tgt += int8_of(SR_VALUE(tgt, j, 1));
			differ = lappend(differ, psprintf(INT64_FORMAT, b));
			j++;
		}
	}
	return differ;
}

/* One row of a range, as level rows fetches it. */
typedef struct FetchedRow
{
	const char *key;
	const char *hash;
	const char *row;
} FetchedRow;

static int
fetched_cmp(const void *a, const void *b)
{
	const FetchedRow *x = a;
	const FetchedRow *y = b;
	int			c = strcmp(x->key, y->key);

	return c != 0 ? c : strcmp(x->hash, y->hash);
}

/*
 * The rows of RES sorted by the bytes of key and hash, here: the source's
 * order of its own text could differ (another encoding, a source that
 * sorts otherwise).
 */
static FetchedRow *
fetched_rows(SourceResult *res)
{
	FetchedRow *rows = palloc(sizeof(FetchedRow) * Max(res->nrows, 1));
	int			r;

	for (r = 0; r < res->nrows; r++)
	{
		rows[r].key = SR_VALUE(res, r, 0) ? SR_VALUE(res, r, 0) : "";
		rows[r].hash = SR_VALUE(res, r, 1) ? SR_VALUE(res, r, 1) : "";
		rows[r].row = SR_VALUE(res, r, 2);
	}
	qsort(rows, res->nrows, sizeof(FetchedRow), fetched_cmp);
	return rows;
}

/*
 * Level rows: the rows of the ranges RANGES on both sides, by key (or, with
 * no key, by the row itself), compared; each difference named, up to
 * MIGRATE_VERIFY_MAX_ROWS.  Returns how many were found.
 */
static int
verify_rows(SourceConn *conn, TablePlan *p, List *ranges, Results *out)
{
	int			found = 0;
	int			from;
	int			nranges = list_length(ranges);
	const char *key_text = p->key_text ? p->key_text : p->row_text;
	const char *key_hash = p->key_hash ? p->key_hash : p->row_hash;
	int			batch = (int) Max(1, Min(1024, ROWS_A_FETCH / Max(1, p->rows / (p->mask + 1))));

	for (from = 0; from < nranges && found < MIGRATE_VERIFY_MAX_ROWS; from += batch)
	{
		StringInfoData set;
		char	   *sql;
		SourceResult *src;
		SourceResult *tgt;
		FetchedRow *sr;
		FetchedRow *tr;
		int			i = 0,
					j = 0,
					k;

		initStringInfo(&set);
		for (k = from; k < nranges && k < from + batch; k++)
			appendStringInfo(&set, "%s%s", set.len ? "," : "", (char *) list_nth(ranges, k));
		sql = psprintf("SELECT k, h::text, r FROM (SELECT %s AS k, %s AS h, (%s OPERATOR(pg_catalog.&) " INT64_FORMAT ") AS b,"
					   " %s AS r FROM ONLY %s AS t) s WHERE b OPERATOR(pg_catalog.=) ANY ('{%s}'::pg_catalog.int8[])",
					   key_text, p->row_hash, key_hash, p->mask, p->row_text, p->qname, set.data);
		tgt = both(conn, sql, &src);
		sr = fetched_rows(src);
		tr = fetched_rows(tgt);
		while ((i < src->nrows || j < tgt->nrows) && found < MIGRATE_VERIFY_MAX_ROWS)
		{
			int			c;

			if (i >= src->nrows)
				c = 1;
			else if (j >= tgt->nrows)
				c = -1;
			else
				c = strcmp(sr[i].key, tr[j].key);
			if (c < 0)
			{
				add_result(out, p->qname, "row", "missing", sr[i].row, NULL,
						   p->key_names ? psprintf("key %s = %s", p->key_names, sr[i].key) :
						   "a row of the source that the target does not have (no key: rows are compared whole)");
				found++;
				i++;
			}
			else if (c > 0)
			{
				add_result(out, p->qname, "row", "extra", NULL, tr[j].row,
						   p->key_names ? psprintf("key %s = %s", p->key_names, tr[j].key) :
						   "a row of the target that the source does not have (no key: rows are compared whole)");
				found++;
				j++;
			}
			else
			{
				if (strcmp(sr[i].hash, tr[j].hash) != 0)
				{
					add_result(out, p->qname, "row", "differs", sr[i].row, tr[j].row,
							   psprintf("key %s = %s", p->key_names ? p->key_names : "", sr[i].key));
					found++;
				}
				i++;
				j++;
			}
		}
	}
	return found;
}

/*
 * Level checksums (and rows): a count and a hash sum a range of the key,
 * on both sides at once; the ranges that differ, and at level rows their
 * rows.
 */
static void
verify_checksums(SourceConn *conn, TablePlan *p, int level, Results *out)
{
	char	   *sql;
	SourceResult *src;
	SourceResult *tgt;
	List	   *differ;
	int64		rows_src,
				rows_tgt;
	char	   *detail = NULL;
	int			nranges;

	/*
	 * The whole table first, a count and a sum: one pass without grouping,
	 * and where it agrees (most tables) the answer.
	 */
	sql = psprintf("SELECT pg_catalog.count(*), coalesce(pg_catalog.sum(%s), 0)::text FROM ONLY %s",
				   p->row_hash, p->qname);
	tgt = both(conn, sql, &src);
	if (values_equal(SR_VALUE(src, 0, 0), SR_VALUE(tgt, 0, 0)) &&
		values_equal(SR_VALUE(src, 0, 1), SR_VALUE(tgt, 0, 1)))
	{
		add_result(out, p->qname, "checksum", "ok", psprintf("%s rows", SR_VALUE(src, 0, 0)),
				   psprintf("%s rows", SR_VALUE(tgt, 0, 0)), NULL);
		return;
	}

	/* they differ: where, range by range */
	sql = ranges_sql(p);
	tgt = both(conn, sql, &src);
	differ = differing_ranges(src, tgt, &rows_src, &rows_tgt);
	nranges = (int) (p->mask + 1);
	if (differ != NIL)
		detail = psprintf("%d of %d range%s differ%s%s", list_length(differ), nranges,
						  nranges == 1 ? "" : "s", list_length(differ) == 1 ? "s" : "",
						  p->key_names ? psprintf(" (ranges of the key %s)", p->key_names) :
						  " (no key: ranges of the row hash)");
	add_result(out, p->qname, "checksum", differ == NIL ? "ok" : "differs",
			   psprintf(INT64_FORMAT " rows in %d ranges", rows_src, src->nrows),
			   psprintf(INT64_FORMAT " rows in %d ranges", rows_tgt, tgt->nrows),
			   detail);
	if (differ != NIL && level >= MVL_ROWS)
	{
		int			found = verify_rows(conn, p, differ, out);

		if (found >= MIGRATE_VERIFY_MAX_ROWS)
			add_result(out, p->qname, "row", "differs", NULL, NULL,
					   psprintf("the first %d differing rows are named; there may be more", found));
	}
}

/* The query of a table's ranges: range, count, hash sum, by range. */
static char *
ranges_sql(TablePlan *p)
{
	if (p->key_hash != NULL)
		return psprintf("SELECT b, pg_catalog.count(*), pg_catalog.sum(h)::text FROM"
						" (SELECT %s OPERATOR(pg_catalog.&) " INT64_FORMAT " AS b, %s AS h FROM ONLY %s) s"
						" GROUP BY b ORDER BY b",
						p->key_hash, p->mask, p->row_hash, p->qname);
	return psprintf("SELECT h OPERATOR(pg_catalog.&) " INT64_FORMAT " AS b, pg_catalog.count(*), pg_catalog.sum(h)::text FROM"
					" (SELECT %s AS h FROM ONLY %s) s GROUP BY 1 ORDER BY 1",
					p->mask, p->row_hash, p->qname);
}

/* ---- the task ------------------------------------------------------------- */

/*
 * Both sessions set up alike (PIN_SETTINGS); returns whether text is
 * converted: a source database in another encoding, whose text comes
 * converted to this one, is hashed as UTF-8 on both sides.
 */
static bool
pin_sessions(SourceConn *conn)
{
	const char *encoding = PQparameterStatus(conn->conn, "client_encoding");
	bool		convert = encoding != NULL && pg_char_to_encoding(encoding) != GetDatabaseEncoding();

	(void) migrate_source_query(conn, PIN_SETTINGS, 0, NULL);
	if (convert)
		(void) migrate_source_query(conn, "SELECT pg_catalog.set_config('client_encoding', $1, true)",
									1, (const char *[]) {GetDatabaseEncodingName()});
	(void) migrate_target_query(PIN_SETTINGS, 0, NULL, NULL);
	(void) migrate_target_query(PIN_TARGET_TIMEOUTS, 0, NULL, NULL);
	return convert;
}

/*
 * A verify task: STATEMENTS are the level, then for a task of the database
 * (no table) what it checks ("schema" or "large_objects") and the
 * relations the migration left out.  The results, a JSON array, in OUT.
 */
void
migrate_run_verify(const TaskMsg *task, ResultMsg *result, StringInfo out)
{
	SourceConn *conn = migrate_worker_snapshot_conn(task->snapshot);
	int			level = task->statements != NIL ? migrate_verify_level(linitial(task->statements)) : -1;
	Results		res = {out, task->snapshot ? "snapshot" : "now", 0};

	bool		convert;

	if (level <= MVL_NONE)
		elog(ERROR, "a verify task without a level");
	convert = pin_sessions(conn);

	if (task->table_name == NULL)
	{
		const char *what = list_length(task->statements) > 1 ? lsecond(task->statements) : "schema";

		if (strncmp(what, "large_objects", 13) == 0)
			verify_large_objects(conn, strstr(what, "_merge") != NULL, &res);
		else
			verify_schema(conn, list_copy_tail(task->statements, 2),
						  strstr(what, "_fenced") != NULL, strstr(what, "_merge") != NULL, &res);
	}
	else
	{
		Oid			relid = RangeVarGetRelid(makeRangeVar(task->schema_name, task->table_name, -1),
											 AccessShareLock, true);
		TablePlan  *p = plan_table(conn, task->schema_name, task->table_name, convert);
		Oid			save_userid;
		int			save_sec_context;
		int			save_nestlevel;

		if (!OidIsValid(relid))
		{
			add_result(&res, p->qname, "table", "missing", NULL, NULL, "on the source, not on the target");
			end_results(&res);
			result->rows = res.n;
			(void) migrate_source_query(conn, "COMMIT", 0, NULL);
			return;
		}

		/*
		 * Here the table is read as its owner (where the migration's owner
		 * may act as it), in a security-restricted operation, as the copy
		 * loads it: nothing the source defined is called, and if anything
		 * were, it would have no more rights than the table's owner.
		 */
		GetUserIdAndSecContext(&save_userid, &save_sec_context);
		SetUserIdAndSecContext(migrate_evaluating_role(relid),
							   save_sec_context | SECURITY_RESTRICTED_OPERATION);
		save_nestlevel = NewGUCNestLevel();
		(void) migrate_target_query(PIN_SETTINGS, 0, NULL, NULL);
		(void) migrate_target_query(PIN_TARGET_TIMEOUTS, 0, NULL, NULL);
		if (level == MVL_COUNTS)
			verify_count(conn, p, &res);
		else if (level >= MVL_CHECKSUMS)
			verify_checksums(conn, p, level, &res);
		AtEOXact_GUC(false, save_nestlevel);
		SetUserIdAndSecContext(save_userid, save_sec_context);
	}
	end_results(&res);
	result->rows = res.n;

	/*
	 * The source's transaction ends now, not with the next task: its locks
	 * would keep the cutover from restoring the replica identities.
	 */
	(void) migrate_source_query(conn, "COMMIT", 0, NULL);
}

/*
 * Repair of the sequences of NAMES (quoted, qualified, as verify named
 * them): each set to the source's value as it is now, as the copy sets it
 * (last_value, and whether it was called), as the sequence's owner in a
 * security-restricted operation.
 */
static void
repair_sequences(SourceConn *conn, List *names, Results *out)
{
	ListCell   *lc;

	foreach(lc, names)
	{
		const char *name = lfirst(lc);
		List	   *parts = stringToQualifiedNameList(name);
		Oid			relid = RangeVarGetRelid(makeRangeVarFromNameList(parts), RowExclusiveLock, true);
		SourceResult *src;
		Oid			save_userid;
		int			save_sec_context;
		int			save_nestlevel;

		CHECK_FOR_INTERRUPTS();
		if (!OidIsValid(relid) || get_rel_relkind(relid) != RELKIND_SEQUENCE)
		{
			add_result(out, name, "repair", "skipped", NULL, NULL, "the sequence is not on the target");
			continue;
		}
		src = migrate_source_query(conn, psprintf("SELECT last_value, is_called FROM %s",
												  quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
																			 get_rel_name(relid))),
								   0, NULL);
		if (src->nrows != 1 || SR_VALUE(src, 0, 0) == NULL || SR_VALUE(src, 0, 1) == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_PROTOCOL_VIOLATION),
					 errmsg("the source answered no value for sequence %s", name)));
		GetUserIdAndSecContext(&save_userid, &save_sec_context);
		SetUserIdAndSecContext(migrate_evaluating_role(relid),
							   save_sec_context | SECURITY_RESTRICTED_OPERATION);
		save_nestlevel = NewGUCNestLevel();
		(void) migrate_target_query("SELECT pg_catalog.setval($1, $2::pg_catalog.int8, $3::pg_catalog.bool)", 3,
									(Oid[]) {OIDOID, TEXTOID, TEXTOID},
									(Datum[]) {ObjectIdGetDatum(relid), CStringGetTextDatum(SR_VALUE(src, 0, 0)),
									CStringGetTextDatum(SR_VALUE(src, 0, 1))});
		AtEOXact_GUC(false, save_nestlevel);
		SetUserIdAndSecContext(save_userid, save_sec_context);
		add_result(out, name, "repair", "repaired",
				   psprintf("%s%s", SR_VALUE(src, 0, 0), strcmp(SR_VALUE(src, 0, 1), "t") == 0 ? "" : " (not called)"),
				   NULL, "the sequence set to the source's value");
	}
}

/*
 * A repair task (migrate.repair): the key ranges of the table that differ
 * now, found as level checksums finds them, copied again: the target's
 * rows of those ranges deleted and the source's copied in, in one
 * transaction, at one snapshot of the source.  As a superuser, with
 * session_replication_role = replica: neither the table's triggers nor its
 * foreign keys act on rows put back as they were.  A non-superuser cannot
 * turn them off, and a table with triggers, rules or foreign keys is not
 * repaired (a deleted row referenced elsewhere, a cascade, a trigger would
 * act): it is named, to be copied again by hand.
 */
void
migrate_run_repair(const TaskMsg *task, ResultMsg *result, StringInfo out)
{
	SourceConn *conn = migrate_worker_snapshot_conn(NULL);
	Results		res = {out, "now", 0};
	bool		convert = pin_sessions(conn);
	Oid			relid;
	TablePlan  *p;
	SourceResult *src;
	SourceResult *tgt;
	List	   *differ;
	int64		rows_src,
				rows_tgt,
				deleted = 0,
				copied,
				bytes = 0;
	StringInfoData set;
	ListCell   *lc;
	char	   *where;
	Oid			save_userid;
	int			save_sec_context;
	int			save_nestlevel;
	bool		binary = (migrate_worker_shared->source_version / 10000 == PG_VERSION_NUM / 10000);

	if (task->table_name == NULL)
	{
		repair_sequences(conn, list_copy_tail(task->statements, 2), &res);
		goto done;
	}
	relid = RangeVarGetRelid(makeRangeVar(task->schema_name, task->table_name, -1),
							 RowExclusiveLock, true);
	p = plan_table(conn, task->schema_name, task->table_name, convert);
	if (!OidIsValid(relid))
	{
		add_result(&res, p->qname, "repair", "skipped", NULL, NULL,
				   "the table is not on the target: repair copies rows, it makes no tables");
		goto done;
	}
	if (!superuser())
	{
		SourceResult *acts = migrate_target_query("SELECT (SELECT count(*) FROM pg_catalog.pg_trigger WHERE tgrelid OPERATOR(pg_catalog.=) $1)"
												  " + (SELECT count(*) FROM pg_catalog.pg_rewrite WHERE ev_class OPERATOR(pg_catalog.=) $1)",
												  1, (Oid[]) {OIDOID}, (Datum[]) {ObjectIdGetDatum(relid)});

		if (strcmp(SR_VALUE(acts, 0, 0), "0") != 0)
		{
			add_result(&res, p->qname, "repair", "skipped", NULL, NULL,
					   "the table has triggers, rules or foreign keys, which only a superuser's repair can keep from acting on the rows put back: copy it again by hand, or repair as a superuser");
			goto done;
		}
	}
	else
		(void) set_config_option("session_replication_role", "replica", PGC_SUSET, PGC_S_SESSION,
								 GUC_ACTION_LOCAL, true, 0, false);

	/*
	 * The ranges, on both sides (the target's read as its owner, in a
	 * security-restricted operation, as verify reads it), and the target's
	 * rows of those that differ deleted.
	 */
	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	SetUserIdAndSecContext(migrate_evaluating_role(relid),
						   save_sec_context | SECURITY_RESTRICTED_OPERATION);
	save_nestlevel = NewGUCNestLevel();
	(void) migrate_target_query(PIN_SETTINGS, 0, NULL, NULL);
	tgt = both(conn, ranges_sql(p), &src);
	differ = differing_ranges(src, tgt, &rows_src, &rows_tgt);
	if (differ == NIL)
	{
		AtEOXact_GUC(false, save_nestlevel);
		SetUserIdAndSecContext(save_userid, save_sec_context);
		add_result(&res, p->qname, "repair", "ok", psprintf(INT64_FORMAT " rows", rows_src),
				   psprintf(INT64_FORMAT " rows", rows_tgt), "equal already: nothing to copy");
		goto done;
	}
	initStringInfo(&set);
	foreach(lc, differ)
		appendStringInfo(&set, "%s%s", set.len ? "," : "", (char *) lfirst(lc));
	where = psprintf("(%s OPERATOR(pg_catalog.&) " INT64_FORMAT ") OPERATOR(pg_catalog.=) ANY ('{%s}'::pg_catalog.int8[])",
					 p->key_hash ? p->key_hash : p->row_hash, p->mask, set.data);
	{
		int			ret;

		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		ret = SPI_execute(psprintf("DELETE FROM ONLY %s WHERE %s", p->qname, where), false, 0);
		if (ret != SPI_OK_DELETE)
			elog(ERROR, "DELETE of the ranges failed: %s", SPI_result_code_string(ret));
		deleted = SPI_processed;
		SPI_finish();
	}
	AtEOXact_GUC(false, save_nestlevel);
	SetUserIdAndSecContext(save_userid, save_sec_context);

	/* the source's rows of those ranges, as a copy loads them */
	copied = migrate_copy_table(conn, task, where, binary, migrate_worker_progress,
								(void *) &task->task_id, &bytes);
	result->bytes = bytes;
	add_result(&res, p->qname, "repair", "repaired",
			   psprintf(INT64_FORMAT " rows copied", copied),
			   psprintf(INT64_FORMAT " rows deleted", deleted),
			   psprintf("%d of " INT64_FORMAT " ranges differed%s", list_length(differ), p->mask + 1,
						p->key_names ? psprintf(" (ranges of the key %s)", p->key_names) :
						" (no key: ranges of the row hash)"));

done:
	end_results(&res);
	result->rows = res.n;
	(void) migrate_source_query(conn, "COMMIT", 0, NULL);
}
