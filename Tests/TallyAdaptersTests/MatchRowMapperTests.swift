import Testing
import TallyAdapters
import TallyCore

@Suite struct MatchRowMapperTests {
    static let header = ["icp_id", "matched_amount", "read_date", "read_time", "publish_datetime", "buyer_seller"]

    @Test func mapsTheSampleRowAsPrinted() throws {
        var mapper = try MatchRowMapper(header: Self.header)
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
        var mapper = try MatchRowMapper(header: Self.header)
        let a = try mapper.record(["101", "0", "2018-06-13", "00:00:00", "2018-06-27 16:39:36.057601+12", "buyer"])
        let b = try mapper.record(["102", "0.001", "2018-06-13", "00:00:00", "2018-06-27 16:39:36.05779+12", "buyer"])
        #expect(MatchReference(a.reference)?.run == MatchReference(b.reference)?.run)
    }

    /// Real runs stamp each row as it is written: a run crossing second
    /// (and minute) boundaries is still one run, named by its first row.
    @Test func aRunCrossingSecondBoundariesStaysOneRun() throws {
        var mapper = try MatchRowMapper(header: Self.header)
        let stamps = ["2018-06-27 16:39:36.9+12", "2018-06-27 16:39:37.000001+12", "2018-06-27 16:41:02+12", "2018-06-27 16:39:59.5+12"]
        let records = try stamps.enumerated().map { index, stamp in
            try mapper.record(["\(100 + index)", "0.001", "2018-06-13", "00:00:00", stamp, "buyer"])
        }
        #expect(Set(records.map { MatchReference($0.reference)?.run }) == ["2018-06-27T16:39:36+12:00"])
        #expect(mapper.run == "2018-06-27T16:39:36+12:00")
        #expect(records[2].recordId == "mt:2018-06-27T16:39:36+12:00:102:2018-06-13T00:00:00:buyer")
    }

    /// One import is one run: another file (another mapper) whose first row
    /// is stamped later is another run with its own records, and the same
    /// file again is the same run with the same records.
    @Test func anotherImportIsAnotherRunAndTheSameFileIsTheSameRun() throws {
        let rows = [
            ["101", "1", "2018-06-13", "00:00:00", "2018-06-27 16:39:36.1+12", "buyer"],
            ["102", "2", "2018-06-13", "00:00:00", "2018-06-27 16:39:38.7+12", "seller"],
        ]
        var first = try MatchRowMapper(header: Self.header)
        var again = try MatchRowMapper(header: Self.header)
        var later = try MatchRowMapper(header: Self.header)
        let firstRecords = try rows.map { try first.record($0) }
        #expect(try rows.map { try again.record($0) } == firstRecords)
        let second = try later.record(["101", "1", "2018-06-13", "00:00:00", "2018-06-28 09:00:00+12", "buyer"])
        #expect(first.run == "2018-06-27T16:39:36+12:00")
        #expect(second.recordId != firstRecords[0].recordId)
        #expect(second.destinationId == firstRecords[0].destinationId)
    }

    @Test func theFirstParsableStampNamesTheRunEvenOnARejectedRow() throws {
        var mapper = try MatchRowMapper(header: Self.header)
        #expect(throws: RowRejection.self) { try mapper.record(["101", "x", "2018-06-13", "00:00:00", "2018-06-27 16:39:36+12", "buyer"]) }
        let record = try mapper.record(["101", "1", "2018-06-13", "00:00:00", "2018-06-27 16:45:00+12", "buyer"])
        #expect(MatchReference(record.reference)?.run == "2018-06-27T16:39:36+12:00")
    }

    @Test func aRunColumnNamesEachRowsRun() throws {
        let header = Self.header + ["run"]
        var mapper = try MatchRowMapper(header: header)
        let a = try mapper.record(["101", "1", "2018-06-13", "00:00:00", "2018-06-27 16:39:36+12", "buyer", "2018-06-27 16:00:00.5+12"])
        let b = try mapper.record(["101", "1", "2018-06-13", "00:00:00", "2018-06-27 16:39:37+12", "buyer", "2018-06-28 16:00:00+12"])
        #expect(MatchReference(a.reference)?.run == "2018-06-27T16:00:00+12:00")
        #expect(MatchReference(b.reference)?.run == "2018-06-28T16:00:00+12:00")
        #expect(throws: RowRejection.self) { try mapper.record(["101", "1", "2018-06-13", "00:00:00", "2018-06-27 16:39:37+12", "buyer", "soon"]) }
        #expect(throws: HeaderRejection.self) { try MatchRowMapper(header: header, run: .named("2018-07-01T00:00:00+12:00")) }
        #expect(throws: HeaderRejection.self) { try MatchRowMapper(header: Self.header, run: .column) }
    }

    @Test func recordIdsParseBack() throws {
        var mapper = try MatchRowMapper(header: Self.header)
        let record = try mapper.record(["icp-9", "1", "2018-06-13", "23:30:00", "2018-06-27 16:39:36.1-03:30", "seller"])
        let parsed = try #require(MatchRecordId(record.recordId))
        #expect(parsed == MatchRecordId(run: "2018-06-27T16:39:36-03:30", icp: "icp-9", date: "2018-06-13", time: "23:30:00", side: .seller))
        #expect(parsed.text == record.recordId)
        for bad in ["", "mt:", "rd:1:2018-06-13T00:00:00:buyer", "mt:run:1:2018-06-13T00:00:00:broker", "mt::1:2018-06-13T00:00:00:buyer",
                    "mt:run:2018-06-13T00:00:00:buyer", "mt:run:1:2018-06-13 00:00:00:buyer"] {
            #expect(MatchRecordId(bad) == nil, "\(bad)")
        }
    }

    @Test(arguments: [
        (["101", "x", "2018-06-13", "00:00:00", "2018-06-27 16:39:36+12", "buyer"], "matched_amount:"),
        (["101", "1", "2018-06-13", "00:00:00", "2018-06-27 16:39:36+12", "broker"], "buyer_seller:"),
        (["101", "1", "13/06/2018", "00:00:00", "2018-06-27 16:39:36+12", "buyer"], "read_date/read_time:"),
        (["101", "1", "2018-06-13", "00:00:00", "2018-06-27 16:39:36", "buyer"], "publish_datetime:"),
    ])
    func badRowsNameTheirProblem(fields: [String], prefix: String) throws {
        var mapper = try MatchRowMapper(header: Self.header)
        do {
            _ = try mapper.record(fields)
            Issue.record("accepted \(fields)")
        } catch {
            #expect(error.reason.hasPrefix(prefix), "\(error.reason)")
        }
    }
}
