/*-------------------------------------------------------------------------
 *
 * pool.c
 *		The coordinator's copy workers: a slot each, with the DSM segment and
 *		the two queues it shares with the worker; started when a database has
 *		work and no idle worker, polled for results, told to exit when idle
 *		and not needed, stopped with the migration.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "postmaster/bgworker.h"
#include "storage/proc.h"
#include "storage/shm_toc.h"
#include "utils/memutils.h"

#include "coordinator.h"
#include "dispatch.h"
#include "launcher.h"
#include "pool.h"
#include "protocol.h"
#include "state.h"

static WorkerSlot slots[MIGRATE_MAX_SLOTS];

int
migrate_pool_live(void)
{
	int			i,
				n = 0;

	for (i = 0; i < migrate_coord.max_workers; i++)
		if (slots[i].in_use)
			n++;
	return n;
}

void
migrate_pool_free(WorkerSlot *slot)
{
	if (slot->seg != NULL)
		dsm_detach(slot->seg);
	if (slot->handle != NULL)
		pfree(slot->handle);
	memset(slot, 0, sizeof(WorkerSlot));
}

/* Starts a copy worker for DBNAME; NULL when no worker slot is free now. */
WorkerSlot *
migrate_pool_start(const char *dbname, Oid dboid, Oid owner)
{
	WorkerSlot *slot = NULL;
	shm_toc_estimator e;
	shm_toc    *toc;
	Size		size;
	Size		shared_size = offsetof(WorkerShared, source) + strlen(migrate_coord.source_string) + 1;
	WorkerShared *shared;
	shm_mq	   *mq;
	BackgroundWorker bgw;
	int			i;
	MemoryContext old;

	for (i = 0; i < migrate_coord.max_workers; i++)
		if (!slots[i].in_use)
		{
			slot = &slots[i];
			break;
		}
	if (slot == NULL)
		return NULL;

	old = MemoryContextSwitchTo(migrate_coord.cxt);
	shm_toc_initialize_estimator(&e);
	shm_toc_estimate_chunk(&e, shared_size);
	shm_toc_estimate_chunk(&e, MIGRATE_MQ_SIZE);
	shm_toc_estimate_chunk(&e, MIGRATE_MQ_SIZE);
	shm_toc_estimate_keys(&e, 3);
	size = shm_toc_estimate(&e);

	slot->seg = dsm_create(size, 0);
	dsm_pin_mapping(slot->seg);
	toc = shm_toc_create(MIGRATE_ADVISORY_KEY, dsm_segment_address(slot->seg), size);
	shared = shm_toc_allocate(toc, shared_size);
	shared->migration_id = migrate_coord.migration_id;
	shared->dboid = dboid;
	shared->owner = owner;
	shared->source_version = migrate_coord.source_version;
	shared->coordinator_pid = MyProcPid;
	strlcpy(shared->version, MIGRATE_VERSION, sizeof(shared->version));
	strlcpy(shared->dbname, dbname, NAMEDATALEN);
	strcpy(shared->source, migrate_coord.source_string);
	shm_toc_insert(toc, MIGRATE_KEY_SHARED, shared);

	mq = shm_mq_create(shm_toc_allocate(toc, MIGRATE_MQ_SIZE), MIGRATE_MQ_SIZE);
	shm_toc_insert(toc, MIGRATE_KEY_TASKS, mq);
	shm_mq_set_sender(mq, MyProc);
	slot->tasks = shm_mq_attach(mq, slot->seg, NULL);
	mq = shm_mq_create(shm_toc_allocate(toc, MIGRATE_MQ_SIZE), MIGRATE_MQ_SIZE);
	shm_toc_insert(toc, MIGRATE_KEY_RESULTS, mq);
	shm_mq_set_receiver(mq, MyProc);
	slot->results = shm_mq_attach(mq, slot->seg, NULL);

	migrate_bgworker_init(&bgw, "migrate_worker_main", "migrate worker",
						  psprintf("migrate worker " INT64_FORMAT " %s", migrate_coord.migration_id, dbname));
	bgw.bgw_main_arg = UInt32GetDatum(dsm_segment_handle(slot->seg));
	bgw.bgw_notify_pid = MyProcPid;

	if (!RegisterDynamicBackgroundWorker(&bgw, &slot->handle))
	{
		/* no free slot: a wait, never an error */
		dsm_detach(slot->seg);
		memset(slot, 0, sizeof(WorkerSlot));
		MemoryContextSwitchTo(old);
		return NULL;
	}
	shm_mq_set_handle(slot->tasks, slot->handle);
	shm_mq_set_handle(slot->results, slot->handle);
	slot->in_use = true;
	strlcpy(slot->dbname, dbname, NAMEDATALEN);
	MemoryContextSwitchTo(old);
	return slot;
}

