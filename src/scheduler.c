/*-------------------------------------------------------------------------
 *
 * scheduler.c
 *		The scheduler that applies the kinds of task (tasks.c): the tasks of
 *		a migration in memory, with counters of the tasks not done per
 *		database and per table, so that what may run next is found in time
 *		linear in the tasks, and a result costs a few counter updates, with
 *		thousands of tables as with ten.
 *
 * migrate.task stays the record (a restarted coordinator loads it again);
 * the coordinator, its only writer while it runs, tells the scheduler every
 * change it makes, and loads it again after a change of many rows at once.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "scheduler.h"
#include "source.h"
#include "target.h"
#include "tasks.h"

/* ---- the model ---------------------------------------------------------- */

typedef struct SchedTable
{
	int			open[MTK_NKINDS];	/* tasks not done, by kind */
	bool		part0_done;		/* the first part of its copy is done */
} SchedTable;

typedef struct SchedDb
{
	char	   *name;
	int			open[MTK_NKINDS];
	SchedCounts counts;
} SchedDb;

typedef struct TableKey
{
	char		key[3 * NAMEDATALEN + 16];	/* db index, schema, table */
	int			index;
} TableKey;

static MemoryContext sched_cxt = NULL;
static SchedTask *tasks = NULL;
static int	ntasks = 0;
static SchedDb *dbs = NULL;
static int	ndbs = 0;
static SchedTable *tables = NULL;
static int	ntables = 0;
static HTAB *task_index = NULL;	/* id -> position in tasks */
static int *order = NULL;		/* positions in tasks, in the order of work */
static int *rank = NULL;		/* position in tasks -> index in order */
static int	first_open = 0;		/* in order, no task before it is pending or
								 * running */
static bool step_due = false;	/* a database may have reached its next step */

typedef struct TaskIndexEntry
{
	int64		id;
	int			pos;
} TaskIndexEntry;

static int	order_of_work(const void *a, const void *b);

/* Is a task in STATE not done (it holds back those that wait for it)? */
static inline bool
not_done(char state)
{
	return state != 'd';
}

/* Adds DELTA to the counters that task T is counted in, in STATE. */
static void
count(SchedTask *t, char state, int delta)
{
	SchedDb    *db = &dbs[t->db];

	if (not_done(state))
	{
		db->open[t->kind] += delta;
		if (t->table >= 0)
			tables[t->table].open[t->kind] += delta;
	}
	db->counts.tasks += delta;
	if (state == 'p' || state == 'r')
	{
		db->counts.open += delta;
		if (migrate_task_kinds[t->kind].needs_snapshot)
			db->counts.open_copy += delta;
		/* the last copy or the last task: the database's step moves on */
		if (delta < 0 && (db->counts.open == 0 || db->counts.open_copy == 0))
			step_due = true;
	}
	if (state == 'r')
		db->counts.running += delta;
	if (state == 'f')
	{
		db->counts.failed += delta;
		step_due = true;
	}
	if (state == 'd' && t->kind == MTK_COPY)
	{
		db->counts.done_copy += delta;
		if (t->part == 0 && t->table >= 0)
			tables[t->table].part0_done = delta > 0;
	}
}

