/*-------------------------------------------------------------------------
 *
 * options.c
 *		The jsonb options of migrate.validate and migrate.start: every key
 *		checked for name, type and range before anything is done.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>

#include "common/int.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "options.h"
#include "verify.h"
#include "redact.h"

typedef enum OptKind
{
	OPT_BOOL,
	OPT_INT,
	OPT_BYTES,					/* integer bytes, or a size string such as
								 * '512MB' */
	OPT_ENUM,
	OPT_URL,
	OPT_PATTERNS,				/* array of strings */
	OPT_TABLE_PATTERNS,			/* array of db.schema.table strings */
	OPT_PASSWORDS				/* object role -> password */
} OptKind;

typedef struct OptSpec
{
	const char *name;
	OptKind		kind;
	const char *example;		/* a valid value, as JSON, for hints */
	const char *values;			/* OPT_ENUM: comma-separated valid values */
	int64		min;
	int64		max;
} OptSpec;

static const OptSpec opt_specs[] = {
	{"method", OPT_ENUM, "\"dump\"", "auto, replication, dump"},
	{"databases", OPT_PATTERNS, "[\"app\", \"shop_*\"]"},
	{"exclude_databases", OPT_PATTERNS, "[\"app_test\"]"},
	{"tables", OPT_TABLE_PATTERNS, "[\"app.public.*\"]"},
	{"exclude_tables", OPT_TABLE_PATTERNS, "[\"*.*.tmp_*\"]"},
	{"roles", OPT_BOOL, "false"},
	{"role_passwords", OPT_PASSWORDS, "{\"app\": \"secret\"}"},
	{"exclude_roles", OPT_PATTERNS, "[\"legacy_*\"]"},
	{"copy_password_hashes", OPT_BOOL, "true"},
	{"sync_existing_roles", OPT_BOOL, "true"},
	{"grant_predefined_roles", OPT_BOOL, "true"},
	{"replicate_extension_tables", OPT_BOOL, "false"},
	{"max_replication_lag", OPT_BYTES, "\"16MB\"", NULL, 0, PG_INT64_MAX},
	{"stop_replication", OPT_BOOL, "true"},
	{"fence_writes", OPT_BOOL, "true"},
	{"workers", OPT_INT, "4", NULL, 1, 64},
	{"split_size", OPT_BYTES, "\"512MB\"", NULL, 1024 * 1024, PG_INT64_MAX},
	{"dbs_max_total_size", OPT_BYTES, "\"100GB\"", NULL, 0, PG_INT64_MAX},
	{"verify", OPT_ENUM, "\"checksums\"", "none, schema, counts, checksums, rows"},
	{"notify_url", OPT_URL, "\"https://hooks.example.com/migrate\""},
	{"if_exists", OPT_ENUM, "\"merge\"", "error, merge"},
};

#define NUM_OPTS lengthof(opt_specs)

/*
 * Raises an error when argument ARGNO (named NAME in SQL) of the calling
 * SQL function is null.  The functions of the API are not strict: a null
 * argument is a mistake to be told about, not a silent null result.
 */
void
migrate_require_arg(FunctionCallInfo fcinfo, int argno, const char *name)
{
	const char *hint;

	if (!PG_ARGISNULL(argno))
		return;
	if (strcmp(name, "source") == 0)
		hint = "Give the connection string of the source server.";
	else if (strcmp(name, "options") == 0)
		hint = "Give '{}' for no options.";
	else if (strcmp(name, "migration_id") == 0)
		hint = "Give the id of a migration: SELECT id FROM migrate.status lists them.";
	else if (strcmp(name, "level") == 0)
		hint = "Give one of: schema, counts, checksums, rows (the default).";
	else
		hint = "Give a value.";
	ereport(ERROR,
			(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
			 errmsg("argument \"%s\" must not be null", name),
			 errhint("%s", hint)));
}

/* "a boolean", "a string" ... for error messages about jsonb value V. */
static const char *
jsonb_type_phrase(JsonbValue *v)
{
	switch (v->type)
	{
		case jbvNull:
			return "null";
		case jbvString:
			return "a string";
		case jbvNumeric:
			return "a number";
		case jbvBool:
			return "a boolean";
		case jbvBinary:
			return JsonContainerIsArray(v->val.binary.data) ? "an array" : "an object";
		default:
			return "a JSON value";
	}
}

