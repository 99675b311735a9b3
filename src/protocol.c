/*-------------------------------------------------------------------------
 *
 * protocol.c
 *		The messages between a coordinator and its copy workers, encoded
 *		for shm_mq: a kind byte, then fixed-width integers and
 *		length-prefixed strings.  A message that ends early is an error,
 *		never a read past its end.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "protocol.h"

static void
put_int64(StringInfo buf, int64 v)
{
	appendBinaryStringInfo(buf, (char *) &v, sizeof(v));
}

static void
put_str(StringInfo buf, const char *s)
{
	int32		len = s ? (int32) strlen(s) : -1;

	appendBinaryStringInfo(buf, (char *) &len, sizeof(len));
	if (s)
		appendBinaryStringInfo(buf, s, len);
}

typedef struct Reader
{
	const char *data;
	Size		len;
	Size		pos;
} Reader;

static int64
get_int64(Reader *r)
{
	int64		v;

	if (r->pos + sizeof(v) > r->len)
		elog(ERROR, "truncated migrate message");
	memcpy(&v, r->data + r->pos, sizeof(v));
	r->pos += sizeof(v);
	return v;
}

static char *
get_str(Reader *r)
{
	int32		len;
	char	   *s;

	if (r->pos + sizeof(len) > r->len)
		elog(ERROR, "truncated migrate message");
	memcpy(&len, r->data + r->pos, sizeof(len));
	r->pos += sizeof(len);
	if (len < 0)
		return NULL;
	if (r->pos + len > r->len)
		elog(ERROR, "truncated migrate message");
	s = pnstrdup(r->data + r->pos, len);
	r->pos += len;
	return s;
}

void
migrate_task_msg_encode(StringInfo buf, const TaskMsg *msg)
{
	Assert(msg->kind >= 0 && msg->kind <= MIGRATE_TASK_EXIT);
	appendStringInfoChar(buf, (char) msg->kind);
	put_int64(buf, msg->task_id);
	put_int64(buf, msg->attempt);
	put_str(buf, msg->schema_name);
	put_str(buf, msg->table_name);
	put_int64(buf, msg->block_from);
	put_int64(buf, msg->block_to);
	put_int64(buf, msg->truncate ? 1 : 0);
	put_str(buf, msg->snapshot);
	put_str(buf, msg->statement);
	put_int64(buf, list_length(msg->statements));
	{
		ListCell   *lc;

		foreach(lc, msg->statements)
			put_str(buf, lfirst(lc));
	}
}

void
migrate_task_msg_decode(const char *data, Size len, TaskMsg *msg)
{
	Reader		r = {data, len, 1};

	if (len < 1)
		elog(ERROR, "empty migrate message");
	msg->kind = (unsigned char) data[0];
	msg->task_id = get_int64(&r);
	msg->attempt = (int) get_int64(&r);
	msg->schema_name = get_str(&r);
	msg->table_name = get_str(&r);
	msg->block_from = get_int64(&r);
	msg->block_to = get_int64(&r);
	msg->truncate = get_int64(&r) != 0;
	msg->snapshot = get_str(&r);
	msg->statement = get_str(&r);
	{
		int64		n = get_int64(&r);

		msg->statements = NIL;
		while (n-- > 0)
			msg->statements = lappend(msg->statements, get_str(&r));
	}
}

void
migrate_result_msg_encode(StringInfo buf, const ResultMsg *msg)
{
	appendStringInfoChar(buf, msg->kind);
	put_int64(buf, msg->task_id);
	put_int64(buf, msg->rows);
	put_int64(buf, msg->bytes);
	put_str(buf, msg->sqlstate);
	put_str(buf, msg->text);
}

void
migrate_result_msg_decode(const char *data, Size len, ResultMsg *msg)
{
	Reader		r = {data, len, 1};

	if (len < 1)
		elog(ERROR, "empty migrate message");
	msg->kind = data[0];
	msg->task_id = get_int64(&r);
	msg->rows = get_int64(&r);
	msg->bytes = get_int64(&r);
	msg->sqlstate = get_str(&r);
	msg->text = get_str(&r);
}
