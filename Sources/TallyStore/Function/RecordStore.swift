import Synchronization
import TallyCore
import TallyRedisClient

/// The worker's view of Redis: apply records through the tally Function and
/// forget outcomes once the broker confirmed them. Confined to one thread,
/// like the connection it owns.
///
/// Which calls it makes depends on the Redis's layout (``StoreLayout``): on
/// layout 4 one `tally_apply_v4` per batch; on layout 3, while version 3
/// workers may still run beside it, one `tally_apply_v3` per record, as they
/// do, until an operator runs `tally store upgrade`.
public final class RecordStore {
    /// How a Redis keeps tally's state (docs/architecture.md, "Keys").
    public enum StoreLayout: String, Sendable {
        /// Version 3's: claims in dedup buckets, pending outcomes rendered,
        /// totals as decimal strings.
        case layout3 = "3"
        /// Claims one key per recordId, integer totals, one call per batch.
        case layout4 = "4"
    }

    private let connection: RedisConnection
    private let layout: RedisKeyLayout
    private let layout3Call: ApplyCall
    private let batchCall: ApplyBatchCall
    private let replicaAcknowledgement: ReplicaAcknowledgement?
    /// The layout the Redis holds, as far as this store knows: it moves
    /// from 3 to 4 when an apply finds the Redis upgraded.
    public private(set) var storeLayout: StoreLayout
    /// The layout each outstanding call was sent for, so that its answers
    /// are read as they were sent.
    private var applySentFor = StoreLayout.layout4
    /// The buffer each batch's call is written into.
    private var batchCommand = RedisCommand()
    /// How layout 4 batches are applied and forgotten: through the tally
    /// module where this Redis loaded it, else through the Function.
    public private(set) var applyRoute = ApplyRoute.function
    /// When ``applyRoute`` was last chosen: it is chosen again a minute
    /// later, so a module loaded or unloaded, or layout 3's window closing,
    /// is noticed without a reconnect.
    private var routeChosenAt = ContinuousClock.now
    private static let routeLifetime = Duration.seconds(60)
    /// The last time a module call declined a batch (``TallyModule/declineCode``),
    /// in this process: for ten minutes after, its stores take the Function's
    /// route, so a decline cannot turn into a loop of reconnects.
    private static let moduleDeclinedAt = Mutex<ContinuousClock.Instant?>(nil)
    private static let afterDecline = Duration.seconds(600)

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
        self.layout3Call = ApplyCall(layout: layout, bucketSeconds: bucketSeconds, buckets: buckets, aheadSeconds: aheadSeconds)
        self.batchCall = ApplyBatchCall(layout: layout, bucketSeconds: bucketSeconds, buckets: buckets, aheadSeconds: aheadSeconds)
        self.storeLayout = .layout4
        try loadFunctions()
        storeLayout = try Self.layout(of: connection, layout)
        try chooseRoute()
    }

    /// The module's route where the Redis has the module, holds layout 4
    /// and no longer reads layout 3's data (``Layout3Window``), unless a
    /// module call declined a batch in the last ten minutes; else the
    /// Function's (``TallyModule/route(on:layoutHash:dedup:)``).
    private func chooseRoute() throws(RedisError) {
        routeChosenAt = .now
        let declined = Self.moduleDeclinedAt.withLock { $0 }.map { .now - $0 < Self.afterDecline } ?? false
        guard storeLayout == .layout4, !declined else {
            applyRoute = .function
            return
        }
        applyRoute = try TallyModule.route(on: connection, layoutHash: layout.layoutVersion, dedup: batchCall.dedup).route
    }

    /// Loads (or replaces) both tally libraries; safe to repeat.
    public func loadFunctions() throws(RedisError) {
        try TallyFunctionLibrary.load(on: connection)
    }

    /// The layout `connection`'s Redis holds; an empty Redis starts on
    /// layout 4 (`tally_layout_v4`).
    public static func layout(of connection: RedisConnection, _ layout: RedisKeyLayout) throws(RedisError) -> StoreLayout {
        let reply = try connection.command(
            RedisCommand("FCALL", TallyFunctionLibrary.layout, "2", layout.layoutVersion, layout.log))
        guard let text = reply.text, let found = StoreLayout(rawValue: text) else {
            throw RedisError(.unexpectedReply, "\(TallyFunctionLibrary.layout): \(reply.errorMessage ?? "\(reply)")")
        }
        return found
    }

    /// Sends the apply of `records` without waiting for the answers, which
    /// ``receiveApplied(count:)`` reads later: Redis applies them while the
    /// caller waits for the previous batch's confirms. One call on layout
    /// 4; on layout 3 one call per record in one transaction (one round trip
    /// and one AOF fsync), watched so that it is not applied if the Redis
    /// is upgraded meanwhile (the batch is redelivered then).
    ///
    /// With a ``ReplicaAcknowledgement``, the marker write and `WAIT`
    /// follow in the same round trip.
    public func sendApply(_ records: [PreparedRecord]) throws(RedisError) {
        if storeLayout == .layout3 { try checkStillLayout3() }
        if ContinuousClock.now - routeChosenAt >= Self.routeLifetime { try chooseRoute() }
        applySentFor = storeLayout
        switch storeLayout {
        case .layout4:
            batchCommand.removeAll()
            batchCall.write(records, route: applyRoute, into: &batchCommand)
            try connection.append(batchCommand)
            if replicaAcknowledgement == nil { try connection.flush() }
        case .layout3:
            try connection.sendTransaction(count: records.count) { index, command in
                Self.write(records[index], with: layout3Call, into: &command)
            }
        }
        if let wait = replicaAcknowledgement {
            try connection.append(RedisCommand("INCR", layout.replicationMarker))
            try connection.append(RedisCommand("WAIT", String(wait.replicas), String(wait.timeoutMilliseconds)))
            try connection.flush()
        }
    }

    /// On layout 3: watches the layout hash and reads it, in one round
    /// trip; if the Redis was upgraded since, the store moves to layout 4.
    private func checkStillLayout3() throws(RedisError) {
        let replies = try connection.pipeline([
            RedisCommand("WATCH", layout.layoutVersion), RedisCommand("HGET", layout.layoutVersion, "version"),
        ])
        if let error = replies[0].errorMessage { throw RedisError(.unexpectedReply, "WATCH: \(error)") }
        if replies[1].text == StoreLayout.layout4.rawValue {
            _ = try connection.command(RedisCommand("UNWATCH"))
            storeLayout = .layout4
            try chooseRoute()
        }
    }

    /// The answers to ``sendApply(_:)``, one per record.
    ///
    /// An error about one record (a key of the wrong type) is its answer,
    /// ``ApplyResult/failed(_:)``: that record is dead-lettered alone. An
    /// error about the server's state — out of memory, busy, loading, a
    /// read-only replica, a library missing, a layout changed under the
    /// call, a batched log that cannot be appended to (`TRYAGAIN`) — would
    /// fail every record alike and says nothing about them: it is thrown,
    /// the caller reconnects (which reloads the libraries and reads the
    /// layout again) and the batch is redelivered.
    public func receiveApplied(count: Int) throws(RedisError) -> [ApplyResult] {
        let results: [ApplyResult]
        switch applySentFor {
        case .layout4:
            let reply = try connection.readReply()
            if let error = reply.errorMessage {
                if error.hasPrefix(TallyModule.declineCode) { Self.moduleDeclinedAt.withLock { $0 = .now } }
                guard !Self.isServerStateError(error) else {
                    throw RedisError(.unexpectedReply, "Redis cannot apply now (\(error)); the batch will be redelivered")
                }
                results = Array(repeating: .failed(error), count: count)
            } else {
                guard let replies = reply.elements, replies.count == 2 * count else {
                    throw RedisError(.unexpectedReply, "\(ApplyBatchCall.function): \(count) answers expected, got \(reply)")
                }
                results = (0..<count).map { Self.layout4Result(status: replies[2 * $0], detail: replies[2 * $0 + 1]) }
            }
        case .layout3:
            let replies: [RedisReply]
            do {
                replies = try connection.receiveTransaction(count: count)
            } catch {
                throw RedisError(error.code, "\(error.message) (on layout 3; the layout may have changed under the batch)")
            }
            results = replies.map(Self.layout3Result(of:))
        }
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
    /// producer duplicates re-publish nothing, and starts the claims'
    /// expiry. One `tally_forget_v4` on either layout: it removes the
    /// outcome wherever it is when the call lands — layout 3's pending hash,
    /// or the claim `tally store upgrade` moved it into — so an upgrade
    /// between a batch's apply and its forget leaves nothing behind.
    /// Sent behind any pending apply; answered by ``receiveForgotten(count:)``.
    public func sendForget(_ outputs: [RecordOutputs]) throws(RedisError) {
        guard !outputs.isEmpty else { return }
        batchCommand.removeAll()
        switch applyRoute {
        case .function:
            batchCommand.append("FCALL")
            batchCommand.append(TallyFunctionLibrary.forget)
        case .module:
            batchCommand.append(TallyModule.forget)
        }
        batchCommand.append("1")
        batchCommand.append(layout.layoutVersion)
        batchCommand.append(batchCall.dedup.claimSeconds)
        batchCommand.append(layout.prefix)
        for output in outputs {
            batchCommand.append(output.recordId)
            batchCommand.appendArgument { layout.appendDestinationBase(output.destinationId, to: &$0) }
            batchCommand.appendArgument { output.fingerprint?.appendHex(to: &$0) }
        }
        try connection.append(batchCommand)
        try connection.flush()
    }

    public func receiveForgotten(count: Int) throws(RedisError) {
        guard count > 0 else { return }
        let reply = try connection.readReply()
        if let error = reply.errorMessage {
            if error.hasPrefix(TallyModule.declineCode) { Self.moduleDeclinedAt.withLock { $0 = .now } }
            throw RedisError(.unexpectedReply, "\(applyRoute == .module ? TallyModule.forget : TallyFunctionLibrary.forget): \(error)")
        }
    }

    private static func write(_ prepared: PreparedRecord, with call: ApplyCall, into command: inout RedisCommand) {
        command.appendArguments { bytes, lengths in
            call.write(
                prepared.record, fingerprint: prepared.fingerprint, alertThreshold: prepared.alertThreshold,
                into: &bytes, lengths: &lengths)
        }
    }

    /// One record's answer from `tally_apply_v4`: a status and what goes
    /// with it (the stored outcome, after the 16-hex fingerprint).
    public static func layout4Result(status: RedisReply, detail: RedisReply) -> ApplyResult {
        guard let status = status.text else { return .failed("unexpected reply \(status)") }
        switch status {
        case "applied", "pending":
            guard case .string(let stored) = detail, stored.count > 16 else { return .failed("no outcome in \(detail)") }
            do {
                // After the 16-hex fingerprint; read from the reply's bytes.
                let outcome = try stored.withUnsafeBufferPointer { bytes in
                    Result { () throws(StoredSummaryError) in try StoredOutcome(layout4: UnsafeBufferPointer(rebasing: bytes[16...])) }
                }.get()
                return status == "applied" ? .applied(outcome) : .pending(outcome)
            } catch {
                return .failed("unreadable outcome: \(error)")
            }
        case "duplicate": return .duplicate
        case "conflict": return .conflict
        case "outside-window": return .outsideWindow(detail.text ?? "old")
        case "failed": return .failed(detail.text ?? "failed")
        default: return .failed("unknown status \(status)")
        }
    }

    /// One record's answer from `tally_apply_v3`: an array of the status
    /// and the rendered outputs.
    public static func layout3Result(of reply: RedisReply) -> ApplyResult {
        if let error = reply.errorMessage { return .failed(error) }
        guard let parts = reply.elements, let status = parts.first?.text else {
            return .failed("unexpected reply \(reply)")
        }
        let detail = parts.count > 1 ? parts[1].text : nil
        switch status {
        case "applied": return detail.map { .applied(.rendered($0)) } ?? .failed("no outcome")
        case "pending": return detail.map { .pending(.rendered($0)) } ?? .failed("no outcome")
        case "duplicate": return .duplicate
        case "conflict": return .conflict
        case "outside-window": return .outsideWindow(detail ?? "old")
        default: return .failed("unknown status \(status)")
        }
    }

    /// Error codes that describe the server, not the record (Redis's reply
    /// prefixes; a Function's failing `redis.call` keeps the inner code).
    /// The module's decline is one too: the batch goes to the Function after
    /// the reconnect.
    static let serverStateCodes: Set<String> = [
        "OOM", "BUSY", "LOADING", "READONLY", "MASTERDOWN", "NOREPLICAS", "MISCONF", "TRYAGAIN", "CLUSTERDOWN", "NOSCRIPT",
        TallyModule.declineCode,
    ]

    /// Also a library or a module command missing (a Redis that lost its
    /// data, or one started without the module after a failover): the
    /// reconnect loads the libraries and chooses the route again.
    static func isServerStateError(_ message: String) -> Bool {
        let code = message.prefix { $0 != " " }
        return serverStateCodes.contains(String(code)) || message.contains("OOM command not allowed")
            || message.contains("Function not found") || message.contains("function not found")
            || message.hasPrefix("ERR unknown command")
    }
}
