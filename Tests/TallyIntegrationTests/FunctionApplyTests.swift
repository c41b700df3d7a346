import TallyCore
import TallyRedisClient
import TallyStore
import Testing

/// The Function on its own (layout 4, `tally_apply_v4`), against a real Redis.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct FunctionApplyTests {
    /// An outcome not yet confirmed lives in its claim, which does not
    /// expire until the forget: however late a redelivery comes, it finds
    /// the outcome and publishes the same outputs.
    @Test func aPendingClaimNeverExpiresAndAnswersWithTheSameOutcome() throws {
        let environment = TestEnvironment("pending")
        defer { environment.cleanUp() }
        let function = try FunctionCaller(environment)
        let layout = environment.layout
        let id = "\(environment.runId)-1"
        let original = RecordStream.body(id: id, destination: "acct-1", value: "\"5\"")
        let first = try function.apply(original)
        #expect(first.status == "applied")
        #expect(try function.redis.command(RedisCommand("TTL", layout.claim(id))) == .integer(-1), "no expiry while pending")

        let again = try function.apply(original)
        #expect(again.status == "pending", "\(again)")
        #expect(again.detail == first.detail, "the stored bytes, unchanged")
        let conflicting = RecordStream.body(id: id, destination: "acct-1", value: "\"6\"")
        #expect(try function.apply(conflicting).status == "conflict")
        #expect(try function.applications == 1, "applied once")
        #expect(try function.redis.command(RedisCommand("HGET", layout.destinationSummary("acct-1"), "count")).text == "1")

        try function.forget([id], destination: "acct-1")
        let ttl = try function.redis.command(RedisCommand("TTL", layout.claim(id))).integer ?? -1
        let window = environment.configuration.dedup.windowSeconds + environment.configuration.dedup.aheadSeconds
        #expect(ttl > 0 && ttl <= window + 1, "the claim expires once forgotten: \(ttl)")
        #expect(try function.redis.command(RedisCommand("GET", layout.claim(id))).text?.utf8.count == 16, "only the fingerprint is kept")
        #expect(try function.apply(original).status == "duplicate")
    }

    /// The outcome renders the reference summary as it was before the
    /// record, and the alert, as the worker publishes them.
    @Test func theStoredOutcomeRendersThePreviousSummaryAndTheAlert() throws {
        let environment = TestEnvironment("outcome")
        defer { environment.cleanUp() }
        var function = try FunctionCaller(environment)
        function.alerts = AlertPolicy(defaultThreshold: try ExactDecimal.parse("10"))
        let prefix = environment.runId
        let bodies = [
            RecordStream.body(id: "\(prefix)-1", destination: "acct-1", value: "\"2.50\""),
            RecordStream.body(id: "\(prefix)-2", destination: "acct-1", type: "negative", value: "\"0.125\""),
            RecordStream.body(id: "\(prefix)-3", destination: "acct-1", value: "\"7\"", unit: "kWh"),
            RecordStream.body(id: "\(prefix)-4", destination: "acct-1", value: "\"11\""),
        ]
        var expected = Summary()
        for body in bodies {
            let prepared = try function.prepared(body)
            guard case .applied(let stored) = try function.result(body) else { throw TestFailure("not applied") }
            let outputs = stored.outputs(for: prepared.record)
            #expect(outputs.notification == OutputComposer.notification(prepared.record, previous: expected))
            #expect(outputs.alert == prepared.alertThreshold.map {
                OutputComposer.alert(canonicalJSON: prepared.record.canonicalJSON, threshold: $0)
            })
            expected.add(prepared.record)
        }
        #expect(try function.prepared(bodies[3]).alertThreshold != nil, "the last one crosses the threshold")
        let read = try SummaryReader(connection: function.redis, layout: environment.layout).destination("acct-1")
        #expect(read.overall == expected)
        #expect(read.overall.json.contains(#""positive":"13.50","negative":"0.125","net":"13.375""#), "\(read.overall.json)")
    }

    /// Totals are integers while they fit 15 digits: a total that reaches
    /// 10^15 moves into the exact decimal field, an amount of more digits
    /// goes there directly, and the sum stays exact.
    @Test func integerTotalsMoveIntoTheExactFieldBeforeTheyCouldRound() throws {
        let environment = TestEnvironment("spill")
        defer { environment.cleanUp() }
        let function = try FunctionCaller(environment)
        let prefix = environment.runId
        let values = ["9999999999999.99", "0.01", "0.01", "12345678901234567890.5", "0.01", "3", "999999999999.99", "0.001", "0.5"]
        var bodies: [[UInt8]] = []
        var total = ExactDecimal.zero
        for (index, value) in values.enumerated() {
            bodies.append(RecordStream.body(id: "\(prefix)-\(index)", destination: "acct-1", value: "\"\(value)\""))
            total += try ExactDecimal.parse(value)
        }
        for body in bodies { #expect(try function.apply(body).status == "applied") }
        let hash = try function.redis.command(RedisCommand("HGETALL", environment.layout.destinationSummary("acct-1")))
        let fields = Set(stride(from: 0, to: hash.elements?.count ?? 0, by: 2).compactMap { hash.elements?[$0].text })
        #expect(fields == ["count", "p:EUR", "P:EUR", "Ps:EUR"], "\(hash)")
        let read = try SummaryReader(connection: function.redis, layout: environment.layout).destination("acct-1")
        #expect(read.overall.totals.first?.positive.description == total.description, "\(read.overall.json)")
    }

    /// A record whose keys are broken fails alone, with nothing of it
    /// written; its batchmates are applied.
    @Test func aRecordThatFailsInABatchFailsAlone() throws {
        let environment = TestEnvironment("batch-alone")
        defer { environment.cleanUp() }
        let function = try FunctionCaller(environment)
        let prefix = environment.runId
        _ = try function.redis.command(RedisCommand("SET", environment.layout.referenceSummary("acct-2", reference: "inv-1"), "x"))
        let bodies = [
            RecordStream.body(id: "\(prefix)-1", destination: "acct-1", value: "1"),
            RecordStream.body(id: "\(prefix)-2", destination: "acct-2", value: "2"),
            RecordStream.body(id: "\(prefix)-3", destination: "acct-1", value: "3"),
        ]
        let replies = try function.apply(bodies).map(\.status.text)
        #expect(replies == ["applied", "failed", "applied"])
        #expect(try function.applications == 2)
        #expect(try function.redis.command(RedisCommand("EXISTS", environment.layout.claim("\(prefix)-2"))) == .integer(0))
        #expect(try function.redis.command(RedisCommand("EXISTS", environment.layout.destinationSummary("acct-2"))) == .integer(0))
    }
}