static const char *
kind_phrase(OptKind kind)
{
	switch (kind)
	{
		case OPT_BOOL:
			return "a boolean";
		case OPT_INT:
			return "an integer";
		case OPT_BYTES:
			return "a size (an integer number of bytes or a string such as '512MB')";
		case OPT_ENUM:
		case OPT_URL:
			return "a string";
		case OPT_PATTERNS:
		case OPT_TABLE_PATTERNS:
			return "an array of strings";
		case OPT_PASSWORDS:
			return "an object mapping role names to passwords";
	}
	return "?";
}

/* The hint of an option given the wrong type: what to give instead. */
static int
type_hint(const OptSpec *spec)
{
	const char *what = NULL;

	switch (spec->kind)
	{
		case OPT_BOOL:
			what = "true or false";
			break;
		case OPT_INT:
			what = "an integer";
			break;
		case OPT_BYTES:
			what = "a number of bytes or a string such as '512MB'";
			break;
		case OPT_ENUM:
			return errhint("Give \"%s\" as a string, one of: %s; e.g. {\"%s\": %s}.",
						   spec->name, spec->values, spec->name, spec->example);
		case OPT_URL:
			what = "a string holding an http:// or https:// URL";
			break;
		case OPT_PATTERNS:
			what = "an array of name patterns";
			break;
		case OPT_TABLE_PATTERNS:
			what = "an array of database.schema.table patterns";
			break;
		case OPT_PASSWORDS:
			what = "an object of role name and password";
			break;
	}
	return errhint("Give \"%s\" as %s, e.g. {\"%s\": %s}.",
				   spec->name, what, spec->name, spec->example);
}

static void
wrong_type(const OptSpec *spec, JsonbValue *v)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("option \"%s\" must be %s", spec->name, kind_phrase(spec->kind)),
			 errdetail("The value given is %s.", jsonb_type_phrase(v)),
			 type_hint(spec)));
}

static void
out_of_range(const OptSpec *spec)
{
	if (spec->max == PG_INT64_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"%s\" must be at least " INT64_FORMAT,
						spec->name, spec->min),
				 errhint("Give a larger value, e.g. {\"%s\": %s}, or leave the option out for the default.",
						 spec->name, spec->example)));
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("option \"%s\" must be between " INT64_FORMAT " and " INT64_FORMAT,
					spec->name, spec->min, spec->max),
			 errhint("Give a value in that range, e.g. {\"%s\": %s}, or leave the option out for the default.",
					 spec->name, spec->example)));
}

/* A size beyond int64, given as the text S. */
static void
size_out_of_range(const OptSpec *spec, const char *s)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("size \"%s\" for option \"%s\" is out of range", s, spec->name),
			 errhint("Give at most " INT64_FORMAT " bytes (8 EB).", PG_INT64_MAX)));
}

static char *
jsonb_string(JsonbValue *v)
{
	return pnstrdup(v->val.string.val, v->val.string.len);
}

typedef enum NumResult
{
	NUM_OK,
	NUM_NOT_INTEGER,			/* a fraction, NaN or infinity */
	NUM_OUT_OF_RANGE			/* an integer beyond int64 */
} NumResult;

/*
 * A numeric jsonb value as int64.  Out of range, *RESULT is PG_INT64_MIN or
 * PG_INT64_MAX by the sign.
 */
static NumResult
jsonb_int64(JsonbValue *v, int64 *result)
{
	Numeric		num = v->val.numeric;
	char	   *s;
	char	   *end;

	if (numeric_is_nan(num) || numeric_is_inf(num))
		return NUM_NOT_INTEGER;
	s = DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(num)));
	errno = 0;
	*result = strtoi64(s, &end, 10);
	if (*end != '\0')
		return NUM_NOT_INTEGER;
	if (errno != 0)
		return NUM_OUT_OF_RANGE;
	return NUM_OK;
}

typedef enum SizeResult
{
	SIZE_OK,
	SIZE_MALFORMED,
	SIZE_OUT_OF_RANGE
} SizeResult;

/*
 * Parses a size such as "512MB", "1.5 GB", "100kB" or "4096" into bytes,
 * the units of pg_size_pretty (case-insensitive, powers of 1024).  The
 * grammar is strict: spaces, digits, optionally a '.' and digits, spaces,
 * an optional unit, spaces, nothing else (no sign, no exponent, no
 * hexadecimal).  A fraction of a byte is dropped.
 */
