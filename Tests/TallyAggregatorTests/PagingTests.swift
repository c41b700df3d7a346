import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing
import TallyAdapters
import TallyCore
@testable import TallyAggregator

/// Every list pages with `limit` + `cursor` → `nextCursor`: for each newly
/// paged route, small pages cover every item exactly once and in order (equal
/// to the unpaged oracle), and a cursor of another route or other filters is
/// a 400 naming `cursor`. Real SQLite index in a temporary file, routes in
/// process.
@Suite struct PagingTests {
    struct TestFailure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    private func temporaryIndex() throws -> RecordIndex {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("paging-\(UUID().uuidString).sqlite").path
        return try RecordIndex(path: path)
    }

    private func record(
        _ id: String, time: String, source: String, destination: String, type: String = "positive", value: String,
        unit: String = "kWh", reference: String
    ) throws -> (record: TallyCore.Record, json: String) {
        var json = "{\"recordId\":" + JSONWriter.quoted(id) + ",\"time\":" + JSONWriter.quoted(time)
        json += ",\"sourceId\":" + JSONWriter.quoted(source) + ",\"destinationId\":" + JSONWriter.quoted(destination)
        json += ",\"type\":\"\(type)\",\"value\":\"\(value)\",\"unit\":" + JSONWriter.quoted(unit)
        json += ",\"reference\":" + JSONWriter.quoted(reference) + "}"
        let record = try RecordValidator().validate(Array(json.utf8)).get()
        return (record, record.canonicalJSON)
    }

    private func application(_ index: RecordIndex) -> some ApplicationProtocol {
        let router = Router()
        let logger = Logger(label: "test")
        AccountRoutes(index: index, logger: logger).register(on: router)
        ReadingsViews(index: index, logger: logger).register(on: router)
        return Application(router: router)
    }

    private static func encoded(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~")))!
    }

    /// Follows `nextCursor` from `path` (which has a `?`), `key`'s items of every page.
    private func pages(
        _ client: some TestClientProtocol, _ path: String, _ key: String
    ) async throws -> (items: [JSONValue], pages: Int, lastCursor: String?) {
        var items: [JSONValue] = []
        var cursor: String?
        var pages = 0
        var seenCursor: String?
        repeat {
            let uri = path + (cursor.map { "&cursor=" + Self.encoded($0) } ?? "")
            let body = try await client.execute(uri: uri, method: .get) { response in
                #expect(response.status == .ok, "\(uri): \(String(buffer: response.body))")
                return String(buffer: response.body)
            }
            let json = try JSONParser.parse(Array(body.utf8))
            guard case .array(let page)? = json[key] else { throw TestFailure("\(uri): no \(key) in \(body)") }
            items += page
            pages += 1
            if case .string(let next)? = json["nextCursor"] {
                cursor = next
                seenCursor = next
            } else {
                cursor = nil
            }
        } while cursor != nil && pages < 1_000
        return (items, pages, seenCursor)
    }

    private func expectBadCursor(_ client: some TestClientProtocol, _ uri: String) async throws {
        try await client.execute(uri: uri, method: .get) { response in
            #expect(response.status == .badRequest, "\(uri)")
            #expect(response.headers[.contentType] == "application/problem+json")
            #expect(String(buffer: response.body).contains("\"parameter\":\"cursor\""), "\(uri): \(String(buffer: response.body))")
        }
    }

    private func strings(_ items: [JSONValue], _ key: String) -> [String] {
        items.compactMap { if case .string(let text)? = $0[key] { text } else { nil } }
    }

    // MARK: - GET /v1/aggregations?totalsOnly=true

