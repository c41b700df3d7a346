# tally — the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
WORKERS ?= 2
export WORKERS

.PHONY: run test chaos fuzz up down status deps build build-release bench bench-micro bench-aggregator bench-readings bench-vendor bench-cpu bench-cluster bench-transactions image compose-test clean help

help:
	@echo "make run      start RabbitMQ, Redis and $(WORKERS) workers, publish sample data, show the results"
	@echo "make test     install what is missing, build, run unit + integration tests on private servers"
	@echo "make up       start (or restart what is missing of) the fleet; WORKERS=n (default 2, 0 allowed)"
	@echo "make up CLUSTER=1   the same on a cluster: RabbitMQ on 5672-5674, Redis 6379 + replica 6380, Sentinels 26379-26381 (master tally); back to one node: scripts/down.sh --purge"
	@echo "make down     stop exactly what make up started"
	@echo "make status   what runs"
	@echo "make bench    tally-loadtest scenarios (the expected load, max throughput vs baseline, duplicates, backlog); RECORDS=, BACKLOG=, SEED_SECONDS="
	@echo "make bench-cluster   records/s through one worker on one node and on the cluster of CLUSTER=1, same run, and the ratio; RECORDS=, ROUNDS="
	@echo "make chaos    the fault suite at full scale + 60 s of fuzzing; summary table (RELIABILITY.md)"
	@echo "make bench-cpu     CPU µs per record by process (redis, RabbitMQ, worker, load generator) for the broker-only relay (and the relay carrying notification-sized bodies), tally on layout 4 (through the tally Redis module, and through the Function with it unloaded) and on layout 3, same run; their total and the cores they kept busy; Redis commandstats; RECORDS=, ROUNDS=, LAYOUT3=0, AGGREGATOR=1 (with the aggregator indexing)"
	@echo "make bench-transactions   ROWS (500,000) generated, imported, indexed and every account's report published; times"
	@echo "make bench-micro   micro-benchmarks of the per-record path (Benchmarks/), checked against Benchmarks/Thresholds"
	@echo "make bench-aggregator   aggregator ingest rate, query latencies and RSS over RECORDS (default 1,000,000)"
	@echo "make bench-readings     READINGS (default 10,000,000) meter readings and a run of MATCHES rows stamped over MATCH_SPAN (120) s: import, drain, ingest, the run whole, view latencies"
	@echo "make image   the project's image (deploy/Dockerfile) with podman, from local Debian and toolchain images; tally:<version>"
	@echo "make compose-test   deploy/compose.yaml with podman-compose (local RabbitMQ/Redis images): samples in, notifications and API checked from outside, torn down"
	@echo "make bench-vendor       the vendor poller at the real limit (5/min): RATE (4950/min) for DURATION (360 s); rate, lag, violations (0)"

run: up
	scripts/demo.sh

test:
	scripts/test.sh

chaos:
	scripts/chaos.sh

fuzz:
	scripts/fuzz.sh $(or $(SECONDS),60)

deps:
	scripts/install-deps.sh

build: deps
	swift build

up: build
	scripts/up.sh all

down:
	scripts/down.sh

status:
	scripts/status.sh

build-release: deps
	swift build -c release

bench: build-release
	scripts/bench.sh

bench-cpu: build-release
	scripts/bench-cpu.sh

bench-cluster: build-release
	scripts/bench-cluster.sh

bench-transactions: deps
	scripts/bench-transactions.sh

bench-micro: deps
	scripts/bench-micro.sh

bench-aggregator: deps
	scripts/bench-aggregator.sh

bench-readings: deps
	scripts/bench-readings.sh

bench-vendor: deps
	scripts/bench-vendor.sh

clean: down
	rm -rf .build .state

image:
	scripts/image.sh

compose-test: build
	scripts/compose-test.sh
