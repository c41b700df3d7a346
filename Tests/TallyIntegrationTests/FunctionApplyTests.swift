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

    /// The log's entries as Redis holds them: each entry's field names and values.
    private func logEntries(_ function: FunctionCaller) throws -> [[String]] {
        let reply = try function.redis.command(RedisCommand("XRANGE", function.layout.log, "-", "+"))
        return (reply.elements ?? []).map { $0.elements?.last?.elements?.compactMap(\.text) ?? [] }
    }

    /// With `log batches` (an empty Redis gets it), one call appends one
    /// entry, `records`, holding the records it applied, in order: not the
    /// duplicate, the conflict, the one dated too far ahead or the repeat of
    /// a record applied earlier in the call. A call that applies nothing
    /// appends nothing.
    @Test func aBatchedLogGetsOneEntryPerCallHoldingTheAppliedRecords() throws {
        let environment = TestEnvironment("log-batched")
        defer { environment.cleanUp() }
        let function = try FunctionCaller(environment)
        #expect(try function.redis.command(RedisCommand("HGET", environment.layout.layoutVersion, "log")).text == "batches")
        let prefix = environment.runId
        let earlier = RecordStream.body(id: "\(prefix)-0", destination: "acct-1", value: "\"1\"")
        #expect(try function.apply(earlier).status == "applied")
        let applied = (1...5).map { RecordStream.body(id: "\(prefix)-\($0)", destination: "acct-\($0 % 2)", value: "\"\($0).5\"") }
        let future = RecordStream.body(id: "\(prefix)-future", time: "2099-01-01T00:00:00Z", destination: "acct-1", value: "1")
        let batch = [applied[0], applied[1], earlier, RecordStream.body(id: "\(prefix)-0", destination: "acct-1", value: "\"2\""),
            applied[2], future, applied[0], applied[3], applied[4]]
        let statuses = try function.apply(batch).map(\.status.text)
        #expect(statuses == ["applied", "applied", "pending", "conflict", "applied", "outside-window", "pending", "applied", "applied"])

        let entries = try logEntries(function)
        #expect(entries.count == 2, "one entry per call: \(entries)")
        #expect(entries.first == ["records", try function.prepared(earlier).record.canonicalJSON])
        let expected = try applied.map { try function.prepared($0).record.canonicalJSON }
        #expect(entries.last?.count == 2 && entries.last?.first == "records")
        #expect(entries.last?.last?.split(separator: "\n").map(String.init) == expected, "the applied records, in order")
        #expect(try function.applications == 6)

        #expect(try function.apply([earlier, applied[1]]).map(\.status.text) == ["pending", "pending"])
        #expect(try logEntries(function).count == 2, "nothing applied: no entry")
    }

    /// Without `log batches` (a layout 4 Redis before `tally store
    /// upgrade` switched its log), one entry per record, `record`, which
    /// the previous release's aggregators read.
    @Test func withoutLogBatchesEachRecordIsItsOwnEntry() throws {
        let environment = TestEnvironment("log-single")
        defer { environment.cleanUp() }
        let function = try FunctionCaller(environment)
        _ = try function.redis.command(RedisCommand("HDEL", environment.layout.layoutVersion, "log"))
        let prefix = environment.runId
        let bodies = (1...3).map { RecordStream.body(id: "\(prefix)-\($0)", destination: "acct-1", value: "\"\($0)\"") }
        let batch = bodies + [bodies[1], RecordStream.body(id: "\(prefix)-1", destination: "acct-1", value: "\"9\"")]
        #expect(try function.apply(batch).map(\.status.text) == ["applied", "applied", "applied", "pending", "conflict"])
        let expected = try bodies.map { ["record", try function.prepared($0).record.canonicalJSON] }
        #expect(try logEntries(function) == expected)
    }

    /// An aggregator of the previous release reads `record` entries only
    /// and would ack a batch entry and skip its records: while the log has
    /// a consumer group not registered as reading batches (`reader:<group>`,
    /// which this release's aggregators write before creating theirs), the
    /// log stays one entry per record though the layout says `log batches`.
    /// Registered, or once the group is gone, batches again.
    @Test func anUnregisteredReaderKeepsTheLogOneEntryPerRecord() throws {
        let environment = TestEnvironment("log-readers")
        defer { environment.cleanUp() }
        let function = try FunctionCaller(environment)
        let layout = environment.layout
        let prefix = environment.runId
        #expect(try function.redis.command(RedisCommand("HGET", layout.layoutVersion, "log")).text == "batches")
        _ = try function.redis.command(RedisCommand("XGROUP", "CREATE", layout.log, "old-aggregator", "$", "MKSTREAM"))
        let first = (1...2).map { RecordStream.body(id: "\(prefix)-\($0)", destination: "acct-1", value: "\"\($0)\"") }
        #expect(try function.apply(first).map(\.status.text) == ["applied", "applied"])
        #expect(try logEntries(function).map { $0.first } == ["record", "record"], "one entry per record")
        #expect(try LogReaders.unregistered(on: function.redis, layout: layout) == ["old-aggregator"])

        try LogReaders.register("old-aggregator", on: function.redis, layout: layout)
        let second = (3...4).map { RecordStream.body(id: "\(prefix)-\($0)", destination: "acct-1", value: "\"\($0)\"") }
        #expect(try function.apply(second).map(\.status.text) == ["applied", "applied"])
        #expect(try logEntries(function).map { $0.first } == ["record", "record", "records"], "registered: one entry per call")
        #expect(try LogContents.recordCount(function.redis, layout.log) == 4)
    }

    /// A batched log's entry is the call's first write and the only one
    /// that can fail: when it fails (the log key of another type), the whole
    /// call fails with a server-state error (TRYAGAIN: the worker reconnects
    /// and the batch is redelivered), and nothing of the batch is written.
    @Test func aLogThatCannotBeAppendedToFailsTheWholeCallBeforeAnyWrite() throws {
        let environment = TestEnvironment("log-broken")
        defer { environment.cleanUp() }
        let function = try FunctionCaller(environment)
        let layout = environment.layout
        let prefix = environment.runId
        _ = try function.redis.command(RedisCommand("SET", layout.log, "not a stream"))
        let bodies = [
            RecordStream.body(id: "\(prefix)-1", destination: "acct-1", value: "1"),
            RecordStream.body(id: "\(prefix)-2", destination: "acct-2", value: "2", reference: "inv-9"),
        ]
        let reply = try function.applyReply(bodies)
        #expect(reply.errorMessage?.hasPrefix("TRYAGAIN") == true, "\(reply)")
        // As the worker reads it: thrown, not a failed record each (the
        // worker reconnects and the batch is redelivered, not dead-lettered).
        let store = try RecordStore(
            connection: try environment.redis(), layout: layout, bucketSeconds: function.bucketSeconds,
            buckets: function.buckets, aheadSeconds: function.aheadSeconds)
        try store.sendApply(try bodies.map(function.prepared))
        #expect(throws: RedisError.self) { _ = try store.receiveApplied(count: bodies.count) }
        for key in [layout.claim("\(prefix)-1"), layout.claim("\(prefix)-2"), layout.destinationSummary("acct-1"),
            layout.destinationSummary("acct-2"), layout.referenceSummary("acct-2", reference: "inv-9"),
            layout.references("acct-2")]
        {
            #expect(try function.redis.command(RedisCommand("EXISTS", key)) == .integer(0), "\(key) written")
        }

        _ = try function.redis.command(RedisCommand("DEL", layout.log))
        #expect(try function.apply(bodies).map(\.status.text) == ["applied", "applied"], "redelivered once the log is fixed")
        #expect(try function.applications == 2)
    }
}