/* Microseconds since 1970 as a TimestampTz (0 stays 0: no wait). */
static TimestampTz
from_unix_usecs(int64 usecs)
{
	if (usecs == 0)
		return 0;
	return usecs - ((int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY * USECS_PER_SEC);
}

/*
 * (Re)loads the tasks of MIGRATION_ID from migrate.task, in a transaction of
 * the caller's.  Linear in the tasks.
 */
void
migrate_sched_load(int64 migration_id)
{
	MemoryContext old;
	SourceResult *res;
	HTAB	   *table_index;
	HASHCTL		ctl;
	int			r;

	if (sched_cxt == NULL)
		sched_cxt = AllocSetContextCreate(TopMemoryContext, "migrate scheduler",
										  ALLOCSET_DEFAULT_SIZES);
	MemoryContextReset(sched_cxt);
	old = MemoryContextSwitchTo(sched_cxt);

	res = migrate_state_query("SELECT t.id, t.kind, t.dbname, t.schema_name, t.table_name, t.part, t.parts,"
							  " t.size_bytes, t.state, t.attempts,"
							  " coalesce((EXTRACT(epoch FROM t.retry_at) OPERATOR(pg_catalog.*) 1000000)::bigint, 0)"
							  " FROM migrate.task t WHERE t.migration_id OPERATOR(pg_catalog.=) $1"
							  " ORDER BY t.dbname, t.id",
							  1, (Oid[]) {INT8OID}, (Datum[]) {Int64GetDatum(migration_id)});

	ntasks = res->nrows;
	tasks = palloc0(sizeof(SchedTask) * Max(ntasks, 1));
	dbs = palloc0(sizeof(SchedDb) * Max(ntasks, 1));
	tables = palloc0(sizeof(SchedTable) * Max(ntasks, 1));
	ndbs = ntables = 0;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(((TableKey *) 0)->key);
	ctl.entrysize = sizeof(TableKey);
	ctl.hcxt = sched_cxt;
	table_index = hash_create("migrate scheduler tables", Max(ntasks, 16), &ctl,
							  HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(int64);
	ctl.entrysize = sizeof(TaskIndexEntry);
	ctl.hcxt = sched_cxt;
	task_index = hash_create("migrate scheduler tasks", Max(ntasks, 16), &ctl,
							 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);

	for (r = 0; r < res->nrows; r++)
	{
		SchedTask  *t = &tasks[r];
		const MigrateTaskKindInfo *kind = migrate_task_kind_by_name(SR_VALUE(res, r, 1));
		const char *dbname = SR_VALUE(res, r, 2);
		TaskIndexEntry *ie;
		bool		found;

		if (kind == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("task " INT64_FORMAT " has a kind this library does not know: \"%s\"",
							strtoi64(SR_VALUE(res, r, 0), NULL, 10), SR_VALUE(res, r, 1)),
					 errhint("The migration was planned by another version of migrate: finish or cancel it with that version.")));
		t->id = strtoi64(SR_VALUE(res, r, 0), NULL, 10);
		t->kind = kind->kind;
		/* tasks come ordered by database */
		if (ndbs == 0 || strcmp(dbs[ndbs - 1].name, dbname) != 0)
			dbs[ndbs++].name = pstrdup(dbname);
		t->db = ndbs - 1;
		t->table = -1;
		if (SR_VALUE(res, r, 4) != NULL)
		{
			char		key[sizeof(((TableKey *) 0)->key)];
			TableKey   *tk;

			snprintf(key, sizeof(key), "%d\x1f%s\x1f%s", t->db,
					 SR_VALUE(res, r, 3) ? SR_VALUE(res, r, 3) : "", SR_VALUE(res, r, 4));
			tk = hash_search(table_index, key, HASH_ENTER, &found);
			if (!found)
				tk->index = ntables++;
			t->table = tk->index;
		}
		t->part = atoi(SR_VALUE(res, r, 5));
		t->parts = atoi(SR_VALUE(res, r, 6));
		t->size = strtoi64(SR_VALUE(res, r, 7), NULL, 10);
		t->state = SR_VALUE(res, r, 8)[0];
		t->attempts = atoi(SR_VALUE(res, r, 9));
		t->retry_at = from_unix_usecs(strtoi64(SR_VALUE(res, r, 10), NULL, 10));
		ie = hash_search(task_index, &t->id, HASH_ENTER, &found);
		ie->pos = r;
		count(t, t->state, 1);
	}

	/* what orders the work does not change: sorted once */
	order = palloc(sizeof(int) * Max(ntasks, 1));
	for (r = 0; r < ntasks; r++)
		order[r] = r;
	qsort(order, ntasks, sizeof(int), order_of_work);
	rank = palloc(sizeof(int) * Max(ntasks, 1));
	for (r = 0; r < ntasks; r++)
		rank[order[r]] = r;
	first_open = 0;
	step_due = true;
	MemoryContextSwitchTo(old);
}

/* Has migrate_sched_load run? */
bool
migrate_sched_loaded(void)
{
	return task_index != NULL;
}

/* Task TASK_ID, or NULL when not loaded. */
SchedTask *
migrate_sched_task(int64 task_id)
{
	TaskIndexEntry *ie;

	if (task_index == NULL)
		return NULL;
	ie = hash_search(task_index, &task_id, HASH_FIND, NULL);
	return ie ? &tasks[ie->pos] : NULL;
}

/* The name of the database of T. */
const char *
migrate_sched_task_dbname(const SchedTask *t)
{
	return dbs[t->db].name;
}

/* What the coordinator wrote of task TASK_ID: its new state. */
void
migrate_sched_set_state(int64 task_id, char state, int attempts, TimestampTz retry_at)
{
	SchedTask  *t = migrate_sched_task(task_id);

	if (t == NULL)
		return;
	count(t, t->state, -1);
	t->state = state;
	t->attempts = attempts;
	t->retry_at = retry_at;
	count(t, t->state, 1);
	/* open again (a retry): the walk of runnable tasks starts at it */
	if ((state == 'p' || state == 'r') && rank[t - tasks] < first_open)
		first_open = rank[t - tasks];
}

/*
 * Has a database's last copy or last task ended, or a task failed, since
 * the last call (its step may move on)?  Clears the flag.
 */
bool
migrate_sched_step_due(void)
{
	bool		due = step_due;

	step_due = false;
	return due;
}

/* Does task T wait for task X (would X's failure leave T nothing to do)? */
static bool
waits_for(const SchedTask *t, const SchedTask *x)
{
	const MigrateTaskKindInfo *kind = &migrate_task_kinds[t->kind];

	if (t->db != x->db || t->id == x->id)
		return false;
	if (kind->waits_in_database & MTK_BIT(x->kind))
		return true;
	if ((kind->waits_on_table & MTK_BIT(x->kind)) &&
		(t->table < 0 || t->table == x->table))
		return true;
	/* the parts of a split table wait for its first, which empties it */
	return t->kind == MTK_COPY && x->kind == MTK_COPY && x->part == 0 &&
		t->table == x->table && t->part > 0;
}

/*
 * Task TASK_ID failed: the pending tasks that wait for it, and those that
 * wait for them, cannot run.  Marks them failed here and returns their ids
 * (int64 *), for the coordinator to record.
 */
List *
migrate_sched_fail_dependents(int64 task_id)
{
	List	   *failed = NIL;
	List	   *worklist;
	SchedTask  *x = migrate_sched_task(task_id);

	if (x == NULL)
		return NIL;
	worklist = list_make1(x);
	while (worklist != NIL)
	{
		SchedTask  *f = linitial(worklist);
		int			i;

		worklist = list_delete_first(worklist);
		/* nothing pending in its database any more: nothing to look for */
		if (dbs[f->db].counts.open - dbs[f->db].counts.running == 0)
			continue;
		for (i = 0; i < ntasks; i++)
		{
			SchedTask  *t = &tasks[i];
			int64	   *id;

			if (t->state != 'p' || !waits_for(t, f))
				continue;
			migrate_sched_set_state(t->id, 'f', t->attempts, 0);
			id = palloc(sizeof(int64));
			*id = t->id;
			failed = lappend(failed, id);
			worklist = lappend(worklist, t);
		}
	}
	return failed;
}

/* May pending task T run now, as far as the tasks it waits for go? */
static bool
ready(const SchedTask *t)
{
	const MigrateTaskKindInfo *kind = &migrate_task_kinds[t->kind];
	const SchedDb *db = &dbs[t->db];
	int			k;

	for (k = 0; k < MTK_NKINDS; k++)
	{
		uint32		bit = MTK_BIT(k);
		int			open;

		if (kind->waits_in_database & bit)
		{
			/* a task does not wait for itself */
			open = db->open[k] - (k == (int) t->kind ? 1 : 0);
			if (open > 0)
				return false;
		}
		if (kind->waits_on_table & bit)
		{
			open = t->table >= 0 ? tables[t->table].open[k] : db->open[k];
			if (k == (int) t->kind)
				open--;
			if (open > 0)
				return false;
		}
	}
	if (t->kind == MTK_COPY && t->part > 0 &&
		(t->table < 0 || !tables[t->table].part0_done))
		return false;
	return true;
}

/*
 * The order of work: priority, then the largest first, then a table's tasks
 * together in the kind's order (copy, its indexes, its statistics): the
 * tasks waiting on a copy are then only those of the tables being copied,
 * and a walk from the first open task finds the runnable ones at once.
 */
static int
order_of_work(const void *a, const void *b)
{
	const SchedTask *x = &tasks[*(const int *) a];
	const SchedTask *y = &tasks[*(const int *) b];
	const MigrateTaskKindInfo *kx = &migrate_task_kinds[x->kind];
	const MigrateTaskKindInfo *ky = &migrate_task_kinds[y->kind];

	if (kx->priority != ky->priority)
		return kx->priority < ky->priority ? -1 : 1;
	if (x->size != y->size)
		return x->size > y->size ? -1 : 1;
	if (x->db != y->db)
		return x->db < y->db ? -1 : 1;
	if (x->table != y->table)
		return x->table < y->table ? -1 : 1;
	if (kx->tiebreak != ky->tiebreak)
		return kx->tiebreak < ky->tiebreak ? -1 : 1;
	return x->id < y->id ? -1 : (x->id > y->id ? 1 : 0);
}

/*
 * The first LIMIT pending tasks that may run now (SchedTask *), in the order
 * of work, among those that USABLE accepts (its database may be worked on,
 * the snapshot it needs is there).  A walk of the tasks in that order,
 * which starts after the tasks that are finished for good (done, failed)
 * and stops at LIMIT: linear in the open tasks, not in all of them.
 */
List *
migrate_sched_runnable(bool (*usable) (const char *dbname, MigrateTaskKind kind),
					   int limit)
{
	List	   *result = NIL;
	TimestampTz now = GetCurrentTimestamp();
	int			i;

	while (first_open < ntasks &&
		   (tasks[order[first_open]].state == 'd' || tasks[order[first_open]].state == 'f'))
		first_open++;
	for (i = first_open; i < ntasks && list_length(result) < limit; i++)
	{
		SchedTask  *t = &tasks[order[i]];

		if (t->state != 'p' || (t->retry_at != 0 && t->retry_at > now) ||
			!ready(t) || !usable(dbs[t->db].name, t->kind))
			continue;
		result = lappend(result, t);
	}
	return result;
}

/* The counts of the tasks of database DBNAME (zeros when it has none). */
void
migrate_sched_counts(const char *dbname, SchedCounts *out)
{
	int			i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < ndbs; i++)
		if (strcmp(dbs[i].name, dbname) == 0)
			*out = dbs[i].counts;
}
