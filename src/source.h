/*-------------------------------------------------------------------------
 *
 * source.h
 *		Connections to the source and the results of its queries (source.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATE_SOURCE_H
#define MIGRATE_SOURCE_H

#include "postgres.h"

#include "libpq-fe.h"

#include "conninfo.h"

typedef struct SourceConn
{
	PGconn	   *conn;
	char	   *dbname;
	bool		cancel_on_close;
	bool		replication;	/* a walsender: simple queries only */
} SourceConn;

typedef struct SourceResult
{
	int			nrows;
	int			ncols;
	char	  **names;			/* ncols column names (when nrows > 0) */
	char	  **values;			/* nrows * ncols; NULL for SQL NULL */
} SourceResult;

/*
 * A value of a result, NULL for SQL NULL.  Out of the result's rows or
 * columns is an error, never a read of whatever lies there: a source may
 * answer with fewer rows or columns than any honest server would.
 */
static inline char *
sr_value(const SourceResult *res, int row, int col)
{
	if (row < 0 || row >= res->nrows || col < 0 || col >= res->ncols)
		ereport(ERROR,
				(errcode(ERRCODE_PROTOCOL_VIOLATION),
				 errmsg("a query answered with %d row%s of %d column%s where row %d column %d was expected",
						res->nrows, res->nrows == 1 ? "" : "s", res->ncols,
						res->ncols == 1 ? "" : "s", row + 1, col + 1),
				 errhint("The source server did not answer as PostgreSQL does: check that the source is the server it should be.")));
	return res->values[row * res->ncols + col];
}

#define SR_VALUE(res, row, col) sr_value((res), (row), (col))
/* where a result is filled in */
#define SR_SLOT(res, row, col) ((res)->values[(row) * (res)->ncols + (col)])

extern SourceConn *migrate_source_connect(const SourceInfo *src, const char *dbname,
								  char **errmsg_out);
extern SourceResult *migrate_source_query(SourceConn *sc, const char *sql,
								  int nparams, const char *const *params);
extern void migrate_source_send(SourceConn *sc, const char *sql, int nparams,
								const char *const *params);
extern SourceResult *migrate_source_collect(SourceConn *sc, const char *sql);
extern SourceResult *migrate_source_collect_patiently(SourceConn *sc, const char *sql);
extern SourceConn *migrate_source_connect_replication(const SourceInfo *src,
													  const char *dbname);
extern SourceResult *migrate_source_simple_query(SourceConn *sc, const char *sql);
extern int	migrate_source_column(const SourceResult *res, const char *name);
extern void migrate_source_close(SourceConn *sc);
extern void migrate_source_await_result(SourceConn *sc);
extern void migrate_source_raise_result(SourceConn *sc, PGresult *res, const char *sql);
extern void migrate_source_wait_readable(PGconn *conn);
extern int	migrate_source_server_version(SourceConn *sc);

#endif							/* MIGRATE_SOURCE_H */
