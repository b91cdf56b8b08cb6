/* SPDX-License-Identifier: GPL-2.0 */
/* The kernel's bit helpers keel's emulator uses, for userspace. */
#ifndef KEEL_UNIT_LINUX_BITOPS_H
#define KEEL_UNIT_LINUX_BITOPS_H

#include <strings.h>

#endif
