/*-------------------------------------------------------------------------
 *
 * schema.h
 *		The schema of a source database: pg_dump at the snapshot, its script
 *		split with the server's parser, post-data sorted into tasks
 *		(schema.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATE_SCHEMA_H
#define MIGRATE_SCHEMA_H

#include "postgres.h"

#include "nodes/pg_list.h"

#include "conninfo.h"
#include "tasks.h"

typedef struct DumpStatement
{
	char	   *sql;
	MigrateTaskKind kind;		/* MTK_INDEX, MTK_CONSTRAINT or MTK_POST */
	char	   *schema_name;	/* the table it is on, when known */
	char	   *table_name;
} DumpStatement;

extern void migrate_pg_dump_schema(const SourceInfo *src, const char *dbname,
								   const char *snapshot, const char *encoding,
								   List *tables, List *exclude, char **pre, char **post);
extern List *migrate_split_sql(const char *script);
extern List *migrate_try_raw_parse(const char *sql);
extern List *migrate_classify_post_data(List *statements);
extern bool migrate_default_tablespace_of(const char *sql, const char **tablespace);
extern bool migrate_statement_tolerated(const char *sql);
extern bool migrate_is_owner_statement(const char *sql);
extern char *migrate_superuser_object(const char *sql, bool *superuser_part);
extern void migrate_clean_tmp_dir(void);

#endif							/* MIGRATE_SCHEMA_H */
