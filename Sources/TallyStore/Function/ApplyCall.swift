import TallyCore

/// The arguments of one `FCALL tally_apply_v3` (the Redis Function in
/// `Resources/tally_v3.lua`, which documents each KEY and ARGV), written for a
/// record straight into a command's argument buffer.
///
/// This is the worker's per-record hot path on the Swift side, so it makes
/// no `String` per argument: keys, fingerprint and JSON go byte by byte into
/// `bytes`, and `lengths` gets each argument's length. The canonical record
/// travels once; the Function builds the notification and the alert around
/// it (before, the record was sent three times: alone, inside the
/// notification prefix and inside the alert).
public struct ApplyCall: Sendable {
    public let layout: RedisKeyLayout
    /// ARGV 10, 11 and 13, the same for every call.
    let dedup: DedupArguments

    public init(layout: RedisKeyLayout, bucketSeconds: Int, buckets: Int, aheadSeconds: Int) {
        self.layout = layout
        self.dedup = DedupArguments(bucketSeconds: bucketSeconds, buckets: buckets, aheadSeconds: aheadSeconds)
    }

    /// Appends `FCALL tally_apply_v3 4 KEYS… ARGV…` for `record`.
    /// - Parameter alertThreshold: the threshold the record's value exceeds
    ///   (``AlertPolicy/thresholdExceeded(by:)``), or nil for no alert.
    public func write(
        _ record: Record, fingerprint: RecordFingerprint, alertThreshold: ExactDecimal?,
        into bytes: inout [UInt8], lengths: inout [Int]
    ) {
        @inline(__always) func argument(_ write: (inout [UInt8]) -> Void) {
            let start = bytes.count
            write(&bytes)
            lengths.append(bytes.count - start)
        }
        argument { $0.append(contentsOf: "FCALL".utf8) }
        argument { $0.append(contentsOf: Self.function.utf8) }
        argument { $0.append(UInt8(ascii: "4")) }
        // KEYS
        argument { layout.appendDestinationBase(record.destinationId, to: &$0) }
        argument { layout.appendReferenceSummary(record.destinationId, reference: record.reference, to: &$0) }
        argument { layout.appendLog(to: &$0) }
        argument { layout.appendClaims(record.recordId, to: &$0) }
        // ARGV
        argument { $0.append(contentsOf: record.recordId.utf8) }
        argument { fingerprint.appendHex(to: &$0) }
        argument { $0.append(contentsOf: record.type.rawValue.utf8) }
        argument { $0.append(contentsOf: record.value.description.utf8) }
        argument { $0.append(contentsOf: record.unit.utf8) }
        argument { $0.append(contentsOf: record.reference.utf8) }
        argument { OutputComposer.appendNotificationTail(record, to: &$0) }
        argument { if let alertThreshold { $0.append(contentsOf: alertThreshold.description.utf8) } }
        argument { record.appendCanonicalJSON(to: &$0) }
        argument { $0.append(contentsOf: dedup.bucketSeconds) }
        argument { $0.append(contentsOf: dedup.buckets) }
        argument { $0.append(contentsOf: String(record.time.epochSeconds).utf8) }
        argument { $0.append(contentsOf: dedup.aheadSeconds) }
    }

    /// The function called: version 3 of the library, whose ARGV 12 and 13
    /// are the record's time and how far ahead it may be
    /// (``TallyFunctionLibrary`` loads it under this name).
    public static let function = "tally_apply_v3"

    /// Arguments per call: FCALL, the name, the key count, 4 keys, 13 ARGV.
    public static let argumentCount = 20
}
