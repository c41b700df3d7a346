import Testing
import TallyAdapters

@Suite struct ProducerTimestampTests {
    @Test func hourOnlyOffsetBecomesRFC3339() throws {
        let time = try ProducerTimestamp("2018-06-14 00:30:00+12", column: "t")
        #expect(time.text == "2018-06-14T00:30:00+12:00")
        #expect(time.instant.utcString() == "2018-06-13T12:30:00Z")
        #expect(time.localDate == "2018-06-14")
    }

    @Test func keepsFractionsAndOtherOffsetForms() throws {
        #expect(try ProducerTimestamp("2018-06-27 16:39:36.057601+12", column: "t").text == "2018-06-27T16:39:36.057601+12:00")
        #expect(try ProducerTimestamp("2018-06-27T16:39:36-0530", column: "t").text == "2018-06-27T16:39:36-05:30")
        #expect(try ProducerTimestamp("2018-06-27T16:39:36+05:45", column: "t").text == "2018-06-27T16:39:36+05:45")
        #expect(try ProducerTimestamp("2018-06-27 16:39:36Z", column: "t").text == "2018-06-27T16:39:36Z")
    }

    @Test func refusesAMissingOffsetAndNonsense() {
        #expect(throws: RowRejection.self) { try ProducerTimestamp("2018-06-14 00:30:00", column: "t") }
        #expect(throws: RowRejection.self) { try ProducerTimestamp("2018-06-14 00:30:00+1", column: "t") }
        #expect(throws: RowRejection.self) { try ProducerTimestamp("2018-02-30 00:30:00+12", column: "t") }
        #expect(throws: RowRejection.self) { try ProducerTimestamp("yesterday", column: "t") }
    }

    @Test func rejectionNamesTheColumn() {
        do {
            _ = try ProducerTimestamp("2018-06-14 00:30:00", column: "read_timestamp")
            Issue.record("accepted a timestamp without offset")
        } catch {
            #expect(error.reason.hasPrefix("read_timestamp:"))
        }
    }
}
