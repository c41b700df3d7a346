import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing
import TallyAdapters
import TallyCore
@testable import TallyAggregator

/// The account views against a real SQLite index in a temporary file (no
/// Redis): the query's sums equal the builder's on the raw transactions,
/// other sources and destinations stay out, overflow and huge values stay
/// exact, paging of the account list; and the routes in process.
@Suite struct AccountViewsTests {
    /// A record as the transactions importer writes it.
    private func transaction(
        _ id: String, account: String, signed: String, month: String = "2026-07", currency: String = "USD",
        source: String = "transactions", destination: String? = nil
    ) throws -> (record: TallyCore.Record, json: String) {
        let negative = signed.hasPrefix("-")
        var json = "{\"recordId\":" + JSONWriter.quoted("txn:\(account):\(id)") + ",\"time\":\"\(month)-15T00:00:00Z\""
        json += ",\"sourceId\":" + JSONWriter.quoted(source) + ",\"destinationId\":"
        json += JSONWriter.quoted(destination ?? AdapterNamespace.transactions.destination(account))
        json += ",\"type\":\"\(negative ? "negative" : "positive")\",\"value\":\"\(negative ? String(signed.dropFirst()) : signed)\""
        json += ",\"unit\":" + JSONWriter.quoted(currency) + ",\"reference\":" + JSONWriter.quoted(month) + "}"
        let record = try RecordValidator().validate(Array(json.utf8)).get()
        return (record, record.canonicalJSON)
    }

    private func temporaryIndex() throws -> RecordIndex {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("accounts-\(UUID().uuidString).sqlite").path
        return try RecordIndex(path: path)
    }

    private func builderReport(_ entries: [(record: TallyCore.Record, json: String)], account: String) -> AccountReport? {
        var builder = AccountReportBuilder()
        for entry in entries { builder.add(entry.record.value, type: entry.record.type, currency: entry.record.unit, month: entry.record.reference) }
        return builder.report(account: account)
    }

    @Test func theQueryGivesTheBuildersReportOfTheAccountsOwnTransactions() async throws {
        let index = try temporaryIndex()
        var mine: [(record: TallyCore.Record, json: String)] = []
        for i in 0..<40 {
            let cents = (i * 7_919) % 100_000 - 40_000
            let signed = (cents < 0 ? "-" : "") + "\(abs(cents) / 100).\(String(format: "%02d", abs(cents) % 100))"
            mine.append(try transaction("\(i)", account: "42", signed: signed, month: "2026-0\(1 + i % 4)", currency: i % 5 == 0 ? "EUR" : "USD"))
        }
        // Scales 0, 1 and 3 in one currency; a value too long for Int64.
        mine.append(try transaction("s0", account: "42", signed: "10", currency: "USD"))
        mine.append(try transaction("s1", account: "42", signed: "-0.5", currency: "USD"))
        mine.append(try transaction("s3", account: "42", signed: "0.125", currency: "USD"))
        mine.append(try transaction("huge", account: "42", signed: "12345678901234567890.25", currency: "USD"))
        let others = [
            try transaction("x", account: "43", signed: "999"),
            try transaction("y", account: "42", signed: "999", source: "vendor"),
            try transaction("z", account: "420", signed: "-5"),
            try transaction("w", account: "42", signed: "1", destination: "42"),
        ]
        try index.insert(mine + others, lastStreamID: "1-0")

        let report = try #require(try await AccountReportQuery(index: index).report(account: "42"))
        #expect(report == builderReport(mine, account: "42"))
        #expect(report.transactionCount == mine.count)
        #expect(report.currencies.map(\.currency) == ["EUR", "USD"])
        #expect(report.currencies[1].scale == 3)
        #expect(try await AccountReportQuery(index: index).report(account: "nobody") == nil)
        #expect(try await AccountReportQuery(index: index).report(account: "4") == nil)
    }

    @Test func overflowingSumsFallBackToExactArithmetic() async throws {
        let index = try temporaryIndex()
        // 18 digits fit an Int64 alone; ten of them overflow the SQL sum.
        let entries = try (0..<10).map { try transaction("\($0)", account: "big", signed: "999999999999999999") }
            + [try transaction("d", account: "big", signed: "-1.5")]
        try index.insert(entries, lastStreamID: "1-0")
        let report = try #require(try await AccountReportQuery(index: index).report(account: "big"))
        #expect(report == builderReport(entries, account: "big"))
        #expect(report.currencies[0].balance.description == "9999999999999999988.50")
        #expect(report.currencies[0].credits.average?.description == "999999999999999999.00")
    }

