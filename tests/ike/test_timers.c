/* Tests of the SA timer heap: order, moving, cancelling, popping when due. */
#include "testutil.h"

#include <stdlib.h>

#include "ike/timers.h"

static void test_order_and_due(void **state)
{
	struct timers t;
	uint32_t serial;
	enum timer_kind kind;
	uint64_t when[] = {500, 100, 900, 300, 700, 200, 800, 400, 600, 1000};
	uint64_t last = 0;
	size_t i, n = 0;

	(void)state;
	assert_int_equal(timers_init(&t), 0);
	assert_int_equal(timers_next(&t), TIMERS_NONE);
	for (i = 0; i < 10; i++)
		assert_int_equal(timers_set(&t, (uint32_t)i + 1, TIMER_RETRANSMIT, when[i]), 0);
	assert_int_equal(timers_next(&t), 100);
	assert_false(timers_pop_due(&t, 99, &serial, &kind)); /* nothing due yet */
	while (timers_pop_due(&t, 1000, &serial, &kind)) {
		assert_true(when[serial - 1] >= last);
		last = when[serial - 1];
		assert_int_equal(kind, TIMER_RETRANSMIT);
		n++;
	}
	assert_int_equal(n, 10);
	assert_int_equal(timers_count(&t), 0);
	timers_free(&t);
}

static void test_move_and_cancel(void **state)
{
	struct timers t;
	uint32_t serial;
	enum timer_kind kind;
	uint32_t s;

	(void)state;
	assert_int_equal(timers_init(&t), 0);
	for (s = 1; s <= 100; s++) {
		timers_set(&t, s, TIMER_RETRANSMIT, 1000 + s);
		timers_set(&t, s, TIMER_TIMEOUT, 5000 + s);
	}
	/* setting again moves, it does not add */
	timers_set(&t, 50, TIMER_RETRANSMIT, 10);
	assert_int_equal(timers_count(&t), 200);
	assert_int_equal(timers_next(&t), 10);
	assert_int_equal(timers_when(&t, 50, TIMER_RETRANSMIT), 10);
	assert_true(timers_cancel(&t, 50, TIMER_RETRANSMIT));
	assert_false(timers_cancel(&t, 50, TIMER_RETRANSMIT));
	assert_int_equal(timers_next(&t), 1001);
	timers_cancel_all(&t, 1);
	assert_int_equal(timers_when(&t, 1, TIMER_TIMEOUT), TIMERS_NONE);
	assert_int_equal(timers_next(&t), 1002);
	for (s = 2; s <= 100; s += 2)
		timers_cancel_all(&t, s);
	assert_int_equal(timers_count(&t), 200 - 1 - 2 - (2 * 50 - 1)); /* 50 had one left */
	/* what is left still comes out in order */
	{
		uint64_t last = 0, w;

		while (timers_next(&t) != TIMERS_NONE) {
			w = timers_next(&t);
			assert_true(w >= last);
			last = w;
			assert_true(timers_pop_due(&t, w, &serial, &kind));
			assert_true(serial % 2 == 1 && serial != 1);
		}
	}
	timers_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_and_due),
		cmocka_unit_test(test_move_and_cancel),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
