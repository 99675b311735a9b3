/*-------------------------------------------------------------------------
 *
 * live.c
 *		Live progress of running tasks in shared memory.  With the library
 *		preloaded, every backend has a slot (by its backend id); a copy
 *		worker names the task it runs there and updates its rows and bytes
 *		as it copies, and migrate.live_progress() reads them for the views.
 *		Without preloading there is no such memory: the worker sends its
 *		progress to the coordinator, which writes it to migrate.task in
 *		batches (dispatch.c).
 *
 * A slot is written by its backend only.  A reader takes the task id, the
 * counters, and the task id again, and keeps the row only when both ids
 * agree: never the counters of one task under the id of another.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "port/atomics.h"
#include "storage/backendid.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/acl.h"
#include "utils/builtins.h"

#include "live.h"

typedef struct LiveSlot
{
	pg_atomic_uint64 task_id;	/* 0: none */
	pg_atomic_uint64 rows;
	pg_atomic_uint64 bytes;
	int64		migration_id;
	Oid			owner;			/* the role that started the migration */
} LiveSlot;

static LiveSlot *live_slots = NULL;
static int	live_nslots = 0;
static LiveSlot *my_slot = NULL;

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

static Size
live_size(void)
{
	return mul_size(MaxBackends, sizeof(LiveSlot));
}

static void
live_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(live_size());
}

static void
live_shmem_startup(void)
{
	bool		found;
	int			i;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	live_slots = ShmemInitStruct("migrate live progress", live_size(), &found);
	live_nslots = MaxBackends;
	if (!found)
		for (i = 0; i < live_nslots; i++)
		{
			pg_atomic_init_u64(&live_slots[i].task_id, 0);
			pg_atomic_init_u64(&live_slots[i].rows, 0);
			pg_atomic_init_u64(&live_slots[i].bytes, 0);
			live_slots[i].migration_id = 0;
			live_slots[i].owner = InvalidOid;
		}
	LWLockRelease(AddinShmemInitLock);
}

/* From _PG_init: the shared memory, when the library is preloaded. */
void
migrate_live_init(void)
{
	if (!process_shared_preload_libraries_in_progress)
		return;
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = live_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = live_shmem_startup;
}

/* Is there shared memory for live progress in this server? */
bool
migrate_live_available(void)
{
	return live_slots != NULL && MyBackendId != InvalidBackendId &&
		MyBackendId <= live_nslots;
}

static void
live_release(int code, Datum arg)
{
	if (my_slot != NULL)
		pg_atomic_write_u64(&my_slot->task_id, 0);
	my_slot = NULL;
}

/*
 * This backend runs task TASK_ID of migration MIGRATION_ID (started by
 * OWNER) from now on, with no rows yet.  The slot keeps the task until the
 * next one, or until the backend exits: a task's last figures stay readable
 * until the coordinator has recorded them.
 */
void
migrate_live_begin(int64 migration_id, Oid owner, int64 task_id)
{
	if (!migrate_live_available())
		return;
	if (my_slot == NULL)
	{
		my_slot = &live_slots[MyBackendId - 1];
		on_shmem_exit(live_release, (Datum) 0);
	}
	pg_atomic_write_u64(&my_slot->task_id, 0);
	pg_write_barrier();
	my_slot->migration_id = migration_id;
	my_slot->owner = owner;
	pg_atomic_write_u64(&my_slot->rows, 0);
	pg_atomic_write_u64(&my_slot->bytes, 0);
	pg_write_barrier();
	pg_atomic_write_u64(&my_slot->task_id, (uint64) task_id);
}

/* The counters of this backend's task so far. */
void
migrate_live_set(int64 rows, int64 bytes)
{
	if (my_slot == NULL)
		return;
	pg_atomic_write_u64(&my_slot->rows, (uint64) rows);
	pg_atomic_write_u64(&my_slot->bytes, (uint64) bytes);
}

PG_FUNCTION_INFO_V1(migrate_live_progress_sql);

/*
 * SQL: migrate.live_progress() — the tasks running now with their rows and
 * bytes so far, of the migrations the caller may see (those started by a
 * role it is a member of).  No rows without preloading.
 */
Datum
migrate_live_progress_sql(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int			i;

	InitMaterializedSRF(fcinfo, 0);
	for (i = 0; live_slots != NULL && i < live_nslots; i++)
	{
		LiveSlot   *s = &live_slots[i];
		uint64		id = pg_atomic_read_u64(&s->task_id);
		int64		migration_id;
		Oid			owner;
		uint64		rows;
		uint64		bytes;
		Datum		values[4];
		bool		nulls[4] = {false, false, false, false};

		if (id == 0)
			continue;
		pg_read_barrier();
		migration_id = s->migration_id;
		owner = s->owner;
		rows = pg_atomic_read_u64(&s->rows);
		bytes = pg_atomic_read_u64(&s->bytes);
		pg_read_barrier();
		if (pg_atomic_read_u64(&s->task_id) != id)
			continue;			/* it moved on meanwhile */
		if (!OidIsValid(owner) || !is_member_of_role(GetUserId(), owner))
			continue;
		values[0] = Int64GetDatum(migration_id);
		values[1] = Int64GetDatum((int64) id);
		values[2] = Int64GetDatum((int64) rows);
		values[3] = Int64GetDatum((int64) bytes);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
