import Foundation
import TallyBroker
import TallyCore
import TallyRedisClient
import TallyStore
import TallyWorker
import Testing

/// Exactly once with no time window (docs/contract.md, invariant 1): the
/// real Function with a window of seconds, and a worker with the default
/// window refusing a record too old for it.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct DedupWindowTests {
    /// 2-second buckets, 3 of them: a 4-second window; 2 seconds ahead.
    static let bucketSeconds = 2, buckets = 3, aheadSeconds = 2
    static var windowSeconds: Int { bucketSeconds * (buckets - 1) }

    struct Function {
        let environment: TestEnvironment
        let caller: FunctionCaller
        var redis: RedisConnection { caller.redis }

        init(_ environment: TestEnvironment) throws {
            self.environment = environment
            caller = try FunctionCaller(
                environment, bucketSeconds: DedupWindowTests.bucketSeconds, buckets: DedupWindowTests.buckets,
                aheadSeconds: DedupWindowTests.aheadSeconds)
            #expect(try caller.storeLayout() == .layout4, "an empty Redis starts on layout 4")
        }

        /// Redis's clock, the one the Function reads.
        func now() throws -> Int {
            guard let seconds = try redis.command(RedisCommand("TIME")).elements?.first?.text.flatMap({ Int($0) }) else {
                throw TestFailure("TIME answered nothing")
            }
            return seconds
        }

        func body(_ id: String, at epochSeconds: Int) -> [UInt8] {
            let time = Date(timeIntervalSince1970: TimeInterval(epochSeconds))
            return RecordStream.body(id: id, time: ISO8601DateFormatter().string(from: time), destination: "acct-1", value: "\"5\"")
        }

        /// The Function's status for `body`: applied, pending, duplicate, conflict or outside-window.
        func apply(_ body: [UInt8]) throws -> (status: String, detail: String?) {
            try caller.apply(body)
        }

        /// The broker confirmed its outputs: what the worker's forget does.
        func forget(_ id: String) throws {
            try caller.forget([id], destination: "acct-1")
        }

        var applications: Int { get throws { try caller.applications } }
    }

    @Test func recordsOlderThanTheWindowOrTooFarAheadAreNotApplied() throws {
        let environment = TestEnvironment("window-edges")
        defer { environment.cleanUp() }
        let function = try Function(environment)
        let now = try function.now()
        let old = try function.apply(function.body("\(environment.runId)-old", at: now - Self.windowSeconds - 10))
        #expect(old.status == "outside-window" && old.detail == "old")
        let future = try function.apply(function.body("\(environment.runId)-future", at: now + Self.aheadSeconds + 60))
        #expect(future.status == "outside-window" && future.detail == "future")
        #expect(try function.apply(function.body("\(environment.runId)-soon", at: now + 1)).status == "applied")
        #expect(try function.apply(function.body("\(environment.runId)-recent", at: now - 1)).status == "applied")
        #expect(try function.applications == 2)
    }

    /// The duplicate of a confirmed record is a duplicate while the record
    /// is inside the window, and refused once it is older: never applied
    /// again, at any moment while its claim ages out.
    @Test func aDuplicateIsNeverAppliedAgainHoweverLateItComes() throws {
        let environment = TestEnvironment("window-late")
        defer { environment.cleanUp() }
        let function = try Function(environment)
        let id = "\(environment.runId)-r"
        let start = try function.now()
        let body = function.body(id, at: start - 1)
        #expect(try function.apply(body).status == "applied")
        try function.forget(id)
        #expect(try function.apply(body).status == "duplicate")

        // Until the record is well past the window and its claim bucket has
        // expired, ask again and again: duplicate, then outside-window, never applied.
        var answers: [String] = []
        try waitUntil("the record to age out of a \(Self.windowSeconds)-second window", timeout: .seconds(30)) {
            let answer = try function.apply(body).status
            if answers.last != answer { answers.append(answer) }
            let now = try function.now()
            return answer == "outside-window" && now > start + Self.windowSeconds + 2 * Self.bucketSeconds + 1
        }
        #expect(answers == ["duplicate", "outside-window"], "\(answers)")
        #expect(try function.applications == 1)
        #expect(
            try function.redis.command(RedisCommand("EXISTS", environment.layout.claim(id))) == .integer(0),
            "the claim expired: memory stays bounded")
    }

    /// The worker dead-letters a record the Function refuses for its time,
    /// with the reason and the field.
    @Test func theWorkerDeadLettersARecordOlderThanItsWindow() throws {
        let base = TestEnvironment("window-worker")
        var settings = base.configuration
        settings.dedup = DedupSettings()  // the default: 7 days
        let environment = base.with(settings)
        defer { environment.cleanUp() }
        try environment.declareTopology()
        let dead = try OutputTap(deadLettersOf: environment)
        let notifications = try OutputTap(environment, exchange: settings.topology.notificationsExchange)
        let tooOld = RecordStream.body(id: "\(environment.runId)-old", time: "2020-01-01T00:00:00Z", destination: "acct-1", value: "1")
        let now = ISO8601DateFormatter().string(from: Date())
        let fresh = RecordStream.body(id: "\(environment.runId)-new", time: now, destination: "acct-1", value: "2")
        try environment.publish([tooOld, fresh])
        let worker = try WorkerProcess(environment)
        try dead.collect(atLeast: 1)
        try notifications.collect(atLeast: 1)
        let letter = try #require(dead.messages.first)
        #expect(letter.body == tooOld)
        #expect(DeadLetterHeaders.describe(letter.headers).reason == "outside-dedup-window")
        #expect(letter.headers[DeadLetterHeaders.field]?.string == "time")
        #expect(notifications.messages.map(\.messageId) == ["\(environment.runId)-new"])
        worker.signal(SIGTERM)
        #expect(try worker.waitForExit() == 0)
        #expect(try environment.appliedCount() == 1)
    }
}
