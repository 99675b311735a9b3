/*-------------------------------------------------------------------------
 *
 * conninfo.c
 *		Source connection strings: parsing, masking, and the rules that keep
 *		a non-superuser from reaching servers through this server's own trust
 *		rules, passfile or files (the rules of dblink and postgres_fdw).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"

#include "conninfo.h"
#include "redact.h"

#define DEFAULT_CONNECT_TIMEOUT 10

/*
 * The connection options a non-superuser may give.  Every other one
 * (passfile, service, sslcert, sslkey, sslpassword, sslrootcert, sslcrl,
 * and whatever a newer libpq adds) is a superuser's: it makes this server
 * read its own files, or act on its own credentials, for the caller.
 */
static const char *const user_options[] = {
	"host", "hostaddr", "port", "dbname", "user", "password", "connect_timeout",
	"client_encoding", "options", "application_name", "fallback_application_name",
	"keepalives", "keepalives_idle", "keepalives_interval", "keepalives_count",
	"tcp_user_timeout", "sslmode", "sslcompression", "sslsni", "requiressl",
	"ssl_min_protocol_version", "ssl_max_protocol_version", "channel_binding",
	"gssencmode", "target_session_attrs", "load_balance_hosts", "require_auth",
	NULL
};

static bool source_uses_socket(const SourceInfo *src);

/* Options whose values are secrets: masked everywhere, never on an argv. */
static bool
is_secret_option(const char *keyword)
{
	return strcmp(keyword, "password") == 0 || strcmp(keyword, "sslpassword") == 0;
}

/*
 * TCP keepalives and a bound on unacknowledged data, unless the string sets
 * them: a source that vanishes from the network is noticed in about a
 * minute instead of when the kernel gives up (hours).
 */
static const char *const keepalive_defaults[][2] = {
	{"keepalives", "1"},
	{"keepalives_idle", "30"},
	{"keepalives_interval", "10"},
	{"keepalives_count", "3"},
	{"tcp_user_timeout", "60000"},
};

/*
 * Registers SECRET and the forms it takes when written inside an SQL literal
 * (quotes doubled) or a quoted conninfo value (quotes and backslashes
 * escaped), so that none of them reaches the log.
 */
static void
register_secret_forms(const char *secret)
{
	StringInfoData sql;
	StringInfoData conn;
	StringInfoData both;
	const char *p;

	migrate_register_secret(secret);
	if (strpbrk(secret, "'\\") == NULL)
		return;
	initStringInfo(&sql);
	initStringInfo(&conn);
	for (p = secret; *p; p++)
	{
		if (*p == '\'')
			appendStringInfoChar(&sql, '\'');
		appendStringInfoChar(&sql, *p);
		if (*p == '\'' || *p == '\\')
			appendStringInfoChar(&conn, '\\');
		appendStringInfoChar(&conn, *p);
	}
	initStringInfo(&both);
	for (p = conn.data; *p; p++)
	{
		if (*p == '\'')
			appendStringInfoChar(&both, '\'');
		appendStringInfoChar(&both, *p);
	}
	migrate_register_secret(sql.data);
	migrate_register_secret(conn.data);
	migrate_register_secret(both.data);
}

/*
 * Registers as secrets the password substrings of SOURCE as they are written
 * (percent-encoded in a URI, quoted in key=value form), so that even a string
 * that fails to parse never shows its password in the log.
 */
static void
register_raw_secrets(const char *source)
{
	const char *p;

	/* userinfo of a URI: scheme://user:password@host */
	if (strncmp(source, "postgresql://", 13) == 0 ||
		strncmp(source, "postgres://", 11) == 0)
	{
		const char *start = strstr(source, "://") + 3;
		const char *end = start + strcspn(start, "/?");
		const char *at = NULL;

		for (p = start; p < end; p++)
			if (*p == '@')
				at = p;
		if (at != NULL)
		{
			const char *colon = memchr(start, ':', at - start);

			if (colon != NULL && at > colon + 1)
				register_secret_forms(pnstrdup(colon + 1, at - colon - 1));
		}
	}

	/* password=value in key=value form or in a URI's query */
	p = source;
	while ((p = strstr(p, "password")) != NULL)
	{
		const char *v = p + 8;
		StringInfoData buf;

		p = v;
		while (isspace((unsigned char) *v))
			v++;
		if (*v != '=')
			continue;
		v++;
		while (isspace((unsigned char) *v))
			v++;
		initStringInfo(&buf);
		if (*v == '\'')
		{
			for (v++; *v && *v != '\''; v++)
			{
				if (*v == '\\' && v[1])
					v++;
				appendStringInfoChar(&buf, *v);
			}
		}
		else
		{
			while (*v && !isspace((unsigned char) *v) && *v != '&')
				appendStringInfoChar(&buf, *v++);
		}
		register_secret_forms(buf.data);
	}
}

