import Foundation
import TallyAMQPClient
import TallyBroker
import TallyCore
import TallyRedisClient
import TallyStore
import TallyWorker

/// Where the real servers of `make test` are, and a fresh, isolated
/// namespace per test: every exchange, queue and Redis key a test uses
/// carries a unique prefix, so tests never see each other's data.
struct TestEnvironment {
    let repository: URL
    let binaries: URL
    let stateDirectory: URL
    private(set) var configuration: WorkerConfiguration
    let runId: String
    /// The bearer token of the aggregators this test starts, sent by its CLI
    /// and load-test processes (`TALLY_API_TOKEN`).
    let apiToken: String

    init(_ name: String, batchSize: Int = 100) {
        let environment = ProcessInfo.processInfo.environment
        repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        binaries = URL(fileURLWithPath: environment["TALLY_BIN"] ?? repository.appendingPathComponent(".build/debug").path)
        stateDirectory = URL(fileURLWithPath: environment["TALLY_STATE_DIR"] ?? repository.appendingPathComponent(".state").path)
        runId = "\(name)-\(String(UInt32.random(in: 0..<UInt32.max), radix: 36))"
        apiToken = (0..<4).map { _ in String(UInt64.random(in: 0...UInt64.max), radix: 16) }.joined()

        var settings = WorkerConfiguration()
        settings.broker.port = Int(environment["TALLY_AMQP_PORT"] ?? "") ?? 5672
        // The test's own connections (taps, publishers) may sit idle for
        // minutes without a call that would send a heartbeat.
        settings.broker.heartbeatSeconds = 0
        settings.redis.port = Int(environment["TALLY_REDIS_PORT"] ?? "") ?? 6379
        settings.topology.recordsExchange = "\(runId).records"
        settings.topology.workQueue = "\(runId).records.work"
        settings.topology.deadExchange = "\(runId).records.dead"
        settings.topology.deadQueue = "\(runId).records.dead"
        settings.topology.notificationsExchange = "\(runId).notifications"
        settings.topology.alertsExchange = "\(runId).alerts"
        settings.topology.reportsExchange = "\(runId).reports"
        settings.keyPrefix = "test:\(runId)"
        settings.batch.maxSize = batchSize
        settings.backoff = BackoffPolicy(initialMilliseconds: 50, maximumMilliseconds: 500)
        // The fixtures carry fixed 2026 dates: a 30-year dedup window (4
        // buckets of 10 years) keeps them inside it whatever today is.
        settings.dedup.bucketSeconds = 315_360_000
        settings.dedup.buckets = 4
        configuration = settings
    }

    /// The same namespace with other settings.
    func with(_ settings: WorkerConfiguration) -> TestEnvironment {
        var copy = self
        copy.configuration = settings
        return copy
    }

    /// The environment a worker process of this test runs with: the same
    /// settings through the documented TALLY_* variables.
    var workerEnvironment: [String: String] {
        let settings = configuration
        var environment = ProcessInfo.processInfo.environment
        environment["TALLY_AMQP_PORT"] = "\(settings.broker.port)"
        environment["TALLY_REDIS_PORT"] = "\(settings.redis.port)"
        environment["TALLY_TOPOLOGY_RECORDS"] = settings.topology.recordsExchange
        environment["TALLY_TOPOLOGY_WORK"] = settings.topology.workQueue
        environment["TALLY_TOPOLOGY_DEAD_EXCHANGE"] = settings.topology.deadExchange
        environment["TALLY_TOPOLOGY_DEAD_QUEUE"] = settings.topology.deadQueue
        environment["TALLY_TOPOLOGY_NOTIFICATIONS"] = settings.topology.notificationsExchange
        environment["TALLY_TOPOLOGY_ALERTS"] = settings.topology.alertsExchange
        environment["TALLY_TOPOLOGY_REPORTS"] = settings.topology.reportsExchange
        if !settings.broker.failoverHosts.isEmpty {
            environment["TALLY_AMQP_FAILOVER_HOSTS"] = settings.broker.failoverHosts.map(\.description).joined(separator: ",")
        }
        if !settings.redis.sentinels.isEmpty {
            environment["TALLY_REDIS_SENTINELS"] = settings.redis.sentinels.map(\.description).joined(separator: ",")
            environment["TALLY_REDIS_MASTER_NAME"] = settings.redis.masterName
        }
        environment["TALLY_REDIS_KEY_PREFIX"] = settings.keyPrefix
        environment["TALLY_BATCH_MAX_SIZE"] = "\(settings.batch.maxSize)"
        environment["TALLY_BACKOFF_INITIAL_MS"] = "\(settings.backoff.initialMilliseconds)"
        environment["TALLY_BACKOFF_MAX_MS"] = "\(settings.backoff.maximumMilliseconds)"
        environment["TALLY_API_TOKEN"] = apiToken
        environment["TALLY_DEDUP_BUCKET_SECONDS"] = "\(settings.dedup.bucketSeconds)"
        environment["TALLY_DEDUP_BUCKETS"] = "\(settings.dedup.buckets)"
        environment["TALLY_DEDUP_AHEAD_SECONDS"] = "\(settings.dedup.aheadSeconds)"
        if !settings.alerts.perUnit.isEmpty {
            environment["TALLY_ALERTS_UNIT_THRESHOLDS"] = settings.alerts.perUnit.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
        }
        return environment
    }

