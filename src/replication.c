/*-------------------------------------------------------------------------
 *
 * replication.c
 *		The names of the replication method's objects.
 *
 * aiven_db_migrate_<dbname>_pub, _sub and _slot, as the original tool named
 * them, so that runbooks and its users' cleanup scripts keep working.  A
 * slot name allows only [a-z0-9_] and every name at most NAMEDATALEN - 1
 * bytes: the database's name is lower-cased, every other character becomes
 * '_', and where anything was changed or cut, eight hex digits of a hash of
 * the real name follow, so that two databases never share a name ("Shop"
 * and "shop", two long names with one beginning).  The three names of a
 * database share that stem.  The hash is FNV-1a over the name's bytes:
 * the same on every platform and in every version.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"

#include "options.h"
#include "replication.h"

static const char *const suffixes[] = {"_pub", "_sub", "_slot"};

static uint32
fnv1a(const char *s)
{
	uint32		h = 2166136261u;

	for (; *s; s++)
	{
		h ^= (unsigned char) *s;
		h *= 16777619u;
	}
	return h;
}

/* The name of object WHAT of database DBNAME. */
char *
migrate_replication_name(const char *dbname, MigrateReplicationObject what)
{
	const char *suffix = suffixes[what];
	int			room = NAMEDATALEN - 1 - strlen(MIGRATE_REPLICATION_PREFIX) - strlen("_slot");
	StringInfoData stem;
	bool		changed = false;
	const char *p;

	initStringInfo(&stem);
	for (p = dbname; *p; p++)
	{
		char		c = *p;

		if (c >= 'A' && c <= 'Z')
			c = c - 'A' + 'a';
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
			c = '_';
		if (c != *p)
			changed = true;
		appendStringInfoChar(&stem, c);
	}
	/* the stem is the same for the three names: cut for the longest suffix */
	if (changed || stem.len > room)
	{
		char		hash[10];

		snprintf(hash, sizeof(hash), "_%08x", fnv1a(dbname));
		if (stem.len > room - (int) strlen(hash))
			stem.data[room - strlen(hash)] = '\0';
		stem.len = strlen(stem.data);
		appendStringInfoString(&stem, hash);
	}
	return psprintf(MIGRATE_REPLICATION_PREFIX "%s%s", stem.data, suffix);
}

PG_FUNCTION_INFO_V1(migrate_replication_names_sql);

/*
 * SQL: migrate.replication_names(dbname) — the publication, subscription
 * and slot that the replication method uses for a database of that name.
 */
Datum
migrate_replication_names_sql(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Datum		values[3];
	bool		nulls[3] = {false, false, false};
	char	   *dbname;
	int			i;

	migrate_require_arg(fcinfo, 0, "dbname");
	dbname = text_to_cstring(PG_GETARG_TEXT_PP(0));
	if (dbname[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a database name must not be empty"),
				 errhint("Give the name of a database of the source.")));
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	for (i = 0; i < 3; i++)
		values[i] = DirectFunctionCall1(namein,
										CStringGetDatum(migrate_replication_name(dbname, (MigrateReplicationObject) i)));
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
