/*-------------------------------------------------------------------------
 *
 * tasks.c
 *		The kinds of task, one row each: the order of work, what a task
 *		waits for in its database and on its table, whether it reads the
 *		source at the snapshot, what its message carries, and the worker's
 *		function that runs it.  The scheduler (scheduler.c), the dispatcher
 *		(dispatch.c) and the worker (worker.c) read this table and nothing
 *		else about a kind.
 *
 *	schema ──> copy (part 0 ──> parts 1..n) ──> index (its table) ──> analyze
 *	   │           │                              │        (its table)
 *	   │           ├──> sequences                 ├──> constraint ──> post
 *	   │           └───────────────┬──────────────┘
 *	   │                           └──> analyze_partitioned
 *	   └──> large_objects
 *
 *	(replication) everything but the statistics ──> subscribe
 *	              everything, subscribe too     ──> cutover (when asked for)
 *
 *	(verify) planned when the rest of the database is done, or later
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "tasks.h"
#include "verify.h"
#include "worker.h"

#define K(k)	MTK_BIT(MTK_##k)

/*
 * The kinds.  Priority orders the work of a database: the schema first;
 * then the largest tables' copies, index builds and statistics together (a
 * table's chain is copy, then its indexes, then ANALYZE: the longest chains
 * first, so that small tables fill the gaps instead of the end); then what
 * needs every table.  Small tables (SMALL_TABLE_BYTES, plan.c) get their
 * statistics in batches once the database's tables are in: at ten thousand
 * tables, ten thousand ANALYZE tasks cost more to hand out than to run;
 * for the same reason a small table's indexes and keys are built by its copy
 * task, right after its rows (the task's statement).
 *
 *	kind, name, priority, tiebreak, waits in database, waits on table,
 *	needs snapshot, message body, title, function
 */
const MigrateTaskKindInfo migrate_task_kinds[MTK_NKINDS] = {
	{MTK_SCHEMA, "schema", 0, 2, 0, 0,
	false, MTB_SCRIPT, "schema", migrate_run_schema},
	{MTK_COPY, "copy", 1, 1, K(SCHEMA), 0,
	true, MTB_STATEMENT, "copy", migrate_run_copy},
	{MTK_INDEX, "index", 1, 0, K(SCHEMA), K(COPY),
	false, MTB_STATEMENT, "index", migrate_run_statement},
	{MTK_CONSTRAINT, "constraint", 4, 2, K(SCHEMA) | K(COPY) | K(INDEX), 0,
	false, MTB_STATEMENT, "constraint", migrate_run_statement},
	{MTK_POST, "post", 5, 2, K(SCHEMA) | K(COPY) | K(INDEX) | K(CONSTRAINT), 0,
	false, MTB_SCRIPT, "post-data", migrate_run_post},
	{MTK_SEQUENCES, "sequences", 3, 2, K(SCHEMA) | K(COPY), 0,
	true, MTB_NONE, "sequences", migrate_run_sequences},
	{MTK_LARGE_OBJECTS, "large_objects", 3, 2, K(SCHEMA), 0,
	true, MTB_NONE, "large objects", migrate_run_large_objects},
	{MTK_ANALYZE, "analyze", 1, 2, K(SCHEMA), K(COPY) | K(INDEX),
	false, MTB_TABLE, "analyze", migrate_run_analyze},
	{MTK_ANALYZE_PARTITIONED, "analyze_partitioned", 6, 2, K(SCHEMA) | K(COPY) | K(INDEX), 0,
	false, MTB_NONE, "analyze", migrate_run_analyze_partitioned},
	{MTK_ANALYZE_SMALL, "analyze_small", 2, 2, K(SCHEMA) | K(COPY) | K(INDEX), 0,
	false, MTB_NAMES, "analyze", migrate_run_analyze},
	{MTK_SUBSCRIBE, "subscribe", 7, 2,
		K(SCHEMA) | K(COPY) | K(INDEX) | K(CONSTRAINT) | K(POST) | K(SEQUENCES) | K(LARGE_OBJECTS), 0,
	false, MTB_STATEMENT, "subscribe", migrate_run_subscribe},
	{MTK_JOIN, "join", 7, 2, K(SCHEMA) | K(SUBSCRIBE), 0,
	false, MTB_STATEMENT, "join", migrate_run_join},
	{MTK_CUTOVER, "cutover", 8, 2,
		K(SCHEMA) | K(COPY) | K(INDEX) | K(CONSTRAINT) | K(POST) | K(SEQUENCES) | K(LARGE_OBJECTS) |
		K(ANALYZE) | K(ANALYZE_PARTITIONED) | K(ANALYZE_SMALL) | K(SUBSCRIBE) | K(JOIN), 0,
	false, MTB_STATEMENT, "cutover", migrate_run_cutover},
	/* (planned once the rest of its database is done) */
	{MTK_VERIFY, "verify", 9, 2, K(SCHEMA), 0,
	false, MTB_NAMES, "verify", migrate_run_verify},
	{MTK_REPAIR, "repair", 9, 2, K(SCHEMA), 0,
	false, MTB_NAMES, "repair", migrate_run_repair},
};

/* The kind named NAME (as in migrate.task.kind), or NULL. */
const MigrateTaskKindInfo *
migrate_task_kind_by_name(const char *name)
{
	int			k;

	for (k = 0; k < MTK_NKINDS; k++)
		if (strcmp(migrate_task_kinds[k].name, name) == 0)
			return &migrate_task_kinds[k];
	return NULL;
}

PG_FUNCTION_INFO_V1(migrate_task_kinds_sql);

/*
 * SQL: migrate.task_kinds() — the kinds of task and what each waits for, as
 * the scheduler applies them.
 */
Datum
migrate_task_kinds_sql(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int			k;

	InitMaterializedSRF(fcinfo, 0);
	for (k = 0; k < MTK_NKINDS; k++)
	{
		const MigrateTaskKindInfo *kind = &migrate_task_kinds[k];
		Datum		values[4];
		bool		nulls[4] = {false, false, false, false};
		ArrayBuildState *in_db = initArrayResult(TEXTOID, CurrentMemoryContext, false);
		ArrayBuildState *on_table = initArrayResult(TEXTOID, CurrentMemoryContext, false);
		int			w;

		for (w = 0; w < MTK_NKINDS; w++)
		{
			if (kind->waits_in_database & MTK_BIT(w))
				accumArrayResult(in_db, CStringGetTextDatum(migrate_task_kinds[w].name),
								 false, TEXTOID, CurrentMemoryContext);
			if (kind->waits_on_table & MTK_BIT(w))
				accumArrayResult(on_table, CStringGetTextDatum(migrate_task_kinds[w].name),
								 false, TEXTOID, CurrentMemoryContext);
		}
		values[0] = CStringGetTextDatum(kind->name);
		values[1] = Int32GetDatum(kind->priority);
		values[2] = makeArrayResult(in_db, CurrentMemoryContext);
		values[3] = makeArrayResult(on_table, CurrentMemoryContext);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