static SizeResult
parse_size(const char *s, int64 *bytes)
{
	const char *p = s;
	const char *unit;
	int			unit_len;
	int64		whole = 0;
	int64		mult = 1;
	int64		result;
	double		frac = 0;
	double		scale = 1;

	while (isspace((unsigned char) *p))
		p++;
	if (!isdigit((unsigned char) *p))
		return SIZE_MALFORMED;
	for (; isdigit((unsigned char) *p); p++)
	{
		if (pg_mul_s64_overflow(whole, 10, &whole) ||
			pg_add_s64_overflow(whole, *p - '0', &whole))
			return SIZE_OUT_OF_RANGE;
	}
	if (*p == '.')
	{
		p++;
		if (!isdigit((unsigned char) *p))
			return SIZE_MALFORMED;
		for (; isdigit((unsigned char) *p); p++)
		{
			scale /= 10;
			frac += (*p - '0') * scale;
		}
	}
	while (isspace((unsigned char) *p))
		p++;
	unit = p;
	while (isalpha((unsigned char) *p))
		p++;
	unit_len = p - unit;
	while (isspace((unsigned char) *p))
		p++;
	if (*p != '\0')
		return SIZE_MALFORMED;
	if (unit_len == 0 ||
		(unit_len == 1 && pg_strncasecmp(unit, "b", 1) == 0) ||
		(unit_len == 5 && pg_strncasecmp(unit, "bytes", 5) == 0))
		mult = 1;
	else if (unit_len == 2 && pg_strncasecmp(unit, "kb", 2) == 0)
		mult = INT64CONST(1024);
	else if (unit_len == 2 && pg_strncasecmp(unit, "mb", 2) == 0)
		mult = INT64CONST(1024) * 1024;
	else if (unit_len == 2 && pg_strncasecmp(unit, "gb", 2) == 0)
		mult = INT64CONST(1024) * 1024 * 1024;
	else if (unit_len == 2 && pg_strncasecmp(unit, "tb", 2) == 0)
		mult = INT64CONST(1024) * 1024 * 1024 * 1024;
	else
		return SIZE_MALFORMED;

	/* frac < 1 and mult <= 2^40: the product is exact enough and fits */
	if (pg_mul_s64_overflow(whole, mult, &result) ||
		pg_add_s64_overflow(result, (int64) (frac * (double) mult), &result))
		return SIZE_OUT_OF_RANGE;
	*bytes = result;
	return SIZE_OK;
}

/* The strings of jsonb array V; every element must be a non-empty string. */
static List *
parse_string_array(const OptSpec *spec, JsonbValue *v)
{
	List	   *result = NIL;
	JsonbIterator *it;
	JsonbValue	elem;
	JsonbIteratorToken tok;

	if (v->type != jbvBinary || !JsonContainerIsArray(v->val.binary.data))
		wrong_type(spec, v);

	it = JsonbIteratorInit(v->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &elem, true)) != WJB_DONE)
	{
		if (tok != WJB_ELEM)
			continue;
		if (elem.type != jbvString)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("option \"%s\" must be an array of strings", spec->name),
					 errdetail("An element is %s.", jsonb_type_phrase(&elem)),
					 type_hint(spec)));
		if (elem.val.string.len == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("option \"%s\" contains an empty pattern", spec->name),
					 errhint("Leave the empty string out; \"*\" matches every name.")));
		result = lappend(result, jsonb_string(&elem));
	}
	return result;
}

/*
 * Splits a table pattern db.schema.table into its three parts.  A part may be
 * double-quoted to contain dots ("a.b"), with "" for a quote.  Returns false
 * when the pattern does not have exactly three parts.
 */
bool
migrate_split_table_pattern(const char *pattern, char **parts)
{
	StringInfoData buf;
	const char *p = pattern;
	int			n = 0;

	initStringInfo(&buf);
	for (;;)
	{
		resetStringInfo(&buf);
		if (*p == '"')
		{
			p++;
			for (;;)
			{
				if (*p == '\0')
					return false;
				if (*p == '"')
				{
					if (p[1] == '"')
					{
						appendStringInfoChar(&buf, '"');
						p += 2;
						continue;
					}
					p++;
					break;
				}
				appendStringInfoChar(&buf, *p++);
			}
		}
		else
		{
			while (*p != '\0' && *p != '.')
				appendStringInfoChar(&buf, *p++);
		}
		if (buf.len == 0 || n == 3)
			return false;
		parts[n++] = pstrdup(buf.data);
		if (*p == '\0')
			break;
		if (*p != '.')
			return false;
		p++;
	}
	return n == 3;
}

