/* main: `iowalk <command> [options]` dispatch, --help and --version. */
#include "alloc.h"
#include "cli.h"
#include "outfile.h"
#include "version.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
	"usage: iowalk <command> [options]\n"
	"\n"
	"A cycle-level, trace-driven simulator of IO page-table walks (IBM Z s390 IOAT, Intel VT-d): it\n"
	"replays guest IO page-table updates and DMA streams against hypervisor translation strategies and\n"
	"reports cost per translation (`iowalk run --list-formats`).\n"
	"\n"
	"commands:\n"
	"  run      replay a trace under one or all strategies and report cycles per translation\n"
	"  trace    trace files: gen, convert, cat, pack, stat, validate\n"
	"  sweep    run a grid of configurations in parallel into one CSV (resumable)\n"
	"  compare  two reports side by side: differences, ratios and which is better (table, Markdown, LaTeX, JSON)\n"
	"  gate     compare a report with a baseline (CI performance gate)\n"
	"  sensitivity  which conclusions survive the cost ranges (one at a time, and a seeded sample)\n"
	"  mrc      the IOTLB's misses at every size, from one replay (miss-ratio curves)\n"
	"\n"
	"options:\n"
	"  -h, --help     this help; `iowalk <command> --help` for a command's options\n"
	"  -V, --version  print the version and the git revision it was built from\n"
	"\n"
	"exit status: 0 success, 1 failure (bad input, failed run), 2 bad usage\n";

/* An interrupted command leaves no partial result: temporaries are removed, the exit is non-zero. */
static pid_t main_pid; /* the command's own process: only it says so (its workers get the signal too) */

static void on_signal(int sig)
{
	outfile_cleanup_all();
	static const char msg[] = "iowalk: interrupted; no partial output was written\n";
	if (getpid() == main_pid) {
		ssize_t w = write(STDERR_FILENO, msg, sizeof(msg) - 1);
		(void)w;
	}
	_exit(128 + sig);
}

static int dispatch(int argc, char **argv);

int main(int argc, char **argv)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	main_pid = getpid();
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL); /* a closed terminal or session: the same clean end */
	/* A reader that stops early (`iowalk run ... | head`) is EPIPE on standard output (a quiet exit 0,
	 * after every result file is complete), not a SIGPIPE that would end iowalk between staging and
	 * committing its results. */
	struct sigaction ign;
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &ign, NULL);
	/* Test hook (docs/reliability.md): fail the N-th allocation, to check every failure path. */
	const char *fail = getenv("IOWALK_FAIL_ALLOC");
	if (fail)
		iw_alloc_fail_after(strtoull(fail, NULL, 10));
	if (argc < 2) {
		fputs(usage, stderr);
		return CLI_EXIT_USAGE;
	}
	int rc = dispatch(argc, argv);
	/* Output to a full disk is a failure, not a success with nothing written. A reader that closed the
	 * pipe (`iowalk run | head`) chose to stop reading: a quiet exit, whatever it left unread (every
	 * result file was committed before the table). */
	errno = 0;
	if ((fflush(stdout) != 0 || ferror(stdout)) && rc == CLI_EXIT_OK && errno != EPIPE && !cli_stdout_reader_gone()) {
		cli_error("standard output: write error: %s", strerror(errno ? errno : EIO));
		rc = CLI_EXIT_FAIL;
	}
	return rc;
}

static int dispatch(int argc, char **argv)
{
	const char *cmd = argv[1];
	if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
		fputs(usage, stdout);
		return CLI_EXIT_OK;
	}
	if (strcmp(cmd, "-V") == 0 || strcmp(cmd, "--version") == 0) {
		printf("iowalk %s (git %s)\n", IOWALK_VERSION, IOWALK_GIT_REV);
		return CLI_EXIT_OK;
	}
	if (strcmp(cmd, "trace") == 0)
		return cli_trace(argc - 1, argv + 1);
	if (strcmp(cmd, "run") == 0)
		return cli_run(argc - 1, argv + 1);
	if (strcmp(cmd, "gate") == 0)
		return cli_gate(argc - 1, argv + 1);
	if (strcmp(cmd, "mrc") == 0)
		return cli_mrc(argc - 1, argv + 1);
	if (strcmp(cmd, "sweep") == 0)
		return cli_sweep(argc - 1, argv + 1);
	if (strcmp(cmd, "compare") == 0)
		return cli_compare(argc - 1, argv + 1);
	if (strcmp(cmd, "sensitivity") == 0)
		return cli_sensitivity(argc - 1, argv + 1);
	cli_error("unknown command '%s' (try 'iowalk --help')", cmd);
	return CLI_EXIT_USAGE;
}
