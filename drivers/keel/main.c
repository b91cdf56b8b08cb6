// SPDX-License-Identifier: GPL-2.0
/*
 * keel: module entry, the /dev/keel misc device and the system fd ioctls.
 */
#define pr_fmt(fmt) "keel: " fmt

#include <linux/module.h>
#include <linux/miscdevice.h>
#include <linux/fs.h>
#include <linux/reboot.h>

#include <keel/core.h>

static char *devname = "keel";
module_param(devname, charp, 0444);
MODULE_PARM_DESC(devname, "name of the device node under /dev (default keel)");

bool keel_rebooting;

static long keel_dev_ioctl(struct file *filp, unsigned int cmd,
			   unsigned long arg)
{
	switch (cmd) {
	case KEEL_GET_API_VERSION:
		if (arg)
			return -EINVAL;
		return KEEL_API_VERSION;
	case KEEL_CHECK_EXTENSION:
		return keel_check_extension(NULL, arg);
	case KEEL_CREATE_VM:
		return keel_vm_create(arg);
	case KEEL_GET_VCPU_MMAP_SIZE:
		if (arg)
			return -EINVAL;
		return (KEEL_PIO_PAGE_OFFSET + 1) * PAGE_SIZE;
	default:
		return keel_arch_dev_ioctl(cmd, arg);
	}
}

static const struct file_operations keel_dev_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= keel_dev_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice keel_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.fops	= &keel_dev_fops,
	.mode	= 0666,
};

static int keel_reboot(struct notifier_block *nb, unsigned long code, void *p)
{
	keel_rebooting = true;
	keel_virt_exit();
	return NOTIFY_OK;
}

static struct notifier_block keel_reboot_nb = {
	.notifier_call = keel_reboot,
};

static int __init keel_init(void)
{
	int r;

	r = keel_arch_init();
	if (r)
		return r;
	keel_caps_init();

	r = keel_irqfd_init();
	if (r)
		goto out_arch;
	r = keel_virt_init();
	if (r)
		goto out_irqfd;

	register_reboot_notifier(&keel_reboot_nb);

	keel_misc.name = devname;
	r = misc_register(&keel_misc);
	if (r) {
		pr_err("cannot register /dev/%s: %d\n", devname, r);
		goto out_reboot;
	}
	return 0;

out_reboot:
	unregister_reboot_notifier(&keel_reboot_nb);
	keel_virt_exit();
out_irqfd:
	keel_irqfd_exit();
out_arch:
	keel_arch_exit();
	return r;
}

static void __exit keel_exit(void)
{
	misc_deregister(&keel_misc);
	unregister_reboot_notifier(&keel_reboot_nb);
	keel_virt_exit();
	keel_irqfd_exit();
	keel_arch_exit();
}

module_init(keel_init);
module_exit(keel_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("keel: a KVM-ABI hypervisor as an out-of-tree module");
MODULE_AUTHOR("The keel developers");
