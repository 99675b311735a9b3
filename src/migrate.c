/*-------------------------------------------------------------------------
 *
 * migrate.c
 *		Library entry point: GUCs, the launcher's registration and the log
 *		hook (redact.c).
 *
 * The library loads both with and without shared_preload_libraries.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>

#include "fmgr.h"
#include "miscadmin.h"
#include "port.h"
#include "utils/builtins.h"
#include "utils/guc.h"

#include "launcher.h"
#include "live.h"
#include "migrate.h"
#include "redact.h"

PG_MODULE_MAGIC;

char	   *migrate_database = NULL;
int			migrate_max_workers = 4;
char	   *migrate_pg_bin_dir = NULL;
int			migrate_source_timeout = 300;
int			migrate_source_lock_timeout = 60000;
int			migrate_slot_wal_warning = 1024;
char	   *migrate_notify_allowed_urls = NULL;

void		_PG_init(void);

/* Defines the GUCs and installs the log hook. */
void
_PG_init(void)
{
	if (IsBinaryUpgrade)
		return;

	DefineCustomStringVariable("migrate.database",
							   "Database in which the migrate extension keeps its state.",
							   "Background workers of migrate connect to this database.",
							   &migrate_database,
							   "postgres",
	/* fixed at server start when preloaded; loaded later, it cannot be */
							   process_shared_preload_libraries_in_progress ?
							   PGC_POSTMASTER : PGC_SIGHUP,
							   0,
							   NULL, NULL, NULL);

	DefineCustomIntVariable("migrate.max_workers",
							"Default number of copy workers of one migration.",
							"The \"workers\" option of migrate.start overrides it.",
							&migrate_max_workers,
							4, 1, 64,
							PGC_SIGHUP,
							0,
							NULL, NULL, NULL);

	DefineCustomStringVariable("migrate.pg_bin_dir",
							   "Directory holding pg_dump and pg_restore.",
							   "Empty means the directory of this server's own binaries.",
							   &migrate_pg_bin_dir,
							   "",
							   PGC_SUSET,
							   0,
							   NULL, NULL, NULL);

	DefineCustomIntVariable("migrate.source_timeout",
							"How long a source may stay silent while migrate waits for it.",
							"A frozen source or a network that drops everything is an error after this long, and the step is retried.  0 waits forever.",
							&migrate_source_timeout,
							300, 0, 86400,
							PGC_SIGHUP,
							GUC_UNIT_S,
							NULL, NULL, NULL);

	DefineCustomIntVariable("migrate.source_lock_timeout",
							"How long a source session waits for a lock on a table it reads.",
							"pg_dump and the copy sessions give up after this long and the step is retried later, with an event each time.",
							&migrate_source_lock_timeout,
							60000, 1, INT_MAX,
							PGC_SIGHUP,
							GUC_UNIT_MS,
							NULL, NULL, NULL);

	DefineCustomIntVariable("migrate.slot_wal_warning",
							"How much WAL a migration's replication slot may keep on the source before an event says so.",
							"A slot keeps every WAL segment its subscriber has not confirmed: past this, the event slot_wal_high fires (once, until it is below again).  0 never warns.",
							&migrate_slot_wal_warning,
							1024, 0, INT_MAX,
							PGC_SIGHUP,
							GUC_UNIT_MB,
							NULL, NULL, NULL);

	DefineCustomStringVariable("migrate.notify_allowed_urls",
							   "URL prefixes that the option notify_url may name, comma-separated.",
							   "Empty (the default) allows no webhook: only a superuser chooses which servers this server may be made to call.",
							   &migrate_notify_allowed_urls,
							   "",
							   PGC_SIGHUP,
							   0,
							   NULL, NULL, NULL);

	MarkGUCPrefixReserved("migrate");

	/* the launcher resumes migrations after a crash or a restart */
	if (process_shared_preload_libraries_in_progress)
		migrate_register_launcher();

	migrate_live_init();
	migrate_install_log_hook();
}

/* Full path of PROGRAM (pg_dump, pg_restore) in migrate.pg_bin_dir. */
char *
migrate_bin_path(const char *program)
{
	char		dir[MAXPGPATH];

	if (migrate_pg_bin_dir != NULL && migrate_pg_bin_dir[0] != '\0')
		strlcpy(dir, migrate_pg_bin_dir, sizeof(dir));
	else
	{
		strlcpy(dir, my_exec_path, sizeof(dir));
		get_parent_directory(dir);
	}
	return psprintf("%s/%s", dir, program);
}
