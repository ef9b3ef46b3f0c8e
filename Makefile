# The two commands the README documents, plus the benchmark.
.PHONY: run check-rules test bench sim rules deps

# Builds release and runs the routing daemon with the default rules and a CRM database (demo data on first run),
# on the default loopback endpoints.
CRM ?= acdd-crm.sqlite
run: deps
	swift build -c release --product acdd
	[ -e $(CRM) ] || .build/release/acdd seed-demo --crm $(CRM)
	.build/release/acdd run --rules routing-rules/default.yaml --crm $(CRM)

# Validates rule files and prints what they define.
check-rules: deps
	swift run -c release acdd check-rules routing-rules

# Every test: the routing core (scenarios, randomized invariants, replay), rule files, and the acdd command line.
test: deps
	swift test --disable-xctest

# Routing decisions per second and latency of the core; figures go in bench/README.md.
bench:
	swift run -c release acd-bench core

# A scenario in virtual time against the routing core; see simulators/README.md for the others and --live.
sim:
	swift run -c release acd-sim run simulators/scenarios/erlang-c.yaml

# Debian packages the build needs (libzmq3-dev, libsqlite3-dev, libjemalloc-dev, tzdata), installed only when missing.
deps:
	scripts/install-deps

# Regenerate the embedded default rules after editing routing-rules/default.yaml.
rules:
	scripts/embed-default-rules
