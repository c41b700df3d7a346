import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing
import TallyAdapters
import TallyCore
import TallyRuntime
@testable import TallyAggregator

/// The routes of the two user-balance services, in process over a real
/// SQLite index: each service's own example figures with its own rule,
/// the exact JSON text (amounts as JSON numbers written from the exact
/// decimal), the problems, paging, and the token guard.
@Suite struct LegacyBalanceRoutesTests {
    static let token = "0123456789abcdef0123456789abcdef"

    /// Vendor transactions as the poller maps them (`VendorTransactionMapping`).
    private func vendor(_ transactions: [(id: String, user: String, type: String, amount: String)], unit: String = "USD") throws
        -> [(record: TallyCore.Record, json: String)]
    {
        let mapping = VendorTransactionMapping(unit: unit)
        return try transactions.map { item in
            var json = "{\"id\":" + JSONWriter.quoted(item.id) + ",\"userId\":" + JSONWriter.quoted(item.user)
            json += ",\"createdAt\":\"2026-07-01T10:00:00Z\",\"type\":\"\(item.type)\",\"amount\":\"\(item.amount)\"}"
            let mapped = try mapping.map(try JSONParser.parse(Array(json.utf8))).get()
            return (mapped.record, mapped.record.canonicalJSON)
        }
    }

    private func temporaryIndex() throws -> RecordIndex {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("legacy-\(UUID().uuidString).sqlite").path
        return try RecordIndex(path: path)
    }

    /// The first service's example user 1 (earned 150, spent 50, payout 30,
    /// paid out 20) and user 2 (payout 40): its payouts list is 30 and 40.
    /// User 3 has no payouts; user 4 has amounts in two units (no payouts);
    /// user 5 has amounts no binary floating-point value holds exactly.
    private func exampleIndex() throws -> RecordIndex {
        let index = try temporaryIndex()
        var entries = try vendor([
            ("1", "1", "earned", "100"), ("2", "1", "earned", "50"), ("3", "1", "spent", "50"),
            ("4", "1", "payout", "30"), ("5", "1", "paid_out", "20"),
            ("6", "2", "earned", "40"), ("7", "2", "payout", "40"),
            ("8", "3", "earned", "10"),
            ("9", "4", "earned", "7"),
            ("10", "5", "earned", "0.1"), ("11", "5", "earned", "0.2"), ("12", "5", "spent", "0.30"), ("13", "5", "paid_out", "0.10"),
        ])
        entries += try vendor([("14", "4", "earned", "8.50")], unit: "EUR")
        try index.insert(entries, lastStreamID: "1-0")
        return index
    }

    private func application(_ index: RecordIndex, guarded: Bool = false) -> some ApplicationProtocol {
        let router = Router()
        if guarded {
            var settings = APISettings()
            settings.tokens = [Self.token]
            router.add(middleware: APIGuardMiddleware(settings: settings))
        }
        LegacyBalanceRoutes(index: index, logger: Logger(label: "test")).register(on: router)
        return Application(router: router)
    }

    private func body(_ client: some TestClientProtocol, _ uri: String, status: Int = 200) async throws -> String {
        try await client.execute(uri: uri, method: .get) { response in
            #expect(response.status.code == status, "\(uri)")
            #expect(response.headers[.contentType] == (status == 200 ? "application/json" : "application/problem+json"), "\(uri)")
            return String(buffer: response.body)
        }
    }

