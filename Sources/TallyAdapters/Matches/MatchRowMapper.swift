import TallyCore

/// The matching algorithm's output (algorithm runs), one row → one record.
///
/// Columns (header required, any order, case-insensitive; the sample's
/// spaces, straight quotes and curly quotes are accepted as printed):
/// `icp_id, matched_amount, read_date, read_time, publish_datetime, buyer_seller`.
///
/// A *run* is one execution of the algorithm. The sample stamps each row of
/// one run with its own `publish_datetime`, microseconds apart, so the run
/// is `publish_datetime` truncated to the second, as RFC 3339 with the
/// producer's offset (`2018-06-27 16:39:36.057601+12` →
/// `2018-06-27T16:39:36+12:00`); `runOverride` (`--run`) names it instead.
///
/// Mapping:
/// - recordId `mt:<run>:<icp_id>:<read_date>T<read_time>:<side>`: each run
///   its own records, so a second run never collides with the first.
/// - time: `read_date` + `read_time` in `publish_datetime`'s offset (the
///   interval carries no offset of its own).
/// - destinationId `icp:<icp_id>` (``AdapterNamespace/matches``, sourceId
///   `matching`), type `positive`, value `matched_amount` in `kWh`.
/// - reference: ``MatchReference`` `<run>|<side>|<read_date>`.
public struct MatchRowMapper: Sendable {
    public static let columns = ["icp_id", "matched_amount", "read_date", "read_time", "publish_datetime", "buyer_seller"]
    public static let unit = "kWh"

    let header: CSVHeader
    let runOverride: String?
    let limits: RecordLimits

    public init(header fields: [String], runOverride: String? = nil, limits: RecordLimits = RecordLimits()) throws(HeaderRejection) {
        header = try CSVHeader(fields, required: Self.columns)
        if let runOverride, runOverride.isEmpty || runOverride.contains("|") {
            throw HeaderRejection("--run \"\(runOverride)\" must be non-empty and contain no '|'")
        }
        self.runOverride = runOverride
        self.limits = limits
    }

    public func record(_ fields: [String]) throws(RowRejection) -> Record {
        let row = try header.row(fields)
        let icp = try AdapterRecord.key(try row.required("icp_id"), column: "icp_id")
        let value = try AdapterRecord.amount(try row.required("matched_amount"), column: "matched_amount")
        let published = try ProducerTimestamp(try row.required("publish_datetime"), column: "publish_datetime")
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
        let run = runOverride ?? Self.run(of: published)
        let reference = MatchReference(run: run, side: side, date: date)
        return try AdapterRecord.make(
            recordId: "mt:\(run):\(icp):\(date)T\(clock):\(side.rawValue)", time: interval, namespace: .matches, key: icp,
            type: .positive, value: value, unit: Self.unit, reference: reference.text, limits: limits)
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
