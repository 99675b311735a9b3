/*-------------------------------------------------------------------------
 *
 * redact.h
 *		Masking of passwords and source strings in every message the server
 *		logs or sends (redact.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATE_REDACT_H
#define MIGRATE_REDACT_H

#include "postgres.h"

extern void migrate_install_log_hook(void);
extern void migrate_register_secret(const char *secret);
extern char *migrate_redact(const char *text);

#endif							/* MIGRATE_REDACT_H */