    @Test func totalsOnlyPagesTheGroupsInByteOrder() async throws {
        let index = try temporaryIndex()
        let destinations = ["b", "a", "ä", "a\u{301}", "z", "B", "m", "c"]
        var entries: [(record: TallyCore.Record, json: String)] = []
        for (n, destination) in destinations.enumerated() {
            for k in 0...n {
                entries.append(try record(
                    "r-\(n)-\(k)", time: "2018-06-14T00:0\(k % 10):00Z", source: "s", destination: destination,
                    value: "1.5", unit: "EUR", reference: "x"))
            }
        }
        _ = try index.insert(entries, lastStreamID: "1-0")
        let engine = AggregationEngine(index: index)
        let all = try await engine.run(AggregationQuery(limit: 1_000, totalsOnly: true))
        #expect(all.nextCursor == nil)
        #expect(all.groups.count == destinations.count)

        var seen: [AggregationGroup] = []
        var cursor: String?
        var pages = 0
        repeat {
            var parameters: [(name: String, value: String)] = [("totalsOnly", "true"), ("limit", "3")]
            if let cursor { parameters.append(("cursor", cursor)) }
            let result = try await engine.run(try AggregationQueryParser.parse(parameters))
            #expect(result.groups.count <= 3)
            seen += result.groups
            cursor = result.nextCursor
            pages += 1
        } while cursor != nil
        #expect(pages == 3)
        #expect(seen == all.groups, "every group once, with its full totals, in the unpaged order")
        let order = seen.map(\.destinationId)
        #expect(order == destinations.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
        #expect(seen.map(\.count).reduce(0, +) == entries.count)

        // A records cursor is not a groups cursor, and the other way round;
        // a groups cursor of other filters is refused.
        let recordsPage = try await engine.run(AggregationQuery(limit: 2))
        let recordsCursor = try #require(recordsPage.nextCursor)
        let groupsPage = try await engine.run(AggregationQuery(limit: 2, totalsOnly: true))
        let groupsCursor = try #require(groupsPage.nextCursor)
        for parameters: [(name: String, value: String)] in [
            [("totalsOnly", "true"), ("cursor", recordsCursor)],
            [("cursor", groupsCursor)],
            [("totalsOnly", "true"), ("type", "negative"), ("cursor", groupsCursor)],
            [("totalsOnly", "true"), ("cursor", "YWJj")],
        ] {
            #expect(throws: InvalidParameter.self) { try AggregationQueryParser.parse(parameters) }
            do {
                _ = try AggregationQueryParser.parse(parameters)
            } catch {
                #expect(error.parameter == "cursor")
            }
        }
    }

    // MARK: - GET /v1/accounts

