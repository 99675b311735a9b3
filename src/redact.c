/*-------------------------------------------------------------------------
 *
 * redact.c
 *		Keeping source passwords out of the server log: the secrets this
 *		backend has seen, redaction of any text, and the log hook that
 *		cleans every report (and hides a statement that carries a
 *		password) before another hook or the log sees it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "tcop/tcopprot.h"
#include "utils/elog.h"
#include "utils/memutils.h"

#include "redact.h"

/*
 * Passwords of source connection strings this backend has seen.  They are
 * kept for the life of the backend so that log lines emitted after the
 * function returns (log_min_duration_statement) are redacted too.
 */
#define MAX_SECRETS 32
#define MIN_SECRET_LEN 4
static char *secrets[MAX_SECRETS];
static int	nsecrets = 0;

static emit_log_hook_type prev_emit_log_hook = NULL;

static void migrate_emit_log_hook(ErrorData *edata);

/* Installs the log hook (from _PG_init). */
void
migrate_install_log_hook(void)
{
	prev_emit_log_hook = emit_log_hook;
	emit_log_hook = migrate_emit_log_hook;
}

/*
 * Remembers SECRET so that it never reaches the server log.  Strings shorter
 * than MIN_SECRET_LEN are not redacted: they would turn every word that
 * contains them into asterisks, and guard nothing.
 */
void
migrate_register_secret(const char *secret)
{
	int			i;

	if (secret == NULL || strlen(secret) < MIN_SECRET_LEN)
		return;
	for (i = 0; i < nsecrets; i++)
		if (strcmp(secrets[i], secret) == 0)
			return;
	if (nsecrets == MAX_SECRETS)
	{
		/* forget the oldest */
		pfree(secrets[0]);
		memmove(secrets, secrets + 1, sizeof(char *) * (MAX_SECRETS - 1));
		nsecrets--;
	}
	secrets[nsecrets++] = MemoryContextStrdup(TopMemoryContext, secret);
}

/* TEXT with every known secret replaced by asterisks, or NULL if unchanged. */
static char *
redact_or_null(const char *text)
{
	StringInfoData buf;
	bool		changed = false;
	const char *p;
	int			i;

	if (text == NULL || nsecrets == 0)
		return NULL;

	initStringInfo(&buf);
	p = text;
	while (*p)
	{
		bool		matched = false;

		for (i = 0; i < nsecrets; i++)
		{
			size_t		len = strlen(secrets[i]);

			if (strncmp(p, secrets[i], len) == 0)
			{
				appendStringInfoString(&buf, "********");
				p += len;
				matched = changed = true;
				break;
			}
		}
		if (!matched)
			appendStringInfoChar(&buf, *p++);
	}
	if (!changed)
	{
		pfree(buf.data);
		return NULL;
	}
	return buf.data;
}

/* TEXT with every known secret replaced by asterisks (always a copy). */
char *
migrate_redact(const char *text)
{
	char	   *r = redact_or_null(text);

	return r ? r : pstrdup(text);
}

/*
 * TEXT with the passwords of connection strings in it masked: the password
 * of a URI's userinfo (scheme://user:password@host), the value of every
 * password=... (key=value form or URI query), and the values of the option
 * "role_passwords".  NULL when nothing was found.
 * This catches statements logged before any of our code runs
 * (log_statement = all), whatever function they call.
 */
