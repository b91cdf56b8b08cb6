// SPDX-License-Identifier: GPL-2.0
/*
 * load-module FILE [PARAMS]: one finit_module() call, nothing else
 * (busybox insmod retries a failed load with init_module). vmtest uses it
 * to check that a refused load prints exactly one line.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>
#include <sys/syscall.h>

int main(int argc, char **argv)
{
	int fd;

	if (argc < 2) {
		fprintf(stderr, "usage: load-module FILE [PARAMS]\n");
		return 2;
	}
	fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (fd < 0 || syscall(SYS_finit_module, fd, argc > 2 ? argv[2] : "", 0)) {
		fprintf(stderr, "load-module: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	return 0;
}
