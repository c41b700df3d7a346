import TallyCore

/// A producer's timestamp as the neighbouring systems write it, normalized to RFC 3339
/// while keeping the producer's own offset.
///
/// Accepted: `YYYY-MM-DD` then a space or `T`, `HH:MM:SS`, an optional
/// fraction, then an offset `Z`, `±HH` (the readings sample: `+12`),
/// `±HHMM` or `±HH:MM`. `2018-06-14 00:30:00+12` becomes
/// `2018-06-14T00:30:00+12:00`. A timestamp without an offset is refused,
/// never guessed: the same wall-clock time is a different instant in each
/// zone.
public struct ProducerTimestamp: Sendable, Equatable {
    /// RFC 3339 text with the producer's offset: the record's `time`.
    public let text: String
    public let instant: RFC3339Timestamp

    /// The producer's local calendar date, `YYYY-MM-DD`.
    public var localDate: Substring { text.prefix(10) }

    public init(_ raw: String, column: String) throws(RowRejection) {
        let scalars = Array(raw.unicodeScalars)
        guard scalars.count >= 19, scalars[10] == " " || scalars[10] == "T" || scalars[10] == "t" else {
            throw RowRejection("\(column): \"\(raw)\" is not a timestamp like 2018-06-14 00:30:00+12")
        }
        // The offset starts at the first Z, + or - after the seconds.
        var offsetStart = 19
        while offsetStart < scalars.count, !"Zz+-".unicodeScalars.contains(scalars[offsetStart]) { offsetStart += 1 }
        guard offsetStart < scalars.count else {
            throw RowRejection("\(column): \"\(raw)\" has no UTC offset (e.g. +12 or Z); refusing to guess the zone")
        }
        let dateTime = String(String.UnicodeScalarView(scalars[0..<10])) + "T" + String(String.UnicodeScalarView(scalars[11..<offsetStart]))
        let offset = String(String.UnicodeScalarView(scalars[offsetStart...]))
        guard let normalizedOffset = Self.normalize(offset: offset) else {
            throw RowRejection("\(column): \"\(raw)\" has an offset \"\(offset)\" that is not Z, ±HH, ±HHMM or ±HH:MM")
        }
        let text = dateTime + normalizedOffset
        do {
            instant = try RFC3339Timestamp.parse(text)
        } catch {
            throw RowRejection("\(column): \"\(raw)\" is not a valid timestamp (\(error))")
        }
        self.text = text
    }

    /// `Z` → `Z`; `+12` → `+12:00`; `+1245` → `+12:45`; `+12:45` unchanged.
    static func normalize(offset: String) -> String? {
        if offset == "Z" || offset == "z" { return "Z" }
        let digits = offset.dropFirst()
        guard let sign = offset.first, sign == "+" || sign == "-" else { return nil }
        let allDigits = digits.allSatisfy { $0.isASCII && $0.isNumber }
        switch digits.count {
        case 2 where allDigits: return "\(sign)\(digits):00"
        case 4 where allDigits: return "\(sign)\(digits.prefix(2)):\(digits.suffix(2))"
        case 5 where digits.dropFirst(2).first == ":": return String(offset)
        default: return nil
        }
    }
}