static List *
parse_table_patterns(const OptSpec *spec, JsonbValue *v)
{
	List	   *result = parse_string_array(spec, v);
	ListCell   *lc;

	foreach(lc, result)
	{
		char	   *parts[3];

		if (!migrate_split_table_pattern(lfirst(lc), parts))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid table pattern \"%s\" in option \"%s\"",
							(char *) lfirst(lc), spec->name),
					 errhint("A table pattern is database.schema.table; each part may be * or contain *, and may be double-quoted.")));
	}
	return result;
}

static List *
parse_passwords(const OptSpec *spec, JsonbValue *v)
{
	List	   *result = NIL;
	JsonbIterator *it;
	JsonbValue	k,
				val;
	JsonbIteratorToken tok;

	if (v->type != jbvBinary || !JsonContainerIsObject(v->val.binary.data))
		wrong_type(spec, v);

	it = JsonbIteratorInit(v->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &k, true)) != WJB_DONE)
	{
		RolePassword *rp;

		if (tok != WJB_KEY)
			continue;
		tok = JsonbIteratorNext(&it, &val, true);
		Assert(tok == WJB_VALUE);
		if (val.type != jbvString || val.val.string.len == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("the password of role \"%s\" in option \"role_passwords\" must be a non-empty string",
							jsonb_string(&k)),
					 errhint("Give each password as a string, e.g. {\"role_passwords\": {\"app\": \"secret\"}}, or leave the role out for a placeholder password.")));
		rp = palloc(sizeof(RolePassword));
		rp->rolname = jsonb_string(&k);
		rp->password = jsonb_string(&val);
		migrate_register_secret(rp->password);
		result = lappend(result, rp);
	}
	return result;
}

