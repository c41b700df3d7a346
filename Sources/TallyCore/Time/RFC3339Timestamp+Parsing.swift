extension RFC3339Timestamp {
    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction]` followed by `Z`, `z` or `±HH:MM`.
    ///
    /// Deliberately narrower than everything RFC 3339 / ISO 8601 tolerate: the
    /// separator is `T` or `t` only (no space), the fraction has 1–9 digits (the
    /// nanosecond resolution we store, so nothing is ever rounded), the offset is
    /// mandatory, years are 0001–9999 and seconds 00–59. `-00:00` is accepted as UTC.
    public static func parse(_ text: some StringProtocol) throws(RFC3339TimestampError) -> RFC3339Timestamp {
        let contiguous = text.utf8.withContiguousStorageIfAvailable { utf8 in
            Result { () throws(RFC3339TimestampError) -> RFC3339Timestamp in try parse(utf8: utf8) }
        }
        let result = contiguous ?? Array(text.utf8).withUnsafeBufferPointer { utf8 in
            Result { () throws(RFC3339TimestampError) -> RFC3339Timestamp in try parse(utf8: utf8) }
        }
        return try result.get()
    }

    static func parse(utf8 bytes: UnsafeBufferPointer<UInt8>) throws(RFC3339TimestampError) -> RFC3339Timestamp {
        var reader = TimestampReader(bytes: bytes)
        guard !bytes.isEmpty else { throw RFC3339TimestampError(message: "empty timestamp") }

        let year = try reader.number(digits: 4, "expected a 4-digit year")
        guard year >= 1 else { throw reader.error("year 0000 out of range") }
        try reader.expect("-", "expected '-' after the year")
        let month = try reader.number(digits: 2, "expected a 2-digit month")
        guard (1...12).contains(month) else { throw reader.error("month \(month) out of range") }
        try reader.expect("-", "expected '-' after the month")
        let day = try reader.number(digits: 2, "expected a 2-digit day")
        guard day >= 1, day <= CivilDate.daysInMonth(year: year, month: month) else {
            throw reader.error("day \(day) out of range for \(pad(year, 4))-\(pad(month, 2))")
        }
        guard reader.accept("T") || reader.accept("t") else {
            throw reader.error("expected 'T' between date and time")
        }
        let hour = try reader.number(digits: 2, "expected a 2-digit hour")
        guard hour <= 23 else { throw reader.error("hour \(hour) out of range") }
        try reader.expect(":", "expected ':' after the hour")
        let minute = try reader.number(digits: 2, "expected 2-digit minutes")
        guard minute <= 59 else { throw reader.error("minute \(minute) out of range") }
        try reader.expect(":", "expected ':' after the minutes")
        let second = try reader.number(digits: 2, "expected 2-digit seconds")
        guard second != 60 else { throw reader.error("leap seconds are not supported") }
        guard second <= 59 else { throw reader.error("second \(second) out of range") }

        var nanoseconds: Int64 = 0
        if reader.accept(".") {
            var digits = 0
            while let digit = reader.digit() {
                digits += 1
                guard digits <= 9 else { throw reader.error("more than 9 fraction digits") }
                nanoseconds = nanoseconds * 10 + digit
            }
            guard digits > 0 else { throw reader.error("expected digits after '.'") }
            for _ in digits..<9 { nanoseconds *= 10 }
        }

        let offsetMinutes: Int64
        if reader.isAtEnd {
            throw reader.error("missing time zone offset")
        } else if reader.accept("Z") || reader.accept("z") {
            offsetMinutes = 0
        } else if reader.accept("+") || reader.accept("-") {
            let sign: Int64 = bytes[reader.position - 1] == UInt8(ascii: "-") ? -1 : 1
            let offsetHour = try reader.number(digits: 2, "expected a 2-digit offset hour")
            guard offsetHour <= 23 else { throw reader.error("offset hour \(offsetHour) out of range") }
            try reader.expect(":", "expected ':' in the time zone offset")
            let offsetMinute = try reader.number(digits: 2, "expected 2-digit offset minutes")
            guard offsetMinute <= 59 else { throw reader.error("offset minute \(offsetMinute) out of range") }
            offsetMinutes = sign * (offsetHour * 60 + offsetMinute)
        } else {
            throw reader.error("expected 'Z' or a ±HH:MM time zone offset")
        }
        guard reader.isAtEnd else { throw reader.error("unexpected characters after the time zone offset") }

        let days = CivilDate.daysFromCivil(year: year, month: month, day: day)
        let local = days * 86_400 + hour * 3600 + minute * 60 + second
        return RFC3339Timestamp(
            epochSeconds: local - offsetMinutes * 60,
            nanoseconds: Int32(nanoseconds),
            offsetMinutes: Int16(offsetMinutes)
        )
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}

/// A cursor over the timestamp's bytes; `error` messages are only about content, the
/// position is not included because timestamps are short.
private struct TimestampReader {
    let bytes: UnsafeBufferPointer<UInt8>
    var position = 0

    init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    var isAtEnd: Bool { position == bytes.count }

    func error(_ message: String) -> RFC3339TimestampError {
        RFC3339TimestampError(message: message)
    }

    /// Consumes `byte` if it is next.
    mutating func accept(_ byte: Unicode.Scalar) -> Bool {
        guard position < bytes.count, bytes[position] == UInt8(byte.value) else { return false }
        position += 1
        return true
    }

    mutating func expect(_ byte: Unicode.Scalar, _ message: String) throws(RFC3339TimestampError) {
        guard accept(byte) else { throw error(message) }
    }

    /// Consumes one ASCII digit if it is next.
    mutating func digit() -> Int64? {
        guard position < bytes.count else { return nil }
        let value = bytes[position] &- UInt8(ascii: "0")
        guard value < 10 else { return nil }
        position += 1
        return Int64(value)
    }

    /// Consumes exactly `digits` ASCII digits.
    mutating func number(digits: Int, _ message: String) throws(RFC3339TimestampError) -> Int64 {
        var value: Int64 = 0
        for _ in 0..<digits {
            guard let digit = digit() else { throw error(message) }
            value = value * 10 + digit
        }
        return value
    }
}
