/* SPDX-License-Identifier: GPL-2.0 */
/*
 * keel's in-kernel I/O buses: devices that answer guest MMIO and port I/O
 * without an exit to userspace (ioeventfds, the in-kernel irqchip).
 */
#ifndef _KEEL_IOBUS_H
#define _KEEL_IOBUS_H

#include <linux/rcupdate.h>
#include <linux/types.h>

struct keel_vm;
struct keel_vcpu;

enum keel_bus {
	KEEL_MMIO_BUS,
	KEEL_PIO_BUS,
	KEEL_NR_BUSES,
};

struct keel_io_device;
struct keel_io_bus;

/*
 * Called under rcu_read_lock(), so they must not sleep. Return 0 if the
 * device handled the access, -EOPNOTSUPP to let the next device (and in
 * the end userspace) have it.
 */
struct keel_io_device_ops {
	int (*read)(struct keel_vcpu *vcpu, struct keel_io_device *dev,
		    u64 addr, u32 len, void *val);
	int (*write)(struct keel_vcpu *vcpu, struct keel_io_device *dev,
		     u64 addr, u32 len, const void *val);
};

struct keel_io_device {
	const struct keel_io_device_ops *ops;
};

int keel_io_bus_register(struct keel_vm *vm, enum keel_bus bus, u64 addr,
			 u32 len, struct keel_io_device *dev);
void keel_io_bus_unregister(struct keel_vm *vm, enum keel_bus bus,
			    struct keel_io_device *dev);
int keel_io_bus_read(struct keel_vcpu *vcpu, enum keel_bus bus, u64 addr,
		     u32 len, void *val);
int keel_io_bus_write(struct keel_vcpu *vcpu, enum keel_bus bus, u64 addr,
		      u32 len, const void *val);
void keel_io_buses_free(struct keel_vm *vm);

#endif /* _KEEL_IOBUS_H */
