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

#define __printf(a, b)	__attribute__((format(printf, a, b)))
#define __noreturn	__attribute__((noreturn))
#define __aligned(x)	__attribute__((aligned(x)))
#define __packed	__attribute__((packed))

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define BIT(n)		(1UL << (n))
#define BIT_ULL(n)	(1ULL << (n))

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int64_t s64;

__printf(2, 3) void kl_ok(bool pass, const char *fmt, ...);
__printf(1, 2) void kl_skip(const char *fmt, ...);
__printf(1, 2) void kl_diag(const char *fmt, ...);
__printf(3, 4) __noreturn void kl_bail(const char *file, int line,
				       const char *fmt, ...);
/* How many test points failed so far. */
int kl_failures(void);
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