    private func expectBody(
        _ client: some TestClientProtocol, _ uri: String, status: Int = 200, equal expected: String? = nil, containing part: String? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let text = try await body(client, uri, status: status)
        if let expected { #expect(text == expected, "\(uri)", sourceLocation: sourceLocation) }
        if let part { #expect(text.contains(part), "\(uri): \(text)", sourceLocation: sourceLocation) }
    }

    @Test func theFirstServiceBalanceIsEarnedLessSpentAndItsPayoutsAre30And40() async throws {
        try await application(try exampleIndex()).test(.router) { client in
            try await expectBody(client, "/aggregatedData/1", equal: #"{"balance":100,"earned":150,"spent":50,"payout":30,"paidOut":20}"#)
            try await expectBody(client, "/aggregatedData/payouts", equal: #"[{"userId":"1","totalPayout":30},{"userId":"2","totalPayout":40}]"#)
            try await expectBody(client, "/aggregatedData/2", equal: #"{"balance":40,"earned":40,"spent":0,"payout":40,"paidOut":0}"#)
            // Exact: 0.1 + 0.2 − 0.30 is 0.00, not a float's 5.551115123125783e-17.
            try await expectBody(client, "/aggregatedData/5", equal: #"{"balance":0.00,"earned":0.3,"spent":0.30,"payout":0,"paidOut":0.10}"#)
        }
    }

    @Test func theSuccessorBalanceDeductsPaidOutAndItsPayoutsAreOutstanding() async throws {
        try await application(try exampleIndex()).test(.router) { client in
            try await expectBody(client, "/user/1", equal: #"{"userId":"1","balance":80,"earned":150,"spent":50,"paidOut":20,"payouts":10}"#)
            try await expectBody(client, "/user/1/payouts", equal: #"{"userId":"1","payouts":10}"#)
            try await expectBody(client, "/user/2/payouts", equal: #"{"userId":"2","payouts":40}"#)
            try await expectBody(client, "/user/3/payouts", equal: #"{"userId":"3","payouts":0}"#)
            try await expectBody(client, "/user/5", equal: #"{"userId":"5","balance":-0.10,"earned":0.3,"spent":0.30,"paidOut":0.10,"payouts":-0.10}"#)
        }
    }

    @Test func unknownUsersSeveralUnitsAndBadParametersAreProblems() async throws {
        try await application(try exampleIndex()).test(.router) { client in
            for path in ["/aggregatedData/404", "/user/404", "/user/404/payouts", "/aggregatedData/1?unit=EUR"] {
                try await expectBody(client, path, status: 404, containing: "\"status\":404")
            }
            for path in ["/aggregatedData/4", "/user/4", "/user/4/payouts"] {
                try await expectBody(client, path, status: 409, containing: "\"parameter\":\"unit\"")
            }
            try await expectBody(client, "/aggregatedData/4?unit=EUR", equal: #"{"balance":8.50,"earned":8.50,"spent":0,"payout":0,"paidOut":0}"#)
            try await expectBody(client, "/user/4?unit=USD", equal: #"{"userId":"4","balance":7,"earned":7,"spent":0,"paidOut":0,"payouts":0}"#)
            try await expectBody(client, "/user/%ZZ", status: 400, containing: "\"parameter\":\"id\"")
            try await expectBody(client, "/aggregatedData/%ZZ", status: 400, containing: "\"parameter\":\"userId\"")
            try await expectBody(client, "/aggregatedData/1?color=red", status: 400, containing: "\"parameter\":\"color\"")
            for path in ["/aggregatedData/payouts?limit=0", "/aggregatedData/payouts?cursor=nonsense"] {
                try await expectBody(client, path, status: 400, containing: "\"status\":400")
            }
            for path in ["/aggregatedData/payouts", "/aggregatedData/1", "/user/1", "/user/1/payouts"] {
                try await client.execute(uri: path, method: .post) { response in
                    #expect(response.status == .methodNotAllowed, "\(path)")
                    #expect(response.headers[.allow] == "GET")
                }
            }
        }
    }

    @Test func thePayoutsListPagesThroughLinkAndRefusesAmbiguousUnits() async throws {
        let index = try temporaryIndex()
        var entries = try vendor((1...5).map { (id: "p\($0)", user: "u\($0)", type: "payout", amount: "\($0).5") })
        entries += try vendor([("e1", "u3", "payout", "9"), ("e2", "u6", "payout", "1")], unit: "EUR")
        try index.insert(entries, lastStreamID: "1-0")
        try await application(index).test(.router) { client in
            var uri: String? = "/aggregatedData/payouts?unit=USD&limit=2"
            var pages: [String] = []
            while let next = uri {
                uri = try await client.execute(uri: next, method: .get) { response in
                    #expect(response.status == .ok)
                    pages.append(String(buffer: response.body))
                    guard let link = response.headers[.init("Link")!] else { return nil }
                    #expect(link.hasPrefix("</aggregatedData/payouts?limit=2&cursor=") && link.hasSuffix("&unit=USD>; rel=\"next\""))
                    return String(link.dropFirst().prefix { $0 != ">" })
                }
            }
            #expect(pages == [
                #"[{"userId":"u1","totalPayout":1.5},{"userId":"u2","totalPayout":2.5}]"#,
                #"[{"userId":"u3","totalPayout":3.5},{"userId":"u4","totalPayout":4.5}]"#,
                #"[{"userId":"u5","totalPayout":5.5}]"#,
            ])
            try await expectBody(client, "/aggregatedData/payouts?unit=EUR", equal: #"[{"userId":"u3","totalPayout":9},{"userId":"u6","totalPayout":1}]"#)
            // u3 has payouts in EUR and USD: without `unit` the list would name it twice.
            try await expectBody(client, "/aggregatedData/payouts", status: 409, containing: "u3")
            // Also when u3's units straddle a page's end.
            try await expectBody(client, "/aggregatedData/payouts?limit=3", status: 409, containing: "u3")
        }
    }

    @Test func everyRouteNeedsTheToken() async throws {
        try await application(try exampleIndex(), guarded: true).test(.router) { client in
            for path in ["/aggregatedData/payouts", "/aggregatedData/1", "/user/1", "/user/1/payouts"] {
                try await client.execute(uri: path, method: .get) { response in
                    #expect(response.status == .unauthorized, "\(path)")
                    #expect(response.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
                }
                try await client.execute(uri: path, method: .get, headers: [.authorization: "Bearer \(Self.token)"]) { response in
                    #expect(response.status == .ok, "\(path)")
                }
            }
        }
    }
}
