import TallyCore
import TallyRedis

/// The worker's view of Redis: apply records through the tally Function and
/// forget outcomes once the broker confirmed them. Confined to one thread,
/// like the connection it owns.
final class RecordStore {
    private let connection: RedisConnection
    private let layout: RedisKeyLayout
    private let dedup: DedupSettings
    private let bucketSeconds: String
    private let buckets: String

    init(connection: RedisConnection, layout: RedisKeyLayout, dedup: DedupSettings) throws(RedisError) {
        self.connection = connection
        self.layout = layout
        self.dedup = dedup
        self.bucketSeconds = String(dedup.bucketSeconds)
        self.buckets = String(dedup.buckets)
        try loadFunctions()
    }

    /// Loads (or replaces) the tally library; safe to repeat.
    func loadFunctions() throws(RedisError) {
        let reply = try connection.command(RedisCommand("FUNCTION", "LOAD", "REPLACE", TallyFunctionLibrary.source))
        if let error = reply.errorMessage { throw RedisError(.unexpectedReply, "FUNCTION LOAD: \(error)") }
    }

    /// One `FCALL tally_apply` per record, pipelined: one round trip for the batch.
    func apply(_ records: [PreparedRecord]) throws(RedisError) -> [ApplyResult] {
        guard !records.isEmpty else { return [] }
        var results = try connection.pipeline(records.map(command(for:))).map(Self.result(of:))
        // A Redis that restarted empty (or was flushed) lost the library:
        // reload it and apply again. Applying is idempotent, so retrying the
        // calls that did succeed is harmless.
        if results.contains(where: { if case .failed(let message) = $0 { Self.isMissingFunction(message) } else { false } }) {
            try loadFunctions()
            results = try connection.pipeline(records.map(command(for:))).map(Self.result(of:))
        }
        return results
    }

    /// Drops stored outcomes after their outputs were confirmed, so later
    /// producer duplicates re-publish nothing (DESIGN.md, invariant 3).
    func forget(_ outputs: [RecordOutputs]) throws(RedisError) {
        guard !outputs.isEmpty else { return }
        let replies = try connection.pipeline(outputs.map {
            RedisCommand("HDEL", layout.pending($0.destinationId), $0.recordId)
        })
        if let error = replies.lazy.compactMap(\.errorMessage).first {
            throw RedisError(.unexpectedReply, "HDEL pending: \(error)")
        }
    }

    private func command(for prepared: PreparedRecord) -> RedisCommand {
        let record = prepared.record
        var command = RedisCommand("FCALL", "tally_apply", "4")
        command.append(layout.destinationBase(record.destinationId))
        command.append(layout.referenceSummary(record.destinationId, reference: record.reference))
        command.append(layout.log)
        command.append(layout.claims(record.recordId))
        command.append(record.recordId)
        command.append(prepared.fingerprint.description)
        command.append(record.type.rawValue)
        command.append(record.value.description)
        command.append(record.unit)
        command.append(record.reference)
        command.append(prepared.notificationPrefix)
        command.append(prepared.alert ?? "")
        command.append(prepared.canonicalJSON)
        command.append(bucketSeconds)
        command.append(buckets)
        return command
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
        default: return .failed("unknown status \(status)")
        }
    }

    private static func isMissingFunction(_ message: String) -> Bool {
        message.contains("Function not found") || message.contains("function not found")
    }
}

/// A valid record with everything the Function needs computed once.
struct PreparedRecord {
    let record: Record
    let canonicalJSON: String
    let fingerprint: RecordFingerprint
    let notificationPrefix: String
    let alert: String?

    init(_ record: Record, alerts: AlertPolicy) {
        self.record = record
        let canonical = record.canonicalJSON
        self.canonicalJSON = canonical
        self.fingerprint = RecordFingerprint(record)
        self.notificationPrefix = OutputComposer.notificationPrefix(record, canonicalJSON: canonical)
        self.alert = alerts.thresholdExceeded(by: record).map {
            OutputComposer.alert(canonicalJSON: canonical, threshold: $0)
        }
    }
}
