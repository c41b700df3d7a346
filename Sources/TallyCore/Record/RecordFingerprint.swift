/// A stable 64-bit digest of what a record *means*, to tell a producer's
/// duplicate (same meaning: re-publish nothing) from a conflict (same
/// recordId, different meaning: dead-letter it).
///
/// It covers every field, with the value compared as a number ("12.5" and
/// "12.50" are the same) and the time as an instant. FNV-1a is used because
/// it is stable across processes and versions, unlike Swift's seeded
/// `Hasher`; a 2^-64 chance of calling a conflict a duplicate is accepted.
public struct RecordFingerprint: Sendable, Hashable, CustomStringConvertible {
    public let value: UInt64

    public init(_ record: Record) {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        @inline(__always) func feed<S: Sequence>(_ bytes: S) where S.Element == UInt8 {
            for byte in bytes {
                hash ^= UInt64(byte)
                hash &*= 0x0000_0100_0000_01b3
            }
        }
        @inline(__always) func mix<S: Sequence>(_ bytes: S) where S.Element == UInt8 {
            feed(bytes)
            // A separator no field can contain (control characters are rejected).
            hash ^= 0x1F
            hash &*= 0x0000_0100_0000_01b3
        }
        /// The bytes of `String(number)`, without making the String.
        @inline(__always) func mixNumber(_ number: Int64) {
            if number < 0 { feed(CollectionOfOne(UInt8(ascii: "-"))) }
            DecimalText.withDigits(of: number.magnitude) { mix($0) }
        }
        mix(record.recordId.utf8)
        mixNumber(record.time.epochSeconds)
        mixNumber(Int64(record.time.nanoseconds))
        mix(record.sourceId.utf8)
        mix(record.destinationId.utf8)
        mix(record.type.rawValue.utf8)
        mix(record.value.canonical.utf8)
        mix(record.unit.utf8)
        mix(record.reference.utf8)
        value = hash
    }

    /// Sixteen lowercase hex digits, as stored in Redis.
    public var description: String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(16)
        appendHex(to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends the sixteen hex digits of ``description`` to `out`.
    public func appendHex(to out: inout [UInt8]) {
        var shift: UInt64 = 60
        while true {
            let nibble = UInt8(truncatingIfNeeded: (value >> shift) & 0xF)
            out.append(nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10)
            if shift == 0 { break }
            shift -= 4
        }
    }
}
