/*-------------------------------------------------------------------------
 *
 * child.c
 *		Child processes (pg_dump and friends): fork and exec with no shell,
 *		output read through a pipe, every wait on the latch.  A child whose
 *		caller errors out, is cancelled or exits is killed and reaped.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/ilist.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "portability/instr_time.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "utils/memutils.h"

#include "child.h"

typedef struct ChildProc
{
	pid_t		pid;			/* 0 once reaped */
	int			fd;				/* read end of the output pipe, or -1 */
	dlist_node	node;			/* in live_children while pid > 0 */
} ChildProc;

/*
 * The children not reaped yet.  A FATAL exit (a SIGTERM while waiting for
 * one, say) runs no memory context callbacks: the exit hook kills them.
 */
static dlist_head live_children = DLIST_STATIC_INIT(live_children);
static bool exit_hook_set = false;

/* Kills and reaps CP if it still runs; closes its pipe. */
static void
child_kill(ChildProc *cp)
{
	if (cp->fd >= 0)
	{
		close(cp->fd);
		cp->fd = -1;
	}
	if (cp->pid > 0)
	{
		kill(cp->pid, SIGKILL);
		while (waitpid(cp->pid, NULL, 0) < 0 && errno == EINTR)
			;
		cp->pid = 0;
		dlist_delete(&cp->node);
	}
}

/* Memory context callback: kill and reap a child still running. */
static void
child_release(void *arg)
{
	child_kill((ChildProc *) arg);
}

/* Process exit hook: no child outlives this process. */
static void
kill_live_children(int code, Datum arg)
{
	dlist_mutable_iter iter;

	dlist_foreach_modify(iter, &live_children)
		child_kill(dlist_container(ChildProc, node, iter.cur));
}

/*
 * In the child: no PG* variable of the server's environment reaches libpq
 * (PGHOST, PGSERVICE, PGPASSFILE and the like would send it elsewhere or
 * give it credentials); only what the caller chose.
 */
static void
clear_pg_environment(void)
{
	extern char **environ;
	bool		found = true;

	while (found)
	{
		char	  **e;

		found = false;
		for (e = environ; e != NULL && *e != NULL; e++)
			if (strncmp(*e, "PG", 2) == 0 && strchr(*e, '=') != NULL)
			{
				char		name[256];
				size_t		len = strchr(*e, '=') - *e;

				if (len >= sizeof(name))
					continue;
				memcpy(name, *e, len);
				name[len] = '\0';
				unsetenv(name);
				found = true;
				break;
			}
	}
}

/* In the child: stdout and stderr to the pipe, a clean slate, then exec. */
static void
exec_child(const char *path, const char *const *argv, const char *passfile,
		   const char *servicefile, const char *stderr_path, int pipefd)
{
	sigset_t	all;
	int			fd;

	if (dup2(pipefd, STDOUT_FILENO) < 0)
		_exit(127);
	if (stderr_path != NULL)
	{
		fd = open(stderr_path, O_WRONLY | O_CREAT | O_TRUNC, S_IRUSR | S_IWUSR);
		if (fd < 0 || dup2(fd, STDERR_FILENO) < 0)
			_exit(127);
	}
	else if (dup2(pipefd, STDERR_FILENO) < 0)
		_exit(127);
	fd = open("/dev/null", O_RDONLY);
	if (fd < 0 || dup2(fd, STDIN_FILENO) < 0)
		_exit(127);
	/* nothing of the backend's (client socket, postmaster pipe) leaks */
	for (fd = 3; fd < 1024; fd++)
		close(fd);
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGQUIT, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	/* libpq of the child reads the password from here, never from argv */
	clear_pg_environment();
	setenv("PGPASSFILE", passfile != NULL ? passfile : "/dev/null", 1);
	setenv("PGSERVICEFILE", servicefile != NULL ? servicefile : "/dev/null", 1);
	setenv("PGSYSCONFDIR", "/nonexistent", 1);
	execv(path, (char *const *) argv);
	_exit(127);
}

/*
 * Starts PROG's program: no shell, stdout (and stderr, unless it goes to a
 * file) into a non-blocking pipe.  The child is killed and reaped if the
 * current memory context goes before it is done.
 */
static ChildProc *
child_start(const MigrateProgram *prog)
{
	ChildProc  *cp = palloc0(sizeof(ChildProc));
	MemoryContextCallback *cb = palloc0(sizeof(MemoryContextCallback));
	int			pipefd[2];

	cp->fd = -1;
	cb->func = child_release;
	cb->arg = cp;
	MemoryContextRegisterResetCallback(CurrentMemoryContext, cb);

	if (pipe(pipefd) < 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not create a pipe for \"%s\": %m", prog->path)));

	fflush(NULL);
	cp->pid = fork();
	if (cp->pid < 0)
	{
		close(pipefd[0]);
		close(pipefd[1]);
		cp->pid = 0;
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_RESOURCES),
				 errmsg("could not start \"%s\": %m", prog->path)));
	}
	if (cp->pid == 0)
		exec_child(prog->path, prog->argv, prog->passfile, prog->servicefile,
				   prog->stderr_path, pipefd[1]);
	dlist_push_tail(&live_children, &cp->node);
	if (!exit_hook_set)
	{
		on_proc_exit(kill_live_children, (Datum) 0);
		exit_hook_set = true;
	}

	close(pipefd[1]);
	cp->fd = pipefd[0];
	if (fcntl(cp->fd, F_SETFL, O_NONBLOCK) < 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not set a pipe non-blocking: %m")));
	return cp;
}

/*
 * Reads what CP's pipe holds into OUTPUT; at its end closes it.  Returns
 * false when nothing was there to read.
 */
