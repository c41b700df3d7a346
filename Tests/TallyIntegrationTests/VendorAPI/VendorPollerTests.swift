import Foundation
import TallyAdapters
import TallyBroker
import TallyCore
import TallyRedisClient
import TallyWorker
import Testing

/// The vendor adapter through the real fleet: simulator → `tally poll
/// vendor` → RabbitMQ → tally-worker → Redis → tally-aggregator views.
@Suite(.serialized) struct VendorPollerTests {
    static let limit = 5
    static let windowMilliseconds = 2_000

    static func pollerArguments(unit: String = "EUR") -> [String] {
        [
            "--page-size", "100", "--rate-limit", "\(limit)", "--rate-window-ms", "\(windowMilliseconds)",
            "--idle-ms", "200", "--request-timeout-ms", "1000", "--retry-initial-ms", "100", "--retry-max-ms", "1000",
            "--unit", unit,
        ]
    }

    @Test func everyTransactionOnceUnderTheLimitThroughAKillFaultsAndAppends() throws {
        let environment = TestEnvironment("vendor-poll")
        defer { environment.cleanUp() }
        try environment.declareTopology()
        let simulator = try VendorSimulatorProcess(environment, rateLimit: Self.limit, windowMilliseconds: Self.windowMilliseconds)
        var oracle = VendorOracle()
        let first = VendorOracle.generate(count: 1_200, users: 25, from: 1, seed: 7)
        first.forEach { oracle.add($0) }
        let bad = [
            #"{"id":"bad-1","userId":"u-1","createdAt":"2026-04-01T00:00:00Z","type":"refund","amount":"5"}"#,
            #"{"id":"bad-2","userId":"u-2","createdAt":"2026-04-01T00:00:00Z","type":"spent","amount":"-5"}"#,
            #"{"id":"bad-3","createdAt":"2026-04-01T00:00:00Z","type":"earned","amount":"5"}"#,
        ]
        bad.forEach { oracle.addInvalid($0) }
        try simulator.append(first[..<650].map(\.json) + bad + first[650...].map(\.json))

        let worker = try WorkerProcess(environment)
        try worker.waitUntilConsuming()
        let aggregator = try AggregatorProcess(environment)
        let redis = try environment.redis()
        let cursorKey = "\(environment.configuration.keyPrefix):adapter:{vendor}:cursor"
        func storedCursor() throws -> Int { Int(try redis.command(RedisCommand("GET", cursorKey)).text ?? "0") ?? 0 }

        var poller = try VendorPollerProcess(environment, url: simulator.transactionsURL, arguments: Self.pollerArguments())
        try waitUntil("the poller to store a cursor past 400", timeout: .seconds(90)) { try storedCursor() >= 400 }
        poller.crash()
        let cursorAtKill = try storedCursor()
        #expect(cursorAtKill < first.count + bad.count, "the kill came too late to test a resume")

        // The next requests fail: two 503s, a 429 with Retry-After, and one
        // answer slower than the poller's request timeout.
        try simulator.inject(#"{"status":503,"count":2}"#)
        try simulator.inject(#"{"status":429,"retryAfter":"1","count":1}"#)
        try simulator.inject(#"{"delayMs":2500,"count":1}"#)
        poller = try VendorPollerProcess(environment, url: simulator.transactionsURL, arguments: Self.pollerArguments(), name: "poller-2")
        try waitUntil("the restarted poller to resume from the stored cursor") {
            poller.log.contains("resuming after cursor \(cursorAtKill)")
        }
        // Transactions appended while it runs.
        let more = VendorOracle.generate(count: 300, users: 25, from: 5_001, seed: 8)
        try simulator.append(more.map(\.json))
        more.forEach { oracle.add($0) }
        let total = first.count + bad.count + more.count

        try waitUntil("the poller to store the cursor of the last transaction", timeout: .seconds(120)) { try storedCursor() == total }
        try waitUntil("every valid transaction to be applied", timeout: .seconds(60)) {
            try environment.appliedCount() >= oracle.valid.count && environment.workQueueDepth() == 0
        }
        poller.signal(SIGTERM)
        #expect(try poller.waitForExit() == 0)
        #expect(poller.log.contains("stopped:"))
        #expect(poller.log.contains("HTTP 503"), "the 503s were not seen")
        #expect(poller.log.contains("429"), "the 429 was not seen")
        #expect(poller.log.contains("failed"), "the timeout was not seen")

        // Exactly once: the log holds every valid transaction, each once.
        let logged = try loggedRecordIds(environment)
        #expect(logged.count == oracle.valid.count)
        #expect(Set(logged) == Set(oracle.valid.map { "vendor:" + $0.id }))

        // Refused transactions are in records.dead with their reason (a page
        // replayed after the kill may have sent one twice: same body).
        let letters = try DeadLetterInspector(endpoint: environment.configuration.broker, topology: environment.configuration.topology)
            .list(limit: 100)
        #expect(letters.allSatisfy { $0.reason == VendorRejection.reason })
        let refused = Set(letters.map { String(decoding: $0.body, as: UTF8.self) })
        #expect(refused == Set(bad.map { try! JSONParser.parse($0).rendered }))
        #expect(letters.contains { $0.detail.contains("type") && $0.detail.contains("refund") })

        // The rate limit: never exceeded, across the kill and the restart.
        let stats = try simulator.stats()
        #expect(stats.violations == 0)
        #expect(stats.maxInWindow <= Self.limit)
        #expect(stats.faultsInjected == 4)
        let windows = Int((stats.lastRequestMs - stats.firstRequestMs) / Int64(Self.windowMilliseconds)) + 1
        #expect(stats.requests <= Self.limit * windows, "\(stats.requests) requests in \(windows) windows")

        try aggregator.waitUntilCaughtUp(records: oracle.valid.count)
        try expectViews(aggregator, oracle, unit: "EUR")
        _ = worker
    }

    /// The first user-balance service's example user and payouts list,
    /// through the fleet with a one-off poll (`--once`): its figures, with
    /// the successor service's balance.
    @Test func userBalanceExamplesThroughAOneOffPoll() throws {
        let environment = TestEnvironment("vendor-examples")
        defer { environment.cleanUp() }
        try environment.declareTopology()
        let simulator = try VendorSimulatorProcess(environment, rateLimit: Self.limit, windowMilliseconds: Self.windowMilliseconds)
        var oracle = VendorOracle()
        let seed: [VendorOracle.Transaction] = [
            .init(id: "1", userId: "074092", type: "earned", amount: "100", createdAt: "2026-03-01T10:00:00Z"),
            .init(id: "2", userId: "074092", type: "earned", amount: "50", createdAt: "2026-03-01T11:00:00Z"),
            .init(id: "3", userId: "074092", type: "spent", amount: "50", createdAt: "2026-03-01T12:00:00Z"),
            .init(id: "4", userId: "074092", type: "payout", amount: "30", createdAt: "2026-03-02T09:00:00Z"),
            .init(id: "5", userId: "074092", type: "paid_out", amount: "20", createdAt: "2026-03-03T09:00:00Z"),
            .init(id: "6", userId: "074093", type: "earned", amount: "40", createdAt: "2026-03-01T10:00:00Z"),
            .init(id: "7", userId: "074093", type: "payout", amount: "40", createdAt: "2026-03-02T10:00:00Z"),
            .init(id: "8", userId: "12", type: "payout", amount: "5.5", createdAt: "2026-03-02T10:00:00Z"),
            .init(id: "9", userId: "12", type: "paid_out", amount: "5.50", createdAt: "2026-03-02T11:00:00Z"),
        ]
        // And a user whose total overflows an Int64 sum (the exact fallback).
        let big = (10..<20).map {
            VendorOracle.Transaction(id: "\($0)", userId: "big", type: "earned", amount: "999999999999999999", createdAt: "2026-03-04T00:00:00Z")
        }
        (seed + big).forEach { oracle.add($0) }
        try simulator.append((seed + big).map(\.json))
        let worker = try WorkerProcess(environment)
        try worker.waitUntilConsuming()
        let aggregator = try AggregatorProcess(environment)
        let poller = try VendorPollerProcess(
            environment, url: simulator.transactionsURL, arguments: Self.pollerArguments(unit: "USD") + ["--once"])
        #expect(try poller.waitForExit(timeout: .seconds(60)) == 0)
        try aggregator.waitUntilCaughtUp(records: seed.count + big.count)

        let user = try aggregator.get("/v1/users/074092/balance")
        #expect(user.status == 200)
        #expect(user.json == (try JSONParser.parse(
            #"{"userId":"074092","unit":"USD","count":5,"balance":"80","earned":"150","spent":"50","payout":"30","paidOut":"20"}"#)))
        let payouts = try aggregator.get("/v1/users/payouts")
        #expect(payouts.json == (try JSONParser.parse(
            #"{"payouts":[{"userId":"074092","unit":"USD","outstanding":"10","payout":"30","paidOut":"20"},{"userId":"074093","unit":"USD","outstanding":"40","payout":"40","paidOut":"0"}]}"#)))
        #expect(try aggregator.get("/v1/users/nobody/balance").status == 404)
        #expect(try aggregator.get("/v1/users/074092/balance?unit=EUR").status == 404)
        #expect(try aggregator.get("/v1/users/074092/balance?unit=USD").status == 200)
        for bad in ["limit=0", "limit=1001", "limit=x", "cursor=nonsense", "limit=1&limit=2"] {
            let answer = try aggregator.get("/v1/users/payouts?\(bad)")
            #expect(answer.status == 400, "\(bad)")
            #expect(answer.contentType == "application/problem+json")
        }
        #expect(try VendorSimulatorProcess.post(port: aggregator.port, "/v1/users/payouts", body: "", token: aggregator.token).status == 405)
        #expect(
            try VendorSimulatorProcess.post(port: aggregator.port, "/v1/users/074092/balance", body: "", token: aggregator.token).status == 405)
        try expectViews(aggregator, oracle, unit: "USD")
        #expect(try aggregator.get("/v1/users/big/balance").json["earned"] == .string("9999999999999999990"))

        // A user with amounts in two units must name one.
        try environment.publish([Array(
            #"{"recordId":"vendor:eur-1","time":"2026-03-05T00:00:00Z","sourceId":"vendor","destinationId":"user:074093","type":"positive","value":"7.25","unit":"EUR","reference":"earned"}"#.utf8)])
        try aggregator.waitUntilCaughtUp(records: seed.count + big.count + 1)
        let ambiguous = try aggregator.get("/v1/users/074093/balance")
        #expect(ambiguous.status == 409)
        #expect(ambiguous.text.contains("EUR, USD"))
        let euros = try aggregator.get("/v1/users/074093/balance?unit=EUR").json
        #expect(euros["earned"] == .string("7.25"))
        #expect(euros["balance"] == .string("7.25"))
        #expect(euros["count"] == .number("1"))
        _ = worker
    }

    // MARK: - Checks

    /// Every user's balance view and the whole payouts list (paged 4 at a
    /// time) equal the oracle, exactly.
    func expectViews(_ aggregator: AggregatorProcess, _ oracle: VendorOracle, unit: String) throws {
        let counts = oracle.counts
        for (userId, figures) in oracle.balances {
            let answer = try aggregator.get("/v1/users/\(userId)/balance")
            #expect(answer.status == 200, "\(userId): \(answer.text)")
            let json = answer.json
            #expect(json["userId"] == .string(userId))
            #expect(json["unit"] == .string(unit))
            #expect(json["count"] == .number(String(counts[userId] ?? 0)))
            for (field, expected) in [
                ("balance", figures.balance), ("earned", figures.earned), ("spent", figures.spent),
                ("payout", figures.payout), ("paidOut", figures.paidOut),
            ] {
                #expect(decimal(json[field]) == expected, "\(userId) \(field): \(json[field].map { "\($0)" } ?? "missing") ≠ \(expected)")
            }
        }
        var listed: [(String, JSONValue)] = []
        var cursor: String?
        repeat {
            let answer = try aggregator.get("/v1/users/payouts?limit=4" + (cursor.map { "&cursor=\($0)" } ?? ""))
            #expect(answer.status == 200, "\(answer.text)")
            guard case .array(let entries)? = answer.json["payouts"] else { throw TestFailure("no payouts array: \(answer.text)") }
            #expect(entries.count <= 4)
            for entry in entries {
                guard case .string(let userId)? = entry["userId"] else { throw TestFailure("an entry without userId") }
                listed.append((userId, entry))
            }
            if case .string(let next)? = answer.json["nextCursor"] { cursor = next } else { cursor = nil }
        } while cursor != nil
        let expected = oracle.outstanding
        #expect(listed.map(\.0) == expected.map(\.userId))
        for ((_, entry), (userId, figures)) in zip(listed, expected) {
            #expect(decimal(entry["outstanding"]) == figures.outstandingPayout, "\(userId)")
            #expect(decimal(entry["payout"]) == figures.payout, "\(userId)")
            #expect(decimal(entry["paidOut"]) == figures.paidOut, "\(userId)")
            #expect(entry["unit"] == .string(unit))
        }
    }

    func decimal(_ value: JSONValue?) -> ExactDecimal? {
        guard case .string(let text)? = value else { return nil }
        return try? ExactDecimal.parse(text)
    }

    func loggedRecordIds(_ environment: TestEnvironment) throws -> [String] {
        try LogContents.recordIds(try environment.redis(), environment.layout.log)
    }
}
