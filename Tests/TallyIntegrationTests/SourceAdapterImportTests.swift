import Foundation
import Testing
import TallyAdapters
import TallyCore

/// The CSV imports of meter readings, matching-algorithm output and
/// transactions through the real fleet: `tally import` →
/// RabbitMQ → a `tally-worker` process → Redis → a `tally-aggregator`
/// process → the readings and matches views.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct SourceAdapterImportTests {
    /// The meter-readings sample, exactly as its system prints it.
    static let readingsSample = """
        read_timestamp,interval_read,energy_flow_direction,icp_id
        2018-06-14 00:30:00+12,1.343,X,33
        2018-06-17 13:00:00+12,1.013,X,33
        2018-06-23 09:00:00+12,1.336,X,33
        2018-06-23 11:00:00+12,1.203,X,33
        2018-06-21 07:30:00+12,2.569,X,33

        """

    /// The matching algorithm's sample output, exactly as printed (blank line, spaces,
    /// quotes and curly quotes included).
    static let matchesSample = """
        icp_id, matched_amount, read_date, read_time, publish_datetime,buyer_seller

        101, "0.0000", "2018-06-13", "00:00:00", "2018-06-27 16:39:36.057601+12", “buyer”
        100, "0.0040", "2018-06-13", "00:00:00", "2018-06-27 16:39:36.057658+12", “seller”
        102, "0.0010", "2018-06-13", "00:00:00", "2018-06-27 16:39:36.057693+12", “buyer”
        104, "0.0030", "2018-06-13", "00:00:00", "2018-06-27 16:39:36.057728+12", “buyer”
        105, "0.0010", "2018-06-13", "00:00:00", "2018-06-27 16:39:36.057759+12", “buyer”
        107, "0.0160", "2018-06-13", "00:00:00", "2018-06-27 16:39:36.05779+12", “buyer”
        108, "0.0050", "2018-06-13", "00:00:00", "2018-06-27 16:39:36.057819+12", “seller”
        109, "0.0180", "2018-06-13", "00:00:00", "2018-06-27 16:39:36.05785+12", “buyer”
        110, "0.0010", "2018-06-13", "00:00:00", "2018-06-27 16:39:36.05788+12", “buyer”
        113, "0.0000", "2018-06-13", "00:00:00", "2018-06-27 16:39:36.05791+12", “buyer”

        """

    struct Fleet {
        let environment: TestEnvironment
        let worker: WorkerProcess
        let aggregator: AggregatorProcess
        let directory: URL

        init(_ name: String) throws {
            environment = TestEnvironment(name)
            try environment.declareTopology()
            worker = try WorkerProcess(environment)
            try worker.waitUntilConsuming()
            aggregator = try AggregatorProcess(environment)
            directory = environment.stateDirectory.appendingPathComponent("test-imports/\(environment.runId)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        }

        func file(_ name: String, _ text: String) throws -> String {
            let path = directory.appendingPathComponent(name).path
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            return path
        }

        func importFile(_ kind: String, _ path: String, _ extra: [String] = []) throws -> CLIProcess {
            try CLIProcess.run(environment, ["import", kind, path] + extra)
        }

        /// Waits until the index holds `count` records (of every source).
        func waitForIndexed(_ count: Int) throws {
            try aggregator.waitUntilCaughtUp(records: count)
        }

        func get(_ path: String) throws -> JSONValue {
            let result = try aggregator.get(path)
            guard result.status == 200 else { throw TestFailure("\(path): \(result.status) \(result.text)") }
            return result.json
        }

        func stop() {
            worker.signal(SIGTERM)
            _ = try? worker.waitForExit()
            _ = try? aggregator.stop()
            environment.cleanUp()
            try? FileManager.default.removeItem(at: directory)
        }
    }

    @Test func sampleReadingsGoThroughUnchangedAndReimportDoublesNothing() throws {
        let fleet = try Fleet("rd-sample")
        defer { fleet.stop() }
        let path = try fleet.file("readings.csv", Self.readingsSample)
        let first = try fleet.importFile("readings", path)
        #expect(first.status == 0, "\(first.standardOutput) \(first.standardError)")
        #expect(first.standardOutput.contains("5 rows, 5 published and confirmed, 0 rejected"), "\(first.standardOutput)")
        try fleet.waitForIndexed(5)

        let all = try fleet.get("/v1/readings/33?from=2018-06-14&to=2018-06-23")
        #expect(all["count"] == .number("5"))
        #expect(all["totals"]?["consumption"] == .string("7.464"))
        #expect(all["totals"]?["injection"] == .string("0"))
        guard case .array(let readings)? = all["readings"] else { throw TestFailure("no readings") }
        #expect(readings.first?["readTimestamp"] == .string("2018-06-14T00:30:00+12:00"))
        #expect(readings.first?["intervalRead"] == .string("1.343"))
        #expect(readings.first?["direction"] == .string("X"))
        #expect(readings.map { $0["readTimestamp"] } == [
            "2018-06-14T00:30:00+12:00", "2018-06-17T13:00:00+12:00", "2018-06-21T07:30:00+12:00",
            "2018-06-23T09:00:00+12:00", "2018-06-23T11:00:00+12:00",
        ].map { JSONValue.string($0) })

        let some = try fleet.get("/v1/readings/33?from=2018-06-17&to=2018-06-21")
        #expect(some["count"] == .number("2"))
        #expect(some["totals"]?["consumption"] == .string("3.582"))
        #expect(try fleet.get("/v1/readings/34?from=2018-06-14&to=2018-06-23")["count"] == .number("0"))

        // Again, plus one new reading that marks when the duplicates are behind us.
        let again = try fleet.file("again.csv", Self.readingsSample + "2018-06-24 00:00:00+12,0.5,I,33\n")
        let second = try fleet.importFile("readings", again)
        #expect(second.status == 0, "\(second.standardOutput) \(second.standardError)")
        try fleet.waitForIndexed(6)
        let after = try fleet.get("/v1/readings/33?from=2018-06-14&to=2018-06-24")
        #expect(after["count"] == .number("6"))
        #expect(after["totals"]?["consumption"] == .string("7.464"))
        #expect(after["totals"]?["injection"] == .string("0.5"))
        #expect(after["totals"]?["net"] == .string("6.964"))
        #expect(try fleet.environment.appliedCount() == 6)
    }

    @Test func badRowsLandInTheRejectsFileWithLineNumbers() throws {
        let fleet = try Fleet("rd-rejects")
        defer { fleet.stop() }
        let path = try fleet.file("mixed.csv", """
            icp_id,read_timestamp,interval_read,energy_flow_direction
            7,2018-06-14 00:30:00+12,1.5,X
            7,2018-06-14 01:00:00,1.5,X
            7,2018-06-14 01:30:00+12,lots,X
            7,2018-06-14 02:00:00+12,1.5,Q
            7,2018-06-14 02:30:00+12,1.5

            7,2018-06-14 03:00:00+12,2.25,I
            """)
        let rejects = path + ".bad.csv"
        let result = try fleet.importFile("readings", path, ["--rejects", rejects])
        #expect(result.status != 0, "an import with rejects must fail")
        #expect(result.standardOutput.contains("6 rows, 2 published and confirmed, 4 rejected"), "\(result.standardOutput)")
        let text = try String(contentsOfFile: rejects, encoding: .utf8)
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.first == "line,reason,row")
        #expect(lines.dropFirst().map { $0.prefix(while: { $0 != "," }) } == ["3", "4", "5", "6"])
        #expect(lines[1].contains("read_timestamp:") && lines[1].contains("no UTC offset"))
        #expect(lines[2].contains("interval_read:"))
        #expect(lines[3].contains("energy_flow_direction:"))
        #expect(lines[4].contains("expected 4 fields"))
        #expect(lines[2].hasSuffix("\"7,2018-06-14 01:30:00+12,lots,X\""), "the row is kept as it was")

        try fleet.waitForIndexed(2)
        let day = try fleet.get("/v1/readings/7?from=2018-06-14")
        #expect(day["count"] == .number("2"))
        #expect(day["totals"]?["consumption"] == .string("1.5"))
        #expect(day["totals"]?["injection"] == .string("2.25"))
    }

    @Test func sampleMatchesRunsStaySeparateAndTheLatestIsTheDefault() throws {
        let fleet = try Fleet("rd-matches")
        defer { fleet.stop() }
        let firstRun = try fleet.importFile("matches", try fleet.file("run1.csv", Self.matchesSample))
        #expect(firstRun.status == 0, "\(firstRun.standardOutput) \(firstRun.standardError)")
        try fleet.waitForIndexed(10)

        let byKey = try fleet.get("/v1/matches?from=2018-06-13&to=2018-06-13")
        guard case .array(let icps)? = byKey["icps"] else { throw TestFailure("no icps") }
        #expect(icps.map { $0["icpId"] } == ["100", "101", "102", "104", "105", "107", "108", "109", "110", "113"].map { JSONValue.string($0) })
        func total(_ item: JSONValue?, _ side: String) -> JSONValue? {
            guard case .array(let sides)? = item?["sides"] else { return nil }
            return sides.first { $0["side"] == .string(side) }?["total"]
        }
        let byIcp = Dictionary(uniqueKeysWithValues: icps.compactMap { item -> (String, JSONValue)? in
            guard case .string(let icp)? = item["icpId"] else { return nil }
            return (icp, item)
        })
        #expect(total(byIcp["107"], "buyer") == .string("0.0160"))
        #expect(total(byIcp["100"], "seller") == .string("0.0040"))
        #expect(total(byIcp["100"], "buyer") == .string("0"))
        #expect(byIcp["109"]?["run"] == .string("2018-06-27T16:39:36+12:00"))

        // Paged by key: three pages of 4, 4 and 2 ICPs, each exactly once.
        var seen: [JSONValue] = []
        var cursor: String?
        var pages = 0
        repeat {
            let page = try fleet.get("/v1/matches?from=2018-06-13&limit=4" + (cursor.map { "&cursor=\($0)" } ?? ""))
            guard case .array(let items)? = page["icps"] else { throw TestFailure("no icps") }
            seen += items.map { $0["icpId"] ?? .null }
            if case .string(let next)? = page["nextCursor"] { cursor = next } else { cursor = nil }
            pages += 1
        } while cursor != nil && pages < 10
        #expect(pages == 3)
        #expect(seen == icps.map { $0["icpId"] ?? .null })

        // A second run: the same intervals, other amounts, published a day later.
        let secondSample = Self.matchesSample
            .replacingOccurrences(of: "2018-06-27 16:39:36", with: "2018-06-28 09:00:00")
            .replacingOccurrences(of: "\"0.0180\"", with: "\"0.0200\"")
        let secondRun = try fleet.importFile("matches", try fleet.file("run2.csv", secondSample))
        #expect(secondRun.status == 0, "\(secondRun.standardOutput) \(secondRun.standardError)")
        try fleet.waitForIndexed(20)

        let runs = try fleet.get("/v1/matches/109/runs")
        guard case .array(let runList)? = runs["runs"] else { throw TestFailure("no runs") }
        #expect(runList.map { $0["run"] } == [JSONValue.string("2018-06-28T09:00:00+12:00"), .string("2018-06-27T16:39:36+12:00")])
        #expect(runList.first?["count"] == .number("1"))

        let latest = try fleet.get("/v1/matches/109/totals?from=2018-06-13&to=2018-06-13&side=buyer")
        #expect(latest["run"] == .string("2018-06-28T09:00:00+12:00"))
        #expect(total(latest, "buyer") == .string("0.0200"))
        let named = try fleet.get("/v1/matches/109/totals?from=2018-06-13&side=buyer&run=2018-06-27T16:39:36%2B12:00")
        #expect(named["run"] == .string("2018-06-27T16:39:36+12:00"))
        #expect(total(named, "buyer") == .string("0.0180"))
        guard case .array(let namedSides)? = named["sides"] else { throw TestFailure("no sides") }
        #expect(namedSides.count == 1, "side=buyer returns the buyer side only")

        let days = try fleet.get("/v1/matches/109")
        guard case .array(let dayList)? = days["days"] else { throw TestFailure("no days") }
        #expect(dayList.count == 1)
        #expect(dayList.first?["buyer"] == .string("0.0200"))
        #expect(dayList.first?["count"] == .number("1"), "one run only: runs are never added together")

        let bad = try fleet.aggregator.get("/v1/matches/109/totals?from=2018-06-13&side=broker")
        #expect(bad.status == 400)
        #expect(bad.json["parameter"] == .string("side"))
        let badRun = try fleet.aggregator.get("/v1/matches/109?run=yesterday")
        #expect(badRun.status == 400)
        #expect(badRun.json["parameter"] == .string("run"))
        let badDate = try fleet.aggregator.get("/v1/readings/33?from=2018-06-31")
        #expect(badDate.status == 400)
        #expect(badDate.json["parameter"] == .string("from"))
    }

    /// A run as the algorithm writes it: 142 rows (71 ICPs × 2 intervals)
    /// stamped 20 ms apart as each is written, over 2.8 s and four seconds
    /// (16:39:36.990 to 16:39:39.810). It used to become four runs (one per
    /// second) and "the
    /// latest run" a fragment; it is one run, whole on every view, and the
    /// output by key returns all 142 rows across pages of whole ICPs.
    @Test func aRunWrittenAcrossSecondsStaysWhole() throws {
        let fleet = try Fleet("rd-long-run")
        defer { fleet.stop() }
        var text = "icp_id, matched_amount, read_date, read_time, publish_datetime,buyer_seller\n"
        var expected: [String: [String]] = [:]
        for row in 0..<142 {
            let icp = String(200 + row / 2)
            let (time, side) = row % 2 == 0 ? ("00:00:00", "buyer") : ("00:30:00", "seller")
            let stamp = 36_990_000 + row * 20_000  // microseconds after 16:39:00
            let amount = String(format: "0.%04d", row)
            text += "\(icp), \"\(amount)\", \"2018-06-13\", \"\(time)\", "
                + String(format: "\"2018-06-27 16:39:%02d.%06d+12\"", stamp / 1_000_000, stamp % 1_000_000) + ", \u{201C}\(side)\u{201D}\n"
            expected[icp, default: []].append("\(time) \(side) \(amount)")
        }
        let path = try fleet.file("long-run.csv", text)
        let imported = try fleet.importFile("matches", path)
        #expect(imported.status == 0, "\(imported.standardOutput) \(imported.standardError)")
        #expect(imported.standardOutput.contains("run 2018-06-27T16:39:36+12:00: every row of the file"), "\(imported.standardOutput)")
        try fleet.waitForIndexed(142)

        let run = JSONValue.string("2018-06-27T16:39:36+12:00")
        // ICPs 200, 225 and 250 each have one row on either side of a second boundary
        // (36.990 | 37.010, 37.990 | 38.010, 38.990 | 39.010); 270's are the last written.
        for icp in ["200", "225", "250", "270"] {
            let runs = try fleet.get("/v1/matches/\(icp)/runs")
            guard case .array(let list)? = runs["runs"] else { throw TestFailure("no runs") }
            #expect(list.map { $0["run"] } == [run], "ICP \(icp): one run")
            #expect(list.first?["count"] == .number("2"), "ICP \(icp): the whole run")
        }

        // By key, 20 ICPs a page: 4 pages, every row once, all of the one run.
        var rows: [String: [String]] = [:]
        var cursor: String?
        var pages = 0
        repeat {
            let page = try fleet.get("/v1/matches?from=2018-06-13&limit=20" + (cursor.map { "&cursor=\($0)" } ?? ""))
            guard case .array(let items)? = page["icps"] else { throw TestFailure("no icps") }
            #expect(items.count == (pages < 3 ? 20 : 11), "page \(pages)")
            for item in items {
                guard case .string(let icp)? = item["icpId"], case .array(let itemRows)? = item["rows"] else { throw TestFailure("bad item \(item)") }
                #expect(item["run"] == run, "ICP \(icp)")
                #expect(rows[icp] == nil, "ICP \(icp) on two pages")
                rows[icp] = itemRows.map { row in
                    guard case .string(let time)? = row["readTime"], case .string(let side)? = row["side"],
                        case .string(let amount)? = row["matchedAmount"], row["readDate"] == .string("2018-06-13")
                    else { return "bad \(row)" }
                    return "\(time) \(side) \(amount)"
                }
            }
            if case .string(let next)? = page["nextCursor"] { cursor = next } else { cursor = nil }
            pages += 1
        } while cursor != nil && pages < 10
        #expect(pages == 4)
        #expect(rows == expected)
        #expect(rows.values.map(\.count).reduce(0, +) == 142)

        // The same file again is the same run: nothing doubles (a reading marks when it is behind us).
        let again = try fleet.importFile("matches", path)
        #expect(again.standardOutput.contains("run 2018-06-27T16:39:36+12:00"), "\(again.standardOutput)")
        let marker = try fleet.importFile("readings", try fleet.file("marker.csv", Self.readingsSample))
        #expect(marker.status == 0)
        try fleet.waitForIndexed(147)
        let runs = try fleet.get("/v1/matches/225/runs")
        guard case .array(let list)? = runs["runs"] else { throw TestFailure("no runs") }
        #expect(list.count == 1 && list.first?["count"] == .number("2"))
    }

    /// Four transactions of two accounts (acct-1: 3, acct-2: 1).
    static let transactionsSample = """
        id,date,amount,account
        1,2024-07-15,+60.5,acct-1
        2,2024-07-28,-10.3,acct-1
        3,2024-08-02,-20.46,acct-1
        4,2024-08-13,+10,acct-2

        """

    @Test func aTransactionsFileIsImportedOnceAndRefusedTheSecondTime() throws {
        let fleet = try Fleet("rd-txn")
        defer { fleet.stop() }
        let path = try fleet.file("transactions.csv", Self.transactionsSample)
        let first = try fleet.importFile("transactions", path)
        #expect(first.status == 0, "\(first.standardOutput) \(first.standardError)")
        #expect(first.standardError.contains("note: the accounts' reports are not published: no aggregator named"), "\(first.standardError)")
        try fleet.waitForIndexed(4)
        let totals = try fleet.get("/v1/aggregations?destinationId=account:acct-1&totalsOnly=true")
        guard case .array(let groups)? = totals["groups"], case .array(let units)? = groups.first?["totals"] else {
            throw TestFailure("no totals")
        }
        #expect(units.first?["unit"] == .string("USD"))
        #expect(units.first?["positive"] == .string("60.5"))
        #expect(units.first?["negative"] == .string("30.76"))
        #expect(units.first?["net"] == .string("29.74"))

        let copy = try fleet.file("copy-of-transactions.csv", try String(contentsOfFile: path, encoding: .utf8))
        let second = try fleet.importFile("transactions", copy)
        #expect(second.status != 0)
        #expect(second.standardError.contains("already imported"), "\(second.standardError)")
        #expect(second.standardError.contains("imported \(path) at "), "the refusal names the first import: \(second.standardError)")
    }

    /// `tally import transactions` with an aggregator: once the file's rows
    /// are indexed, the reports of the accounts it touched are published,
    /// one per account, each covering the file's rows (not sent early).
    @Test func anImportPublishesTheReportsOfTheAccountsItTouchedOnceIndexed() throws {
        let fleet = try Fleet("rd-txn-reports")
        defer { fleet.stop() }
        let reports = try OutputTap(fleet.environment, exchange: fleet.environment.configuration.topology.reportsExchange)
        let path = try fleet.file("transactions.csv", Self.transactionsSample)
        let imported = try fleet.importFile("transactions", path, ["--aggregator", "http://127.0.0.1:\(fleet.aggregator.port)"])
        #expect(imported.status == 0, "\(imported.standardOutput) \(imported.standardError)")
        #expect(imported.standardOutput.contains("published the reports of 2 account(s): acct-1, acct-2"), "\(imported.standardOutput)")
        try reports.collect(atLeast: 2, timeout: .seconds(30))
        try reports.collect()
        #expect(reports.messages.count == 2)
        for (account, rows) in [("acct-1", 3), ("acct-2", 1)] {
            let message = try #require(reports.messages.first { $0.routingKey == "account.\(account)" }, "no report for \(account)")
            let report = try AccountReport(json: try #require(try JSONParser.parse(message.body)["report"]))
            #expect(report.transactionCount == rows, "\(account)'s report covers the file's rows")
        }
    }

    /// `tally generate transactions` writes a file `tally import
    /// transactions` takes whole; every account's report covers its rows and
    /// its balances equal the file's own sums (in integer cents).
    @Test func aGeneratedTransactionsFileImportsWholeAndTheReportsAddUp() throws {
        let fleet = try Fleet("gen-txn")
        defer { fleet.stop() }
        let path = fleet.directory.appendingPathComponent("generated.csv").path
        let generated = try CLIProcess.run(
            fleet.environment,
            ["generate", "transactions", "--rows", "600", "--accounts", "6", "--currency", "USD", "--currency", "EUR", "--seed", "5", "--output", path])
        #expect(generated.status == 0, "\(generated.standardError)")
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.first == "id,date,amount,account,currency")
        #expect(lines.count == 601)
        var balances: [String: [String: Int]] = [:]
        for line in lines.dropFirst() {
            let fields = line.split(separator: ",").map(String.init)
            balances[fields[3], default: [:]][fields[4], default: 0] += Int(fields[2].replacingOccurrences(of: ".", with: ""))!
        }

        let imported = try fleet.importFile("transactions", path)
        #expect(imported.status == 0, "\(imported.standardOutput) \(imported.standardError)")
        try fleet.waitForIndexed(600)
        var covered = 0
        for (account, currencies) in balances {
            let result = try fleet.aggregator.get("/v1/accounts/\(account)/report")
            let report = try AccountReport(jsonText: result.body)
            covered += report.transactionCount
            for section in report.currencies {
                #expect(section.balance.description == TransactionLedger.cents(currencies[section.currency] ?? 0), "\(account) \(section.currency)")
            }
            #expect(Set(report.currencies.map(\.currency)) == Set(currencies.keys))
        }
        #expect(covered == 600)
    }
}