static void
parse_one(MigrateOptions *opts, const OptSpec *spec, JsonbValue *v)
{
	const char *name = spec->name;
	int64		n = 0;

	if (v->type == jbvNull)
		return;					/* null means the default */

	switch (spec->kind)
	{
		case OPT_BOOL:
			{
				bool		b;

				if (v->type != jbvBool)
					wrong_type(spec, v);
				b = v->val.boolean;
				if (strcmp(name, "roles") == 0)
					opts->roles = b;
				else if (strcmp(name, "copy_password_hashes") == 0)
					opts->copy_password_hashes = b;
				else if (strcmp(name, "sync_existing_roles") == 0)
					opts->sync_existing_roles = b;
				else if (strcmp(name, "grant_predefined_roles") == 0)
					opts->grant_predefined_roles = b;
				else if (strcmp(name, "replicate_extension_tables") == 0)
					opts->replicate_extension_tables = b;
				else if (strcmp(name, "stop_replication") == 0)
					opts->stop_replication = b;
				else if (strcmp(name, "fence_writes") == 0)
					opts->fence_writes = b;
				break;
			}
		case OPT_INT:
			if (v->type != jbvNumeric)
				wrong_type(spec, v);
			switch (jsonb_int64(v, &n))
			{
				case NUM_OK:
					break;
				case NUM_NOT_INTEGER:
					wrong_type(spec, v);
					break;
				case NUM_OUT_OF_RANGE:
					out_of_range(spec);
					break;
			}
			if (n < spec->min || n > spec->max)
				out_of_range(spec);
			if (strcmp(name, "workers") == 0)
				opts->workers = (int) n;
			break;
		case OPT_BYTES:
			if (v->type == jbvNumeric)
			{
				switch (jsonb_int64(v, &n))
				{
					case NUM_OK:
						break;
					case NUM_NOT_INTEGER:
						wrong_type(spec, v);
						break;
					case NUM_OUT_OF_RANGE:
						if (n < 0)
							out_of_range(spec); /* below every minimum */
						size_out_of_range(spec,
										  DatumGetCString(DirectFunctionCall1(numeric_out,
																			  NumericGetDatum(v->val.numeric))));
						break;
				}
			}
			else if (v->type == jbvString)
			{
				char	   *s = jsonb_string(v);

				switch (parse_size(s, &n))
				{
					case SIZE_OK:
						break;
					case SIZE_MALFORMED:
						ereport(ERROR,
								(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
								 errmsg("invalid size \"%s\" for option \"%s\"", s, name),
								 errhint("Give a number of bytes, or a number followed by one of B, kB, MB, GB, TB, such as \"512MB\" or \"1.5GB\".")));
						break;
					case SIZE_OUT_OF_RANGE:
						size_out_of_range(spec, s);
						break;
				}
			}
			else
				wrong_type(spec, v);
			if (n < spec->min || n > spec->max)
				out_of_range(spec);
			if (strcmp(name, "max_replication_lag") == 0)
				opts->max_replication_lag = n;
			else if (strcmp(name, "split_size") == 0)
				opts->split_size = n;
			else if (strcmp(name, "dbs_max_total_size") == 0)
				opts->dbs_max_total_size = n;
			break;
		case OPT_ENUM:
			{
				char	   *s;

				if (v->type != jbvString)
					wrong_type(spec, v);
				s = jsonb_string(v);
				if (strcmp(name, "method") == 0)
				{
					if (strcmp(s, "auto") == 0)
						opts->method = METHOD_AUTO;
					else if (strcmp(s, "replication") == 0)
						opts->method = METHOD_REPLICATION;
					else if (strcmp(s, "dump") == 0)
						opts->method = METHOD_DUMP;
					else
						goto bad_enum;
				}
				else if (strcmp(name, "if_exists") == 0)
				{
					if (strcmp(s, "error") == 0)
						opts->if_exists_merge = false;
					else if (strcmp(s, "merge") == 0)
						opts->if_exists_merge = true;
					else
						goto bad_enum;
				}
				else if (strcmp(name, "verify") == 0)
				{
					int			level = migrate_verify_level(s);

					if (level < 0 || level == MVL_REPAIR)
						goto bad_enum;
					opts->verify = level;
				}
				break;
		bad_enum:
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invalid value \"%s\" for option \"%s\"", s, name),
						 errhint("Valid values are: %s.", spec->values)));
				break;
			}
		case OPT_URL:
			{
				char	   *s;
				const char *rest = NULL;

				if (v->type != jbvString)
					wrong_type(spec, v);
				s = jsonb_string(v);
				if (pg_strncasecmp(s, "http://", 7) == 0)
					rest = s + 7;
				else if (pg_strncasecmp(s, "https://", 8) == 0)
					rest = s + 8;
				if (rest == NULL || *rest == '\0' || *rest == '/')
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("invalid URL for option \"%s\"", name),
							 errhint("Give an http:// or https:// URL with a host.")));
				opts->notify_url = s;
				break;
			}
		case OPT_PATTERNS:
			{
				List	   *l = parse_string_array(spec, v);

				if (strcmp(name, "databases") == 0)
					opts->databases = l;
				else if (strcmp(name, "exclude_databases") == 0)
					opts->exclude_databases = l;
				else if (strcmp(name, "exclude_roles") == 0)
					opts->exclude_roles = l;
				break;
			}
		case OPT_TABLE_PATTERNS:
			{
				List	   *l = parse_table_patterns(spec, v);

				if (strcmp(name, "tables") == 0)
					opts->tables = l;
				else
					opts->exclude_tables = l;
				break;
			}
		case OPT_PASSWORDS:
			opts->role_passwords = parse_passwords(spec, v);
			break;
	}

}

/*
 * Parses OPTIONS (NULL means '{}') into a MigrateOptions with defaults.
 * Raises an error for an unknown key, a wrong type or a value out of range.
 */
