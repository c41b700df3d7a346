import Testing
@testable import TallyCore

/// A record as the validator makes it from a body whose members are given as raw JSON.
private func validated(
    recordId: String = #""r-1""#, time: String = #""2026-03-01T12:00:00Z""#, sourceId: String = #""billing""#,
    destinationId: String = #""acct-42""#, type: String = #""positive""#, value: String = #""12.50""#,
    unit: String = #""EUR""#, reference: String = #""inv-7""#
) throws -> Record {
    let body = """
        {"recordId":\(recordId),"time":\(time),"sourceId":\(sourceId),"destinationId":\(destinationId),\
        "type":\(type),"value":\(value),"unit":\(unit),"reference":\(reference)}
        """
    return try RecordValidator().validate(Array(body.utf8)).get()
}

/// The canonical JSON of `record` parsed back, as (key, value) pairs in order.
private func reparsed(_ record: Record) throws -> [(key: String, value: JSONValue)] {
    guard case .object(let members) = try JSONParser.parse(record.canonicalJSON) else {
        Issue.record("canonicalJSON is not an object: \(record.canonicalJSON)")
        return []
    }
    return members.map { ($0.key, $0.value) }
}

private let wireOrder = ["recordId", "time", "sourceId", "destinationId", "type", "value", "unit", "reference"]

@Suite("Record")
struct RecordTests {
    @Test func canonicalJSONHasExactlyTheEightFieldsInOrder() throws {
        let members = try reparsed(validated())
        #expect(members.map { $0.key } == wireOrder)
        #expect(members.map { $0.value } == [
            .string("r-1"), .string("2026-03-01T12:00:00Z"), .string("billing"), .string("acct-42"),
            .string("positive"), .string("12.50"), .string("EUR"), .string("inv-7"),
        ])
    }

    @Test(arguments: [
        // (raw JSON value, the string expected in canonical JSON)
        ("12.50", "12.50"), (#""12.50""#, "12.50"), ("1.5e3", "1500"), (#""1.5E3""#, "1500"), ("125e-3", "0.125"),
        ("-0", "0"), ("0.000", "0.000"), ("7", "7"),
        ("123456789012345678901234567890.5", "123456789012345678901234567890.5"),
    ])
    func valueIsAnExactDecimalString(_ raw: String, _ expected: String) throws {
        let record = try validated(value: raw)
        let members = try reparsed(record)
        #expect(members.count == 8)
        #expect(members.first { $0.key == "value" }?.value == .string(expected))
        #expect(members.first { $0.key == "value" }?.value == .string(record.value.description))
    }

    @Test(arguments: [
        "2026-03-01T13:00:00+01:00", "2026-03-01T06:30:00-05:30", "2026-03-01t12:00:00z",
        "2026-03-01T12:00:00.500Z", "2026-03-01T12:00:00-00:00",
    ])
    func timeIsEchoedAsWritten(_ time: String) throws {
        let members = try reparsed(validated(time: "\"" + time + "\""))
        #expect(members.first { $0.key == "time" }?.value == .string(time))
    }

    @Test func typeIsEchoed() throws {
        let members = try reparsed(validated(type: #""negative""#))
        #expect(members.first { $0.key == "type" }?.value == .string("negative"))
        #expect(members.first { $0.key == "value" }?.value == .string("12.50"))
    }

    @Test func specialCharactersRoundTrip() throws {
        let record = try validated(
            recordId: #""quote\"in""#,
            sourceId: #""back\\slash/and\/slash""#,
            destinationId: #""{acct}:42 Grüße""#,
            unit: #""\u20ac""#,
            reference: #""😀 \ud83d\ude00 \u00a0 \u00e9 e\u0301""#
        )
        let members = try reparsed(record)
        #expect(members.map { $0.key } == wireOrder)
        #expect(members.map { $0.value } == [
            .string("quote\"in"), .string("2026-03-01T12:00:00Z"), .string("back\\slash/and/slash"),
            .string("{acct}:42 Grüße"), .string("positive"), .string("12.50"), .string("€"),
            .string("😀 😀 \u{A0} \u{E9} e\u{301}"),
        ])
        // Byte for byte, not merely canonically equivalent.
        guard case .string(let reference)? = members.last?.value else {
            Issue.record("reference is not a string")
            return
        }
        #expect(Array(reference.utf8) == Array("😀 😀 \u{A0} \u{E9} e\u{301}".utf8))
    }

    /// Control characters never pass validation, but the writer must still escape
    /// them if a `Record` is built directly.
    @Test func controlCharactersInADirectlyBuiltRecordAreEscaped() throws {
        let time = "2026-03-01T12:00:00Z"
        let record = try Record(
            recordId: "tab\there", time: RFC3339Timestamp.parse(time), timeText: time, sourceId: "nul\u{0}",
            destinationId: "line\nbreak", type: .negative, value: ExactDecimal.parse("0.1"), unit: "\u{1F}\u{7F}",
            reference: "cr\r\u{8}\u{C}")
        #expect(!record.canonicalJSON.utf8.contains(where: { $0 < 0x20 }))
        let members = try reparsed(record)
        #expect(members.map { $0.value } == [
            .string("tab\there"), .string(time), .string("nul\u{0}"), .string("line\nbreak"), .string("negative"),
            .string("0.1"), .string("\u{1F}\u{7F}"), .string("cr\r\u{8}\u{C}"),
        ])
    }

    /// What the fleet echoes is itself a valid record, equal to the original.
    @Test(arguments: [#""12.50""#, "1.5e3", "0.125", #""0""#])
    func canonicalJSONValidatesBackToTheSameRecord(_ value: String) throws {
        let original = try validated(
            recordId: #""a{b}:c \"q\"""#, time: #""2026-03-01T13:00:00.25+01:00""#, destinationId: #""dé""#,
            value: value, reference: #""x\\y""#)
        let again = try RecordValidator().validate(Array(original.canonicalJSON.utf8)).get()
        #expect(again == original)
        #expect(again.timeText == original.timeText)
        #expect(again.time.offsetMinutes == 60)
        #expect(again.value.description == original.value.description)
        #expect(again.canonicalJSON == original.canonicalJSON)
    }

    @Test func recordsDifferingInOneFieldAreNotEqual() throws {
        let base = try validated()
        #expect(try validated() == base)
        #expect(try validated(recordId: #""r-2""#) != base)
        #expect(try validated(type: #""negative""#) != base)
        #expect(try validated(value: "12.51") != base)
        #expect(try validated(unit: #""eur""#) != base)
    }
}
