# Mutation testing of the pure modules (docs/mutation.md, stryker.config.mjs):
# long and CPU-heavy, so never part of `make test`. Included by the top Makefile.
#   MUTATE=provider/names.ts make mutation   one module (a comma list works too)
#   STRYKER_CONCURRENCY=1                    test runners in parallel (default 2)
#   STRYKER_STATIC=1                         also the mutants of module-level tables and regexes (hours)
#   STRYKER_FORCE=1                          ignore the last run's results (incremental by default)
# Reports: reports/mutation/ (not in git); the summary goes to docs/mutation.md by hand.
.PHONY: mutation

mutation: deps
	@$(ENV) stryker run stryker.config.mjs $${STRYKER_FORCE:+--force}
	@$(ENV) node --disable-warning=MODULE_TYPELESS_PACKAGE_JSON tools/mutation-summary.ts --survivors