/* Appends VALUE to BUF quoted as a conninfo value when it needs it. */
static void
append_conninfo_value(StringInfo buf, const char *value)
{
	const char *p;
	bool		plain = value[0] != '\0';

	for (p = value; *p; p++)
		if (isspace((unsigned char) *p) || *p == '\'' || *p == '\\')
			plain = false;
	if (plain)
	{
		appendStringInfoString(buf, value);
		return;
	}
	appendStringInfoChar(buf, '\'');
	for (p = value; *p; p++)
	{
		if (*p == '\'' || *p == '\\')
			appendStringInfoChar(buf, '\\');
		appendStringInfoChar(buf, *p);
	}
	appendStringInfoChar(buf, '\'');
}

/*
 * Parses SOURCE, a libpq URI or key=value string.  Raises an error with a
 * hint when it does not parse; the password never appears in the error.
 */
SourceInfo *
migrate_parse_source(const char *source)
{
	SourceInfo *src = palloc0(sizeof(SourceInfo));
	PQconninfoOption *opts;
	PQconninfoOption *o;
	char	   *err = NULL;
	StringInfoData masked;
	int			n = 0;
	bool		have_appname = false;

	register_raw_secrets(source);

	opts = PQconninfoParse(source, &err);
	if (opts == NULL)
	{
		char	   *msg = err ? migrate_redact(err) : pstrdup("out of memory");
		int			len = strlen(msg);

		if (err)
			PQfreemem(err);
		while (len > 0 && msg[len - 1] == '\n')
			msg[--len] = '\0';
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid source connection string"),
				 errdetail("%s", msg),
				 errhint("Give a URI such as postgres://app@db.example.com:5432/postgres (the password after the user name and a colon), or key=value pairs of host, port, dbname, user and password.")));
	}

	for (o = opts; o->keyword != NULL; o++)
		n++;
	src->keywords = palloc0(sizeof(char *) * (n + 3 + lengthof(keepalive_defaults)));
	src->values = palloc0(sizeof(char *) * (n + 3 + lengthof(keepalive_defaults)));
	src->connect_timeout = DEFAULT_CONNECT_TIMEOUT;

	initStringInfo(&masked);
	n = 0;
	for (o = opts; o->keyword != NULL; o++)
	{
		if (o->val == NULL || o->val[0] == '\0')
			continue;
		src->keywords[n] = pstrdup(o->keyword);
		src->values[n] = pstrdup(o->val);
		n++;

		if (masked.len > 0)
			appendStringInfoChar(&masked, ' ');
		appendStringInfo(&masked, "%s=", o->keyword);
		if (strcmp(o->keyword, "password") == 0)
			src->password = pstrdup(o->val);
		if (is_secret_option(o->keyword))
		{
			register_secret_forms(o->val);
			appendStringInfoString(&masked, "********");
		}
		else
			append_conninfo_value(&masked, o->val);

		if (strcmp(o->keyword, "connect_timeout") == 0)
		{
			int			t = atoi(o->val);

			/* libpq's own rule: anything below 2 seconds means 2 */
			src->connect_timeout = t <= 0 ? 0 : Max(t, 2);
		}
		if (strcmp(o->keyword, "application_name") == 0)
			have_appname = true;
	}
	PQconninfoFree(opts);

	if (!have_appname)
	{
		src->keywords[n] = "application_name";
		src->values[n] = "migrate";
		n++;
	}
	{
		int			k;

		for (k = 0; k < lengthof(keepalive_defaults); k++)
		{
			int			i;
			bool		given = false;

			for (i = 0; i < n && !given; i++)
				given = strcmp(src->keywords[i], keepalive_defaults[k][0]) == 0;
			if (!given)
			{
				src->keywords[n] = keepalive_defaults[k][0];
				src->values[n] = keepalive_defaults[k][1];
				n++;
			}
		}
	}
	src->nparams = n;
	src->masked = masked.data;
	return src;
}

/* The database named by the source string, or NULL (libpq's default). */
char *
migrate_source_dbname(const SourceInfo *src)
{
	int			i;

	for (i = 0; i < src->nparams; i++)
		if (strcmp(src->keywords[i], "dbname") == 0)
			return (char *) src->values[i];
	return NULL;
}

/*
 * The rules for the role ROLEID asking to connect with SRC: a non-superuser
 * must give a password (and migrate_source_connect checks that it was used), and may
 * not name files of this server.
 */
