import TallyCore
import TallyRedisClient

/// The worker's view of Redis: apply records through the tally Function and
/// forget outcomes once the broker confirmed them. Confined to one thread,
/// like the connection it owns.
public final class RecordStore {
    private let connection: RedisConnection
    private let layout: RedisKeyLayout
    private let call: ApplyCall
    private let replicaAcknowledgement: ReplicaAcknowledgement?

    /// - Parameters:
    ///   - bucketSeconds, buckets, aheadSeconds: the dedup window (the worker's `dedup.*`).
    ///   - replicaAcknowledgement: replicas that must hold each batch's
    ///     writes before its outputs go out: a marker write and `WAIT`
    ///     follow each apply (``receiveReplicaAcknowledgement()``,
    ///     ``waitForReplicas()``); nil or 0 replicas: none.
    public init(
        connection: RedisConnection, layout: RedisKeyLayout, bucketSeconds: Int, buckets: Int, aheadSeconds: Int,
        replicaAcknowledgement: ReplicaAcknowledgement? = nil
    ) throws(RedisError) {
        self.connection = connection
        self.layout = layout
        self.replicaAcknowledgement = replicaAcknowledgement.flatMap { $0.replicas > 0 ? $0 : nil }
        self.call = ApplyCall(layout: layout, bucketSeconds: bucketSeconds, buckets: buckets, aheadSeconds: aheadSeconds)
        try loadFunctions()
    }

    /// Loads (or replaces) the tally library; safe to repeat.
    public func loadFunctions() throws(RedisError) {
        let reply = try connection.command(RedisCommand("FUNCTION", "LOAD", "REPLACE", TallyFunctionLibrary.source))
        if let error = reply.errorMessage { throw RedisError(.unexpectedReply, "FUNCTION LOAD: \(error)") }
    }

    /// Sends one `FCALL tally_apply_v3` per record, all in one transaction:
    /// one round trip and one AOF fsync for the batch (see
    /// `RedisConnection.transaction`). Redis applies them while the caller
    /// waits for the previous batch's confirms; ``receiveApplied(count:)``
    /// collects the answers, in the order requests were sent.
    ///
    /// With a ``ReplicaAcknowledgement``, the marker write and `WAIT` follow
    /// the transaction in the same round trip.
    public func sendApply(_ records: [PreparedRecord]) throws(RedisError) {
        try connection.sendTransaction(count: records.count) { index, command in
            Self.write(records[index], with: call, into: &command)
        }
        if let wait = replicaAcknowledgement {
            try connection.append(RedisCommand("INCR", layout.replicationMarker))
            try connection.append(RedisCommand("WAIT", String(wait.replicas), String(wait.timeoutMilliseconds)))
            try connection.flush()
        }
    }

    /// The answers to ``sendApply(_:)``.
    ///
    /// An error about one record (a key of the wrong type) is its answer,
    /// ``ApplyResult/failed(_:)``: that record is dead-lettered alone. An
    /// error about the server's state — out of memory, busy, loading, a
    /// read-only replica, the library missing — would fail every record
    /// alike and says nothing about them: it is thrown, the caller
    /// reconnects (which reloads the library) and the batch is redelivered.
    public func receiveApplied(count: Int) throws(RedisError) -> [ApplyResult] {
        let results = try connection.receiveTransaction(count: count).map(Self.result(of:))
        if let serverError = results.lazy.compactMap({ if case .failed(let m) = $0, Self.isServerStateError(m) { m } else { nil } }).first {
            throw RedisError(.unexpectedReply, "Redis cannot apply now (\(serverError)); the batch will be redelivered")
        }
        return results
    }

