import TallyCore
import TallyRedisClient

/// The arguments of one `FCALL tally_apply_v4` (Redis layout 4; the Function
/// in `Resources/tally_v4.lua` documents each KEY and ARGV), written for a
/// whole batch straight into one command's argument buffer.
///
/// One call per batch, not per record: Redis parses one command, starts
/// one Function and propagates one transaction to the AOF and the replicas
/// for the batch. Each record's amount goes as the integer its summary
/// field adds (its significand and scale, for the field of its sign and
/// unit) when the significand is below 10^15, which keeps every integer
/// total exact in Lua's doubles; a longer amount goes as its decimal text
/// to the exact field. The field names are written here, not in Lua: every string
/// Lua makes is hashed whole and interned, which is most of a Function's
/// cost.
public struct ApplyBatchCall: Sendable {
    public let layout: RedisKeyLayout
    /// ARGV 1–3, the same for every call.
    let dedup: DedupArguments

    public init(layout: RedisKeyLayout, bucketSeconds: Int, buckets: Int, aheadSeconds: Int) {
        self.layout = layout
        self.dedup = DedupArguments(bucketSeconds: bucketSeconds, buckets: buckets, aheadSeconds: aheadSeconds)
    }

    /// Writes `FCALL tally_apply_v4 2 <layout> <log> ARGV…` for `records`
    /// into `command`, or the same after `TALLY.APPLY_V4` on the module's route.
    public func write(_ records: some Collection<PreparedRecord>, route: ApplyRoute = .function, into command: inout RedisCommand) {
        switch route {
        case .function:
            command.append(Self.fcall)
            command.append(Self.function)
        case .module:
            command.append(Self.moduleCommand)
        }
        command.append(Self.keyCount)
        command.append(layout.layoutVersion)
        command.appendArgument { layout.appendLog(to: &$0) }
        command.append(dedup.bucketSeconds)
        command.append(dedup.buckets)
        command.append(dedup.aheadSeconds)
        command.append(layout.prefix)
        command.append(String(records.count))
        command.appendArguments { bytes, lengths in
            for prepared in records {
                Self.write(prepared, layout: layout, into: &bytes, lengths: &lengths)
            }
        }
    }

    /// One record's `RECORD_ARGS` arguments, in the Function's order.
    static func write(_ prepared: PreparedRecord, layout: RedisKeyLayout, into bytes: inout [UInt8], lengths: inout [Int]) {
        @inline(__always) func argument(_ write: (inout [UInt8]) -> Void) {
            let start = bytes.count
            write(&bytes)
            lengths.append(bytes.count - start)
        }
        let record = prepared.record
        argument { $0.append(contentsOf: record.recordId.utf8) }
        argument { prepared.fingerprint.appendHex(to: &$0) }
        argument { layout.appendDestinationBase(record.destinationId, to: &$0) }
        argument { $0.append(contentsOf: record.reference.utf8) }
        let sign = record.type == .positive ? UInt8(ascii: "P") : UInt8(ascii: "N")
        let significand = record.value.significand(below: integerLimit)
        argument {
            $0.append(sign)
            $0.append(UInt8(ascii: ":"))
            $0.append(contentsOf: record.unit.utf8)
        }
        argument {
            $0.append(sign)
            $0.append(contentsOf: "s:".utf8)
            $0.append(contentsOf: record.unit.utf8)
        }
        argument { if significand != nil { DecimalText.append(UInt64(record.value.scale), to: &$0) } }
        argument {
            if let significand {
                DecimalText.append(significand, to: &$0)
            } else {
                $0.append(contentsOf: record.value.description.utf8)
            }
        }
        argument { if let threshold = prepared.alertThreshold { $0.append(contentsOf: threshold.description.utf8) } }
        argument { $0.append(contentsOf: String(record.time.epochSeconds).utf8) }
        argument { record.appendCanonicalJSON(to: &$0) }
        argument { DecimalText.append(RedisKeyLayout.claimShard(record.recordId), to: &$0) }
    }

    /// An amount whose significand is below this is added as an integer
    /// (the Function's INTEGER_LIMIT is the same number).
    static let integerLimit: UInt64 = 1_000_000_000_000_000

    private static let fcall = Array("FCALL".utf8)
    /// The function called: version 4 of the library (``TallyFunctionLibrary``).
    public static let function = "tally_apply_v4"
    private static let moduleCommand = Array(TallyModule.apply.utf8)
    private static let keyCount = Array("2".utf8)
    /// Arguments per record (the Function's `RECORD_ARGS`).
    public static let argumentsPerRecord = 12
}
