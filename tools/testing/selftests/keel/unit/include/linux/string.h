/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KEEL_UNIT_LINUX_STRING_H
#define KEEL_UNIT_LINUX_STRING_H

#include <string.h>

#endif
