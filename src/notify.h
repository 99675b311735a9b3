/*-------------------------------------------------------------------------
 *
 * notify.h
 *		Webhooks: a JSON document posted to the migration's notify_url,
 *		bounded in time, to allowed URLs only (notify.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATE_NOTIFY_H
#define MIGRATE_NOTIFY_H

#include "postgres.h"

extern char *migrate_notify_post(const char *url, const char *body);
extern bool migrate_notify_url_allowed(const char *url);

#endif							/* MIGRATE_NOTIFY_H */
