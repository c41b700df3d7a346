import Foundation
import TallyCore
import TallyRedisClient
import TallyStore
import Testing

/// A rolling upgrade from version 3 (layout 3) to version 4 (layout 4)
/// (docs/operations.md, "Upgrading to layout 4"): version 4 applies as
/// version 3 does while version 3 workers may run, and after `tally store
/// upgrade` applies nothing a second time that layout 3 applied.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct LayoutUpgradeTests {
    /// Records applied by layout 3's Function — confirmed, pending, and
    /// the reference summary they built — are all found after the switch.
    @Test func afterTheUpgradeLayout3sClaimsPendingOutcomesAndTotalsCarryOn() throws {
        let environment = TestEnvironment("upgrade")
        defer { environment.cleanUp() }
        let function = try FunctionCaller(environment, readLayout: false)
        let layout = environment.layout
        let prefix = environment.runId
        let bodies = (1...3).map { RecordStream.body(id: "\(prefix)-\($0)", destination: "acct-1", value: "\"1.5\"") }
        var layout3Outcomes: [String] = []
        for body in bodies {
            let reply = try function.applyLayout3(body)
            #expect(reply.elements?.first?.text == "applied", "\(reply)")
            layout3Outcomes.append(reply.elements?.last?.text ?? "")
        }
        // Two confirmed (layout 3's forget), the third still pending.
        for id in ["\(prefix)-1", "\(prefix)-2"] {
            _ = try function.redis.command(RedisCommand("HDEL", layout.pending("acct-1"), id))
        }
        #expect(try function.storeLayout() == .layout3, "a Redis with layout 3's records stays on layout 3")
        let refused = try function.redis.command(RedisCommand(
            "FCALL", TallyFunctionLibrary.apply, "2", layout.layoutVersion, layout.log, "86400", "8", "3600", layout.prefix, "0"))
        #expect(refused.errorMessage?.hasPrefix("TRYAGAIN") == true, "tally_apply_v4 refuses layout 3: \(refused)")

        var progress: [String] = []
        let report = try LayoutUpgrade(connection: function.redis, layout: layout).run { progress.append($0) }
        #expect(report.switched && report.pendingOutcomesMoved == 1, "\(report) \(progress)")
        #expect(try function.storeLayout() == .layout4)
        #expect(try function.redis.command(RedisCommand("EXISTS", layout.pending("acct-1"))) == .integer(0))

        #expect(try function.apply(bodies[0]).status == "duplicate", "layout 3's claim is found")
        #expect(try function.result(bodies[2]) == .pending(.rendered(layout3Outcomes[2])), "layout 3's outcome, byte for byte")
        let conflict = RecordStream.body(id: "\(prefix)-2", destination: "acct-1", value: "\"9\"")
        #expect(try function.apply(conflict).status == "conflict")
        #expect(try function.applications == 3, "nothing applied twice")

        let next = RecordStream.body(id: "\(prefix)-4", destination: "acct-1", value: "\"0.25\"")
        guard case .applied(.previous(_, let previous, _)) = try function.result(next) else { throw TestFailure("not applied") }
        var expected = Summary()
        for body in bodies { expected.add(try function.prepared(body).record) }
        #expect(previous == expected.json, "layout 3's decimal totals and layout 4's integers are one summary")
        expected.add(try function.prepared(next).record)
        let read = try SummaryReader(connection: function.redis, layout: layout).destination("acct-1")
        #expect(read.overall == expected && read.byReference.first?.summary == expected, "\(read.overall.json)")

        // The adopted outcome is forgotten like any other.
        try function.forget(["\(prefix)-3"], destination: "acct-1")
        #expect(try function.apply(bodies[2]).status == "duplicate")
        #expect(try LayoutUpgrade(connection: function.redis, layout: layout).run { _ in }.switched == false, "a second run changes nothing")
    }

    /// The aggregator may start first and create the log stream, empty:
    /// that Redis is still empty and starts on layout 4. Once a record was
    /// appended (by layout 3's Function), it is on layout 3, even after the
    /// aggregator trimmed the entry away.
    @Test func anEmptyRedisStartsOnLayout4EvenWithTheAggregatorsEmptyLog() throws {
        let environment = TestEnvironment("layout-start")
        defer { environment.cleanUp() }
        let function = try FunctionCaller(environment, readLayout: false)
        let log = environment.layout.log
        _ = try function.redis.command(RedisCommand("XGROUP", "CREATE", log, "indexer", "$", "MKSTREAM"))
        #expect(try function.storeLayout() == .layout4)
        #expect(try function.redis.command(RedisCommand("HGET", environment.layout.layoutVersion, "log")).text == "batches",
            "an empty Redis starts with a batched log")
        // The group is not registered as reading batch entries (an
        // aggregator of this release registers its own before creating
        // it): the log stays one entry per record, and `store layout` says why.
        let shown = try TallyCLI.run(environment, ["store", "layout"]).output
        #expect(shown.hasPrefix("4  (log=batches)\n") && shown.contains("not known to read batch entries: indexer ("), "\(shown)")

        var settings = environment.configuration
        settings.keyPrefix += ":v3"  // under the test's prefix, so its clean-up takes it too
        let other = try FunctionCaller(environment.with(settings), readLayout: false)
        #expect(try other.applyLayout3(RecordStream.body(id: "\(environment.runId)-1", destination: "acct-1", value: "1"))
            .elements?.first?.text == "applied")
        _ = try other.redis.command(RedisCommand("XTRIM", other.layout.log, "MAXLEN", "0"))
        #expect(try other.storeLayout() == .layout3)
        #expect(try other.redis.command(RedisCommand("HGET", other.layout.layoutVersion, "log")).text == nil)
    }

    /// A layout 4 Redis the previous release wrote (no `log` in the layout
    /// hash: one entry per record) keeps single entries until `tally store
    /// upgrade`, run once every aggregator reads batches, switches the log;
    /// from the next call on each call appends one entry. Run again, it
    /// changes nothing.
    @Test func theUpgradeSwitchesALayout4RedisToABatchedLog() throws {
        let environment = TestEnvironment("upgrade-log")
        defer { environment.cleanUp() }
        let function = try FunctionCaller(environment)
        let layout = environment.layout
        _ = try function.redis.command(RedisCommand("HDEL", layout.layoutVersion, "log"))  // as the previous release left it
        // The previous release's aggregator reads the log: its group is not
        // registered as reading batches until the upgrade registers it.
        _ = try function.redis.command(RedisCommand("XGROUP", "CREATE", layout.log, "aggregator", "$", "MKSTREAM"))
        let prefix = environment.runId
        let bodies = (1...4).map { RecordStream.body(id: "\(prefix)-\($0)", destination: "acct-1", value: "\"\($0)\"") }
        #expect(try function.apply(Array(bodies[0..<2])).map(\.status.text) == ["applied", "applied"])
        #expect(try TallyCLI.run(environment, ["store", "layout"]).output.hasPrefix("4  (log=per-record)\nworkers apply through "))

        let upgrade = try TallyCLI.run(environment, ["store", "upgrade"])
        #expect(upgrade.status == 0 && upgrade.output == "layout 4, log in batches (switched now): 0 pending outcomes moved\n",
            "\(upgrade)")
        #expect(try function.redis.command(RedisCommand("HGET", layout.layoutVersion, "log")).text == "batches")
        #expect(try TallyCLI.run(environment, ["store", "layout"]).output.hasPrefix(
            "4  (log=batches reader:aggregator=batches)\nworkers apply through "))

        #expect(try function.apply(Array(bodies[1...])).map(\.status.text) == ["pending", "applied", "applied"])
        let entries = try LogContents.entries(function.redis, layout.log)
        #expect(entries.map(\.records.count) == [1, 1, 2], "two single entries, then one for the call")
        #expect(try LogContents.recordIds(function.redis, layout.log) == (1...4).map { "\(prefix)-\($0)" })

        let again = try TallyCLI.run(environment, ["store", "upgrade"])
        #expect(again.status == 0 && again.output == "layout 4, log in batches: 0 pending outcomes moved\n", "\(again)")
    }

    /// The upgrade can land between a batch's apply (on layout 3) and its
    /// forget: the forget finds the outcome in the claim it was moved into.
    /// And only destinations' pending hashes are moved: a reference whose
    /// name ends in `}:pending` keeps its summary.
    @Test func aForgetAfterTheSwitchAndAReferenceNamedLikeAPendingHash() throws {
        let environment = TestEnvironment("upgrade-forget")
        defer { environment.cleanUp() }
        let function = try FunctionCaller(environment, readLayout: false)
        let layout = environment.layout
        let id = "\(environment.runId)-1"
        let body = RecordStream.body(id: id, destination: "acct-1", value: "\"4\"")
        let odd = RecordStream.body(id: "\(environment.runId)-2", destination: "acct-1", value: "\"1\"", reference: "x}:pending")
        for record in [body, odd] { #expect(try function.applyLayout3(record).elements?.first?.text == "applied") }
        _ = try function.redis.command(RedisCommand("HDEL", layout.pending("acct-1"), "\(environment.runId)-2"))
        let oddSummary = layout.referenceSummary("acct-1", reference: "x}:pending")
        #expect(try function.redis.command(RedisCommand("HGET", oddSummary, "count")).text == "1")

        let report = try LayoutUpgrade(connection: function.redis, layout: layout).run { _ in }
        #expect(report.pendingOutcomesMoved == 1 && report.pendingHashes == 1, "\(report)")
        #expect(try function.redis.command(RedisCommand("HGET", oddSummary, "count")).text == "1", "the summary is kept")
        #expect(try function.redis.command(RedisCommand("TTL", layout.claim(id))) == .integer(-1), "moved, unconfirmed")

        try function.forget([id], destination: "acct-1", fingerprints: [try function.prepared(body).fingerprint.description])
        #expect(try function.apply(body).status == "duplicate", "forgotten: a duplicate publishes nothing")
        #expect((try function.redis.command(RedisCommand("TTL", layout.claim(id))).integer ?? -1) > 0, "and the claim expires")
    }

    /// A version 4 worker on a layout 3 Redis applies with layout 3's
    /// Function beside a version 3 worker (here: the test, calling
    /// `tally_apply_v3` itself); the upgrade lands while it runs, and it
    /// carries on with layout 4 — one notification per record, every record
    /// applied once.
    @Test func aRunningWorkerMovesToLayout4WhenTheRedisIsUpgraded() throws {
        let environment = TestEnvironment("upgrade-live", batchSize: 20)
        defer { environment.cleanUp() }
        try environment.declareTopology()
        let notifications = try OutputTap(environment, exchange: environment.configuration.topology.notificationsExchange)
        let function = try FunctionCaller(environment, readLayout: false)
        let prefix = environment.runId
        // A version 3 worker applied this one before; its outputs were confirmed.
        let earlier = RecordStream.body(id: "\(prefix)-v3", destination: "acct-1", value: "\"2\"")
        #expect(try function.applyLayout3(earlier).elements?.first?.text == "applied")
        _ = try function.redis.command(RedisCommand("HDEL", environment.layout.pending("acct-1"), "\(prefix)-v3"))

        let worker = try WorkerProcess(environment)
        try worker.waitUntilConsuming()
        let before = RecordStream.valid(count: 200, prefix: "\(prefix)-a", seed: 7)
        try environment.publish(before + [earlier])
        try notifications.collect(atLeast: before.count)
        #expect(try function.redis.command(RedisCommand("HGET", environment.layout.layoutVersion, "version")).text == nil)
        #expect(try TallyCLI.run(environment, ["store", "layout"]).output == "3\n")

        // The operator's upgrade, through the command line.
        let upgrade = try TallyCLI.run(environment, ["store", "upgrade"])
        #expect(upgrade.status == 0 && upgrade.output.hasPrefix("layout 4 (switched now)"), "\(upgrade)")
        #expect(try TallyCLI.run(environment, ["store", "layout"]).output.hasPrefix("4  (v3-switched-at="))
        let after = RecordStream.valid(count: 200, prefix: "\(prefix)-b", seed: 8)
        try environment.publish(after + before.prefix(50) + [earlier])
        try notifications.collect(atLeast: before.count + after.count)
        try waitUntil("the work queue to drain") { try environment.workQueueDepth() == 0 }
        worker.signal(SIGTERM)
        #expect(try worker.waitForExit() == 0)
        _ = try notifications.collect()

        let ids = notifications.messages.compactMap(\.messageId)
        #expect(ids.count == before.count + after.count, "one notification per record")
        #expect(Set(ids).count == ids.count, "no record published twice")
        #expect(try environment.appliedCount() == 1 + before.count + after.count, "every record applied once")
        #expect(try function.redis.command(RedisCommand("EXISTS", environment.layout.claim("\(prefix)-b-0"))) == .integer(1),
            "the second half went through layout 4")
    }
}