    /// The replicas that acknowledged the batch of ``sendApply(_:)`` (the
    /// answers to the marker write and `WAIT` behind it); nil without a
    /// ``ReplicaAcknowledgement``. Read right after ``receiveApplied(count:)``,
    /// before anything sent later.
    public func receiveReplicaAcknowledgement() throws(RedisError) -> Int? {
        guard replicaAcknowledgement != nil else { return nil }
        let marker = try connection.readReply()
        if let error = marker.errorMessage {
            throw RedisError(.unexpectedReply, "INCR \(layout.replicationMarker): \(error)")
        }
        return try Self.acknowledged(try connection.readReply())
    }

    /// `WAIT` again for the writes already sent (the connection's
    /// replication offset is unchanged): the replicas that hold them now.
    /// Only with no reply outstanding on the connection.
    public func waitForReplicas() throws(RedisError) -> Int {
        guard let wait = replicaAcknowledgement else { return 0 }
        return try Self.acknowledged(
            try connection.command(RedisCommand("WAIT", String(wait.replicas), String(wait.timeoutMilliseconds))))
    }

    /// Replicas required, 0 when none are.
    public var requiredReplicas: Int { replicaAcknowledgement?.replicas ?? 0 }

    private static func acknowledged(_ reply: RedisReply) throws(RedisError) -> Int {
        guard let count = reply.integer else {
            throw RedisError(.unexpectedReply, "WAIT: \(reply.errorMessage ?? "\(reply)")")
        }
        return Int(count)
    }

    /// Drops stored outcomes after their outputs were confirmed, so later
    /// producer duplicates re-publish nothing.
    /// Sent behind any pending apply; answered by ``receiveForgotten(count:)``.
    public func sendForget(_ outputs: [RecordOutputs]) throws(RedisError) {
        guard !outputs.isEmpty else { return }
        try connection.sendTransaction(count: outputs.count) { index, command in
            let outputs = outputs[index]
            command.append("HDEL")
            command.appendArgument { layout.appendPending(outputs.destinationId, to: &$0) }
            command.append(outputs.recordId)
        }
    }

    public func receiveForgotten(count: Int) throws(RedisError) {
        guard count > 0 else { return }
        let replies = try connection.receiveTransaction(count: count)
        if let error = replies.lazy.compactMap(\.errorMessage).first {
            throw RedisError(.unexpectedReply, "HDEL pending: \(error)")
        }
    }

    private static func write(_ prepared: PreparedRecord, with call: ApplyCall, into command: inout RedisCommand) {
        command.appendArguments { bytes, lengths in
            call.write(
                prepared.record, fingerprint: prepared.fingerprint, alertThreshold: prepared.alertThreshold,
                into: &bytes, lengths: &lengths)
        }
    }

    private static func result(of reply: RedisReply) -> ApplyResult {
        if let error = reply.errorMessage { return .failed(error) }
        guard let parts = reply.elements, let status = parts.first?.text else {
            return .failed("unexpected reply \(reply)")
        }
        switch status {
        case "applied": return parts.count > 1 ? .applied(storedOutcome: parts[1].text ?? "") : .failed("no outcome")
        case "pending": return parts.count > 1 ? .pending(storedOutcome: parts[1].text ?? "") : .failed("no outcome")
        case "duplicate": return .duplicate
        case "conflict": return .conflict
        case "outside-window": return .outsideWindow(parts.count > 1 ? parts[1].text ?? "old" : "old")
        default: return .failed("unknown status \(status)")
        }
    }

    /// Error codes that describe the server, not the record (Redis's reply
    /// prefixes; a Function's failing `redis.call` keeps the inner code).
    static let serverStateCodes: Set<String> = [
        "OOM", "BUSY", "LOADING", "READONLY", "MASTERDOWN", "NOREPLICAS", "MISCONF", "TRYAGAIN", "CLUSTERDOWN", "NOSCRIPT",
    ]

    static func isServerStateError(_ message: String) -> Bool {
        let code = message.prefix { $0 != " " }
        return serverStateCodes.contains(String(code)) || message.contains("OOM command not allowed")
            || message.contains("Function not found") || message.contains("function not found")
    }
}
