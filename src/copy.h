/*-------------------------------------------------------------------------
 *
 * copy.h
 *		A table, or a block range of one, streamed from the source's COPY
 *		into this server's COPY machinery in process (copy.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATE_COPY_H
#define MIGRATE_COPY_H

#include "postgres.h"

#include "protocol.h"
#include "source.h"

typedef void (*copy_progress_cb) (int64 rows, int64 bytes, void *arg);

extern uint64 migrate_copy_table(SourceConn *conn, const TaskMsg *task, const char *where,
								 bool binary_ok, copy_progress_cb progress,
								 void *progress_arg, int64 *bytes_out);

#endif							/* MIGRATE_COPY_H */
