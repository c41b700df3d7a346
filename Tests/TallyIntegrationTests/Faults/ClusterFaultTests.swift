import Foundation
import Testing
import TallyCore
import TallyWorker

/// The loss of a node, on the cluster `make test` and `make chaos` start
/// last (`TALLY_CLUSTER=1`: three RabbitMQ nodes, a Redis primary and
/// replica, three Sentinels). Two workers with `redis.waitReplicas 1` and an
/// aggregator run against all of them while a node dies under load; each
/// scenario ends with every record's effect once, every notification
/// identity present (re-publishes byte-identical) and the aggregator's
/// totals exact.
@Suite(.serialized, .timeLimit(.minutes(20)), .enabled(if: ClusterServers.isRunning, "needs the cluster of scripts/test.sh's last stage"))
struct ClusterFaultTests {
    /// Records published before the workers start, so the faults land on
    /// a stream in flight.
    private var records: Int { 6_000 * FaultReport.scale }

    @Test func theRedisPrimaryKilledUnderLoad() throws {
        try run("cluster-redis", seed: 301) { cluster, progress in
            let primary = try cluster.primaryPort()
            try progress()
            progress.landing()
            try cluster.killRedis(on: primary)
            try cluster.waitForPromotion(awayFrom: primary)
            try cluster.restartRedis()
            let healed = try cluster.waitUntilHealed()
            return ("Redis primary SIGKILL under load (Sentinel promoted the replica; \(cluster.howHealed(healed, killed: primary)))", 1)
        }
    }

    @Test func theBrokerNodeLeadingTheWorkQueueKilledUnderLoad() throws {
        try run("cluster-broker", seed: 302) { cluster, progress in
            try progress()
            progress.landing()
            try cluster.killBroker(progress.workQueueLeader)
            try progress()  // the other two serve on
            try cluster.restartBrokers()
            return ("RabbitMQ node leading the work queue SIGKILL, work goes on, then restarted", 1)
        }
    }

    @Test func bothKilledAtOnce() throws {
        try run("cluster-both", seed: 303) { cluster, progress in
            let primary = try cluster.primaryPort()
            try progress()
            progress.landing()
            try cluster.killRedis(on: primary)
            try cluster.killBroker(progress.workQueueLeader)
            try cluster.waitForPromotion(awayFrom: primary)
            try cluster.restartRedis()
            let healed = try cluster.waitUntilHealed()
            try progress()
            try cluster.restartBrokers()
            return ("Redis primary and the work queue's RabbitMQ leader SIGKILLed together, then restarted (\(cluster.howHealed(healed, killed: primary)))", 2)
        }
    }

    /// A replica that stops acknowledging: the workers hold their batches
    /// (each says so, in its log and `tally_worker_replica_wait_timeouts_total`)
    /// and publish nothing until it answers again.
    @Test func aReplicaThatStopsAcknowledgingHoldsEverythingBack() throws {
        try run("cluster-frozen", seed: 304) { cluster, progress in
            try progress()
            let replica = try cluster.replicaPort()
            progress.landing()
            try cluster.freezeRedis(on: replica)
            defer { try? cluster.thawRedis(on: replica) }
            // Once each worker has timed out waiting, neither can have a
            // batch past its WAIT: nothing more may be notified.
            try waitUntil("both workers to hold a batch back", timeout: .seconds(60)) {
                try progress.workers.allSatisfy { try $0.replicaWaitTimeouts() >= 1 }
            }
            let held = progress.notifiedCount()
            let timeouts = try progress.workers.map { try $0.replicaWaitTimeouts() }
            try waitUntil("both workers to wait again", timeout: .seconds(60)) {
                try zip(progress.workers, timeouts).allSatisfy { try $0.replicaWaitTimeouts() >= $1 + 2 }
            }
            #expect(progress.notifiedCount() == held, "notifications went out while the replica acknowledged nothing")
            #expect(progress.workers.allSatisfy { $0.log.contains("Redis replicas are lagging") })
            try cluster.thawRedis(on: replica)
            try progress()
            return ("Redis replica frozen (SIGSTOP): every batch held back, nothing published until it answered", 1)
        }
    }

    // MARK: the scenario

