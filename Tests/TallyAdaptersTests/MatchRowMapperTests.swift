import Testing
import TallyAdapters
import TallyCore

@Suite struct MatchRowMapperTests {
    static let header = ["icp_id", "matched_amount", "read_date", "read_time", "publish_datetime", "buyer_seller"]

    @Test func mapsTheSampleRowAsPrinted() throws {
        let mapper = try MatchRowMapper(header: Self.header)
        let fields = try CSVFieldSplitter.split(
            "100, \"0.0040\", \"2018-06-13\", \"00:00:00\", \"2018-06-27 16:39:36.057658+12\", \u{201C}seller\u{201D}")
        let record = try mapper.record(fields)
        #expect(record.recordId == "mt:2018-06-27T16:39:36+12:00:100:2018-06-13T00:00:00:seller")
        #expect(record.timeText == "2018-06-13T00:00:00+12:00")
        #expect(record.sourceId == "matching")
        #expect(record.destinationId == "icp:100")
        #expect(record.type == .positive)
        #expect(record.value.description == "0.0040")
        #expect(record.unit == "kWh")
        #expect(record.reference == "2018-06-27T16:39:36+12:00|seller|2018-06-13")
        #expect(MatchReference(record.reference) == MatchReference(run: "2018-06-27T16:39:36+12:00", side: .seller, date: "2018-06-13"))
    }

    @Test func rowsOfOneRunStampedMicrosecondsApartShareTheRun() throws {
        let mapper = try MatchRowMapper(header: Self.header)
        let a = try mapper.record(["101", "0", "2018-06-13", "00:00:00", "2018-06-27 16:39:36.057601+12", "buyer"])
        let b = try mapper.record(["102", "0.001", "2018-06-13", "00:00:00", "2018-06-27 16:39:36.05779+12", "buyer"])
        #expect(MatchReference(a.reference)?.run == MatchReference(b.reference)?.run)
    }

    @Test func anotherRunIsAnotherRecord() throws {
        let mapper = try MatchRowMapper(header: Self.header)
        let first = try mapper.record(["101", "1", "2018-06-13", "00:00:00", "2018-06-27 16:39:36.1+12", "buyer"])
        let second = try mapper.record(["101", "1", "2018-06-13", "00:00:00", "2018-06-28 09:00:00+12", "buyer"])
        #expect(first.recordId != second.recordId)
        #expect(first.destinationId == second.destinationId)
    }

    @Test func aNamedRunOverridesPublishTime() throws {
        let mapper = try MatchRowMapper(header: Self.header, runOverride: "2018-07-01T00:00:00+12:00")
        let record = try mapper.record(["101", "1", "2018-06-13", "00:30:00", "2018-06-27 16:39:36.1+12", "buyer"])
        #expect(MatchReference(record.reference)?.run == "2018-07-01T00:00:00+12:00")
    }

    @Test(arguments: [
        (["101", "x", "2018-06-13", "00:00:00", "2018-06-27 16:39:36+12", "buyer"], "matched_amount:"),
        (["101", "1", "2018-06-13", "00:00:00", "2018-06-27 16:39:36+12", "broker"], "buyer_seller:"),
        (["101", "1", "13/06/2018", "00:00:00", "2018-06-27 16:39:36+12", "buyer"], "read_date/read_time:"),
        (["101", "1", "2018-06-13", "00:00:00", "2018-06-27 16:39:36", "buyer"], "publish_datetime:"),
    ])
    func badRowsNameTheirProblem(fields: [String], prefix: String) throws {
        let mapper = try MatchRowMapper(header: Self.header)
        do {
            _ = try mapper.record(fields)
            Issue.record("accepted \(fields)")
        } catch {
            #expect(error.reason.hasPrefix(prefix), "\(error.reason)")
        }
    }
}
