import Foundation
import TallyAdapters
import TallyCore
import Testing

/// `tally import watch`: files dropped into a folder go through the real
/// fleet (RabbitMQ → a `tally-worker` process → Redis) once by content and
/// are filed into done/ or failed/.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct ImportWatchTests {
    static let transactions = """
        id,date,amount,account
        1,2026-07-15,+60.5,acct-1
        2,2026-07-28,-10.3,acct-1
        3,2026-08-13,+10,acct-2

        """

    private func names(in folder: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
    }

    @Test func goodBadAndRepeatedFilesAreEachFiledOnceAndNothingDoubles() throws {
        let environment = TestEnvironment("import-watch")
        try environment.declareTopology()
        let worker = try WorkerProcess(environment)
        try worker.waitUntilConsuming()
        let folder = environment.stateDirectory.appendingPathComponent("test-watch/\(environment.runId)", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer {
            worker.signal(SIGTERM)
            _ = try? worker.waitForExit()
            environment.cleanUp()
            try? FileManager.default.removeItem(at: folder)
        }
        let watcher = try TallyServiceProcess(environment, ["import", "watch", folder.path, "--poll-ms", "100", "--no-reports"], name: "watcher")
        let done = folder.appendingPathComponent("done")
        let failed = folder.appendingPathComponent("failed")

        // Written under .part (never taken), then renamed: whole at once.
        let part = folder.appendingPathComponent("july.csv.part")
        try Data(Self.transactions.utf8).write(to: part)
        try waitUntil("the watcher to list the folder") { try watcher.metric("tally_import_watch_ready") == 1 }
        #expect(names(in: folder).contains("july.csv.part"), "a .part file is left alone")
        try FileManager.default.moveItem(at: part, to: folder.appendingPathComponent("july.csv"))
        try Data("id,date,account\n9,2026-07-15,acct-9\n".utf8).write(to: folder.appendingPathComponent("unreadable.csv"))

        try waitUntil("july.csv in done/ and unreadable.csv in failed/") {
            names(in: done) == ["july.csv"] && names(in: failed).contains("unreadable.csv.reason")
        }
        #expect(names(in: folder).filter { !$0.hasPrefix(".") } == ["done", "failed"], "\(names(in: folder))")
        #expect(names(in: failed) == ["unreadable.csv", "unreadable.csv.reason"])
        let reason = try String(contentsOf: failed.appendingPathComponent("unreadable.csv.reason"), encoding: .utf8)
        #expect(reason.contains("the header lacks column(s) amount"), "\(reason)")
        #expect(watcher.log.contains("unreadable.csv failed"), "the failure is logged")
        try waitUntil("the good file's 3 records applied") { try environment.appliedCount() == 3 }

        // The same content under another name: filed with a note, nothing published.
        try Data(Self.transactions.utf8).write(to: folder.appendingPathComponent("july-again.csv"))
        try waitUntil("july-again.csv in done/") { names(in: done).contains("july-again.csv.note") }
        let note = try String(contentsOf: done.appendingPathComponent("july-again.csv.note"), encoding: .utf8)
        #expect(note.contains("already imported") && note.contains("july.csv"), "\(note)")
        #expect(try watcher.metric("tally_import_watch_files_imported_total") == 1)
        #expect(try watcher.metric("tally_import_watch_files_duplicate_total") == 1)
        #expect(try watcher.metric("tally_import_watch_files_failed_total") == 1)
        #expect(try watcher.metric("tally_import_watch_rows_published_total") == 3, "the repeated content published nothing")

        // One new row marks when everything before it is applied: still 3 + 1.
        try Data("id,date,amount,account\n4,2026-08-20,-1.25,acct-2\n".utf8).write(to: folder.appendingPathComponent("marker.csv"))
        try waitUntil("the marker applied") { try environment.appliedCount() >= 4 }
        #expect(try environment.appliedCount() == 4)
        #expect(try watcher.metric("tally_import_watch_rows_published_total") == 4)
        #expect(try watcher.stop() == 0, "\(watcher.log)")
    }

    /// After a file, the reports of the accounts it touched, once they
    /// cover what each had before plus the file's rows.
    @Test func theReportsOfTheAccountsAFileTouchedArePublishedOnceIndexed() throws {
        let environment = TestEnvironment("import-watch-reports")
        try environment.declareTopology()
        var worker = try WorkerProcess(environment)
        try worker.waitUntilConsuming()
        let aggregator = try AggregatorProcess(environment)
        let folder = environment.stateDirectory.appendingPathComponent("test-watch/\(environment.runId)", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer {
            worker.signal(SIGTERM)
            _ = try? worker.waitForExit()
            _ = try? aggregator.stop()
            environment.cleanUp()
            try? FileManager.default.removeItem(at: folder)
        }
        // No aggregator named and reports not turned off: it says so and does not start.
        let unconfigured = try CLIProcess.run(environment, ["import", "watch", folder.path])
        #expect(unconfigured.status != 0)
        #expect(unconfigured.standardError.contains("need the aggregator"), "\(unconfigured.standardError)")

        let tap = try OutputTap(environment, exchange: environment.configuration.topology.reportsExchange)
        let watcher = try TallyServiceProcess(
            environment,
            ["import", "watch", folder.path, "--poll-ms", "100", "--aggregator", "http://127.0.0.1:\(aggregator.port)", "--report-timeout", "60"],
            name: "watcher-reports")
        func report(_ message: OutputTap.Message) throws -> AccountReport {
            try AccountReport(json: try #require(try JSONParser.parse(message.body)["report"]))
        }
        let done = folder.appendingPathComponent("done")

        try Data("id,date,amount,account\n1,2026-07-01,+5,acct-1\n2,2026-07-02,+1,acct-1\n3,2026-07-03,+1,acct-1\n".utf8)
            .write(to: folder.appendingPathComponent("earlier.csv"))
        try tap.collect(atLeast: 1)
        #expect(tap.messages.map(\.routingKey) == ["account.acct-1"])
        #expect(try report(tap.messages[0]).transactionCount == 3)

        // No worker: the next file's rows wait in the queue, unindexed, and
        // acct-1's report (3 already, more than the file's rows for it) must
        // not be sent until it covers 3 + 2.
        worker.signal(SIGTERM)
        _ = try worker.waitForExit()
        try Data("id,date,amount,account\n4,2026-07-15,+60.5,acct-1\n5,2026-07-28,-10.3,acct-1\n6,2026-08-13,+10,acct-2\n".utf8)
            .write(to: folder.appendingPathComponent("july.csv"))
        try waitUntil("july.csv in done/") { FileManager.default.fileExists(atPath: done.appendingPathComponent("july.csv").path) }
        _ = try tap.collect()
        #expect(tap.messages.count == 1, "no report before the rows are indexed")
        worker = try WorkerProcess(environment)
        try worker.waitUntilConsuming()
        try tap.collect(atLeast: 3)
        #expect(tap.messages.count == 3)
        let later = Dictionary(try tap.messages.dropFirst().map { ($0.routingKey, try report($0)) }) { first, _ in first }
        #expect(later["account.acct-1"]?.transactionCount == 5)
        #expect(later["account.acct-1"]?.currencies.first?.balance.description == "57.20")
        #expect(later["account.acct-2"]?.transactionCount == 1)
        #expect(later["account.acct-2"]?.currencies.first?.balance.description == "10.00")
        #expect(try watcher.metric("tally_import_watch_reports_published_total") == 3)
        #expect(try watcher.metric("tally_import_watch_reports_failed_total") == 0)
        #expect(try watcher.stop() == 0, "\(watcher.log)")
    }
}
