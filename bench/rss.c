/* rss.c: run a command, then print its wall time and peak RSS.
 *
 *   rss OUT COMMAND [ARG...]
 *
 * Runs COMMAND with its stdin, stdout and stderr as given, waits for it with
 * wait4, and appends one line to the file OUT:
 *
 *   <wall seconds, 6 decimals> <ru_maxrss in KiB> <exit status>
 *
 * The exit status is the command's (128+N when killed by signal N), and rss
 * exits with it too. Stands in for GNU time's -f '%e %M' where that is not
 * installed. Built by bench/run.sh with cc. */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: rss OUT COMMAND [ARG...]\n");
		return 125;
	}
	FILE *out = fopen(argv[1], "a");
	if (!out) {
		fprintf(stderr, "rss: cannot open %s: %s\n", argv[1], strerror(errno));
		return 125;
	}
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "rss: fork: %s\n", strerror(errno));
		return 125;
	}
	if (pid == 0) {
		fclose(out);
		execvp(argv[2], argv + 2);
		fprintf(stderr, "rss: cannot run %s: %s\n", argv[2], strerror(errno));
		_exit(127);
	}
	int status;
	struct rusage ru;
	while (wait4(pid, &status, 0, &ru) < 0)
		if (errno != EINTR) {
			fprintf(stderr, "rss: wait4: %s\n", strerror(errno));
			return 125;
		}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double wall = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	fprintf(out, "%.6f %ld %d\n", wall, ru.ru_maxrss, code);
	if (fclose(out) != 0) {
		fprintf(stderr, "rss: cannot write %s: %s\n", argv[1], strerror(errno));
		return 125;
	}
	return code;
}
