# SPDX-License-Identifier: GPL-2.0
#
# keel: build the module against a kernel tree, install it, and run the
# test suite in an emulated host. See README.md and Documentation/testing.rst.

KVER ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KVER)/build
PWD  := $(shell pwd)
SELFTESTS := tools/testing/selftests/keel

.PHONY: all modules modclean clean install selftests demo check check-host \
	abi-baseline demo-run

all: modules

modules:
	$(MAKE) -C $(KDIR) M=$(PWD) modules

install: modules
	$(MAKE) -C $(KDIR) M=$(PWD) modules_install
	depmod -a $(KVER) || true

modclean:
	$(MAKE) -C $(KDIR) M=$(PWD) clean

clean: modclean
	$(MAKE) -C $(SELFTESTS) clean
	$(MAKE) -C tools/keel-demo clean
	rm -rf build

selftests:
	$(MAKE) -C $(SELFTESTS)

demo:
	$(MAKE) -C tools/keel-demo

# The whole test suite in an emulated AMD host (installs what it needs).
check:
	$(SELFTESTS)/vmtest.sh $(VMTEST_ARGS)

# Only the host-side checks: uapi contract, documentation, style.
check-host:
	$(SELFTESTS)/vmtest.sh --mode host $(VMTEST_ARGS)

# Record deliberate uapi additions in the frozen baseline (never changes
# or removes an entry; see Documentation/review-checklist.rst).
abi-baseline:
	/usr/bin/python3 $(SELFTESTS)/host/abi_check.py baseline --update

# The main job: a demo guest on keel in the emulated host.
demo-run:
	$(SELFTESTS)/vmtest.sh --demo $(VMTEST_ARGS)