    /// What a fault sees of the run: `progress()` waits until a further
    /// tenth of the stream is applied; `landing()`, called just before a
    /// fault, checks that records are still to come (else it proves nothing).
    final class Progress {
        /// The node leading the work queue, asked before the workers
        /// started (asking takes seconds, long enough for a stream to end).
        let workQueueLeader: Int
        let workers: [WorkerProcess]
        private let environment: TestEnvironment
        private let notifications: OutputTap
        private let records: Int

        init(_ environment: TestEnvironment, workQueueLeader: Int, workers: [WorkerProcess], notifications: OutputTap, records: Int) {
            self.environment = environment
            self.workQueueLeader = workQueueLeader
            self.workers = workers
            self.notifications = notifications
            self.records = records
        }

        /// Records applied (entries in the log, read from the primary the
        /// Sentinels name); nil while there is none.
        func applied() -> Int? { try? environment.appliedCount() }

        /// Distinct notification identities so far (riding out a node's death).
        func notifiedCount() -> Int {
            notifications.collectReconnecting()
            return Set(notifications.messages.compactMap(\.messageId)).count
        }

        func callAsFunction() throws {
            var start = 0
            try waitUntil("the log to be readable", timeout: .seconds(120)) {
                guard let now = applied() else { return false }
                start = now
                return true
            }
            let wanted = min(records, start + max(1, records / 10))
            try waitUntil("\(wanted) records applied (had \(start))", timeout: .seconds(300)) { (applied() ?? 0) >= wanted }
        }

        func landing() {
            #expect((applied() ?? records) < records, "the stream was done when the fault came")
        }
    }

    private func run(
        _ name: String, seed: UInt64, fault: (ClusterServers, Progress) throws -> (scenario: String, faults: Int)
    ) throws {
        var environment = TestEnvironment(name, batchSize: 100)
        let cluster = try ClusterServers(environment)
        environment = environment.with(cluster.configure(environment.configuration))
        defer { environment.cleanUp() }
        try environment.declareTopology()
        let notifications = try OutputTap(environment, exchange: environment.configuration.topology.notificationsExchange, quorum: true)
        let stream = RecordStream.valid(count: records, prefix: environment.runId, seed: seed)
        let oracle = try Oracle(stream)
        try environment.publish(stream)

        let leader = try cluster.node(named: cluster.leader(of: environment.configuration.topology.workQueue))
        let aggregator = try AggregatorProcess(environment)
        let workers = try (1...2).map {
            try WorkerProcess(environment, name: "worker-\($0)", extraEnvironment: ["TALLY_REDIS_WAIT_REPLICAS": "1"])
        }
        for worker in workers { try worker.waitUntilConsuming(timeout: .seconds(60)) }
        let progress = Progress(
            environment, workQueueLeader: leader, workers: workers, notifications: notifications, records: records)

        let (scenario, faults) = try fault(cluster, progress)
        try waitUntil("every record notified", timeout: .seconds(600)) { progress.notifiedCount() >= records }
        for worker in workers { worker.signal(SIGTERM) }
        for worker in workers { #expect(try worker.waitForExit(timeout: .seconds(60)) == 0) }
        _ = progress.notifiedCount()
        #expect(try environment.workQueueDepth() == 0)

        let outcome = try FaultReport.count(environment, oracle: oracle, notifications: notifications.messages)
        FaultReport.record(scenario, records: records, faults: faults, outcome)
        #expect(outcome.lost == 0 && outcome.doubled == 0, "\(outcome)")
        try FleetChecks.notificationsConsistent(notifications.messages, oracle: oracle)
        try FleetChecks.effectsExactlyOnce(environment, oracle: oracle)

        try aggregator.waitUntilCaughtUp(records: records, timeout: .seconds(120))
        var totals: [String: Summary] = [:]
        for group in try aggregator.totalsOnlyGroups() {
            guard case .string(let destination)? = group["destinationId"] else { throw TestFailure("no destinationId in \(group)") }
            totals[destination] = try Summary(json: group)
        }
        #expect(totals == oracle.byDestination, "the aggregator's totals")
    }
}

extension WorkerProcess {
    /// `tally_worker_replica_wait_timeouts_total` from its /metrics.
    func replicaWaitTimeouts() throws -> Int {
        let text = try get("/metrics").text
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("tally_worker_replica_wait_timeouts_total") }),
            let value = line.split(separator: " ").last,
            let count = Int(value.split(separator: ".").first ?? "")
        else { return 0 }
        return count
    }
}
