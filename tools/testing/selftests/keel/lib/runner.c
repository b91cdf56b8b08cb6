// SPDX-License-Identifier: GPL-2.0
/* keel selftests: RUN in a thread of its own, and getting it back out. */
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "keel_util.h"

static void kl_sigusr1(int sig)
{
}

static void *kl_runner_main(void *p)
{
	struct kl_runner *rn = p;

	rn->entered = 1;
	rn->r = kl_vcpu_run(rn->vcpu);
	return NULL;
}

void kl_runner_start(struct kl_runner *rn, struct kl_vcpu *vcpu)
{
	struct sigaction sa = { .sa_handler = kl_sigusr1 };

	/* No SA_RESTART: the signal must end RUN with -EINTR. */
	sigaction(SIGUSR1, &sa, NULL);
	rn->vcpu = vcpu;
	rn->entered = 0;
	rn->r = 0;
	KL_REQUIRE(!pthread_create(&rn->thread, NULL, kl_runner_main, rn),
		   "pthread_create");
	while (!rn->entered)
		usleep(1000);
}

/* Signal @t until it ends (a signal sent before RUN is lost). */
static bool kl_signal_until_joined(pthread_t t)
{
	int i;

	for (i = 0; i < 300; i++) {
		pthread_kill(t, SIGUSR1);
		usleep(50000);
		if (!pthread_tryjoin_np(t, NULL))
			return true;
	}
	return false;
}

bool kl_runner_stop(struct kl_runner *rn)
{
	return kl_signal_until_joined(rn->thread);
}

bool kl_join_within(pthread_t t, int seconds)
{
	struct sigaction sa = { .sa_handler = kl_sigusr1 };
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += seconds;
	if (!pthread_timedjoin_np(t, NULL, &ts))
		return true;
	sigaction(SIGUSR1, &sa, NULL);
	KL_REQUIRE(kl_signal_until_joined(t), "a thread stuck in RUN ignores signals");
	return false;
}