    @Test func theAccountListPagesThroughTheTransactionsAccountsOnly() async throws {
        let index = try temporaryIndex()
        let accounts = ["1", "10", "2", "a/b", "ünï", "z"]
        var entries = try accounts.flatMap { account in
            try (0..<3).map { try transaction("\($0)", account: account, signed: "1") }
        }
        entries.append(try transaction("v", account: "vendor-only", signed: "1", source: "vendor"))
        entries.append(try transaction("p", account: "x", signed: "1", destination: "accounts:x"))
        try index.insert(entries, lastStreamID: "1-0")
        let query = AccountReportQuery(index: index)
        var seen: [String] = []
        var after: String?
        repeat {
            let page = try await query.accounts(after: after, limit: 4)
            seen += page.accounts.map(\.account)
            #expect(page.accounts.allSatisfy { $0.transactionCount == 3 })
            after = page.lastIfMore
        } while after != nil
        #expect(seen == accounts.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
        #expect(AccountReportQuery.upperBound(ofPrefix: "account:") == "account;")
    }

    // MARK: - Parameters

    @Test func accountPathSegmentsArePercentDecodedAndBounded() throws {
        #expect(try AccountParameters.account(pathSegment: "42") == "42")
        #expect(try AccountParameters.account(pathSegment: "a%2Fb%20c") == "a/b c")
        #expect(try AccountParameters.account(pathSegment: String(repeating: "x", count: 248)).count == 248)
        for (raw, reason) in [("", "must not be empty"), ("%ZZ", "not a valid percent-encoded account"),
                              (String(repeating: "x", count: 249), "longer than 248 characters")] {
            #expect(throws: InvalidParameter("account", reason)) { try AccountParameters.account(pathSegment: raw) }
        }
    }

    @Test func listParametersAreCheckedAndNamed() throws {
        let defaults = try AccountParameters.list([])
        #expect(defaults.after == nil && defaults.limit == 100)
        let given = try AccountParameters.list([("limit", "1000"), ("cursor", AccountParameters.cursor.encode([.text("42")]))])
        #expect(given.after == "42" && given.limit == 1000)
        #expect(throws: InvalidParameter("other", "is not a parameter of this route (it takes: cursor, limit)")) {
            try AccountParameters.list([("limit", "10"), ("other", "x")])
        }
        let bad: [([(name: String, value: String)], InvalidParameter)] = [
            ([("limit", "0")], InvalidParameter("limit", "0 is out of range 1...1000")),
            ([("limit", "1001")], InvalidParameter("limit", "1001 is out of range 1...1000")),
            ([("limit", "+5")], InvalidParameter("limit", "must be an integer from 1 to 1000")),
            ([("limit", "ten")], InvalidParameter("limit", "must be an integer from 1 to 1000")),
            ([("limit", "5"), ("limit", "6")], InvalidParameter("limit", "given more than once")),
            ([("after", "42")], InvalidParameter("after", "is not a parameter of this route (it takes: cursor, limit)")),
            ([("cursor", "42")], InvalidParameter("cursor", "not a cursor returned by this API (use nextCursor as given)")),
            ([("cursor", PageCursor(route: "summary").encode([.text("42")]))],
             InvalidParameter("cursor", "a cursor of another route (pass this route's nextCursor unchanged)")),
        ]
        for (parameters, expected) in bad {
            #expect(throws: expected) { try AccountParameters.list(parameters) }
        }
    }

    // MARK: - Routes, in process

    private func application(_ index: RecordIndex) -> some ApplicationProtocol {
        let router = Router()
        AccountRoutes(index: index, logger: Logger(label: "test")).register(on: router)
        return Application(router: router)
    }

    @Test func routesAnswerJSONHTMLAndProblems() async throws {
        let index = try temporaryIndex()
        let entries = [
            try transaction("0", account: "42", signed: "60.5", month: "2026-07"),
            try transaction("1", account: "42", signed: "-10.3", month: "2026-07"),
            try transaction("2", account: "42", signed: "-20.46", month: "2026-08"),
            try transaction("3", account: "42", signed: "10", month: "2026-08"),
        ]
        try index.insert(entries, lastStreamID: "1-0")
        let expected = try #require(builderReport(entries, account: "42"))
        try await application(index).test(.router) { client in
            try await client.execute(uri: "/v1/accounts/42/report", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/json")
                #expect(String(buffer: response.body) == expected.json)
            }
            try await client.execute(uri: "/v1/accounts/42/report.html", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                #expect(String(buffer: response.body) == AccountReportPage.render(expected))
            }
            try await client.execute(uri: "/v1/accounts", method: .get) { response in
                #expect(String(buffer: response.body) == "{\"accounts\":[{\"account\":\"42\",\"transactionCount\":4}]}")
            }
            for path in ["/v1/accounts/43/report", "/v1/accounts/43/report.html"] {
                try await client.execute(uri: path, method: .get) { response in
                    #expect(response.status == .notFound)
                    #expect(response.headers[.contentType] == "application/problem+json")
                    #expect(String(buffer: response.body).contains("\"status\":404"))
                }
            }
            try await client.execute(uri: "/v1/accounts/%ZZ/report", method: .get) { response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body).contains("\"parameter\":\"account\""))
            }
            try await client.execute(uri: "/v1/accounts?limit=0", method: .get) { response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body).contains("\"parameter\":\"limit\""))
            }
            try await client.execute(uri: "/v1/accounts/42/report", method: .post) { response in
                #expect(response.status == .methodNotAllowed)
                #expect(response.headers[.allow] == "GET")
            }
        }
    }
}
