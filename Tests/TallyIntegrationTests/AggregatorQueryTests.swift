import Foundation
import Testing
import TallyCore
import TallyRedisClient

/// The aggregator against real Redis: every filter combination, paging
/// with exact totals, and every bad parameter, through its HTTP API.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct AggregatorQueryTests {
    /// 420 records over three days, hostile ids, offsets, nanoseconds,
    /// values with up to four fraction digits and some beyond Int64.
    static func records(prefix: String) throws -> [Record] {
        var random = SplitMix64(seed: 7)
        let offsets = ["Z", "+02:00", "-05:30"]
        return try (0..<420).map { index in
            let day = 1 + index % 3
            let hour = Int.random(in: 0...23, using: &random)
            let nanos = index % 5 == 0 ? ".\(String(format: "%09d", Int.random(in: 0..<1_000_000_000, using: &random)))" : ""
            let time = String(format: "2026-03-%02d", day) + String(format: "T%02d:%02d:%02d", hour, index % 60, (index * 7) % 60) + nanos + offsets[index % 3]
            var value = "\(Int.random(in: 0...20_000, using: &random)).\(Int.random(in: 0...9999, using: &random))"
            if index % 50 == 0 { value = "98765432109876543210.123456789" }
            let body = RecordStream.body(
                id: "\(prefix)-\(index)", time: time, source: index % 2 == 0 ? "billing" : "payments",
                destination: RecordStream.destinations[Int.random(in: 0..<RecordStream.destinations.count, using: &random)],
                type: Bool.random(using: &random) ? "positive" : "negative", value: "\"\(value)\"",
                unit: RecordStream.units[Int.random(in: 0..<RecordStream.units.count, using: &random)],
                reference: RecordStream.references[Int.random(in: 0..<RecordStream.references.count, using: &random)])
            return try RecordValidator().validate(body).get()
        }
    }

    @Test func everyFilterCombinationGivesExactTotalsAndPagesEveryRecordOnce() throws {
        let environment = TestEnvironment("agg-filters")
        defer { environment.cleanUp() }
        let records = try Self.records(prefix: environment.runId)
        try AggregationOracle.append(records, to: environment)
        let oracle = AggregationOracle(records: records)
        let aggregator = try AggregatorProcess(environment)
        try aggregator.waitUntilCaughtUp(records: records.count)

        var combinations = 0
        for mask in 0..<64 {
            var filters = AggregationOracle.Filters()
            if mask & 1 != 0 { filters.start = "2026-03-02T00:00:00Z" }
            if mask & 2 != 0 { filters.end = "2026-03-03T06:00:00+02:00" }
            if mask & 4 != 0 { filters.type = "negative" }
            if mask & 8 != 0 { filters.destinationId = "acct{2}" }
            if mask & 16 != 0 { filters.sourceId = "payments" }
            if mask & 32 != 0 { filters.reference = "inv 4" }
            let expected = try oracle.expected(filters)
            try checkTotalsOnly(aggregator, filters, expected)
            try checkPages(aggregator, filters, expected, oracle: oracle, limit: 37)
            combinations += 1
        }
        #expect(combinations == 64)
    }

    private func groups(_ result: AggregatorProcess.HTTPResult) throws -> [JSONValue] {
        #expect(result.status == 200, "\(result.text)")
        #expect(result.contentType.hasPrefix("application/json"))
        guard case .array(let groups)? = result.json["groups"] else { throw TestFailure("no groups in \(result.text)") }
        return groups
    }

    private func checkTotalsOnly(
        _ aggregator: AggregatorProcess, _ filters: AggregationOracle.Filters, _ expected: [String: Summary]
    ) throws {
        // Small pages, so that every filter combination crosses pages.
        let items = filters.queryItems
        let groups = try aggregator.totalsOnlyGroups(queryString(items), limit: 3)
        var seen: [String: Summary] = [:]
        var order: [String] = []
        for group in groups {
            guard case .string(let destination)? = group["destinationId"] else { throw TestFailure("no destinationId") }
            #expect(group["records"] == nil, "totalsOnly returned records")
            seen[destination] = try Summary(json: group)
            order.append(destination)
        }
        #expect(seen == expected, "totals for \(items)")
        #expect(order.count == expected.count, "every group once across pages")
        #expect(order == order.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }, "groups in destinationId order")
    }

    private func checkPages(
        _ aggregator: AggregatorProcess, _ filters: AggregationOracle.Filters, _ expected: [String: Summary],
        oracle: AggregationOracle, limit: Int
    ) throws {
        var cursor: String?
        var seenIds: [String] = []
        var pages = 0
        repeat {
            var items = filters.queryItems + [URLQueryItem(name: "limit", value: "\(limit)")]
            if let cursor { items.append(URLQueryItem(name: "cursor", value: cursor)) }
            let result = try aggregator.get("/v1/aggregations?" + queryString(items))
            pages += 1
            var onPage = 0
            for group in try groups(result) {
                guard case .string(let destination)? = group["destinationId"],
                    case .array(let records)? = group["records"]
                else { throw TestFailure("bad group in \(result.text)") }
                #expect(try Summary(json: group) == expected[destination], "page totals of \(destination) for \(items)")
                for record in records {
                    guard case .string(let id)? = record["recordId"] else { throw TestFailure("no recordId") }
                    #expect(record["destinationId"] == .string(destination))
                    seenIds.append(id)
                    onPage += 1
                }
            }
            if case .string(let next)? = result.json["nextCursor"] {
                #expect(onPage == limit, "a page with a next cursor is full")
                cursor = next
            } else {
                cursor = nil
            }
        } while cursor != nil && pages < 100
        let expectedIds = try oracle.records.filter { try filters.matches($0) }.map(\.recordId)
        #expect(seenIds.count == expectedIds.count, "records paged for \(filters.queryItems)")
        #expect(Set(seenIds) == Set(expectedIds))
        #expect(pages == max(1, (expectedIds.count + limit - 1) / limit))
    }

    @Test func everyBadParameterIsA400ProblemNamingIt() throws {
        let environment = TestEnvironment("agg-bad")
        defer { environment.cleanUp() }
        let records = try Self.records(prefix: environment.runId).prefix(30)
        try AggregationOracle.append(Array(records), to: environment)
        let aggregator = try AggregatorProcess(environment)
        try aggregator.waitUntilCaughtUp(records: records.count)
        let first = try aggregator.get("/v1/aggregations?limit=5")
        guard case .string(let cursor)? = first.json["nextCursor"] else { throw TestFailure("no cursor: \(first.text)") }

        let cases: [(String, String)] = [
            ("start=yesterday", "start"),
            ("start=2026-03-01T00:00:00", "start"),
            ("start=2026-03-01", "start"),
            ("end=2026-02-30T00:00:00Z", "end"),
            ("end=", "end"),
            ("start=2026-03-02T00:00:00Z&end=2026-03-01T00:00:00Z", "start"),
            ("type=credit", "type"),
            ("type=POSITIVE", "type"),
            ("limit=0", "limit"),
            ("limit=1001", "limit"),
            ("limit=-3", "limit"),
            ("limit=1.5", "limit"),
            ("limit=abc", "limit"),
            ("cursor=garbage", "cursor"),
            ("cursor=", "cursor"),
            ("cursor=\(cursor)&type=negative", "cursor"),
            ("cursor=\(cursor.dropLast(2))", "cursor"),
            ("destinationId=", "destinationId"),
            ("sourceId=", "sourceId"),
            ("reference=" + String(repeating: "r", count: 300), "reference"),
            ("totalsOnly=1", "totalsOnly"),
            ("limit=5&limit=6", "limit"),
        ]
        for (query, parameter) in cases {
            let result = try aggregator.get("/v1/aggregations?" + query)
            #expect(result.status == 400, "\(query): \(result.status) \(result.text)")
            #expect(result.contentType == "application/problem+json", "\(query)")
            #expect(result.json["parameter"] == .string(parameter), "\(query): \(result.text)")
            #expect(result.json["status"] == .number("400"))
            guard case .string(let detail)? = result.json["detail"] else { throw TestFailure("no detail for \(query)") }
            #expect(detail.hasPrefix(parameter + ":"), "\(query): \(detail)")
        }
        let path = try aggregator.getAsIs("/v1/destinations/%FF/summary")  // not UTF-8
        #expect(path.status == 400 && path.json["parameter"] == .string("id"))
        // The same cursor with its own filters still works.
        #expect(try aggregator.get("/v1/aggregations?limit=5&cursor=\(cursor)").status == 200)
    }
}
