/*-------------------------------------------------------------------------
 *
 * conninfo.h
 *		The source connection string: parsed, checked against the rules of a
 *		non-superuser, pinned to one server (conninfo.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATE_CONNINFO_H
#define MIGRATE_CONNINFO_H

#include "postgres.h"

#include "lib/stringinfo.h"

#include "libpq-fe.h"

/*
 * A parsed source connection string (conninfo.c).  keywords/values are the
 * non-empty options of the string, ready for PQconnectStartParams; dbname
 * may be replaced per database.
 */
typedef struct SourceInfo
{
	int			nparams;
	const char **keywords;
	const char **values;
	char	   *password;		/* NULL when none was given */
	char	   *masked;			/* key=value form, password masked */
	int			connect_timeout;	/* seconds */
	bool		require_password;	/* the asking role is not a superuser */
} SourceInfo;

extern SourceInfo *migrate_parse_source(const char *source);
extern char *migrate_source_dbname(const SourceInfo *src);
extern void migrate_check_source_rules(SourceInfo *src, Oid roleid);
extern char *migrate_pinned_source(const SourceInfo *src, PGconn *conn);
extern void migrate_append_conninfo_pair(StringInfo buf, const char *keyword,
										 const char *value);

#endif							/* MIGRATE_CONNINFO_H */
