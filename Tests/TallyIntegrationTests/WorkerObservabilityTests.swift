import Foundation
import Testing
import TallyCore
import TallyWorker

/// `/health`, `/ready` and `/metrics` of a real `tally-worker` process.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct WorkerObservabilityTests {
    /// The counters follow what the worker did: valid records processed,
    /// a producer duplicate, bad input dead-lettered by reason, a conflict,
    /// alerts; stage latencies and batch sizes are histograms; ready is 1.
    @Test func metricsHealthAndReadinessOfARunningWorker() throws {
        let environment = TestEnvironment("observe", batchSize: 20)
        defer { environment.cleanUp() }
        try environment.declareTopology()
        let notifications = try OutputTap(environment, exchange: environment.configuration.topology.notificationsExchange)
        let worker = try WorkerProcess(environment, extraEnvironment: ["TALLY_ALERTS_THRESHOLD": "15000"])
        try worker.waitUntilConsuming()

        #expect(try worker.get("/health").status == 200)
        try waitUntil("the worker to say it is ready") { try worker.get("/ready").status == 200 }
        let ready = try worker.get("/ready")
        #expect(ready.json["broker"] == .bool(true) && ready.json["redis"] == .bool(true), "\(ready.text)")

        let valid = RecordStream.valid(count: 60, prefix: environment.runId, seed: 23)
        let conflicting = RecordStream.body(id: "\(environment.runId)-0", destination: "elsewhere", value: "\"1\"")
        let bad = [Array("not json".utf8), RecordStream.body(id: "\(environment.runId)-neg", destination: "acct-1", value: "\"-1\"")]
        try environment.publish(valid)
        try notifications.collect(atLeast: valid.count)
        try environment.publish([valid[1], conflicting] + bad)
        let alerts = valid.filter { body in
            guard case .success(let record) = RecordValidator(limits: RecordLimits()).validate(body) else { return false }
            return record.value > (try! ExactDecimal.parse("15000"))
        }.count

        let total = valid.count + 1 + 1 + bad.count
        try waitUntil("the metrics to count every delivery") {
            let metrics = try Self.scrape(worker)
            return metrics["tally_worker_consumed_total"] == Double(total) && metrics["tally_worker_in_flight"] == 0
        }
        let metrics = try Self.scrape(worker)
        #expect(metrics["tally_worker_processed_total"] == Double(valid.count))
        #expect(metrics["tally_worker_duplicates_total"] == 1)
        #expect(metrics["tally_worker_conflicts_total"] == 1)
        #expect(metrics["tally_worker_dead_lettered_total{reason=\"conflict\"}"] == 1)
        #expect(metrics["tally_worker_dead_lettered_total{reason=\"malformed-json\"}"] == 1)
        #expect(metrics["tally_worker_dead_lettered_total{reason=\"invalid-field\"}"] == 1)
        #expect(metrics["tally_worker_alerts_total"] == Double(alerts))
        #expect(metrics["tally_worker_ready"] == 1)
        #expect(metrics["tally_worker_reconnects_total"] == 0)
        // The process metrics and the build, read from /proc at the scrape.
        #expect(metrics["tally_build_info{version=\"\(BuildInfo.version)\",process=\"tally-worker\"}"] == 1)
        #expect((metrics["process_resident_memory_bytes"] ?? 0) > 1_000_000)
        #expect((metrics["process_open_fds"] ?? 0) >= 5, "stdio, two broker connections, Redis, the listener")
        #expect((metrics["process_max_fds"] ?? 0) >= (metrics["process_open_fds"] ?? .infinity))
        #expect((metrics["process_cpu_seconds_total"] ?? 0) > 0)
        let started = metrics["process_start_time_seconds"] ?? 0
        #expect(abs(started - Date().timeIntervalSince1970) < 600, "started minutes ago at most: \(started)")
        #expect((metrics["tally_worker_batch_size_count"] ?? 0) >= 2)
        #expect(metrics["tally_worker_batch_size_sum"] == Double(total))
        for stage in ["gather", "validate", "apply", "publish", "confirm", "forget", "ack"] {
            #expect((metrics["tally_worker_stage_duration_seconds_count{stage=\"\(stage)\"}"] ?? 0) > 0, "stage \(stage)")
        }
        worker.signal(SIGTERM)
        #expect(try worker.waitForExit() == 0, "\(worker.log)")
    }

    /// A worker whose Redis is unreachable is alive (`/health` 200) but not
    /// ready (`/ready` 503, saying which connection is down).
    @Test func workerWithoutRedisIsHealthyButNotReady() throws {
        let environment = TestEnvironment("unready")
        defer { environment.cleanUp() }
        let nowhere = try AggregatorProcess.freePort()
        let worker = try WorkerProcess(environment, extraEnvironment: ["TALLY_REDIS_PORT": "\(nowhere)"])
        try waitUntil("the worker's HTTP listener") { (try? worker.get("/health").status) == 200 }
        try waitUntil("a failed connection attempt") { worker.log.contains("retrying") }
        let ready = try worker.get("/ready")
        #expect(ready.status == 503)
        #expect(ready.json["redis"] == .bool(false), "\(ready.text)")
        let metrics = try Self.scrape(worker)
        #expect(metrics["tally_worker_ready"] == 0)
        #expect((metrics["tally_worker_failures_total"] ?? 0) >= 1)
        worker.signal(SIGTERM)
        #expect(try worker.waitForExit() == 0, "\(worker.log)")
    }

    /// Sample lines of the exposition format, by name with labels.
    static func scrape(_ worker: WorkerProcess) throws -> [String: Double] {
        let response = try worker.get("/metrics")
        guard response.status == 200, response.contentType.hasPrefix("text/plain") else {
            throw TestFailure("/metrics answered \(response.status) \(response.contentType)")
        }
        var samples: [String: Double] = [:]
        for line in response.text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            samples[String(line[..<space])] = value
        }
        return samples
    }
}
