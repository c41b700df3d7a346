import TallyCore
import TallyRedisClient
import TallyStore

/// Calls tally's Redis Functions directly, with the arguments a worker
/// writes, for the tests of the Functions alone.
struct FunctionCaller {
    let redis: RedisConnection
    let layout: RedisKeyLayout
    let bucketSeconds: Int, buckets: Int, aheadSeconds: Int
    var alerts = AlertPolicy()

    /// - Parameter readLayout: ask for the layout first, as a worker does at
    ///   start (an empty Redis starts on layout 4); false leaves a fresh Redis
    ///   without a layout, as version 3 left it.
    init(
        _ environment: TestEnvironment, bucketSeconds: Int? = nil, buckets: Int? = nil, aheadSeconds: Int? = nil,
        readLayout: Bool = true
    ) throws {
        redis = try environment.redis()
        layout = environment.layout
        // The fixtures' window by default (the records carry fixed 2026 dates).
        let dedup = environment.configuration.dedup
        self.bucketSeconds = bucketSeconds ?? dedup.bucketSeconds
        self.buckets = buckets ?? dedup.buckets
        self.aheadSeconds = aheadSeconds ?? dedup.aheadSeconds
        try TallyFunctionLibrary.load(on: redis)
        if readLayout { _ = try RecordStore.layout(of: redis, layout) }
    }

    func prepared(_ body: [UInt8]) throws -> PreparedRecord {
        PreparedRecord(try RecordValidator().validate(body).get(), alerts: alerts)
    }

    /// One `tally_apply_v4` for `bodies`, its reply as Redis gave it.
    func applyReply(_ bodies: [[UInt8]]) throws -> RedisReply {
        let call = ApplyBatchCall(layout: layout, bucketSeconds: bucketSeconds, buckets: buckets, aheadSeconds: aheadSeconds)
        var command = RedisCommand()
        call.write(try bodies.map(prepared), into: &command)
        return try redis.command(command)
    }

    /// One `tally_apply_v4` for `bodies`: each record's status and what goes with it.
    func apply(_ bodies: [[UInt8]]) throws -> [(status: RedisReply, detail: RedisReply)] {
        let reply = try applyReply(bodies)
        guard let replies = reply.elements, replies.count == 2 * bodies.count else {
            throw TestFailure("\(ApplyBatchCall.function): \(reply)")
        }
        return (0..<bodies.count).map { (replies[2 * $0], replies[2 * $0 + 1]) }
    }

    /// One record through `tally_apply_v4`: its status and what goes with it.
    func apply(_ body: [UInt8]) throws -> (status: String, detail: String?) {
        let reply = try apply([body])[0]
        guard let status = reply.status.text else { throw TestFailure("reply \(reply)") }
        return (status, reply.detail.text.flatMap { $0.isEmpty ? nil : $0 })
    }

    /// What `tally_apply_v4` answered, read as the worker reads it.
    func result(_ body: [UInt8]) throws -> ApplyResult {
        let reply = try apply([body])[0]
        return RecordStore.layout4Result(status: reply.status, detail: reply.detail)
    }

    /// One record through layout 3's `tally_apply_v3`, as a version 3 worker applies it.
    func applyLayout3(_ body: [UInt8]) throws -> RedisReply {
        let prepared = try prepared(body)
        let call = ApplyCall(layout: layout, bucketSeconds: bucketSeconds, buckets: buckets, aheadSeconds: aheadSeconds)
        var command = RedisCommand()
        command.appendArguments { bytes, lengths in
            call.write(
                prepared.record, fingerprint: prepared.fingerprint, alertThreshold: prepared.alertThreshold,
                into: &bytes, lengths: &lengths)
        }
        return try redis.command(command)
    }

    /// The broker confirmed these records' outputs: the worker's forget
    /// (without `fingerprints`, the Function takes each from its claim).
    func forget(_ ids: [String], destination: String, fingerprints: [String]? = nil) throws {
        var command = RedisCommand(
            "FCALL", TallyFunctionLibrary.forget, "1", layout.layoutVersion,
            String(bucketSeconds * (buckets - 1) + aheadSeconds), layout.prefix)
        for (index, id) in ids.enumerated() {
            command.append(id)
            command.append(layout.destinationBase(destination))
            command.append(fingerprints?[index] ?? "")  // empty: the Function reads it from the claim
        }
        let reply = try redis.command(command)
        guard reply.errorMessage == nil else { throw TestFailure("\(TallyFunctionLibrary.forget): \(reply)") }
    }

    /// The layout the Redis holds (starting an empty one on layout 4).
    func storeLayout() throws -> RecordStore.StoreLayout {
        try RecordStore.layout(of: redis, layout)
    }

    /// Records applied so far: records in the log, not entries.
    var applications: Int { get throws { try LogContents.recordCount(redis, layout.log) } }
}
