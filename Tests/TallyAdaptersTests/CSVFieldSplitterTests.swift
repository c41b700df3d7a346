import Testing
import TallyAdapters

@Suite struct CSVFieldSplitterTests {
    @Test func splitsThePlainReadingsSample() throws {
        #expect(try CSVFieldSplitter.split("2018-06-14 00:30:00+12,1.343,X,33") == ["2018-06-14 00:30:00+12", "1.343", "X", "33"])
    }

    @Test func acceptsTheMatchingSampleAsPrinted() throws {
        let line = "101, \"0.0000\", \"2018-06-13\", \"00:00:00\", \"2018-06-27 16:39:36.057601+12\", \u{201C}buyer\u{201D}"
        #expect(try CSVFieldSplitter.split(Substring(line)) == ["101", "0.0000", "2018-06-13", "00:00:00", "2018-06-27 16:39:36.057601+12", "buyer"])
    }

    @Test func trimsHeaderBlanks() throws {
        #expect(try CSVFieldSplitter.split("icp_id, matched_amount, read_date, read_time, publish_datetime,buyer_seller")
            == ["icp_id", "matched_amount", "read_date", "read_time", "publish_datetime", "buyer_seller"])
    }

    @Test func keepsCommasAndDoubledQuotesInsideQuotes() throws {
        #expect(try CSVFieldSplitter.split("\"a, b\",\"say \"\"hi\"\"\",c") == ["a, b", "say \"hi\"", "c"])
    }

    @Test func keepsEmptyFields() throws {
        #expect(try CSVFieldSplitter.split("a,,\"\", ") == ["a", "", "", ""])
    }

    @Test func refusesAnUnterminatedQuote() {
        #expect(throws: RowRejection("unterminated quote in field 2")) { try CSVFieldSplitter.split("a,\"b,c") }
    }

    @Test func refusesTextAfterAClosingQuote() {
        #expect(throws: RowRejection("text after the closing quote in field 1")) { try CSVFieldSplitter.split("\"a\"b,c") }
    }
}
