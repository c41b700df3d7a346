import Testing
@testable import TallyCore

/// A record built directly (not through the validator), the contract's example by default.
private func makeRecord(
    recordId: String = "r-1", time: String = "2026-03-01T12:00:00Z", sourceId: String = "billing",
    destinationId: String = "acct-42", type: RecordType = .positive, value: String = "12.50",
    unit: String = "EUR", reference: String = "inv-7"
) throws -> Record {
    try Record(
        recordId: recordId, time: RFC3339Timestamp.parse(time), timeText: time, sourceId: sourceId,
        destinationId: destinationId, type: type, value: ExactDecimal.parse(value), unit: unit, reference: reference)
}

private func fingerprint(_ record: Record) -> RecordFingerprint {
    RecordFingerprint(record)
}

@Suite("RecordFingerprint")
struct RecordFingerprintTests {
    @Test func sameRecordSameFingerprint() throws {
        #expect(try fingerprint(makeRecord()) == fingerprint(makeRecord()))
        #expect(try fingerprint(makeRecord()).description == fingerprint(makeRecord()).description)
    }

    @Test func sameBodyValidatedTwiceSameFingerprint() throws {
        let body = Array(#"{"recordId":"r-1","time":"2026-03-01T12:00:00Z","sourceId":"billing","destinationId":"acct-42","type":"positive","value":"12.50","unit":"EUR","reference":"inv-7"}"#.utf8)
        let first = try RecordValidator().validate(body).get()
        let second = try RecordValidator().validate(body).get()
        #expect(fingerprint(first) == fingerprint(second))
        #expect(try fingerprint(first) == fingerprint(makeRecord()))
    }

    @Test(arguments: [
        ("12.5", "12.50"), ("12.5", "12.500000"), ("1500", "1.5e3"), ("1500", "1500.0"), ("0", "0.00"), ("0", "-0"),
        ("0", "0e7"), ("0.125", "125e-3"), ("100", "1e2"),
    ])
    func numericallyEqualValuesHaveTheSameFingerprint(_ a: String, _ b: String) throws {
        #expect(try fingerprint(makeRecord(value: a)) == fingerprint(makeRecord(value: b)))
    }

    @Test(arguments: [
        "2026-03-01T13:00:00+01:00", "2026-03-01T06:30:00-05:30", "2026-03-01T12:00:00.000Z",
        "2026-03-01t12:00:00z", "2026-03-01T12:00:00-00:00", "2026-03-02T11:59:00+23:59",
    ])
    func sameInstantWithAnotherOffsetHasTheSameFingerprint(_ time: String) throws {
        #expect(try fingerprint(makeRecord(time: time)) == fingerprint(makeRecord()))
    }

    @Test(arguments: [
        ("recordId", "r-2"), ("recordId", "R-1"), ("recordId", "r-1 "),
        ("time", "2026-03-01T12:00:01Z"), ("time", "2026-03-01T12:00:00.000000001Z"),
        ("time", "2026-03-01T12:00:00+01:00"), ("time", "2025-03-01T12:00:00Z"),
        ("sourceId", "billing2"), ("destinationId", "acct-43"),
        ("type", "negative"),
        ("value", "12.51"), ("value", "1.25"), ("value", "125"), ("value", "0"),
        ("unit", "eur"), ("unit", "kWh"), ("reference", "inv-8"), ("reference", "inv-7\u{301}"),
    ])
    func anySingleFieldChangedChangesTheFingerprint(_ field: String, _ text: String) throws {
        let changed: Record = switch field {
        case "recordId": try makeRecord(recordId: text)
        case "time": try makeRecord(time: text)
        case "sourceId": try makeRecord(sourceId: text)
        case "destinationId": try makeRecord(destinationId: text)
        case "type": try makeRecord(type: RecordType(rawValue: text)!)
        case "value": try makeRecord(value: text)
        case "unit": try makeRecord(unit: text)
        default: try makeRecord(reference: text)
        }
        #expect(try fingerprint(changed) != fingerprint(makeRecord()))
    }

    /// Moving bytes across a field boundary changes the meaning, so the digest.
    @Test func fieldBoundariesMatter() throws {
        #expect(try fingerprint(makeRecord(recordId: "ab", sourceId: "c")) != fingerprint(makeRecord(recordId: "a", sourceId: "bc")))
        #expect(try fingerprint(makeRecord(unit: "EURinv", reference: "-7")) != fingerprint(makeRecord(unit: "EUR", reference: "inv-7")))
        #expect(try fingerprint(makeRecord(sourceId: "x", destinationId: "y")) != fingerprint(makeRecord(sourceId: "y", destinationId: "x")))
    }

    /// Canonically equivalent but different bytes are different ids.
    @Test func fingerprintComparesBytesNotCanonicalEquivalence() throws {
        #expect(try fingerprint(makeRecord(destinationId: "caf\u{E9}")) != fingerprint(makeRecord(destinationId: "cafe\u{301}")))
    }

    @Test func descriptionIsSixteenLowercaseHexDigitsOfTheValue() throws {
        // Many different records, so some digests have leading zero nibbles (1 in 16 each).
        var sawLeadingZero = false
        var seen = Set<UInt64>()
        for i in 0..<2_000 {
            let digest = try fingerprint(makeRecord(recordId: "r-\(i)", value: "\(i).\(i % 100)"))
            let text = digest.description
            #expect(text.utf8.count == 16)
            #expect(text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }, "\(text)")
            #expect(UInt64(text, radix: 16) == digest.value)
            if text.hasPrefix("0") { sawLeadingZero = true }
            seen.insert(digest.value)
        }
        #expect(sawLeadingZero)
        #expect(seen.count == 2_000)
    }
}
