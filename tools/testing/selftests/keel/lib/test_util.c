// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include "test_util.h"

static int kl_points, kl_failed;

static void kl_vprint(const char *prefix, const char *fmt, va_list ap)
{
	printf("%s %d - ", prefix, ++kl_points);
	vprintf(fmt, ap);
}

void kl_ok(bool pass, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kl_vprint(pass ? "ok" : "not ok", fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!pass)
		kl_failed++;
}

void kl_skip(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("ok %d # SKIP ", ++kl_points);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

void kl_diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

void kl_bail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	printf("not ok %d - %s:%d: ", ++kl_points, file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\nBail out!\n1..%d\n", kl_points);
	fflush(stdout);
	exit(1);
}

int kl_failures(void)
{
	return kl_failed;
}

int kl_finish(void)
{
	printf("1..%d\n", kl_points);
	fflush(stdout);
	return kl_failed ? 1 : 0;
}

const char *kl_errstr(int r)
{
	static char buf[32];

	if (r >= 0) {
		snprintf(buf, sizeof(buf), "%d", r);
		return buf;
	}
	snprintf(buf, sizeof(buf), "-%s", strerrorname_np(-r) ?: "E?");
	return buf;
}
