# The two commands the README documents, plus the benchmark.
.PHONY: run test bench rules

# Validates the shipped rule files and prints what they define. (The acdd daemon's `run` arrives with the
# ZeroMQ issue; until then this is what running the project means.)
run:
	swift run -c release acdd check-rules routing-rules

# Every test: the routing core (scenarios, randomized invariants, replay), rule files, and the acdd command line.
test:
	swift test --disable-xctest

# Routing decisions per second and latency of the core; figures go in bench/README.md.
bench:
	swift run -c release acd-bench core

# Regenerate the embedded default rules after editing routing-rules/default.yaml.
rules:
	scripts/embed-default-rules
