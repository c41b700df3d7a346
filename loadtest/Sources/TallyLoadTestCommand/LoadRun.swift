import Foundation
import TallyAMQPClient
import TallyBroker
import TallyLoadTest
import TallyRedisClient
import TallyWorker

/// One measured phase: publish the plan's messages, collect the outputs,
/// sample the workers and Redis, ask the aggregator, verify. Used for the
/// tally run and, with a private topology and `outputsOnly`, the baseline.
struct LoadRun {
    struct Setup {
        var label: String
        var endpoint: AMQPEndpoint
        var topology: Topology
        /// The broker-only baseline: notifications only, no verification of
        /// alerts, dead letters or totals.
        var outputsOnly = false
        var rate: RateSpec
        var window = 1_000
        var backlog = false
        var afterPublish: String?
        var timeoutSeconds = 600
        var settleMilliseconds = 1_000
        var workerPids: [Int32] = []
        var redis: RedisClaimsProbe?
        var aggregator: AggregatorTotalsProbe?
        var aggregatorTimeoutSeconds = 300
        var showProgress = true
    }

    struct Outcome {
        var throughput: LoadReport.Throughput
        var latency: LatencySummary?
        var series: ThroughputSeries
        var workers: [LoadReport.Worker]
        var redis: LoadReport.RedisMemory?
        var verification: Verification
    }

    let setup: Setup
    let plan: LoadPlan
    /// Backlog runs whose workers start after publishing: the state
    /// directory where their pid files appear.
    var discoverWorkers: String? = nil