    func redis() throws -> RedisConnection { try RedisConnection(configuration.redis) }

    var layout: RedisKeyLayout { RedisKeyLayout(prefix: configuration.keyPrefix) }

    /// Declares the topology, as a worker would, so messages published
    /// before any worker runs are queued, not dropped.
    func declareTopology() throws {
        let connection = try AMQPConnection(configuration.broker)
        try configuration.topology.declare(on: connection)
    }

    func publisher() throws -> ConfirmedPublisher { try ConfirmedPublisher(endpoint: configuration.broker) }

    /// Publishes bodies with confirms; fails the test if any is refused.
    func publish(_ bodies: [[UInt8]]) throws {
        let publisher = try publisher()
        for body in bodies {
            try publisher.publish(ConfirmedPublisher.envelope(for: body, exchange: configuration.topology.recordsExchange), body: body)
        }
        try publisher.flush()
        guard publisher.refused == 0 else { throw TestFailure("the broker refused \(publisher.refused) publishes") }
    }

    /// Records applied so far: records in this test's log stream (an entry
    /// holds a whole call's records once the log is batched).
    func appliedCount() throws -> Int {
        try LogContents.recordCount(try redis(), layout.log)
    }

    /// Ready messages left in the work queue.
    func workQueueDepth() throws -> Int {
        try AMQPConnection(configuration.broker).queueStatus(configuration.topology.workQueue).messages
    }

    /// Removes this test's queues, exchanges stay (cheap and harmless).
    func cleanUp() {
        guard let connection = try? AMQPConnection(configuration.broker) else { return }
        try? connection.deleteQueue(configuration.topology.workQueue)
        try? connection.deleteQueue(configuration.topology.deadQueue)
        if let redis = try? redis() {
            var cursor = "0"
            repeat {
                guard let reply = try? redis.command(RedisCommand("SCAN", cursor, "MATCH", "\(configuration.keyPrefix):*", "COUNT", "1000")),
                    let parts = reply.elements, parts.count == 2
                else { break }
                cursor = parts[0].text ?? "0"
                let keys = parts[1].elements?.compactMap(\.text) ?? []
                if !keys.isEmpty { _ = try? redis.command(RedisCommand(["UNLINK"] + keys)) }
            } while cursor != "0"
        }
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Polls `condition` until it holds or `timeout` passes: waiting for a
/// condition, never a bare sleep standing in for one.
func waitUntil(
    _ what: @autoclosure () -> String, timeout: Duration = .seconds(60), _ condition: () throws -> Bool
) throws {
    let deadline = ContinuousClock.now.advanced(by: timeout)
    while try !condition() {
        guard ContinuousClock.now < deadline else { throw TestFailure("timed out after \(timeout) waiting for \(what())") }
        usleep(20_000)
    }
}
