/*-------------------------------------------------------------------------
 *
 * state.h
 *		The coordinator's transactions on the state tables, its events and
 *		webhooks, and which errors are worth another try (state.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATE_STATE_H
#define MIGRATE_STATE_H

#include "postgres.h"

#include "source.h"

/* Transactions that leave the caller's memory context current. */
extern void migrate_tx_begin(void);
extern void migrate_tx_commit(void);
/* One transaction for all that a round of results writes. */
extern void migrate_round_tx_begin(void);
extern void migrate_round_tx_end(void);

/* State statements with text parameters (NULL: SQL NULL), as the owner. */
extern void migrate_coord_exec(const char *sql, int nargs, const char **args);
extern void migrate_coord_exec_tx(const char *sql, int nargs, const char **args);
extern SourceResult *migrate_coord_query(const char *sql, int nargs, const char **args);
extern char *migrate_coord_id(void);

/* Events (any backend), and the coordinator's, with their webhooks. */
extern void migrate_event(int64 migration_id, const char *kind, const char *detail_json);
extern char *migrate_json_obj(const char *first,...);
extern void migrate_coord_event(const char *kind, const char *detail_json);
extern void migrate_set_phase(const char *phase);
extern char *migrate_run_catching(void (*fn) (void *arg), void *arg);

/* Errors worth another try, and the back-off between tries. */
extern bool migrate_sqlstate_transient(const char *sqlstate);
extern int	migrate_backoff_seconds(int attempt);
extern void migrate_retry_event(const char *dbname, ErrorData *edata, int attempt,
								int retry_in);

#endif							/* MIGRATE_STATE_H */