static char *
scrub_or_null(const char *text)
{
	StringInfoData buf;
	const char *p = text;
	bool		changed = false;

	if (text == NULL ||
		(strstr(text, "://") == NULL && strstr(text, "password") == NULL))
		return NULL;

	initStringInfo(&buf);
	while (*p)
	{
		if (strncmp(p, "://", 3) == 0)
		{
			/*
			 * userinfo ends at '@'; the authority ends earlier otherwise.  A
			 * doubled quote is a quote of the password inside an SQL
			 * literal, a single one the literal's end.
			 */
			const char *end = p + 3;
			const char *colon;

			while (*end && strchr("@/?#\" \t\r\n", *end) == NULL)
			{
				if (*end == '\'' && end[1] != '\'')
					break;
				end += (*end == '\'') ? 2 : 1;
			}

			appendBinaryStringInfo(&buf, p, 3);
			p += 3;
			if (*end == '@' && (colon = memchr(p, ':', end - p)) != NULL)
			{
				appendBinaryStringInfo(&buf, p, colon - p + 1);
				appendStringInfoString(&buf, "********");
				p = end;
				changed = true;
			}
			continue;
		}
		if (strncmp(p, "\"role_passwords\"", 16) == 0)
		{
			/* the jsonb option: mask every string value of the object */
			const char *v = p + 16;

			v += strspn(v, " \t\r\n");
			if (*v == ':')
			{
				v++;
				v += strspn(v, " \t\r\n");
			}
			if (*v == '{')
			{
				appendBinaryStringInfo(&buf, p, v - p);
				p = v;
				while (*p && *p != '}')
				{
					if (*p == ':')
					{
						appendStringInfoChar(&buf, *p++);
						while (*p == ' ' || *p == '\t')
							appendStringInfoChar(&buf, *p++);
						if (*p == '"')
						{
							for (p++; *p && *p != '"'; p++)
								if (*p == '\\' && p[1])
									p++;
							if (*p)
								p++;
							appendStringInfoString(&buf, "\"********\"");
							changed = true;
						}
						continue;
					}
					appendStringInfoChar(&buf, *p++);
				}
				continue;
			}
		}
		if (strncmp(p, "password", 8) == 0)
		{
			const char *v = p + 8;

			while (*v == ' ' || *v == '\t')
				v++;
			if (*v == '=')
			{
				v++;
				while (*v == ' ' || *v == '\t')
					v++;
				appendBinaryStringInfo(&buf, p, v - p);
				appendStringInfoString(&buf, "********");
				if (*v == '\'' && v[1] == '\'')
				{
					/* a quoted value inside an SQL literal: ''...'' */
					for (v += 2; *v && strncmp(v, "''", 2) != 0; v++)
						if (*v == '\\' && v[1])
							v++;
					if (*v)
						v += 2;
				}
				else if (*v == '\'')
				{
					/* a quoted value: '...' */
					for (v++; *v && *v != '\''; v++)
						if (*v == '\\' && v[1])
							v++;
					if (*v)
						v++;
				}
				else
				{
					/* as above: '' is a quote of the value, ' the literal's end */
					while (*v && strchr(" \t\r\n&\"", *v) == NULL)
					{
						if (*v == '\'' && v[1] != '\'')
							break;
						v += (*v == '\'') ? 2 : 1;
					}
				}
				p = v;
				changed = true;
				continue;
			}
		}
		appendStringInfoChar(&buf, *p++);
	}
	if (!changed)
	{
		pfree(buf.data);
		return NULL;
	}
	return buf.data;
}

/* TEXT cleaned of known secrets and of connection string passwords, or NULL. */
static char *
clean_or_null(const char *text)
{
	char	   *r1 = redact_or_null(text);
	char	   *r2 = scrub_or_null(r1 ? r1 : text);

	return r2 ? r2 : r1;
}

/*
 * Log hook: hide the statement of any report whose statement carries a
 * password, and clean the report's own texts.
 */
static void
migrate_emit_log_hook(ErrorData *edata)
{
	char	   *r;

	if (debug_query_string != NULL && !edata->hide_stmt)
	{
		r = clean_or_null(debug_query_string);
		if (r != NULL)
		{
			edata->hide_stmt = true;
			pfree(r);
		}
	}
	if ((r = clean_or_null(edata->message)) != NULL)
		edata->message = r;
	if ((r = clean_or_null(edata->detail)) != NULL)
		edata->detail = r;
	if ((r = clean_or_null(edata->detail_log)) != NULL)
		edata->detail_log = r;
	if ((r = clean_or_null(edata->hint)) != NULL)
		edata->hint = r;
	if ((r = clean_or_null(edata->context)) != NULL)
		edata->context = r;
	if ((r = clean_or_null(edata->internalquery)) != NULL)
		edata->internalquery = r;

	/* a hook after ours sees the report cleaned */
	if (prev_emit_log_hook)
		prev_emit_log_hook(edata);
}

