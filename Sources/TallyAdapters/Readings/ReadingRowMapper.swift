import TallyCore

/// Electricity interval readings (meter readings), one row → one record.
///
/// Columns (header required, any order, case-insensitive):
/// `read_timestamp,interval_read,energy_flow_direction,icp_id`.
///
/// Mapping:
/// - recordId `rd:<icp_id>:<instant in UTC>:<X|I>`: the row's identity (a
///   meter, an interval, a direction), so importing the same reading twice,
///   even with its time written in another offset, is one record.
/// - time: `read_timestamp` as RFC 3339 with the producer's offset
///   (`2018-06-14 00:30:00+12` → `2018-06-14T00:30:00+12:00`).
/// - destinationId `icp:<icp_id>` (``AdapterNamespace/readings``).
/// - type: the flow direction as the New Zealand metering files use it —
///   `X` (energy leaving the network into the ICP: consumption) is
///   `positive`, `I` (energy the ICP injects into the network: generation)
///   is `negative`, so an ICP's net is consumption minus generation.
/// - value: `interval_read`, exact, in `kWh` (the unit).
/// - reference: the reading's local date `YYYY-MM-DD` (in the producer's
///   offset), so the live summaries are daily totals per ICP and the views
///   select days without knowing the zone.
public struct ReadingRowMapper: Sendable {
    public static let columns = ["read_timestamp", "interval_read", "energy_flow_direction", "icp_id"]
    public static let unit = "kWh"

    let header: CSVHeader
    let limits: RecordLimits

    public init(header fields: [String], limits: RecordLimits = RecordLimits()) throws(HeaderRejection) {
        header = try CSVHeader(fields, required: Self.columns)
        self.limits = limits
    }

    public func record(_ fields: [String]) throws(RowRejection) -> Record {
        let row = try header.row(fields)
        let icp = try AdapterRecord.key(try row.required("icp_id"), column: "icp_id")
        let time = try ProducerTimestamp(try row.required("read_timestamp"), column: "read_timestamp")
        let value = try AdapterRecord.amount(try row.required("interval_read"), column: "interval_read")
        let direction = try row.required("energy_flow_direction").uppercased()
        let type: RecordType
        switch direction {
        case "X": type = .positive
        case "I": type = .negative
        default:
            throw RowRejection("energy_flow_direction: \"\(direction)\" is neither X (consumption) nor I (injection)")
        }
        return try AdapterRecord.make(
            recordId: "rd:\(icp):\(time.instant.utcString()):\(direction)", time: time, namespace: .readings, key: icp,
            type: type, value: value, unit: Self.unit, reference: String(time.localDate), limits: limits)
    }
}
