import TallyCore
import TallyRedisClient
import TallyStore
import Testing

/// The Function on its own, against a real Redis.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct FunctionApplyTests {
    /// A claim can expire while its outcome is still unconfirmed (a
    /// redelivery later than the dedup window): the pending outcome, which
    /// never expires, must still stop a second application.
    @Test func pendingOutcomeOutlivesItsClaim() throws {
        let environment = TestEnvironment("pending")
        defer { environment.cleanUp() }
        let redis = try environment.redis()
        #expect(try redis.command(RedisCommand("FUNCTION", "LOAD", "REPLACE", TallyFunctionLibrary.source)).errorMessage == nil)
        let layout = environment.layout
        func apply(_ body: [UInt8]) throws -> RedisReply {
            let record = try RecordValidator().validate(body).get()
            let prepared = PreparedRecord(record, alerts: AlertPolicy())
            // The fixtures' window (the records carry fixed 2026 dates).
            let dedup = environment.configuration.dedup
            let call = ApplyCall(layout: layout, bucketSeconds: dedup.bucketSeconds, buckets: dedup.buckets, aheadSeconds: dedup.aheadSeconds)
            var command = RedisCommand()
            command.appendArguments { bytes, lengths in
                call.write(
                    prepared.record, fingerprint: prepared.fingerprint, alertThreshold: prepared.alertThreshold,
                    into: &bytes, lengths: &lengths)
            }
            return try redis.command(command)
        }
        let original = RecordStream.body(id: "\(environment.runId)-1", destination: "acct-1", value: "\"5\"")
        let first = try apply(original)
        #expect(first.elements?.first?.text == "applied")

        // The claims expire (simulated); the outcome was never confirmed.
        let shards = try redis.command(RedisCommand("KEYS", layout.claims("\(environment.runId)-1") + ":*")).elements ?? []
        #expect(!shards.isEmpty)
        for shard in shards { _ = try redis.command(RedisCommand("DEL", shard.text ?? "")) }

        let again = try apply(original)
        #expect(again.elements?.first?.text == "pending", "\(again)")
        #expect(again.elements?.last == first.elements?.last, "the stored bytes, unchanged")
        let conflicting = RecordStream.body(id: "\(environment.runId)-1", destination: "acct-1", value: "\"6\"")
        #expect(try apply(conflicting).elements?.first?.text == "conflict")
        #expect(try redis.command(RedisCommand("XLEN", layout.log)) == .integer(1), "applied once")
        #expect(try redis.command(RedisCommand("HGET", layout.destinationSummary("acct-1"), "count")).text == "1")
    }
}