MigrateOptions *
migrate_parse_options(Jsonb *options)
{
	MigrateOptions *opts = palloc0(sizeof(MigrateOptions));
	JsonbIterator *it;
	JsonbValue	k,
				v;
	JsonbIteratorToken tok;

	opts->method = METHOD_AUTO;
	opts->roles = true;
	opts->replicate_extension_tables = true;
	opts->max_replication_lag = -1;
	opts->split_size = INT64CONST(1024) * 1024 * 1024;
	opts->dbs_max_total_size = -1;
	opts->verify = MVL_NONE;

	if (options == NULL)
		return opts;

	if (!JB_ROOT_IS_OBJECT(options))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("options must be a JSON object"),
				 errhint("Give options as '{\"key\": value, ...}'.")));

	it = JsonbIteratorInit(&options->root);
	while ((tok = JsonbIteratorNext(&it, &k, true)) != WJB_DONE)
	{
		const OptSpec *spec = NULL;
		char	   *key;
		int			i;

		if (tok != WJB_KEY)
			continue;
		key = jsonb_string(&k);
		tok = JsonbIteratorNext(&it, &v, true);
		Assert(tok == WJB_VALUE);

		for (i = 0; i < NUM_OPTS; i++)
			if (strcmp(opt_specs[i].name, key) == 0)
				spec = &opt_specs[i];
		if (spec == NULL)
		{
			StringInfoData valid;

			initStringInfo(&valid);
			for (i = 0; i < NUM_OPTS; i++)
				appendStringInfo(&valid, "%s%s", i ? ", " : "", opt_specs[i].name);
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unrecognized option \"%s\"", key),
					 errhint("Valid options are: %s.", valid.data)));
		}
		parse_one(opts, spec, &v);
	}
	return opts;
}

/*
 * Does NAME match PATTERN?  '*' matches any run of characters; everything
 * else matches itself (case-sensitive, as identifiers are).
 */
bool
migrate_pattern_match(const char *pattern, const char *name)
{
	const char *star_p = NULL;
	const char *star_n = NULL;

	while (*name)
	{
		if (*pattern == '*')
		{
			star_p = ++pattern;
			star_n = name;
		}
		else if (*pattern == *name)
		{
			pattern++;
			name++;
		}
		else if (star_p)
		{
			pattern = star_p;
			name = ++star_n;
		}
		else
			return false;
	}
	while (*pattern == '*')
		pattern++;
	return *pattern == '\0';
}

static bool
matches_any(List *patterns, const char *name)
{
	ListCell   *lc;

	foreach(lc, patterns)
		if (migrate_pattern_match(lfirst(lc), name))
			return true;
	return false;
}

/* Is database DBNAME selected by the databases / exclude_databases options? */
bool
migrate_database_selected(const MigrateOptions *opts, const char *dbname)
{
	if (opts->databases != NIL && !matches_any(opts->databases, dbname))
		return false;
	return !matches_any(opts->exclude_databases, dbname);
}

/*
 * Does table pattern PATTERN ("tables", "exclude_tables") name database
 * DBNAME, and table NSP.REL in it (when NSP is not NULL)?
 */
bool
migrate_table_pattern_match(const char *pattern, const char *dbname, const char *nsp, const char *rel)
{
	char	   *parts[3];

	if (!migrate_split_table_pattern(pattern, parts) || !migrate_pattern_match(parts[0], dbname))
		return false;
	return nsp == NULL || (migrate_pattern_match(parts[1], nsp) && migrate_pattern_match(parts[2], rel));
}

/*
 * Does table DBNAME.NSP.REL pass the table filters of OPTS?  "tables"
 * applies to the databases its patterns name: a database that none of
 * them names keeps every table.  "exclude_tables" then leaves out what it
 * matches.  A partition goes with its root partitioned table (ROOT_NSP.
 * ROOT_REL; NULL for a table that is no partition): a pattern selects or
 * leaves it out by its own name or by its root's.
 */
bool
migrate_options_table_selected(const MigrateOptions *opts, const char *dbname,
							   const char *nsp, const char *rel,
							   const char *root_nsp, const char *root_rel)
{
	ListCell   *lc;
	bool		filtered = false;
	bool		found = false;

	foreach(lc, opts->tables)
	{
		if (!migrate_table_pattern_match(lfirst(lc), dbname, NULL, NULL))
			continue;
		filtered = true;
		if (migrate_table_pattern_match(lfirst(lc), dbname, nsp, rel) ||
			(root_nsp != NULL && migrate_table_pattern_match(lfirst(lc), dbname, root_nsp, root_rel)))
			found = true;
	}
	if (filtered && !found)
		return false;
	foreach(lc, opts->exclude_tables)
		if (migrate_table_pattern_match(lfirst(lc), dbname, nsp, rel) ||
			(root_nsp != NULL && migrate_table_pattern_match(lfirst(lc), dbname, root_nsp, root_rel)))
			return false;
	return true;
}
