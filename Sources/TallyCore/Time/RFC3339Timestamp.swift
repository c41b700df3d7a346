/// An instant written as an RFC 3339 `date-time` with a mandatory offset.
///
/// Records carry wall-clock text from many producers; what the service needs is the
/// instant, so equality, hashing and ordering use only (`epochSeconds`, `nanoseconds`)
/// — "12:00:00Z" and "13:00:00+01:00" are the same timestamp — while `offsetMinutes`
/// keeps what the producer wrote. A missing offset is rejected rather than guessed,
/// and leap seconds are rejected because a POSIX-style epoch count cannot hold them.
public struct RFC3339Timestamp: Sendable, Hashable, Comparable {
    /// Whole seconds of the UTC instant since 1970-01-01T00:00:00Z (floor).
    public let epochSeconds: Int64
    /// Nanoseconds past `epochSeconds`, in 0..<1_000_000_000.
    public let nanoseconds: Int32
    /// The offset as written, in minutes east of UTC (`+01:00` is 60, `Z` is 0).
    public let offsetMinutes: Int16

    init(epochSeconds: Int64, nanoseconds: Int32, offsetMinutes: Int16) {
        self.epochSeconds = epochSeconds
        self.nanoseconds = nanoseconds
        self.offsetMinutes = offsetMinutes
    }

    /// Milliseconds since the epoch, rounded toward negative infinity.
    public var epochMilliseconds: Int64 {
        epochSeconds * 1000 + Int64(nanoseconds / 1_000_000)
    }

    public static func == (lhs: RFC3339Timestamp, rhs: RFC3339Timestamp) -> Bool {
        lhs.epochSeconds == rhs.epochSeconds && lhs.nanoseconds == rhs.nanoseconds
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(epochSeconds)
        hasher.combine(nanoseconds)
    }

    public static func < (lhs: RFC3339Timestamp, rhs: RFC3339Timestamp) -> Bool {
        (lhs.epochSeconds, lhs.nanoseconds) < (rhs.epochSeconds, rhs.nanoseconds)
    }

    /// The instant in UTC as `YYYY-MM-DDTHH:MM:SS[.fraction]Z`, the fraction trimmed
    /// of trailing zeros and omitted when zero, e.g. "2026-03-01T12:00:00.5Z".
    ///
    /// An offset can move the instant just outside years 0001–9999; such years are
    /// printed as they are ("0000", "10000").
    public func utcString() -> String {
        let days = epochSeconds >= 0 ? epochSeconds / 86_400 : (epochSeconds - 86_399) / 86_400
        let secondOfDay = epochSeconds - days * 86_400
        let date = CivilDate.civilFromDays(days)

        var fraction = Int(nanoseconds)
        var fractionDigits = 0
        if fraction != 0 {
            fractionDigits = 9
            while fraction % 10 == 0 {
                fraction /= 10
                fractionDigits -= 1
            }
        }
        let yearDigits = date.year >= 10_000 ? 5 : 4
        let length = yearDigits + 16 + (fractionDigits > 0 ? fractionDigits + 1 : 0)
        return String(unsafeUninitializedCapacity: length) { buffer in
            var position = 0
            func write(_ value: Int64, digits: Int) {
                var rest = value
                for i in stride(from: position + digits - 1, through: position, by: -1) {
                    buffer[i] = UInt8(ascii: "0") + UInt8(rest % 10)
                    rest /= 10
                }
                position += digits
            }
            func write(_ byte: Unicode.Scalar) {
                buffer[position] = UInt8(byte.value)
                position += 1
            }
            write(date.year, digits: yearDigits)
            write("-")
            write(date.month, digits: 2)
            write("-")
            write(date.day, digits: 2)
            write("T")
            write(secondOfDay / 3600, digits: 2)
            write(":")
            write(secondOfDay / 60 % 60, digits: 2)
            write(":")
            write(secondOfDay % 60, digits: 2)
            if fractionDigits > 0 {
                write(".")
                write(Int64(fraction), digits: fractionDigits)
            }
            write("Z")
            return position
        }
    }
}
