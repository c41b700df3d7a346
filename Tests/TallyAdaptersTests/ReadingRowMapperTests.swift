import Testing
import TallyAdapters
import TallyCore

@Suite struct ReadingRowMapperTests {
    let mapper: ReadingRowMapper

    init() throws {
        mapper = try ReadingRowMapper(header: ["read_timestamp", "interval_read", "energy_flow_direction", "icp_id"])
    }

    @Test func mapsTheSampleRow() throws {
        let record = try mapper.record(["2018-06-14 00:30:00+12", "1.343", "X", "33"])
        #expect(record.recordId == "rd:33:2018-06-13T12:30:00Z:X")
        #expect(record.timeText == "2018-06-14T00:30:00+12:00")
        #expect(record.sourceId == "readings")
        #expect(record.destinationId == "icp:33")
        #expect(record.type == .positive)
        #expect(record.value == (try ExactDecimal.parse("1.343")))
        #expect(record.unit == "kWh")
        #expect(record.reference == "2018-06-14")
    }

    @Test func injectionIsNegative() throws {
        #expect(try mapper.record(["2018-06-14 00:30:00+12", "0.5", "i", "33"]).type == .negative)
    }

    @Test func theSameReadingInAnotherOffsetHasTheSameId() throws {
        let a = try mapper.record(["2018-06-14 00:30:00+12", "1.343", "X", "33"])
        let b = try mapper.record(["2018-06-13 12:30:00Z", "1.343", "X", "33"])
        #expect(a.recordId == b.recordId)
        let other = try mapper.record(["2018-06-14 00:30:00+12", "1.343", "I", "33"])
        #expect(other.recordId != a.recordId)
    }

    @Test func columnsInAnyOrderAndCase() throws {
        let reordered = try ReadingRowMapper(header: ["ICP_ID", "Energy_Flow_Direction", "interval_read", "read_timestamp"])
        #expect(try reordered.record(["33", "X", "1.343", "2018-06-14 00:30:00+12"]).recordId == "rd:33:2018-06-13T12:30:00Z:X")
    }

    @Test func badHeadersAreRefused() {
        #expect(throws: HeaderRejection.self) { try ReadingRowMapper(header: ["read_timestamp", "interval_read", "icp_id"]) }
        #expect(throws: HeaderRejection.self) {
            try ReadingRowMapper(header: ["read_timestamp", "interval_reed", "energy_flow_direction", "icp_id"])
        }
    }

    @Test(arguments: [
        (["2018-06-14 00:30:00+12", "1.343", "X"], "expected 4 fields"),
        (["2018-06-14 00:30:00+12", "abc", "X", "33"], "interval_read:"),
        (["2018-06-14 00:30:00+12", "-1", "X", "33"], "interval_read:"),
        (["2018-06-14 00:30:00+12", "1.3", "Q", "33"], "energy_flow_direction:"),
        (["2018-06-14 00:30:00", "1.3", "X", "33"], "read_timestamp:"),
        (["2018-06-14 00:30:00+12", "1.3", "X", ""], "icp_id:"),
        (["2018-06-14 00:30:00+12", "1.3", "X", "3 3"], "icp_id:"),
    ])
    func badRowsNameTheirProblem(fields: [String], prefix: String) {
        do {
            _ = try mapper.record(fields)
            Issue.record("accepted \(fields)")
        } catch {
            #expect(error.reason.hasPrefix(prefix), "\(error.reason)")
        }
    }

    @Test func anIdOverTheFleetLimitIsRejectedHere() {
        #expect(throws: RowRejection.self) { try mapper.record(["2018-06-14 00:30:00+12", "1", "X", String(repeating: "9", count: 300)]) }
    }
}
