/* test_plugin: one more strategy added as one file (strategy_oracle.c) plus one registry line (this test
 * compiles models/s390_ioat/strategies.c with IOWALK_EXTRA_STRATEGY=strategy_oracle). Everything that
 * lists strategies must pick it up with no other change: the registry, the CLI's names, `--strategy all`,
 * the JSON and CSV reports (in registry order, kvm-gfn still the baseline), and a checked run. */
#include "../check.h"
#include "cli.h"
#include "s390_model.h"

#include <jansson.h>
#include <unistd.h>

extern const struct strategy_ops strategy_oracle;

/* The strategies built in (before the oracle). */
#define BUILTIN 5u

static void test_registry(void)
{
	CHECK(s390_strategy_at(BUILTIN) == &strategy_oracle);
	CHECK(s390_strategy_at(BUILTIN + 1) == NULL);
	CHECK(strategy_find(&s390_ioat_model, "oracle") == &strategy_oracle);
	CHECK_EQ_U64(strategy_rank(&strategy_oracle), BUILTIN);
	CHECK_STR_CONTAINS(cli_strategy_names(&s390_ioat_model, ","), "kvm-gfn,root-pfn,nested,qemu,direct,oracle");
	struct engine_opts o;
	char err[256];
	CHECK(cli_parse_strategies("all", &s390_ioat_model, &o, err, sizeof(err)) == 0);
	CHECK_EQ_U64(o.nstrategies, BUILTIN + 1);
	CHECK(cli_parse_strategies("oracle, kvm-gfn", &s390_ioat_model, &o, err, sizeof(err)) == 0);
	CHECK_EQ_U64(o.nstrategies, 2);
}

static int run(const char *trace, const char *json, const char *csv)
{
	char *argv[] = {"run", (char *)trace, "--check", "-q", "--json", (char *)json, "--csv", (char *)csv, NULL};
	return cli_run(8, argv);
}

static void test_reports(const char *trace)
{
	char json[] = "/tmp/iowalk-plugin-XXXXXX", csv[] = "/tmp/iowalk-plugin-csv-XXXXXX";
	close(mkstemp(json));
	close(mkstemp(csv));
	CHECK_EQ_U64(run(trace, json, csv), 0);
	json_error_t e;
	json_t *r = json_load_file(json, 0, &e);
	CHECK(r != NULL);
	json_t *st = json_object_get(r, "strategies");
	CHECK_EQ_U64(json_object_size(st), BUILTIN + 1);
	const char *names[BUILTIN + 1], *name;
	json_t *v;
	unsigned n = 0;
	json_object_foreach(st, name, v)
	{
		if (n <= BUILTIN)
			names[n] = name;
		n++;
	}
	CHECK(n == BUILTIN + 1 && strcmp(names[0], "kvm-gfn") == 0 && strcmp(names[BUILTIN], "oracle") == 0);
	CHECK(strcmp(json_string_value(json_object_get(json_object_get(r, "run"), "baseline")), "kvm-gfn") == 0);
	/* The oracle is a lower bound for a guest that refreshes after every change: no such strategy costs
	 * less (one whose guest skips RPCITs, nested or direct, may), and it checked every translation. */
	json_t *oracle = json_object_get(st, "oracle");
	json_int_t low = json_integer_value(json_object_get(oracle, "cycles_total"));
	json_object_foreach(st, name, v)
		if (json_integer_value(json_object_get(json_object_get(v, "ops"), "rpcits_skipped")) == 0)
			CHECK(json_integer_value(json_object_get(v, "cycles_total")) >= low);
	CHECK(json_integer_value(json_object_get(json_object_get(oracle, "ops"), "checked")) ==
	      json_integer_value(json_object_get(oracle, "translations")));
	json_decref(r);
	FILE *f = fopen(csv, "r");
	char line[8192];
	unsigned rows = 0, oracle_rows = 0;
	while (f && fgets(line, sizeof(line), f)) {
		rows++;
		oracle_rows += strncmp(line, "oracle,", 7) == 0;
	}
	if (f)
		fclose(f);
	CHECK_EQ_U64(rows, BUILTIN + 2);
	CHECK_EQ_U64(oracle_rows, 1);
	remove(json);
	remove(csv);
}

static void test_tiny(void) { test_reports(IOWALK_SOURCE_DIR "/traces/samples/tiny.trace"); }
static void test_matrix_trace(void) { test_reports(IOWALK_SOURCE_DIR "/traces/samples/matrix.trace"); }

CHECK_MAIN(CASE(test_registry), CASE(test_tiny), CASE(test_matrix_trace))
