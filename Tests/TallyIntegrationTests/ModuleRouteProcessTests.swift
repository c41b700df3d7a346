import Foundation
import Testing
import TallyCore
import TallyRedisClient
import TallyStore

/// Workers apply through the tally Redis module where Redis loaded it
/// (`make test`'s Redis does), through the Function where it did not, and
/// move from one to the other under load without losing or doubling a
/// record: a module unloaded under them, and a batch the module declines.
@Suite(.serialized)
struct ModuleRouteProcessTests {
    @Test func workersApplyThroughTheModuleWhereRedisHasIt() throws {
        let environment = TestEnvironment("module-route")
        defer { environment.cleanUp() }
        try #require(try RedisModuleSwitch(environment: environment).isLoaded(), "make test's Redis loads the tally module (scripts/up.sh)")
        let callsBefore = try Self.moduleApplyCalls(environment)
        _ = try run(environment, records: 300, seed: 11, fault: "none") { _ in }
        #expect(try Self.moduleApplyCalls(environment) > callsBefore, "the batches went through TALLY.APPLY_V4")
    }

    /// As a failover to a Redis started without the module would: the
    /// next call answers "unknown command", the worker reconnects and
    /// applies through the Function.
    @Test func aModuleUnloadedUnderARunningWorkerLeavesTheFunction() throws {
        let environment = TestEnvironment("module-unload")
        defer { environment.cleanUp() }
        let module = RedisModuleSwitch(environment: environment)
        try #require(try module.isLoaded(), "make test's Redis loads the tally module (scripts/up.sh)")
        defer { if (try? module.isLoaded()) == false { try? module.load() } }
        let log = try run(environment, records: 300, seed: 12, fault: "tally module unloaded under a running worker") { _ in
            try module.unload()
        }
        #expect(log.contains("through the tally module"))
        #expect(log.contains("through the Function"))
    }

    /// A batch the module does not do natively (here: layout 3's pending
    /// outcomes marked as still migrating, set behind the worker's back)
    /// is declined before anything is written; the worker reconnects and
    /// the Function applies it.
    @Test func aBatchTheModuleDeclinesGoesToTheFunction() throws {
        let environment = TestEnvironment("module-decline")
        defer { environment.cleanUp() }
        try #require(try RedisModuleSwitch(environment: environment).isLoaded(), "make test's Redis loads the tally module (scripts/up.sh)")
        let layoutHash = RedisKeyLayout(prefix: environment.configuration.keyPrefix).layoutVersion
        let log = try run(environment, records: 300, seed: 13, fault: "a batch the tally module declines") { redis in
            let reply = try redis.command(RedisCommand("HSET", layoutHash, "v3-pending", "migrating"))
            #expect(reply == .integer(1))
        }
        #expect(log.contains(TallyModule.declineCode))
        #expect(log.contains("through the Function"))
    }

    /// `tally store layout` says which route workers take, and why not the
    /// module when they do not: layout 3's claims still looked up, its
    /// pending outcomes being moved, the module not loaded.
    @Test func storeLayoutNamesTheRoute() throws {
        let environment = TestEnvironment("module-store-layout")
        defer { environment.cleanUp() }
        let module = RedisModuleSwitch(environment: environment)
        try #require(try module.isLoaded(), "make test's Redis loads the tally module (scripts/up.sh)")
        defer { if (try? module.isLoaded()) == false { try? module.load() } }
        let caller = try FunctionCaller(environment)  // an empty prefix: put on layout 4
        let layoutHash = environment.layout.layoutVersion
        func shown() throws -> String { try TallyCLI.run(environment, ["store", "layout"]).output }

        var output = try shown()
        #expect(output.contains("\nworkers apply through the tally module (TALLY.APPLY_V4)\n"), "\(output)")

        let now = Int(Date().timeIntervalSince1970)
        _ = try caller.redis.command(RedisCommand("HSET", layoutHash, "v3-switched-at", "\(now)"))
        output = try shown()
        #expect(output.contains("workers apply through the Function (tally_apply_v4): layout 3's claims may still be looked up, for "),
            "\(output)")
        // The tests' dedup window is 30 years: a switch in 1970 is past it.
        _ = try caller.redis.command(RedisCommand("HSET", layoutHash, "v3-switched-at", "1"))
        #expect(try shown().contains("through the tally module"), "a switch long past: the window is closed")

        _ = try caller.redis.command(RedisCommand("HSET", layoutHash, "v3-pending", "migrating"))
        output = try shown()
        #expect(output.contains("(tally_apply_v4): layout 3's pending outcomes are being moved"), "\(output)")
        _ = try caller.redis.command(RedisCommand("HDEL", layoutHash, "v3-pending", "v3-switched-at"))

        try module.unload()
        output = try shown()
        #expect(output.contains("(tally_apply_v4): this Redis has not loaded the tally module"), "\(output)")
    }

    /// One worker, `records` records in two halves; `fault` acts between
    /// them. Every record's effect once, every notification consistent.
    /// Returns the worker's log.
    private func run(
        _ environment: TestEnvironment, records count: Int, seed: UInt64, fault: String, _ between: (RedisConnection) throws -> Void
    ) throws -> String {
        try environment.declareTopology()
        let notifications = try OutputTap(environment, exchange: environment.configuration.topology.notificationsExchange)
        let records = RecordStream.valid(count: count, prefix: environment.runId, seed: seed)
        let oracle = try Oracle(records)
        let worker = try WorkerProcess(environment)
        try worker.waitUntilConsuming()
        try environment.publish(Array(records.prefix(count / 2)))
        try notifications.collect(atLeast: count / 2)
        try between(try environment.redis())
        try environment.publish(Array(records.dropFirst(count / 2)))
        try notifications.collect(atLeast: count)
        worker.signal(SIGTERM)
        #expect(try worker.waitForExit() == 0)
        if fault != "none" {
            let outcome = try FaultReport.count(environment, oracle: oracle, notifications: notifications.messages)
            FaultReport.record(fault, records: count, faults: 1, outcome)
        }
        try FleetChecks.notificationsConsistent(notifications.messages, oracle: oracle)
        try FleetChecks.effectsExactlyOnce(environment, oracle: oracle)
        return worker.log
    }

    /// `calls=` of `TALLY.APPLY_V4` in `INFO commandstats`.
    private static func moduleApplyCalls(_ environment: TestEnvironment) throws -> Int {
        let info = try environment.redis().command(RedisCommand("INFO", "commandstats")).text ?? ""
        guard let line = info.split(whereSeparator: \.isNewline).first(where: { $0.hasPrefix("cmdstat_tally.apply_v4:") }),
            let calls = line.split(separator: ":")[1].split(separator: ",").first?.split(separator: "=").last
        else { return 0 }
        return Int(calls) ?? 0
    }
}