    func run() throws -> Outcome {
        let declarer = try AMQPConnection(setup.endpoint)
        try setup.topology.declare(on: declarer)
        let queues = OutputQueues(runId: plan.profile.runId + (setup.outputsOnly ? "-baseline" : ""))
        try queues.declare(on: declarer, topology: setup.topology, withAlertsAndDead: !setup.outputsOnly)
        defer { queues.delete(on: declarer) }

        let expectation = OutputCollector.Expectation(
            notifications: plan.freshCount,
            deadLetters: setup.outputsOnly ? 0 : plan.invalidCount + plan.conflictCount,
            alertsAtLeast: setup.outputsOnly ? 0 : plan.certainAlerts)
        var probe = WorkerProbe(pids: setup.workerPids)
        let redisBefore = try setup.redis?.read()
        var workersBefore = probe.sample()

        let clock = RunClock()
        let counters = LiveCounters()
        let collector = OutputCollector(
            endpoint: setup.endpoint, topology: setup.topology, queues: queues, outputsOnly: setup.outputsOnly, plan: plan,
            expectation: expectation, settleMilliseconds: setup.settleMilliseconds, clock: clock, counters: counters)
        var progress = ProgressLine(
            label: setup.label, total: plan.messageCount, counters: counters, clock: clock, probe: probe, enabled: setup.showProgress)

        // Publish.
        var publishNanos = [UInt64](repeating: 0, count: plan.messageCount)
        var publishedSeries = ThroughputSeries()
        let publisher = try ConfirmedPublisher(endpoint: setup.endpoint, window: setup.window)
        let exchange = setup.topology.recordsExchange
        for slot in 0..<plan.messageCount {
            let due = setup.rate.dueNanos(of: slot)
            let now = clock.nanos
            if due > now { usleep(useconds_t(min((due - now) / 1_000, 1_000_000))) }
            let message = plan.message(at: slot)
            let at = clock.nanos
            if message.kind == .fresh { publishNanos[slot] = max(at, 1) }
            try publisher.publish(
                AMQPOutgoing(exchange: exchange, routingKey: plan.profile.sourceId, messageId: message.messageId), body: message.body)
            publishedSeries.recordPublished(atNanos: at)
            counters.published.add(1, ordering: .relaxed)
        }
        let refused = try publisher.flush()
        let publishEnd = clock.nanos
        guard refused.isEmpty else {
            counters.stop.store(true, ordering: .relaxed)
            _ = collector.wait()
            _ = progress.stop()
            throw LoadTestError("the broker refused \(refused.count) publishes (nacks): the run's input is incomplete, nothing to verify")
        }
        var measureStart: UInt64 = 0
        if setup.backlog {
            note("\(setup.label): \(plan.messageCount) messages published in \(String(format: "%.2f", RunClock.seconds(publishEnd))) s; draining")
            // The drain starts with the command that starts the workers:
            // their start-up is part of draining a backlog.
            measureStart = clock.nanos
            if let command = setup.afterPublish { try Self.runShell(command) }
            if let discoverWorkers {
                probe = WorkerProbe(pids: WorkerProbe.discover(given: [], stateDirectory: discoverWorkers))
                workersBefore = [:]  // started during the measurement: all their CPU counts
                _ = progress.stop()
                progress = ProgressLine(
                    label: setup.label, total: plan.messageCount, counters: counters, clock: clock, probe: probe, enabled: setup.showProgress)
            }
        }

        // Wait for the outputs (or the timeout).
        let deadline = ContinuousClock.now.advanced(by: .seconds(setup.timeoutSeconds))
        var collected: OutputCollector.Result?
        while collected == nil {
            if ContinuousClock.now >= deadline {
                note("\(setup.label): timed out after \(setup.timeoutSeconds) s waiting for the outputs; verifying what arrived")
                counters.stop.store(true, ordering: .relaxed)
                collected = collector.wait()
            } else {
                collected = collector.wait(seconds: 0.5)
            }
        }
        let peaks = progress.stop()
        let result = collected!
        if let error = result.error { throw LoadTestError(error) }
        let workersAfter = probe.sample()
        let lastOutput = result.completeAtNanos != 0 ? result.completeAtNanos : clock.nanos
        let seconds = RunClock.seconds(lastOutput > measureStart ? lastOutput - measureStart : 0)

        var workers: [LoadReport.Worker] = []
        for pid in probe.pids {
            guard let after = workersAfter[pid] else { continue }
            let before = workersBefore[pid]?.cpuTicks ?? 0
            workers.append(LoadReport.Worker(
                pid: pid, cpuSeconds: Double(after.cpuTicks - min(before, after.cpuTicks)) / WorkerProbe.ticksPerSecond, wallSeconds: seconds,
                messages: plan.messageCount, peakResidentBytes: max(peaks[pid] ?? 0, after.residentBytes),
                residentBytesAtEnd: after.residentBytes))
        }
        var redisMemory: LoadReport.RedisMemory?
        if let before = redisBefore, let after = try setup.redis?.read() {
            redisMemory = LoadReport.RedisMemory(
                rememberedRecordIds: after.entries, addedRecordIds: after.entries - before.entries, claimBytes: after.bytes,
                usedMemoryGrowth: after.usedMemory - before.usedMemory, records: plan.freshCount)
        }
        var totals: ExactOracle?
        if let aggregator = setup.aggregator, !setup.outputsOnly {
            note("\(setup.label): asking the aggregator for the run's totals")
            totals = try aggregator.totals(
                sourceId: plan.profile.sourceId, records: plan.freshCount, timeoutSeconds: setup.aggregatorTimeoutSeconds)
        }
        let verification = Verification.verify(plan: plan, observations: result.observations, totals: totals, outputsOnly: setup.outputsOnly)
        return Outcome(
            throughput: LoadReport.Throughput(
                seconds: seconds, messages: plan.messageCount, records: plan.freshCount, publishSeconds: RunClock.seconds(publishEnd),
                meanNotificationBytes: result.observations.meanNotificationBytes),
            latency: setup.backlog ? nil : LatencySummary.of(publishNanos: publishNanos, receiveNanos: result.observations.notificationNanos),
            series: ThroughputSeries.merged(publishedSeries, result.series), workers: workers, redis: redisMemory,
            verification: verification)
    }

    /// Runs a shell command (e.g. the one that starts the workers after a
    /// backlog was published) and fails when it fails.
    static func runShell(_ command: String) throws {
        // system(3), not Foundation's Process: waitUntilExit needs a run
        // loop that this thread (and the blocked main thread) do not turn.
        let status = system(command)
        guard status == 0 else {
            throw LoadTestError("--after-publish command failed (status \(status)): \(command)")
        }
    }
}

/// Progress and notes go to standard error; standard output is the table.
func note(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

