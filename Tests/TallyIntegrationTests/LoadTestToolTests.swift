import Foundation
import Testing
import TallyAMQPClient
import TallyCore
import TallyWorker

/// `tally-loadtest` against a real worker and aggregator: its verification
/// passes on a faithful fleet with duplicates, invalid messages and
/// conflicts in the mix, and fails when the fleet's effects differ from
/// what the run published (any lost or doubled effect fails).
@Suite(.serialized, .timeLimit(.minutes(6)))
struct LoadTestToolTests {
    func fleet(_ environment: TestEnvironment) throws -> (WorkerProcess, AggregatorProcess) {
        try environment.declareTopology()
        let worker = try WorkerProcess(environment, name: "lt-worker")
        try worker.waitUntilConsuming()
        return (worker, try AggregatorProcess(environment, name: "lt-aggregator"))
    }

    func arguments(runId: String, worker: WorkerProcess, aggregator: AggregatorProcess, records: Int) -> [String] {
        [
            "--records", "\(records)", "--run-id", runId, "--aggregator", "http://127.0.0.1:\(aggregator.port)",
            "--worker-pid", "\(worker.pid)", "--settle", "300", "--timeout", "120", "--aggregator-timeout", "60",
            "--destinations", "7", "--references", "3",
        ]
    }

    @Test func aMixedLoadThroughARealFleetVerifies() throws {
        let environment = TestEnvironment("loadtest-ok", batchSize: 50)
        defer { environment.cleanUp() }
        let (worker, aggregator) = try fleet(environment)
        let run = try LoadTestProcess.run(
            environment, name: "mixed",
            arguments: arguments(runId: "\(environment.runId)-lt", worker: worker, aggregator: aggregator, records: 800) + [
                "--duplicates", "0.2", "--invalid", "0.05", "--conflicts", "0.05", "--alerts", "0.1", "--baseline-records", "300",
            ])
        #expect(run.status == 0, "tally-loadtest failed:\n\(run.output)\n\(worker.log.suffix(2_000))")
        let checks = run.checks
        #expect(checks.count == 8, "\(checks)")
        #expect(checks.values.allSatisfy { $0 }, "\(checks)")
        let unique = try #require(run.number("counts", "uniqueRecords"))
        #expect(run.number("counts", "messages") == 800)
        #expect(try #require(run.number("counts", "duplicates")) > 0)
        #expect(try #require(run.number("counts", "conflicts")) > 0)
        #expect(try #require(run.number("counts", "invalid")) > 0)
        // Every unique record has a latency; the worker was measured; the
        // claims grew by one per unique record; the baseline gave a ratio.
        #expect(run.number("latency", "count") == unique)
        #expect(try #require(run.number("latency", "p99Milliseconds")) > 0)
        #expect(run.number("redis", "addedRecordIds") == unique)
        #expect(try #require(run.number("baseline", "ratio")) > 0)
        // Notifications carry the record and its summary: larger than any record body.
        #expect(try #require(run.number("throughput", "meanNotificationBytes")) > 150)
        guard case .array(let workers)? = run.report["workers"], let first = workers.first else {
            Issue.record("no worker in the report: \(run.report)")
            return
        }
        #expect(first["pid"] == .number("\(worker.pid)"))
        let html = try String(
            contentsOf: environment.stateDirectory.appendingPathComponent("test-loadtest/\(environment.runId)/mixed.html"), encoding: .utf8)
        #expect(html.contains("<svg") && html.contains("PASSED"))
        // Cross-check with the servers themselves: one log entry per unique record.
        #expect(try environment.appliedCount() == Int(unique))
    }

    /// `--relay-body-bytes`: the baseline relays every body padded to that
    /// size (make bench-cpu's relay-sized run), and the collector sees it.
    @Test func theBaselineRelaysBodiesPaddedToTheSizeAsked() throws {
        let environment = TestEnvironment("loadtest-sized")
        defer { environment.cleanUp() }
        for (bytes, expected) in [(0, nil), (700, 700.0)] as [(Int, Double?)] {
            let run = try LoadTestProcess.run(
                environment, name: "sized-\(bytes)",
                arguments: [
                    "--baseline", "--records", "200", "--run-id", "\(environment.runId)-\(bytes)", "--relay-body-bytes", "\(bytes)",
                    "--aggregator", "none", "--no-redis", "--settle", "300", "--timeout", "120",
                ])
            #expect(run.status == 0, "tally-loadtest failed:\n\(run.output)")
            let mean = try #require(run.number("throughput", "meanNotificationBytes"))
            if let expected { #expect(mean == expected) } else { #expect(mean > 150 && mean < 300, "the records as published: \(mean)") }
        }
    }

    /// An effect the run did not cause: a record with the run's sourceId and
    /// one of its recordIds, applied behind the tool's back before it starts
    /// (as a doubled apply would look). The totals no longer match the
    /// oracle, and the run fails.
    @Test func anEffectTheRunDidNotCauseFailsIt() throws {
        let environment = TestEnvironment("loadtest-extra", batchSize: 50)
        defer { environment.cleanUp() }
        let (worker, aggregator) = try fleet(environment)
        let runId = "\(environment.runId)-lt"
        let intruder = Array("""
            {"recordId":"\(runId)-900000","time":"2026-01-01T00:00:00Z","sourceId":"loadtest-\(runId)","destinationId":"lt-dest-0","type":"positive","value":"1","unit":"EUR","reference":"ref-0"}
            """.utf8)
        try environment.publish([intruder])
        try waitUntil("the intruder to be applied") { try environment.appliedCount() == 1 }
        let run = try LoadTestProcess.run(
            environment, name: "extra", arguments: arguments(runId: runId, worker: worker, aggregator: aggregator, records: 200))
        #expect(run.status == 1, "the run must fail:\n\(run.output)")
        #expect(run.checks["aggregator totals equal the exact oracle"] == false, "\(run.checks)")
        #expect(run.checks["one notification identity per unique valid record (none lost)"] == true)
        #expect(run.output.contains("FAILED"))
    }

    /// The oracle told the wrong threshold (the worker alerts above 10000,
    /// the run expects above 500, and a third of its values are above 500):
    /// the alerts no longer match and it fails.
    @Test func aWrongOracleInputFailsTheRun() throws {
        let environment = TestEnvironment("loadtest-oracle", batchSize: 50)
        defer { environment.cleanUp() }
        let (worker, aggregator) = try fleet(environment)
        let run = try LoadTestProcess.run(
            environment, name: "wrong-threshold",
            arguments: arguments(runId: "\(environment.runId)-lt", worker: worker, aggregator: aggregator, records: 200) + [
                "--alert-threshold", "500", "--alerts", "0.3",
            ])
        #expect(run.status == 1, "the run must fail:\n\(run.output)")
        #expect(run.checks["alerts exactly for values above the threshold"] == false, "\(run.checks)")
        #expect(run.checks["aggregator totals equal the exact oracle"] == true, "\(run.checks)")
    }
}
