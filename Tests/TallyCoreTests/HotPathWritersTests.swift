@testable import TallyCore
import Testing

/// The byte writers of the worker's hot path (what the store's `ApplyCall` uses)
/// must produce exactly the bytes of the `String` forms that the rest of the
/// fleet, the stored data and the tests rely on.
@Suite("Hot path writers")
struct HotPathWritersTests {
    private static func record(
        recordId: String = "r-1", time: String = "2026-03-01T12:00:00Z", sourceId: String = "billing",
        destinationId: String = "acct-42", type: RecordType = .positive, value: String = "12.50",
        unit: String = "EUR", reference: String = "inv-7"
    ) throws -> Record {
        try Record(
            recordId: recordId, time: RFC3339Timestamp.parse(time), timeText: time, sourceId: sourceId,
            destinationId: destinationId, type: type, value: ExactDecimal.parse(value), unit: unit, reference: reference)
    }

    /// Texts that need every kind of escaping JSON and the key layout have.
    static let awkwardTexts = [
        "plain", "quo\"te", "back\\slash", "brace{d}", "per%cent", "é-ü-😀", "tab\tnew\nline\u{1}", "\u{7F}", "a/b",
    ]

    private static func text(_ write: (inout [UInt8]) -> Void) -> String {
        var bytes: [UInt8] = [0x41]  // something already there, kept
        write(&bytes)
        #expect(bytes.first == 0x41)
        return String(decoding: bytes.dropFirst(), as: UTF8.self)
    }

    @Test(arguments: awkwardTexts)
    func quotedBytesEqualTheQuotedString(_ text: String) {
        #expect(Self.text { JSONWriter.appendQuoted(text, to: &$0) } == JSONWriter.quoted(text))
    }

    @Test(arguments: awkwardTexts)
    func canonicalBytesAndTailMatchTheComposer(_ text: String) throws {
        let record = try Self.record(recordId: text, sourceId: text, destinationId: text, unit: text, reference: text)
        let canonical = Self.text { record.appendCanonicalJSON(to: &$0) }
        #expect(canonical == record.canonicalJSON)
        let tail = Self.text { OutputComposer.appendNotificationTail(record, to: &$0) }
        #expect("{\"record\":" + canonical + tail == OutputComposer.notificationPrefix(record, canonicalJSON: canonical))
    }

    /// The fingerprint is stored in Redis, so it must not change between
    /// versions: here it is recomputed the way it was first defined (the
    /// decimal text of the instant made with `String`).
    @Test(arguments: [
        "2026-03-01T12:00:00Z", "1969-12-31T23:59:59.5Z", "1900-01-01T00:00:00+01:00", "2026-03-01T12:00:00.123456789Z",
        "9999-12-31T23:59:59Z",
    ])
    func fingerprintIsTheOneFirstDefined(_ time: String) throws {
        let record = try Self.record(time: time)
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for field in [
            record.recordId, String(record.time.epochSeconds), String(record.time.nanoseconds), record.sourceId,
            record.destinationId, record.type.rawValue, record.value.canonical, record.unit, record.reference,
        ] {
            for byte in field.utf8 {
                hash ^= UInt64(byte)
                hash &*= 0x0000_0100_0000_01b3
            }
            hash ^= 0x1F
            hash &*= 0x0000_0100_0000_01b3
        }
        let fingerprint = RecordFingerprint(record)
        #expect(fingerprint.value == hash)
        let hex = String(hash, radix: 16)
        #expect(fingerprint.description == String(repeating: "0", count: 16 - hex.count) + hex)
        #expect(Self.text { fingerprint.appendHex(to: &$0) } == fingerprint.description)
    }

    @Test(arguments: [0, 7, 10, 1_023, UInt64.max])
    func decimalTextIsStringOfTheNumber(_ value: UInt64) {
        #expect(Self.text { DecimalText.append(value, to: &$0) } == String(value))
    }
}