static bool
child_read(ChildProc *cp, const char *path, StringInfo output)
{
	char		buf[8192];
	bool		progress = false;

	while (cp->fd >= 0)
	{
		ssize_t		n = read(cp->fd, buf, sizeof(buf));

		if (n > 0)
		{
			appendBinaryStringInfo(output, buf, n);
			progress = true;
			continue;
		}
		if (n == 0)
		{
			close(cp->fd);
			cp->fd = -1;
			return true;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not read the output of \"%s\": %m", path)));
		break;
	}
	return progress;
}

/* Waits for CP, whose pipe is closed, to exit; returns its exit status. */
static int
child_reap(ChildProc *cp, const char *path)
{
	int			status = 0;

	/* the pipe is closed; the child exits any moment now */
	for (;;)
	{
		pid_t		r = waitpid(cp->pid, &status, WNOHANG);

		if (r == cp->pid)
		{
			cp->pid = 0;
			dlist_delete(&cp->node);
			break;
		}
		if (r < 0 && errno != EINTR)
			ereport(ERROR,
					(errmsg("could not wait for \"%s\": %m", path)));
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 10, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return -1;
}

/*
 * Runs the N programs of PROGS at the same time and sets the status of
 * each: its exit status, 127 when it could not be started, -1 when it was
 * killed by a signal, MIGRATE_PROGRAM_SILENT when none of them wrote
 * anything for TIMEOUT_MS (if positive: a child waiting on a frozen server
 * is not waited for forever),
 * MIGRATE_PROGRAM_STOPPED when it was still running when another one failed
 * (it is then killed: a caller wants all or nothing).  What each writes goes
 * to its output.
 */
void
migrate_run_programs(MigrateProgram *progs, int n, int timeout_ms)
{
	ChildProc **cps = palloc(sizeof(ChildProc *) * n);
	instr_time	start;
	bool		failed = false;
	int			i;

	for (i = 0; i < n; i++)
		cps[i] = child_start(&progs[i]);
	INSTR_TIME_SET_CURRENT(start);

	for (;;)
	{
		bool		progress = false;
		int			open = 0;
		long		timeout = -1;
		WaitEventSet *set;
		WaitEvent	event;

		CHECK_FOR_INTERRUPTS();
		for (i = 0; i < n; i++)
			if (cps[i]->fd >= 0)
			{
				if (child_read(cps[i], progs[i].path, progs[i].output))
					progress = true;
				if (cps[i]->fd >= 0)
					open++;
				else
				{
					/* its output ended: it is exiting */
					progs[i].status = child_reap(cps[i], progs[i].path);
					if (progs[i].status != 0)
						failed = true;
				}
			}
		if (open == 0 || failed)
			break;
		if (progress)
		{
			/* the timeout bounds silence, not the whole run */
			INSTR_TIME_SET_CURRENT(start);
			continue;
		}

		if (timeout_ms > 0)
		{
			instr_time	now;

			INSTR_TIME_SET_CURRENT(now);
			INSTR_TIME_SUBTRACT(now, start);
			timeout = timeout_ms - (long) INSTR_TIME_GET_MILLISEC(now);
			if (timeout <= 0)
				break;
		}
		/* one set a wait: a pipe that closed must not be waited on again */
		set = CreateWaitEventSet(CurrentMemoryContext, open + 2);
		AddWaitEventToSet(set, WL_LATCH_SET, PGINVALID_SOCKET, MyLatch, NULL);
		AddWaitEventToSet(set, WL_EXIT_ON_PM_DEATH, PGINVALID_SOCKET, NULL, NULL);
		for (i = 0; i < n; i++)
			if (cps[i]->fd >= 0)
				AddWaitEventToSet(set, WL_SOCKET_READABLE, cps[i]->fd, NULL, NULL);
		if (WaitEventSetWait(set, timeout, &event, 1, PG_WAIT_EXTENSION) > 0 &&
			(event.events & WL_LATCH_SET))
			ResetLatch(MyLatch);
		FreeWaitEventSet(set);
	}

	/* past the timeout, or one failed: the others are not waited for */
	for (i = 0; i < n; i++)
		if (cps[i]->fd >= 0)
		{
			child_release(cps[i]);
			progs[i].status = failed ? MIGRATE_PROGRAM_STOPPED : MIGRATE_PROGRAM_SILENT;
		}
}

/*
 * Runs PATH with ARGV (argv[0] included, NULL-terminated), no shell, and
 * appends what it writes to stdout and stderr to OUTPUT.  Returns its exit
 * status (127 when it could not be started, -1 when it was killed by a
 * signal, MIGRATE_PROGRAM_SILENT when it wrote nothing for TIMEOUT_MS, if
 * positive).
 */
int
migrate_run_program(const char *path, const char *const *argv,
					StringInfo output, int timeout_ms)
{
	return migrate_run_program_env(path, argv, NULL, NULL, output, timeout_ms);
}

/*
 * The same, with PGPASSFILE set to PASSFILE (if not NULL) in the child, and
 * its stderr written to the file STDERR_PATH (if not NULL) instead of OUTPUT.
 */
int
migrate_run_program_env(const char *path, const char *const *argv,
						const char *passfile, const char *stderr_path,
						StringInfo output, int timeout_ms)
{
	MigrateProgram prog;

	prog.path = path;
	prog.argv = argv;
	prog.passfile = passfile;
	prog.servicefile = NULL;
	prog.stderr_path = stderr_path;
	prog.output = output;
	migrate_run_programs(&prog, 1, timeout_ms);
	return prog.status;
}
