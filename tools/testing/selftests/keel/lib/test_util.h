/* SPDX-License-Identifier: GPL-2.0 */
/*
 * keel selftests: TAP output. Each kl_ok() is one TAP test point; a fatal
 * KL_REQUIRE() failure prints "not ok" and "Bail out!" and exits.
 */
#ifndef KEEL_TEST_UTIL_H
#define KEEL_TEST_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;

void kl_ok(bool pass, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void kl_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void kl_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void __attribute__((noreturn, format(printf, 3, 4)))
kl_bail(const char *file, int line, const char *fmt, ...);
/* Ends the test: 1..N plan, exit status 1 if anything failed. */
int kl_finish(void);

#define KL_REQUIRE(cond, fmt, ...)					\
	do {								\
		if (!(cond))						\
			kl_bail(__FILE__, __LINE__, "%s: " fmt, #cond,	\
				##__VA_ARGS__);				\
	} while (0)

/* An ioctl's result as "0" or "-EXXX" for messages. */
const char *kl_errstr(int r);

#endif
