import TallyCore

/// The matching algorithm's output (algorithm runs), one row → one record.
///
/// Columns (header required, any order, case-insensitive; the sample's
/// spaces, straight quotes and curly quotes are accepted as printed):
/// `icp_id, matched_amount, read_date, read_time, publish_datetime, buyer_seller`,
/// and optionally `run`.
///
/// Which run a row belongs to is decided by a ``MatchRunRule``: by default
/// one mapper (one import) is one run, named by the first row's
/// `publish_datetime` to the second, as RFC 3339 with the producer's offset
/// (`2018-06-27 16:39:36.057601+12` → `2018-06-27T16:39:36+12:00`), however
/// long the run took to write. The mapper is therefore stateful: it fixes
/// the run on the first row it sees.
///
/// Mapping:
/// - recordId ``MatchRecordId`` `mt:<run>:<icp_id>:<read_date>T<read_time>:<side>`:
///   each run its own records, so a second run never collides with the first.
/// - time: `read_date` + `read_time` in `publish_datetime`'s offset (the
///   interval carries no offset of its own).
/// - destinationId `icp:<icp_id>` (``AdapterNamespace/matches``, sourceId
///   `matching`), type `positive`, value `matched_amount` in `kWh`.
/// - reference: ``MatchReference`` `<run>|<side>|<read_date>`.
public struct MatchRowMapper: Sendable {
    public static let columns = ["icp_id", "matched_amount", "read_date", "read_time", "publish_datetime", "buyer_seller"]
    public static let unit = "kWh"

    let header: CSVHeader
    let rule: MatchRunRule
    let limits: RecordLimits
    /// The run of every row under ``MatchRunRule/firstRow`` and
    /// ``MatchRunRule/named(_:)``; nil until the first row under `firstRow`.
    public private(set) var run: String?

    /// - Parameter run: nil: the file's `run` column if it has one, else
    ///   ``MatchRunRule/firstRow``. `.named` with a `run` column is refused:
    ///   it would merge the file's runs.
    public init(header fields: [String], run: MatchRunRule? = nil, limits: RecordLimits = RecordLimits()) throws(HeaderRejection) {
        header = try CSVHeader(fields, required: Self.columns, optional: [MatchRunRule.columnName])
        let hasColumn = header.positions[MatchRunRule.columnName] != nil
        switch run {
        case nil:
            rule = hasColumn ? .column : .firstRow
        case .named(let name):
            guard !name.isEmpty, !name.contains("|") else {
                throw HeaderRejection("--run \"\(name)\" must be non-empty and contain no '|'")
            }
            guard !hasColumn else { throw HeaderRejection("the file has a run column; --run would merge its runs into one") }
            rule = .named(name)
            self.run = name
        case .column:
            guard hasColumn else { throw HeaderRejection("the header lacks the run column") }
            rule = .column
        case .firstRow:
            rule = .firstRow
        }
        self.limits = limits
    }

    public mutating func record(_ fields: [String]) throws(RowRejection) -> Record {
        let row = try header.row(fields)
        let published = try ProducerTimestamp(try row.required("publish_datetime"), column: "publish_datetime")
        let run = try runOf(row, published: published)
        let icp = try AdapterRecord.key(try row.required("icp_id"), column: "icp_id")
        let value = try AdapterRecord.amount(try row.required("matched_amount"), column: "matched_amount")
        let date = try row.required("read_date")
        let clock = try row.required("read_time")
        guard date.utf8.count == 10, clock.utf8.count == 8 else {
            throw RowRejection("read_date/read_time: \"\(date)\" \"\(clock)\" are not YYYY-MM-DD and HH:MM:SS")
        }
        let offset = Self.offsetOnly(String(published.text.dropFirst(19)))
        let interval = try ProducerTimestamp(date + " " + clock + offset, column: "read_date/read_time")
        let sideText = try row.required("buyer_seller").lowercased()
        guard let side = MatchSide(rawValue: sideText) else {
            throw RowRejection("buyer_seller: \"\(sideText)\" is neither buyer nor seller")
        }
        let reference = MatchReference(run: run, side: side, date: date)
        let recordId = MatchRecordId(run: run, icp: icp, date: date, time: clock, side: side)
        return try AdapterRecord.make(
            recordId: recordId.text, time: interval, namespace: .matches, key: icp,
            type: .positive, value: value, unit: Self.unit, reference: reference.text, limits: limits)
    }

    /// The row's run under ``rule``. Under `firstRow` the first stamp that
    /// parses fixes it, even on a row rejected for another field, so the
    /// name depends on the file alone.
    private mutating func runOf(_ row: CSVRow, published: ProducerTimestamp) throws(RowRejection) -> String {
        switch rule {
        case .named(let name): return name
        case .column: return Self.run(of: try ProducerTimestamp(try row.required(MatchRunRule.columnName), column: MatchRunRule.columnName))
        case .firstRow:
            if let run { return run }
            let first = Self.run(of: published)
            run = first
            return first
        }
    }

    /// `2018-06-27T16:39:36.057601+12:00` → `2018-06-27T16:39:36+12:00`.
    public static func run(of published: ProducerTimestamp) -> String {
        let text = published.text
        let seconds = text.prefix(19)
        return String(seconds) + offsetOnly(String(text.dropFirst(19)))
    }

    /// The offset part of what follows the seconds (drops a fraction).
    static func offsetOnly(_ tail: String) -> String {
        guard let start = tail.firstIndex(where: { $0 == "Z" || $0 == "+" || $0 == "-" }) else { return tail }
        return String(tail[start...])
    }
}