    @Test func accountsPageWithCursorAndNextCursor() async throws {
        let index = try temporaryIndex()
        let accounts = ["1", "10", "2", "a/b", "ünï", "z", "é"]
        _ = try index.insert(
            try accounts.enumerated().map { n, account in
                try record(
                    "txn:\(account):\(n)", time: "2026-01-15T00:00:00Z", source: "transactions",
                    destination: AdapterNamespace.transactions.destination(account), value: "1", unit: "USD", reference: "2026-01")
            }, lastStreamID: "1-0")
        try await application(index).test(.router) { client in
            let listed = try await pages(client, "/v1/accounts?limit=2", "accounts")
            #expect(listed.pages == 4)
            #expect(strings(listed.items, "account") == accounts.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
            // The old parameter is gone; a raw account or another route's cursor is refused.
            try await client.execute(uri: "/v1/accounts?after=1", method: .get) { response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body).contains("\"parameter\":\"after\""))
            }
            try await expectBadCursor(client, "/v1/accounts?cursor=1")
            try await expectBadCursor(client, "/v1/accounts?cursor=" + Self.encoded(PageCursor(route: "matches/runs").encode([.text("1")])))
        }
    }

    // MARK: - Readings and matches

    let icp = "33"
    /// Runs in several offsets: text order is not instant order.
    let runs = [
        "2018-06-27T16:39:36+12:00", "2018-06-27T05:00:00Z", "2018-06-26T10:00:00-05:00", "2018-06-28T00:00:00+14:00",
        "2018-06-25T00:00:00Z",
    ]

    private func matchRows() throws -> [(record: TallyCore.Record, json: String)] {
        var rows: [(record: TallyCore.Record, json: String)] = []
        for (r, run) in runs.enumerated() {
            // Run r has output for 3 + r days, both sides on even days.
            for day in 0..<(3 + r) {
                let date = String(format: "2018-06-%02d", 10 + day)
                for side in (day % 2 == 0 ? MatchSide.allCases : [.buyer]) {
                    for half in 0..<2 {
                        let time = "\(date)T0\(half):30:00+12:00"
                        rows.append(try record(
                            "mt:\(run):\(icp):\(time):\(side.rawValue)", time: time, source: "matching",
                            destination: AdapterNamespace.matches.destination(icp), value: "0.\(r)\(day)\(half)1",
                            reference: MatchReference(run: run, side: side, date: date).text))
                    }
                }
            }
        }
        // Another ICP's runs stay out.
        rows.append(try record(
            "mt:other", time: "2018-06-10T00:30:00+12:00", source: "matching",
            destination: AdapterNamespace.matches.destination("34"), value: "1",
            reference: MatchReference(run: "2030-01-01T00:00:00Z", side: .buyer, date: "2018-06-10").text))
        return rows
    }

    @Test func runsPageLatestFirst() async throws {
        let index = try temporaryIndex()
        let rows = try matchRows()
        _ = try index.insert(rows, lastStreamID: "1-0")
        let entries = MatchSelection.entries(rows.filter { $0.record.destinationId == "icp:\(icp)" }.map {
            ReadingsQueries.Row(destination: $0.record.destinationId, reference: $0.record.reference, type: $0.record.type, amount: $0.record.value, json: "")
        })
        let oracle = MatchSelection.runs(entries)
        #expect(oracle.count == runs.count)
        try await application(index).test(.router) { client in
            let listed = try await pages(client, "/v1/matches/\(icp)/runs?limit=2", "runs")
            #expect(listed.pages == 3)
            #expect(strings(listed.items, "run") == oracle.map(\.run), "latest first, by instant")
            #expect(listed.items.map { $0["count"] } == oracle.map { .number("\($0.count)") })
            #expect(strings(listed.items, "firstDate") == oracle.map(\.firstDate))
            #expect(strings(listed.items, "lastDate") == oracle.map(\.lastDate))
            let whole = try await pages(client, "/v1/matches/\(icp)/runs", "runs")
            #expect(whole.pages == 1 && whole.lastCursor == nil)
            // Another ICP's cursor, another route's, a raw run: 400.
            let cursor = try #require(listed.lastCursor)
            try await expectBadCursor(client, "/v1/matches/34/runs?cursor=" + Self.encoded(cursor))
            try await expectBadCursor(client, "/v1/matches/\(icp)?cursor=" + Self.encoded(cursor))
            try await expectBadCursor(client, "/v1/matches/\(icp)/runs?cursor=" + Self.encoded(runs[0]))
            try await client.execute(uri: "/v1/matches/\(icp)/runs?from=2018-06-10", method: .get) { response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body).contains("\"parameter\":\"from\""))
            }
        }
    }

    @Test func dayPagesCoverTheRunOnceInOrder() async throws {
        let index = try temporaryIndex()
        let rows = try matchRows()
        _ = try index.insert(rows, lastStreamID: "1-0")
        let entries = MatchSelection.entries(rows.filter { $0.record.destinationId == "icp:\(icp)" }.map {
            ReadingsQueries.Row(destination: $0.record.destinationId, reference: $0.record.reference, type: $0.record.type, amount: $0.record.value, json: "")
        })
        try await application(index).test(.router) { client in
            for (named, limit) in [(nil as String?, 1), (nil, 2), (runs[4], 3), (runs[0], 366)] {
                let run = named ?? MatchSelection.chosenRun(entries, named: nil)!
                let buyer = MatchSelection.days(entries, run: run, side: .buyer, range: nil)
                let seller = Dictionary(uniqueKeysWithValues: MatchSelection.days(entries, run: run, side: .seller, range: nil).map { ($0.date, $0) })
                let path = "/v1/matches/\(icp)?limit=\(limit)" + (named.map { "&run=" + Self.encoded($0) } ?? "")
                let listed = try await pages(client, path, "days")
                #expect(strings(listed.items, "date") == buyer.map(\.date), "\(path)")
                #expect(strings(listed.items, "buyer") == buyer.map { "\($0.total)" }, "\(path)")
                #expect(strings(listed.items, "seller") == buyer.map { "\(seller[$0.date]?.total ?? .zero)" }, "\(path)")
                #expect(listed.pages == (buyer.count + limit - 1) / limit, "\(path)")
            }
            #expect(MatchSelection.chosenRun(entries, named: nil) == runs[3])
            let first = try await pages(client, "/v1/matches/\(icp)?limit=1", "days")
            let cursor = try #require(first.lastCursor)
            // The cursor is bound to the ICP and to the run parameter.
            try await expectBadCursor(client, "/v1/matches/34?cursor=" + Self.encoded(cursor))
            try await expectBadCursor(client, "/v1/matches/\(icp)?run=" + Self.encoded(runs[3]) + "&cursor=" + Self.encoded(cursor))
            try await expectBadCursor(client, "/v1/matches/\(icp)?cursor=2018-06-10")
            try await expectBadCursor(client, "/v1/matches/\(icp)/runs?cursor=" + Self.encoded(cursor))
        }
    }

    @Test func matchesByKeyCursorIsOpaqueAndBound() async throws {
        let index = try temporaryIndex()
        var rows: [(record: TallyCore.Record, json: String)] = []
        let icps = ["1", "2", "3", "4", "5"]
        for key in icps {
            for (time, side) in [("00:30:00", MatchSide.buyer), ("01:00:00", .seller)] {
                rows.append(try record(
                    MatchRecordId(run: runs[0], icp: key, date: "2018-06-10", time: time, side: side).text,
                    time: "2018-06-10T\(time)+12:00", source: "matching", destination: AdapterNamespace.matches.destination(key),
                    value: "1.\(key)", reference: MatchReference(run: runs[0], side: side, date: "2018-06-10").text))
            }
        }
        _ = try index.insert(rows, lastStreamID: "1-0")
        try await application(index).test(.router) { client in
            let listed = try await pages(client, "/v1/matches?from=2018-06-10&limit=2", "icps")
            #expect(strings(listed.items, "icpId") == icps)
            #expect(listed.pages == 3)
            // Each ICP's rows come whole with it, on whichever page it lands.
            for item in listed.items {
                guard case .string(let key)? = item["icpId"], case .array(let itemRows)? = item["rows"] else {
                    Issue.record("no rows in \(item)")
                    continue
                }
                #expect(strings(itemRows, "readTime") == ["00:30:00", "01:00:00"], "ICP \(key)")
                #expect(strings(itemRows, "side") == ["buyer", "seller"], "ICP \(key)")
                #expect(strings(itemRows, "matchedAmount") == ["1.\(key)", "1.\(key)"], "ICP \(key)")
            }
            let cursor = try #require(listed.lastCursor)
            try await expectBadCursor(client, "/v1/matches?from=2018-06-11&limit=2&cursor=" + Self.encoded(cursor))
            try await expectBadCursor(client, "/v1/matches?from=2018-06-10&cursor=2")
        }
    }

    @Test func readingsPageWhileTotalsCoverTheRange() async throws {
        let index = try temporaryIndex()
        var rows: [(record: TallyCore.Record, json: String)] = []
        var consumption = ExactDecimal.zero
        var injection = ExactDecimal.zero
        // Two days of 15-minute reads in +12:00, both directions, plus a day outside.
        for day in 14...16 {
            for slot in 0..<12 {
                let time = String(format: "2018-06-%02dT%02d:%02d:00+12:00", day, slot / 4, slot % 4 * 15)
                for direction in ["X", "I"] {
                    let value = "0.\(day)\(slot)\(direction == "X" ? 1 : 2)"
                    rows.append(try record(
                        "rd:\(icp):\(time):\(direction)", time: time, source: "readings",
                        destination: AdapterNamespace.readings.destination(icp), type: direction == "X" ? "positive" : "negative",
                        value: value, reference: String(format: "2018-06-%02d", day)))
                    if day < 16 {
                        if direction == "X" { consumption += try ExactDecimal.parse(value) } else { injection += try ExactDecimal.parse(value) }
                    }
                }
            }
        }
        _ = try index.insert(rows, lastStreamID: "1-0")
        let totals = (consumption: consumption, injection: injection)
        let expected = rows.filter { $0.record.reference < "2018-06-16" }.sorted {
            ($0.record.time.epochMilliseconds, $0.record.recordId) < ($1.record.time.epochMilliseconds, $1.record.recordId)
        }.map(\.record.recordId)
        try await application(index).test(.router) { client in
            let path = "/v1/readings/\(icp)?from=2018-06-14&to=2018-06-15"
            let listed = try await pages(client, path + "&limit=5", "readings")
            #expect(strings(listed.items, "recordId") == expected)
            #expect(listed.pages == (expected.count + 4) / 5)
            // Every page's totals cover the whole range.
            let cursor = try #require(listed.lastCursor)
            let page = try await client.execute(uri: path + "&limit=5&cursor=" + Self.encoded(cursor), method: .get) { response in
                try JSONParser.parse(Array(String(buffer: response.body).utf8))
            }
            #expect(page["count"] == .number("\(expected.count)"))
            #expect(page["totals"]?["consumption"] == .string("\(totals.consumption)"))
            #expect(page["totals"]?["injection"] == .string("\(totals.injection)"))
            let whole = try await pages(client, path, "readings")
            #expect(whole.pages == 1 && strings(whole.items, "recordId") == expected)
            try await expectBadCursor(client, "/v1/readings/\(icp)?from=2018-06-14&to=2018-06-16&cursor=" + Self.encoded(cursor))
            try await expectBadCursor(client, "/v1/readings/34?from=2018-06-14&to=2018-06-15&cursor=" + Self.encoded(cursor))
        }
    }

    @Test func matchTotalsRangeIsBounded() async throws {
        let index = try temporaryIndex()
        try await application(index).test(.router) { client in
            try await client.execute(uri: "/v1/matches/\(icp)/totals?from=2018-01-01&to=2019-01-02", method: .get) { response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body).contains("\"parameter\":\"to\""))
            }
            try await client.execute(uri: "/v1/matches/\(icp)/totals?from=2018-01-01&to=2018-12-31", method: .get) { response in
                #expect(response.status == .ok)
            }
        }
    }
}
