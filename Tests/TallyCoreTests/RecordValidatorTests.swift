import Testing
@testable import TallyCore

// MARK: - Building bodies

/// The contract's example record (docs/contract.md), member by member: the field, its wire name (written
/// out here rather than taken from `RecordField.rawValue`) and its value as raw
/// JSON text.
private let exampleMembers: [(field: RecordField, key: String, raw: String)] = [
    (.recordId, "recordId", #""r-1""#),
    (.time, "time", #""2026-03-01T12:00:00Z""#),
    (.sourceId, "sourceId", #""billing""#),
    (.destinationId, "destinationId", #""acct-42""#),
    (.type, "type", #""positive""#),
    (.value, "value", #""12.50""#),
    (.unit, "unit", #""EUR""#),
    (.reference, "reference", #""inv-7""#),
]

/// 2026-03-01T12:00:00Z: 56 years from 1970 with 14 leap days (1972…2024) is
/// 20 454 days, plus 31 (January) and 28 (February 2026) is 20 513 days, times
/// 86 400 seconds, plus 12 hours.
private let exampleEpochSeconds: Int64 = 20_513 * 86_400 + 12 * 3_600

/// The fields whose content is free text (no grammar of their own).
private let freeTextFields: [RecordField] = [.recordId, .sourceId, .destinationId, .unit, .reference]

/// Every field that must be a JSON string.
private let stringFields: [RecordField] = [.recordId, .time, .sourceId, .destinationId, .type, .unit, .reference]

private enum Edit {
    case replace(String)
    case remove
    case duplicate(String)
}

/// The example body with some members edited, plus `extra` members appended.
private func body(_ edits: [RecordField: Edit] = [:], extra: [String] = []) -> String {
    var members: [String] = []
    for member in exampleMembers {
        let key = "\"\(member.key)\":"
        switch edits[member.field] {
        case nil:
            members.append(key + member.raw)
        case .replace(let raw)?:
            members.append(key + raw)
        case .remove?:
            break
        case .duplicate(let raw)?:
            members.append(key + member.raw)
            members.append(key + raw)
        }
    }
    members += extra
    return "{" + members.joined(separator: ",") + "}"
}

/// A JSON string literal for text that needs no escaping.
private func quoted(_ text: String) -> String {
    "\"" + text + "\""
}

private func validate(_ bytes: [UInt8], limits: RecordLimits = RecordLimits()) -> Result<Record, Rejection> {
    RecordValidator(limits: limits).validate(bytes)
}

private func validate(_ text: String, limits: RecordLimits = RecordLimits()) -> Result<Record, Rejection> {
    validate(Array(text.utf8), limits: limits)
}

private func rejectionOf(_ bytes: [UInt8], limits: RecordLimits = RecordLimits()) -> Rejection? {
    guard case .failure(let rejection) = validate(bytes, limits: limits) else { return nil }
    return rejection
}

private func rejectionOf(_ text: String, limits: RecordLimits = RecordLimits()) -> Rejection? {
    rejectionOf(Array(text.utf8), limits: limits)
}

private func accepted(_ text: String, limits: RecordLimits = RecordLimits()) throws -> Record {
    try validate(text, limits: limits).get()
}

/// A valid value of `field` with `insert` spliced into it (before the end for
/// fields with a grammar, in the middle for free text).
private func withInserted(_ insert: String, into field: RecordField) -> String {
    switch field {
    case .time: quoted("2026-03-01T12:00:00Z" + insert)
    case .type: quoted("positive" + insert)
    case .value: quoted("12.50" + insert)
    default: quoted("ab" + insert + "cd")
    }
}

// MARK: - Tests

@Suite("RecordValidator")
struct RecordValidatorTests {
    // MARK: The valid example

    @Test func designExampleParsesToItsFields() throws {
        let record = try accepted(body())
        #expect(record.recordId == "r-1")
        #expect(record.timeText == "2026-03-01T12:00:00Z")
        #expect(record.time.epochSeconds == exampleEpochSeconds)
        #expect(record.time.nanoseconds == 0)
        #expect(record.time.offsetMinutes == 0)
        #expect(record.sourceId == "billing")
        #expect(record.destinationId == "acct-42")
        #expect(record.type == .positive)
        #expect(record.value == (try ExactDecimal.parse("12.5")))
        #expect(record.value.description == "12.50")
        #expect(!record.value.isNegative)
        #expect(record.unit == "EUR")
        #expect(record.reference == "inv-7")
    }

    @Test func memberOrderDoesNotMatter() throws {
        let reversed = "{" + exampleMembers.reversed().map { "\"\($0.key)\":\($0.raw)" }.joined(separator: ",") + "}"
        #expect(try accepted(reversed) == accepted(body()))
    }

    @Test func whitespaceAroundTokensIsAllowed() throws {
        let spaced = "\n\t{ " + exampleMembers.map { " \"\($0.key)\" :\r\n \($0.raw) " }.joined(separator: " , ") + " }\n"
        #expect(try accepted(spaced) == accepted(body()))
    }

    @Test func negativeType() throws {
        let record = try accepted(body([.type: .replace(#""negative""#)]))
        #expect(record.type == .negative)
        #expect(!record.value.isNegative)
        #expect(record.value.description == "12.50")
    }

    // MARK: Every field: presence, type, emptiness

    @Test(arguments: RecordField.allCases)
    func missingFieldIsRejected(_ field: RecordField) throws {
        let rejection = try #require(rejectionOf(body([field: .remove])))
        #expect(rejection.reason == .invalidField)
        #expect(rejection.field == field)
    }

    @Test func emptyObjectReportsAMissingField() throws {
        let rejection = try #require(rejectionOf("{}"))
        #expect(rejection.reason == .invalidField)
        #expect(rejection.field != nil)
    }

    @Test(arguments: stringFields, [
        "5", "0", "-1", "1.5e3", "true", "false", "null", "[]", "{}", #"["r-1"]"#, #"{"a":"b"}"#,
    ])
    func stringFieldWithAnotherJSONTypeIsRejected(_ field: RecordField, _ raw: String) throws {
        let rejection = try #require(rejectionOf(body([field: .replace(raw)])))
        #expect(rejection.reason == .invalidField)
        #expect(rejection.field == field)
    }

    @Test(arguments: ["true", "false", "null", "[]", "{}", #"["12.50"]"#, "[12.5]", #"{"amount":"12.50"}"#])
    func valueWithANonNumericJSONTypeIsRejected(_ raw: String) throws {
        let rejection = try #require(rejectionOf(body([.value: .replace(raw)])))
        #expect(rejection.reason == .invalidField)
        #expect(rejection.field == .value)
    }

    @Test(arguments: RecordField.allCases)
    func emptyStringIsRejected(_ field: RecordField) throws {
        let rejection = try #require(rejectionOf(body([field: .replace(#""""#)])))
        #expect(rejection.reason == .invalidField)
        #expect(rejection.field == field)
    }

    // MARK: Size of fields

    /// 255: the recordId is the outputs' message_id and the destinationId
    /// their routing key, AMQP short strings of at most 255 bytes.
    @Test func defaultFieldLimitIsTheAMQPShortStringLimit() {
        #expect(RecordLimits().maxFieldBytes == 255)
        #expect(RecordLimits.maxFieldBytesAllowed == 255)
        #expect(RecordLimits().maxBodyBytes == 65_536)
    }

    @Test(arguments: freeTextFields)
    func fieldOfExactlyTheLimitIsAccepted(_ field: RecordField) throws {
        let text = String(repeating: "x", count: 255)
        let record = try accepted(body([field: .replace(quoted(text))]))
        let stored: String = switch field {
        case .recordId: record.recordId
        case .sourceId: record.sourceId
        case .destinationId: record.destinationId
        case .unit: record.unit
        default: record.reference
        }
        #expect(stored == text)
    }

    @Test(arguments: freeTextFields)
    func fieldOneByteOverTheLimitIsRejected(_ field: RecordField) throws {
        let rejection = try #require(rejectionOf(body([field: .replace(quoted(String(repeating: "x", count: 256)))])))
        #expect(rejection.reason == .invalidField)
        #expect(rejection.field == field)
    }

    /// The limit counts UTF-8 bytes, not characters: 254 ASCII bytes and an
    /// "é" are 256 bytes, one over; an emoji that crosses byte 255 is over.
    @Test(arguments: freeTextFields)
    func fieldLimitCountsUTF8Bytes(_ field: RecordField) throws {
        _ = try accepted(body([field: .replace(quoted(String(repeating: "x", count: 253) + "é"))]))
        _ = try accepted(body([field: .replace(quoted(String(repeating: "€", count: 85)))]))
        _ = try accepted(body([field: .replace(quoted(String(repeating: "x", count: 251) + "😀"))]))
        for tooLong in [
            String(repeating: "x", count: 254) + "é", String(repeating: "€", count: 85) + "x",
            String(repeating: "x", count: 252) + "😀", String(repeating: "e\u{301}", count: 86),
        ] {
            let rejection = try #require(rejectionOf(body([field: .replace(quoted(tooLong))])))
            #expect(rejection.reason == .invalidField)
            #expect(rejection.field == field)
        }
    }

    /// An escape counts as the bytes it decodes to, not as written.
    @Test func fieldLimitCountsDecodedBytes() throws {
        let escaped = String(repeating: "\\u0078", count: 255)  // 255 × "x", 1530 bytes as written
        let record = try accepted(body([.reference: .replace(quoted(escaped))]))
        #expect(record.reference == String(repeating: "x", count: 255))
    }

    @Test func timeIsBoundedToo() throws {
        // The example time is 20 bytes; every other example field is shorter.
        _ = try accepted(body(), limits: RecordLimits(maxFieldBytes: 20))
        let rejection = try #require(rejectionOf(body(), limits: RecordLimits(maxFieldBytes: 19)))
        #expect(rejection.reason == .invalidField)
        #expect(rejection.field == .time)
    }

    @Test func customFieldLimit() throws {
        let limits = RecordLimits(maxFieldBytes: 30)
        let thirty = String(repeating: "d", count: 30)
        #expect(try accepted(body([.destinationId: .replace(quoted(thirty))]), limits: limits).destinationId == thirty)
        let rejection = try #require(rejectionOf(body([.destinationId: .replace(quoted(thirty + "d"))]), limits: limits))
        #expect(rejection.field == .destinationId)
    }

    // MARK: Control characters

    @Test(arguments: RecordField.allCases, [
        "\\n", "\\u0000", "\\u001f", "\\u001F", "\\u007f", "\u{7F}", "\\t", "\\r", "\\b", "\\f", "\\u0001",
    ])
    func controlCharacterIsRejected(_ field: RecordField, _ control: String) throws {
        let rejection = try #require(rejectionOf(body([field: .replace(withInserted(control, into: field))])))
        #expect(rejection.reason == .invalidField)
        #expect(rejection.field == field)
    }

    @Test(arguments: freeTextFields)
    func controlCharacterAloneIsRejected(_ field: RecordField) throws {
        for control in ["\\u0000", "\\n", "\u{7F}"] {
            let rejection = try #require(rejectionOf(body([field: .replace(quoted(control))])))
            #expect(rejection.field == field)
        }
    }

    /// Space, "~" (DEL's neighbour) and non-ASCII text are not control characters.
    @Test(arguments: freeTextFields)
    func printableNeighboursAreAccepted(_ field: RecordField) throws {
        _ = try accepted(body([field: .replace(quoted(" ~ Grüße 😀 "))]))
    }

    // MARK: Duplicate keys

    @Test(arguments: RecordField.allCases)
    func duplicateKeyWithTheSameValueIsRejected(_ field: RecordField) throws {
        let raw = exampleMembers.first { $0.field == field }!.raw
        let rejection = try #require(rejectionOf(body([field: .duplicate(raw)])))
        #expect(rejection.reason == .invalidField)
        #expect(rejection.field == field)
    }

    @Test(arguments: RecordField.allCases)
    func duplicateKeyWithAnotherValueIsRejected(_ field: RecordField) throws {
        let other = field == .value ? "7" : (field == .time ? #""2026-03-02T12:00:00Z""# : (field == .type ? #""negative""# : #""other""#))
        let rejection = try #require(rejectionOf(body([field: .duplicate(other)])))
        #expect(rejection.reason == .invalidField)
        #expect(rejection.field == field)
    }

    /// Keys are compared after decoding escapes: `record\u0049d` is `recordId`.
    @Test func duplicateKeyWrittenWithAnEscapeIsRejected() throws {
        let rejection = try #require(rejectionOf(body(extra: [#""record\u0049d":"r-2""#])))
        #expect(rejection.reason == .invalidField)
        #expect(rejection.field == .recordId)
    }

    // MARK: time

    @Test(arguments: [
        ("2026-03-01T12:00:00Z", Int16(0)),
        ("2026-03-01T13:00:00+01:00", 60),
        ("2026-03-01T06:30:00-05:30", -330),
        ("2026-03-02T11:59:00+23:59", 1_439),
        ("2026-03-01T12:00:00-00:00", 0),
        ("2026-03-01t12:00:00z", 0),
    ])
    func timeWithAnOffsetIsAccepted(_ text: String, _ offsetMinutes: Int16) throws {
        let record = try accepted(body([.time: .replace(quoted(text))]))
        #expect(record.time.epochSeconds == exampleEpochSeconds)
        #expect(record.time.offsetMinutes == offsetMinutes)
        #expect(record.timeText == text)
    }

    @Test func timeWithAFractionIsAccepted() throws {
        let record = try accepted(body([.time: .replace(#""2026-03-01T12:00:00.123456789Z""#)]))
        #expect(record.time.epochSeconds == exampleEpochSeconds)
        #expect(record.time.nanoseconds == 123_456_789)
    }

    @Test func leapDayIsAccepted() throws {
        // 2024 is a leap year: its 29 February is the day before 1 March.
        let leap = try accepted(body([.time: .replace(#""2024-02-29T00:00:00Z""#)]))
        let march = try accepted(body([.time: .replace(#""2024-03-01T00:00:00Z""#)]))
        #expect(march.time.epochSeconds - leap.time.epochSeconds == 86_400)
    }

    @Test(arguments: [
        "2026-03-01T12:00:00", "yesterday", "2026-02-30T12:00:00Z", "2025-02-29T12:00:00Z", "2026-04-31T00:00:00Z",
        "2026-03-01", "12:00:00Z", "2026-13-01T12:00:00Z", "2026-03-01T24:00:00Z", "2026-03-01T12:60:00Z",
        "2026-03-01T12:00:60Z", "2026-03-01T12:00:00+0100", "2026-03-01T12:00:00+01", "2026-03-01T12:00:00UTC",
        "1772366400", "2026-03-01T12:00:00.Z", "2026-03-01T12:00:00Z ", " 2026-03-01T12:00:00Z",
        "2026-03-01T12:00:00ZZ", "26-03-01T12:00:00Z", "0000-03-01T12:00:00Z",
    ])
    func timeWithoutAValidOffsetOrDateIsRejected(_ text: String) throws {
        let rejection = try #require(rejectionOf(body([.time: .replace(quoted(text))])))
        #expect(rejection.reason == .invalidField)
        #expect(rejection.field == .time)
    }

    // MARK: type

    @Test(arguments: [("positive", RecordType.positive), ("negative", .negative)])
    func typeIsPositiveOrNegative(_ text: String, _ expected: RecordType) throws {
        #expect(try accepted(body([.type: .replace(quoted(text))])).type == expected)
    }

    @Test(arguments: [
        "Positive", "NEGATIVE", "Negative", "POSITIVE", "pos", "neg", " positive", "positive ", "credit", "debit",
        "+", "-", "positive,negative", "positivE",
    ])
    func otherTypesAreRejected(_ text: String) throws {
        let rejection = try #require(rejectionOf(body([.type: .replace(quoted(text))])))
        #expect(rejection.reason == .invalidField)
        #expect(rejection.field == .type)
    }

    // MARK: value

    @Test(arguments: [
        // (raw JSON, exact plain text expected)
        ("12.50", "12.50"),
        (#""12.50""#, "12.50"),
        ("12.5", "12.5"),
        ("7", "7"),
        ("0", "0"),
        ("1.5e3", "1500"),
        ("1.5E3", "1500"),
        (#""1.5e3""#, "1500"),
        ("125e-3", "0.125"),
        ("123456789012345678901234567890.123456789", "123456789012345678901234567890.123456789"),
        ("98765432109876543210987654321012345", "98765432109876543210987654321012345"),
        (#""0.00000000000000000000000000000001""#, "0.00000000000000000000000000000001"),
        ("1e47", "1" + String(repeating: "0", count: 47)),
        (#""999999999999999999999999999999999999999999999999""#, String(repeating: "9", count: 48)),
    ])
    func valueIsParsedExactly(_ raw: String, _ expected: String) throws {
        let record = try accepted(body([.value: .replace(raw)]))
        #expect(record.value.description == expected)
        #expect(!record.value.isNegative)
    }

    @Test func exponentValueIsFifteenHundred() throws {
        let record = try accepted(body([.value: .replace("1.5e3")]))
        #expect(record.value == ExactDecimal(1500))
        #expect(record.value == ExactDecimal(1000) + ExactDecimal(500))
    }

    /// 30+ significant digits survive: a Double would keep about 17.
    @Test func longJSONNumberIsKeptExactly() throws {
        let digits = "1234567890123456789012345678901234.5678901"
        let record = try accepted(body([.value: .replace(digits)]))
        #expect(record.value.description == digits)
        // Adding the last unit changes the value, so no digit was dropped.
        let plusOne = try ExactDecimal.parse("0.0000001") + record.value
        #expect(plusOne.description == "1234567890123456789012345678901234.5678902")
    }

    @Test(arguments: ["-0", #""-0""#, "-0.0", #""-0.00""#, "-0e5", "0e-3"])
    func negativeZeroIsAcceptedAsZero(_ raw: String) throws {
        let record = try accepted(body([.value: .replace(raw)]))
        #expect(record.value.isZero)
        #expect(!record.value.isNegative)
        #expect(record.value == ExactDecimal(0))
        #expect(!record.value.description.hasPrefix("-"))
    }

    @Test(arguments: ["-1", #""-12.50""#, "-0.01", #""-1e3""#, "-12.50", #""-0.0000001""#])
    func negativeValueIsRejected(_ raw: String) throws {
        let rejection = try #require(rejectionOf(body([.value: .replace(raw)])))
        #expect(rejection.reason == .invalidField)
        #expect(rejection.field == .value)
    }

    @Test(arguments: [
        #""NaN""#, #""nan""#, #""Infinity""#, #""-Infinity""#, #""1,5""#, #""1.5.0""#, #"" 12.5""#, #""12.5 ""#,
        #""+12.5""#, #"".5""#, #""5.""#, #""0x10""#, #""012""#, #""12.50 EUR""#, #""€12.50""#, #""1e""#, #""e5""#,
        #""1_000""#, #""١٢""#,
    ])
    func malformedValueIsRejected(_ raw: String) throws {
        let rejection = try #require(rejectionOf(body([.value: .replace(raw)])))
        #expect(rejection.reason == .invalidField)
        #expect(rejection.field == .value)
    }

    @Test(arguments: [
        "1e48", #""1e48""#, "1" + String(repeating: "0", count: 48), #""1"# + String(repeating: "0", count: 48) + "\"",
        "0." + String(repeating: "0", count: 32) + "1", #""0."# + String(repeating: "0", count: 33) + "\"",
        "1e-33", "1.5e-32", "1e99999999999999999999", #""1e-99999999999999999999""#,
    ])
    func valueBeyondTheDecimalLimitsIsRejected(_ raw: String) throws {
        let rejection = try #require(rejectionOf(body([.value: .replace(raw)])))
        #expect(rejection.reason == .invalidField)
        #expect(rejection.field == .value)
    }

    // MARK: Body size

    /// The example body padded with trailing whitespace to `length` bytes.
    private func padded(to length: Int) -> [UInt8] {
        let bytes = Array(body().utf8)
        return bytes + [UInt8](repeating: UInt8(ascii: " "), count: length - bytes.count)
    }

    @Test func bodyOfExactlyTheDefaultLimitIsAccepted() throws {
        let record = try validate(padded(to: 65_536)).get()
        #expect(record.recordId == "r-1")
    }

    @Test func bodyOneByteOverTheDefaultLimitIsTooLarge() throws {
        let rejection = try #require(rejectionOf(padded(to: 65_537)))
        #expect(rejection.reason == .tooLarge)
        #expect(rejection.field == nil)
    }

    @Test func customBodyLimit() throws {
        let bytes = Array(body().utf8)
        _ = try validate(bytes, limits: RecordLimits(maxBodyBytes: bytes.count)).get()
        let rejection = try #require(rejectionOf(bytes, limits: RecordLimits(maxBodyBytes: bytes.count - 1)))
        #expect(rejection.reason == .tooLarge)
    }

    /// Rejected unread: what would be a parse error is never reached.
    @Test(arguments: [UInt8(ascii: "{"), UInt8(ascii: "["), 0xFF, 0x00, UInt8(ascii: "x")])
    func tooLargeBodyIsNotParsed(_ filler: UInt8) throws {
        let rejection = try #require(rejectionOf([UInt8](repeating: filler, count: 65_537)))
        #expect(rejection.reason == .tooLarge)
        let small = try #require(rejectionOf([UInt8](repeating: filler, count: 100), limits: RecordLimits(maxBodyBytes: 99)))
        #expect(small.reason == .tooLarge)
    }

    // MARK: Not a record at all

    @Test(arguments: [
        "", " ", "hello", "{", "}", #"{"recordId":}"#, "{'recordId':'r-1'}", #"{"a":1,}"#, "NaN", "{recordId:1}",
        #"{"recordId" "r-1"}"#, "[1,]", "01", "\u{FEFF}{}", "{} {}", "{}x", "// comment\n{}",
    ])
    func notJSONIsMalformed(_ text: String) throws {
        let rejection = try #require(rejectionOf(text))
        #expect(rejection.reason == .malformedJSON)
        #expect(rejection.field == nil)
    }

    @Test func exampleWithTrailingGarbageIsMalformed() throws {
        for suffix in [",", "}", " x", "\u{0}", "{}"] {
            let rejection = try #require(rejectionOf(body() + suffix))
            #expect(rejection.reason == .malformedJSON)
        }
    }

    @Test(arguments: [
        "[]", "[1]", #""r-1""#, "42", "-1.5e3", "null", "true", "false",
    ])
    func jsonThatIsNotAnObjectHasTheWrongShape(_ text: String) throws {
        let rejection = try #require(rejectionOf(text))
        #expect(rejection.reason == .invalidShape)
        #expect(rejection.field == nil)
    }

    @Test func recordWrappedInAnArrayHasTheWrongShape() throws {
        let rejection = try #require(rejectionOf("[" + body() + "]"))
        #expect(rejection.reason == .invalidShape)
    }

    /// Every proper prefix of a valid body is an unfinished document.
    @Test func everyTruncationIsMalformed() throws {
        let bytes = Array(body().utf8)
        for length in 0..<bytes.count {
            let rejection = try #require(rejectionOf(Array(bytes[..<length])), "prefix of \(length) bytes")
            #expect(rejection.reason == .malformedJSON, "prefix of \(length) bytes")
        }
    }

    @Test(arguments: [
        [0xFF], [0xFE], [0xC3], [0xC0, 0xAF], [0xC1, 0xBF], [0xE2, 0x82], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80],
        [0xF8, 0x88, 0x80, 0x80, 0x80], [0x80], [0xE0, 0x80, 0xAF],
    ] as [[UInt8]])
    func invalidUTF8IsMalformed(_ sequence: [UInt8]) throws {
        // Inside a field value…
        let inField = Array(#"{"recordId":"r"#.utf8) + sequence + Array(body().utf8.dropFirst(#"{"recordId":"r-1"#.utf8.count))
        let rejection = try #require(rejectionOf(inField))
        #expect(rejection.reason == .malformedJSON)
        // …and inside a member the validator would otherwise ignore.
        let inUnknown = Array(body().utf8.dropLast()) + Array(#","note":""#.utf8) + sequence + Array("\"}".utf8)
        let ignored = try #require(rejectionOf(inUnknown))
        #expect(ignored.reason == .malformedJSON)
    }

    @Test func invalidUTF8ProbeIsOtherwiseValid() throws {
        // The splice used above yields a valid record with valid UTF-8 in place of the sequence.
        let inField = Array(#"{"recordId":"r"#.utf8) + Array("é".utf8) + Array(body().utf8.dropFirst(#"{"recordId":"r-1"#.utf8.count))
        #expect(try validate(inField).get().recordId == "ré")
    }

    // MARK: Tolerated content

    @Test func unknownFieldsAreIgnored() throws {
        let extra = [
            #""note":{"a":[1,2,{"b":null}]}"#, #""priority":3"#, #""recordid":"zzz""#, #""Value":"-1""#,
            #""x":1"#, #""x":"duplicate unknown keys are not our business""#, #""":"""#,
        ]
        #expect(try accepted(body(extra: extra)) == accepted(body()))
    }

    @Test func idsWithBracesAndColonsAreValid() throws {
        let record = try accepted(body([
            .recordId: .replace(#""a{b}:c""#),
            .sourceId: .replace(#""src:1""#),
            .destinationId: .replace(#""{acct}:42""#),
            .unit: .replace(#""{EUR}""#),
            .reference: .replace(#""}:ref:{""#),
        ]))
        #expect(record.recordId == "a{b}:c")
        #expect(record.sourceId == "src:1")
        #expect(record.destinationId == "{acct}:42")
        #expect(record.unit == "{EUR}")
        #expect(record.reference == "}:ref:{")
    }

    @Test func escapedStringsAreDecoded() throws {
        let record = try accepted(body([
            .destinationId: .replace(#""acct\u002d42""#),
            .reference: .replace(#""a\"b\\c\/d""#),
            .unit: .replace(#""\u20ac""#),
            .recordId: .replace(#""\ud83d\ude00""#),
        ]))
        #expect(record.destinationId == "acct-42")
        #expect(record.reference == "a\"b\\c/d")
        #expect(record.unit == "€")
        #expect(record.recordId == "😀")
    }
}

/// Characters beyond ASCII controls that would split log lines.
@Suite("RecordValidator: Unicode controls")
struct RecordValidatorUnicodeControlTests {
    @Test(arguments: ["\u{0085}", "\u{0080}", "\u{009F}", "\u{2028}", "\u{2029}"])
    func unicodeControlsAndLineSeparatorsAreRejected(_ character: String) throws {
        let body = "{\"recordId\":\"r\(character)1\",\"time\":\"2026-03-01T12:00:00Z\",\"sourceId\":\"s\",\"destinationId\":\"d\",\"type\":\"positive\",\"value\":\"1\",\"unit\":\"EUR\",\"reference\":\"x\"}"
        let result = RecordValidator().validate(Array(body.utf8))
        guard case .failure(let rejection) = result else {
            Issue.record("accepted a recordId containing U+\(String(character.unicodeScalars.first!.value, radix: 16))")
            return
        }
        #expect(rejection.reason == .invalidField)
        #expect(rejection.field == .recordId)
    }

    @Test func otherNonASCIIIsAccepted() throws {
        let body = "{\"recordId\":\"r-ünï-€-😀\",\"time\":\"2026-03-01T12:00:00Z\",\"sourceId\":\"s\",\"destinationId\":\"d\",\"type\":\"positive\",\"value\":\"1\",\"unit\":\"EUR\",\"reference\":\"x\"}"
        let record = try RecordValidator().validate(Array(body.utf8)).get()
        #expect(record.recordId == "r-ünï-€-😀")
    }
}
