/* SPDX-License-Identifier: MIT */
/* The unit tests' checks: a failed one is reported and counted, the test goes on. */
#ifndef VDMABUF_TEST_CHECK_H
#define VDMABUF_TEST_CHECK_H

#include <stdio.h>

static int failures;

#define CHECK(cond)								\
	do {									\
		if (!(cond)) {							\
			fprintf(stderr, "%s:%d: %s: CHECK(%s) failed\n",	\
				__FILE__, __LINE__, __func__, #cond);		\
			failures++;						\
		}								\
	} while (0)

/* The model's invariants (model-harness.h: harness_check) hold. */
#define CHECK_MODEL(h)								\
	do {									\
		const char *why_ = harness_check(h);				\
		if (why_) {							\
			fprintf(stderr, "%s:%d: %s: model: %s\n", __FILE__,	\
				__LINE__, __func__, why_);			\
			failures++;						\
		}								\
	} while (0)

#endif
