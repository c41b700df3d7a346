import TallyCore

/// An inclusive range of local calendar dates (`from`, `to`: `YYYY-MM-DD`),
/// as the meter-readings users ask ("readings of the 14th to the 27th").
///
/// The readings and matches keep their local date in the reference, so a
/// range selects exactly by it, whatever each meter's offset. To let SQLite
/// use its time index first, ``window`` is the instants those dates can
/// cover under any offset (UTC−12:00 to UTC+14:00); the reference date then
/// decides.
struct LocalDateRange: Sendable, Equatable {
    let from: String
    let to: String
    /// The longest range a readings query may ask for: about three months
    /// of half-hourly reads is 8,832 rows per direction.
    static let maxDays = 92

    /// Both dates optional when `required` is false (nil result then).
    static func parse(from: String?, to: String?, required: Bool, maxDays: Int? = LocalDateRange.maxDays) throws(InvalidParameter) -> LocalDateRange? {
        guard let from else {
            if to != nil { throw InvalidParameter("from", "required when to is given") }
            if required { throw InvalidParameter("from", "required: the first local date, YYYY-MM-DD") }
            return nil
        }
        let start = try day(from, "from")
        let end = try day(to ?? from, "to")
        guard end >= start else { throw InvalidParameter("to", "\(to ?? from) is before from \(from)") }
        if let maxDays, end - start + 1 > Int64(maxDays) {
            throw InvalidParameter("to", "the range covers \(end - start + 1) days; at most \(maxDays)")
        }
        return LocalDateRange(from: from, to: to ?? from)
    }

    /// Days since 1970-01-01 of a strict `YYYY-MM-DD` (a real date).
    static func day(_ text: String, _ name: String) throws(InvalidParameter) -> Int64 {
        do {
            return try RFC3339Timestamp.parse(text + "T00:00:00Z").epochSeconds / 86_400
        } catch {
            throw InvalidParameter(name, "\"\(text)\" is not a date YYYY-MM-DD")
        }
    }

    /// `[from 00:00 at +14:00, to+1 00:00 at −12:00)` in epoch milliseconds.
    var window: (start: Int64, end: Int64) {
        let start = (try? LocalDateRange.day(from, "from")) ?? 0
        let end = (try? LocalDateRange.day(to, "to")) ?? 0
        return ((start * 86_400 - 14 * 3_600) * 1_000, ((end + 1) * 86_400 + 12 * 3_600) * 1_000)
    }

    func contains(_ date: some StringProtocol) -> Bool {
        date >= from && date <= to
    }
}
