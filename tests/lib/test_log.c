#include "testutil.h"

#include "lib/log.h"

static void levels_filter_per_subsystem(void **state)
{
	(void)state;
	log_set_all(LVL_INFO);
	logcap_start();
	log_debug(SUB_IKE, "hidden %d", 1);
	log_info(SUB_IKE, "shown %d", 2);
	assert_int_equal(log_set_level_spec("ike=debug"), 0);
	log_debug(SUB_IKE, "now shown %s", "too");
	log_debug(SUB_NET, "net still hidden");
	logcap_stop();
	assert_false(logcap_contains("hidden 1"));
	assert_true(logcap_contains("shown 2"));
	assert_true(logcap_contains("now shown too"));
	assert_false(logcap_contains("net still hidden"));
	log_set_all(LVL_INFO);
}

static void spec_errors_change_nothing(void **state)
{
	(void)state;
	log_set_all(LVL_INFO);
	assert_int_equal(log_set_level_spec("ike"), -1);
	assert_int_equal(log_set_level_spec("nosuch=debug"), -1);
	assert_int_equal(log_set_level_spec("ike=loud"), -1);
	assert_int_equal(log_set_level_spec("ike=9"), -1);
	assert_int_equal(log_levels[SUB_IKE], LVL_INFO);
	assert_int_equal(log_set_level_spec("all=7"), 0);
	assert_int_equal(log_levels[SUB_NET], LVL_DEBUG);
	assert_string_equal(log_sub_name(SUB_KERNEL), "kernel");
	assert_string_equal(log_level_name(LVL_WARN), "warn");
	log_set_all(LVL_INFO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(levels_filter_per_subsystem),
		cmocka_unit_test(spec_errors_change_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