/* Slots a task could be handed to now: free ones and idle workers. */
int
migrate_pool_room(void)
{
	int			i,
				room = 0;

	for (i = 0; i < migrate_coord.max_workers; i++)
		if (!slots[i].in_use || (!slots[i].exiting && slots[i].task_id == 0))
			room++;
	return room;
}

/* An idle worker of DBNAME, or NULL. */
WorkerSlot *
migrate_pool_idle(const char *dbname)
{
	int			i;

	for (i = 0; i < migrate_coord.max_workers; i++)
		if (slots[i].in_use && !slots[i].exiting && slots[i].task_id == 0 &&
			strcmp(slots[i].dbname, dbname) == 0)
			return &slots[i];
	return NULL;
}

/* Stops the worker running task TASK_ID, if any, and waits for it. */
void
migrate_pool_terminate_task(int64 task_id)
{
	int			i;

	for (i = 0; i < migrate_coord.max_workers; i++)
		if (slots[i].in_use && slots[i].task_id == task_id)
		{
			if (slots[i].handle != NULL)
			{
				TerminateBackgroundWorker(slots[i].handle);
				(void) WaitForBackgroundWorkerShutdown(slots[i].handle);
			}
			migrate_pool_free(&slots[i]);
		}
}

/* Sends MSG to SLOT; false when the worker is gone. */
bool
migrate_pool_send(WorkerSlot *slot, const TaskMsg *msg)
{
	StringInfoData buf;
	shm_mq_result res;

	initStringInfo(&buf);
	migrate_task_msg_encode(&buf, msg);
	res = shm_mq_send(slot->tasks, buf.len, buf.data, false, true);
	pfree(buf.data);
	return res == SHM_MQ_SUCCESS;
}

/*
 * Reads what every worker has to say; frees the slots of dead workers.
 * True when there was anything: a result, progress, a worker gone.
 */
bool
migrate_pool_poll(void)
{
	int			i;
	bool		heard = false;

	for (i = 0; i < migrate_coord.max_workers; i++)
	{
		WorkerSlot *slot = &slots[i];

		if (!slot->in_use)
			continue;
		for (;;)
		{
			Size		len;
			void	   *data;
			shm_mq_result res = shm_mq_receive(slot->results, &len, &data, true);

			if (res == SHM_MQ_SUCCESS)
			{
				ResultMsg	msg;

				migrate_result_msg_decode(data, len, &msg);
				heard = true;
				migrate_handle_result(slot, &msg);
				continue;
			}
			if (res == SHM_MQ_DETACHED)
			{
				pid_t		pid;

				heard = true;
				if (slot->task_id != 0)
				{
					migrate_round_tx_begin();
					migrate_task_unknown(slot->task_id);
					migrate_coord_event("worker_lost",
								  migrate_json_obj("database", slot->dbname,
										   "task", psprintf(INT64_FORMAT, slot->task_id), NULL));
				}
				if (slot->handle == NULL ||
					GetBackgroundWorkerPid(slot->handle, &pid) == BGWH_STOPPED)
					migrate_pool_free(slot);
				else
				{
					/* on its way out: never given another task */
					slot->task_id = 0;
					slot->exiting = true;
				}
			}
			break;
		}
		/* a worker that stopped without a word */
		if (slot->in_use && slot->handle != NULL)
		{
			pid_t		pid;

			if (GetBackgroundWorkerPid(slot->handle, &pid) == BGWH_STOPPED)
			{
				heard = true;
				if (slot->task_id != 0)
				{
					migrate_round_tx_begin();
					migrate_task_unknown(slot->task_id);
				}
				migrate_pool_free(slot);
			}
		}
	}
	/*
	 * What the results wrote stays in the round's transaction: the tasks
	 * that dispatch claims next commit with it (one commit a round), or the
	 * caller ends it.
	 */
	migrate_flush_progress();
	return heard;
}

/* Tells the idle workers (of DBNAME, or of every database) to exit. */
void
migrate_pool_dismiss_idle(const char *dbname)
{
	int			i;

	for (i = 0; i < migrate_coord.max_workers; i++)
		if (slots[i].in_use && !slots[i].exiting && slots[i].task_id == 0 &&
			(dbname == NULL || strcmp(slots[i].dbname, dbname) == 0))
		{
			TaskMsg		bye = {MIGRATE_TASK_EXIT};

			(void) migrate_pool_send(&slots[i], &bye);
			slots[i].exiting = true;
		}
}

/* Stops every worker and waits for them. */
void
migrate_pool_stop(void)
{
	int			i;

	for (i = 0; i < migrate_coord.max_workers; i++)
		if (slots[i].in_use && slots[i].handle != NULL)
			TerminateBackgroundWorker(slots[i].handle);
	for (i = 0; i < migrate_coord.max_workers; i++)
		if (slots[i].in_use)
		{
			if (slots[i].handle != NULL)
				(void) WaitForBackgroundWorkerShutdown(slots[i].handle);
			migrate_pool_free(&slots[i]);
		}
}

