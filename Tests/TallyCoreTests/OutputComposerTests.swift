import Testing
@testable import TallyCore

private func makeRecord(
    recordId: String = "r-1", time: String = "2026-03-01T12:00:00Z", destinationId: String = "acct-42",
    type: RecordType = .positive, value: String = "12.50", unit: String = "EUR", reference: String = "inv-7"
) throws -> Record {
    try Record(
        recordId: recordId, time: RFC3339Timestamp.parse(time), timeText: time, sourceId: "billing",
        destinationId: destinationId, type: type, value: ExactDecimal.parse(value), unit: unit, reference: reference)
}

/// The members of a JSON object, or an issue.
private func members(_ value: JSONValue?) -> [JSONMember] {
    guard case .object(let members)? = value else {
        Issue.record("not an object: \(String(describing: value))")
        return []
    }
    return members
}

/// The record object every output must carry, written out by hand.
private func expectedRecordObject(
    recordId: String, time: String, destinationId: String, type: String, value: String, unit: String, reference: String
) -> JSONValue {
    .object([
        JSONMember(key: "recordId", value: .string(recordId)),
        JSONMember(key: "time", value: .string(time)),
        JSONMember(key: "sourceId", value: .string("billing")),
        JSONMember(key: "destinationId", value: .string(destinationId)),
        JSONMember(key: "type", value: .string(type)),
        JSONMember(key: "value", value: .string(value)),
        JSONMember(key: "unit", value: .string(unit)),
        JSONMember(key: "reference", value: .string(reference)),
    ])
}

@Suite("OutputComposer")
struct OutputComposerTests {
    @Test func notificationWithAnEmptyPreviousSummary() throws {
        let record = try makeRecord()
        let parsed = try JSONParser.parse(OutputComposer.notification(record, previous: Summary()))
        #expect(members(parsed).map { $0.key } == ["record", "summary"])
        #expect(parsed["record"] == expectedRecordObject(
            recordId: "r-1", time: "2026-03-01T12:00:00Z", destinationId: "acct-42", type: "positive",
            value: "12.50", unit: "EUR", reference: "inv-7"))
        #expect(parsed["record"] == (try JSONParser.parse(record.canonicalJSON)))
        let summary = try #require(parsed["summary"])
        #expect(members(summary).map { $0.key } == ["destinationId", "reference", "previous"])
        #expect(summary["destinationId"] == .string("acct-42"))
        #expect(summary["reference"] == .string("inv-7"))
        #expect(summary["previous"] == .object([
            JSONMember(key: "count", value: .number("0")), JSONMember(key: "totals", value: .array([])),
        ]))
    }

    @Test func notificationCarriesThePreviousSummary() throws {
        var previous = Summary()
        previous.add(try makeRecord(recordId: "r-0", value: "0.1"))
        previous.add(try makeRecord(recordId: "r-00", type: .negative, value: "0.35"))
        previous.add(try makeRecord(recordId: "r-000", value: "2", unit: "kWh"))
        let record = try makeRecord(
            recordId: "r-\"1\"", time: "2026-03-01T13:00:00+01:00", destinationId: "{acct}:42\\", type: .negative,
            value: "1.5e3", unit: "€", reference: "inv 7 😀")

        let parsed = try JSONParser.parse(OutputComposer.notification(record, previous: previous))
        #expect(parsed["record"] == expectedRecordObject(
            recordId: "r-\"1\"", time: "2026-03-01T13:00:00+01:00", destinationId: "{acct}:42\\", type: "negative",
            value: "1500", unit: "€", reference: "inv 7 😀"))
        let summary = try #require(parsed["summary"])
        #expect(summary["destinationId"] == .string("{acct}:42\\"))
        #expect(summary["reference"] == .string("inv 7 😀"))
        let previousJSON = try #require(summary["previous"])
        #expect(previousJSON["count"] == .number("3"))
        #expect(try Summary(json: previousJSON) == previous)
        // By hand: EUR 0.1 positive, 0.35 negative, net -0.25; kWh 2 positive.
        guard case .array(let totals)? = previousJSON["totals"] else {
            Issue.record("no totals")
            return
        }
        #expect(totals.count == 2)
        #expect(totals.first?["unit"] == .string("EUR"))
        #expect(totals.first?["positive"] == .string("0.1"))
        #expect(totals.first?["negative"] == .string("0.35"))
        #expect(totals.first?["net"] == .string("-0.25"))
        #expect(totals.last?["unit"] == .string("kWh"))
        #expect(totals.last?["net"] == .string("2"))
    }

    @Test func notificationIsThePrefixThePreviousAndTheSuffix() throws {
        let record = try makeRecord()
        var previous = Summary()
        previous.add(try makeRecord(recordId: "r-0"))
        let whole = OutputComposer.notification(record, previous: previous)
        let prefix = OutputComposer.notificationPrefix(record, canonicalJSON: record.canonicalJSON)
        // The Redis Function builds the same bytes from these two parts.
        #expect(whole.hasPrefix(prefix))
        #expect(whole.hasSuffix(OutputComposer.notificationSuffix))
        #expect(whole.utf8.count == prefix.utf8.count + previous.json.utf8.count + OutputComposer.notificationSuffix.utf8.count)
        // The prefix alone is an unfinished document.
        #expect(throws: JSONParseError.self) { try JSONParser.parse(prefix) }
    }

    @Test(arguments: [("10000", "10000"), ("2.5", "2.5"), ("0.50", "0.50"), ("1e3", "1000")])
    func alertCarriesTheRecordAndTheThreshold(_ threshold: String, _ expected: String) throws {
        let record = try makeRecord(recordId: "a\\b", value: "12345.678", unit: "kWh")
        let parsed = try JSONParser.parse(
            OutputComposer.alert(canonicalJSON: record.canonicalJSON, threshold: ExactDecimal.parse(threshold)))
        #expect(members(parsed).map { $0.key } == ["record", "threshold"])
        #expect(parsed["record"] == expectedRecordObject(
            recordId: "a\\b", time: "2026-03-01T12:00:00Z", destinationId: "acct-42", type: "positive",
            value: "12345.678", unit: "kWh", reference: "inv-7"))
        #expect(parsed["threshold"] == .string(expected))
    }

    @Test func defaultThresholdAlert() throws {
        let record = try makeRecord(value: "10000.01")
        let threshold = try #require(AlertPolicy().thresholdExceeded(by: record))
        let parsed = try JSONParser.parse(OutputComposer.alert(canonicalJSON: record.canonicalJSON, threshold: threshold))
        #expect(parsed["threshold"] == .string("10000"))
        #expect(parsed["record"]?["value"] == .string("10000.01"))
    }

    /// Outputs are stored joined by a newline (see RecordOutputs), so neither may contain one.
    @Test func outputsContainNoRawNewline() throws {
        let record = try makeRecord(recordId: "x\ny", destinationId: "d\n", reference: "\r\n")
        var previous = Summary()
        previous.add(try makeRecord(unit: "line\nunit"))
        #expect(!OutputComposer.notification(record, previous: previous).utf8.contains(0x0A))
        #expect(!OutputComposer.alert(canonicalJSON: record.canonicalJSON, threshold: .tenThousand).utf8.contains(0x0A))
    }
}