void
migrate_check_source_rules(SourceInfo *src, Oid roleid)
{
	int			i,
				j;

	src->require_password = !superuser_arg(roleid);
	if (!src->require_password)
		return;

	for (i = 0; i < src->nparams; i++)
	{
		bool		allowed = false;

		for (j = 0; user_options[j] != NULL && !allowed; j++)
			allowed = strcmp(src->keywords[i], user_options[j]) == 0;
		if (!allowed)
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("only superusers may use the connection option \"%s\" in a source", src->keywords[i]),
					 errdetail("It makes this server read its own files, or use its own credentials, on the caller's behalf."),
					 errhint("Remove \"%s\" from the source connection string.", src->keywords[i])));
	}

	if (src->password == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_S_R_E_PROHIBITED_SQL_STATEMENT_ATTEMPTED),
				 errmsg("password is required"),
				 errdetail("Non-superusers must give a password in the source connection string."),
				 errhint("Add the password to the source: in a URI after the user name and a colon, or as the key \"password\".")));

	if (source_uses_socket(src))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("only superusers may reach the source through a Unix-domain socket"),
				 errdetail("A socket path, or a source string without a host, leads to servers on this machine, this one included."),
				 errhint("Give the source's host name or IP address, for example host=db.example.com or host=127.0.0.1.")));
}

/* The value of KEYWORD in SRC, or NULL. */
static const char *
source_option(const SourceInfo *src, const char *keyword)
{
	int			i;

	for (i = 0; i < src->nparams; i++)
		if (strcmp(src->keywords[i], keyword) == 0)
			return src->values[i];
	return NULL;
}

/*
 * Could a connection with SRC go through a Unix-domain socket?  That is so
 * when an entry of its host list is empty, a path, or an abstract socket
 * name, and no address is given for it; or when it names no host at all.
 */
static bool
source_uses_socket(const SourceInfo *src)
{
	const char *host = source_option(src, "host");
	const char *hostaddr = source_option(src, "hostaddr");
	char	   *hosts;
	char	   *addrs;
	char	   *h;
	char	   *a;

	if (host == NULL)
	{
		/* an empty entry of an address list means the default socket */
		if (hostaddr == NULL)
			return true;
		addrs = pstrdup(hostaddr);
		for (a = addrs; a != NULL;)
		{
			char	   *anext = strchr(a, ',');

			if (anext)
				*anext++ = '\0';
			if (*a == '\0')
				return true;
			a = anext;
		}
		return false;
	}
	hosts = pstrdup(host);
	addrs = hostaddr ? pstrdup(hostaddr) : pstrdup("");
	/* libpq pairs the entries of the two lists one by one */
	for (h = hosts, a = addrs; h != NULL;)
	{
		char	   *hnext = strchr(h, ',');
		char	   *anext = a ? strchr(a, ',') : NULL;

		if (hnext)
			*hnext++ = '\0';
		if (anext)
			*anext++ = '\0';
		if ((a == NULL || *a == '\0') && (*h == '\0' || *h == '/' || *h == '@'))
			return true;
		h = hnext;
		a = anext;
	}
	return false;
}

/* Appends KEYWORD=VALUE (VALUE quoted as conninfo wants) to BUF. */
void
migrate_append_conninfo_pair(StringInfo buf, const char *keyword, const char *value)
{
	if (buf->len > 0)
		appendStringInfoChar(buf, ' ');
	appendStringInfo(buf, "%s=", keyword);
	append_conninfo_value(buf, value);
}

/*
 * SRC as a key=value connection string pinned to the server that CONN
 * reached: one host, the address it resolved to and its port, so that every
 * later connection and child process goes to exactly that server and never
 * to another entry of a host list or another address of a name.
 */
char *
migrate_pinned_source(const SourceInfo *src, PGconn *conn)
{
	StringInfoData buf;
	const char *host = PQhost(conn);
	const char *hostaddr = PQhostaddr(conn);
	const char *port = PQport(conn);
	int			i;

	initStringInfo(&buf);
	for (i = 0; i < src->nparams; i++)
	{
		if (strcmp(src->keywords[i], "host") == 0 ||
			strcmp(src->keywords[i], "hostaddr") == 0 ||
			strcmp(src->keywords[i], "port") == 0 ||
			strcmp(src->keywords[i], "target_session_attrs") == 0)
			continue;
		migrate_append_conninfo_pair(&buf, src->keywords[i], src->values[i]);
	}
	if (host != NULL && host[0] != '\0')
		migrate_append_conninfo_pair(&buf, "host", host);
	if (hostaddr != NULL && hostaddr[0] != '\0' &&
		(host == NULL || (host[0] != '/' && host[0] != '@')))
		migrate_append_conninfo_pair(&buf, "hostaddr", hostaddr);
	if (port != NULL && port[0] != '\0')
		migrate_append_conninfo_pair(&buf, "port", port);
	return buf.data;
}

PG_FUNCTION_INFO_V1(migrate_mask_source);

/* SQL: migrate.mask_source(text) — the connection string, password masked. */
Datum
migrate_mask_source(PG_FUNCTION_ARGS)
{
	char	   *source = text_to_cstring(PG_GETARG_TEXT_PP(0));
	SourceInfo *src = migrate_parse_source(source);

	PG_RETURN_TEXT_P(cstring_to_text(src->masked));
}
