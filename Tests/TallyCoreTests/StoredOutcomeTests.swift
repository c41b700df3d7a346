import TallyCore
import Testing

/// Reading back what Redis stores: summary hashes (layout 3's decimal
/// fields and layout 4's integer fields) and layout 4's stored outcomes.
@Suite struct StoredOutcomeTests {
    private static func record(value: String = "2.5", unit: String = "kWh") throws -> Record {
        try Record(
            recordId: "r-1", time: RFC3339Timestamp.parse("2026-03-01T12:00:00Z"), timeText: "2026-03-01T12:00:00Z",
            sourceId: "meter", destinationId: "acct-1", type: .positive, value: ExactDecimal.parse(value), unit: unit,
            reference: "inv-1")
    }

    @Test func theIntegerTotalAtItsScaleAndTheExactFieldMakeOneTotal() throws {
        let summary = try Summary(storedFields: [
            ("count", "5"), ("P:kWh", "350"), ("Ps:kWh", "2"), ("p:kWh", "10.125"), ("N:kWh", "1"), ("Ns:kWh", "3"),
            ("P:EUR", "0"), ("Ps:EUR", "1"), ("n:EUR", "0.5"), ("N:m3", "7"),
        ])
        #expect(summary.count == 5)
        #expect(summary.json == #"{"count":5,"totals":[{"unit":"EUR","positive":"0.0","negative":"0.5","net":"-0.5"},"#
            + #"{"unit":"kWh","positive":"13.625","negative":"0.001","net":"13.624"},"#
            + #"{"unit":"m3","positive":"0","negative":"7","net":"-7"}]}"#)
    }

    /// Layout 3's summaries (decimal strings only) read as before.
    @Test func layout3FieldsReadAsTheyWereWritten() throws {
        let summary = try Summary(storedFields: [("count", "2"), ("p:EUR", "12.50"), ("n:EUR", "2.25")])
        #expect(summary.json == #"{"count":2,"totals":[{"unit":"EUR","positive":"12.50","negative":"2.25","net":"10.25"}]}"#)
    }

    /// A unit may hold a colon or begin with a combining mark: the unit is
    /// everything after the first colon of the field.
    @Test func unitsAreTheBytesAfterTheFieldsColon() throws {
        let summary = try Summary(storedFields: [("P:a:b", "1"), ("p:\u{301}x", "2"), ("P:\u{301}x", "5"), ("Ps:\u{301}x", "12")])
        #expect(summary.totals.map(\.unit) == ["a:b", "\u{301}x"])
        #expect(summary.totals.last?.positive.description == "2.000000000005")
    }

    @Test(arguments: [("x:EUR", "1"), ("P2:EUR", "1"), ("PEUR", "1"), ("P:EUR", "1.5"), ("Ps:EUR", "33"), ("p:EUR", "abc"), ("count", "x")])
    func fieldsTallyNeverWritesAreRefused(_ field: (String, String)) {
        #expect(throws: StoredSummaryError.self) { try Summary(storedFields: [field]) }
    }

    @Test func aStoredSummaryRendersTheNotificationAndTheAlert() throws {
        let record = try Self.record()
        let stored = try StoredOutcome(layout4: Substring("S1.5\n" + record.canonicalJSON + "\ncount\n1\nP:kWh\n30\nPs:kWh\n1"))
        var previous = Summary()
        previous.add(try Self.record(value: "3.0"))
        #expect(stored == .previous(
            recordJSON: record.canonicalJSON, summaryJSON: previous.json, alertThreshold: try ExactDecimal.parse("1.5")))
        let outputs = stored.outputs(for: record)
        #expect(outputs.notification == OutputComposer.notification(record, previous: previous))
        #expect(outputs.alert == OutputComposer.alert(canonicalJSON: record.canonicalJSON, threshold: try ExactDecimal.parse("1.5")))
    }

    @Test func theFirstRecordOfAReferenceHasAnEmptyPreviousSummaryAndNoAlert() throws {
        let record = try Self.record()
        let stored = try StoredOutcome(layout4: Substring("S\n" + record.canonicalJSON + "\n"))
        #expect(stored == .previous(recordJSON: record.canonicalJSON, summaryJSON: Summary().json, alertThreshold: nil))
        let outputs = stored.outputs(for: record)
        #expect(outputs.alert == nil)
        #expect(outputs.notification.hasSuffix(#""previous":{"count":0,"totals":[]}}}"#), "\(outputs.notification)")
    }

    /// An outcome adopted from layout 3 is published as layout 3 rendered it.
    @Test func anAdoptedLayout3OutcomeIsPublishedAsStored() throws {
        let stored = try StoredOutcome(layout4: "R{\"n\":1}\n{\"a\":2}")
        #expect(stored == .rendered("{\"n\":1}\n{\"a\":2}"))
        let outputs = stored.outputs(for: try Self.record())
        #expect(outputs.notification == "{\"n\":1}" && outputs.alert == "{\"a\":2}")
    }

    /// A producer duplicate spelling the record differently (`2.50` for
    /// `2.5`: the same fingerprint) gets the first version's outputs.
    @Test func aDuplicateSpelledDifferentlyGetsTheFirstVersionsBytes() throws {
        let first = try Self.record(value: "2.5")
        let again = try Self.record(value: "2.50")
        #expect(RecordFingerprint(first) == RecordFingerprint(again))
        let stored = try StoredOutcome(layout4: Substring("S\n" + first.canonicalJSON + "\n"))
        #expect(stored.outputs(for: again).notification == stored.outputs(for: first).notification)
        #expect(stored.outputs(for: again).notification.contains(#""value":"2.5""#))
    }

    @Test(arguments: ["", "X", "S1.5\n{}\ncount", "Sabc\n{}\n", "S\n{}"])
    func anUnreadableStoredOutcomeIsAnError(_ text: String) {
        #expect(throws: StoredSummaryError.self) { try StoredOutcome(layout4: Substring(text)) }
    }

    /// A stored scale too large for an `Int` (a corrupt field: the Function
    /// never writes one past 32) is refused like any other bad scale, by the
    /// general path; the fast path once trapped converting it.
    @Test(arguments: ["9999999999999999999", "33"])
    func aScalePastTheLimitIsRefusedNotATrap(_ scale: String) {
        #expect(throws: StoredSummaryError.self) {
            try StoredSummaryJSON.render(Substring("P:kg\n1\nPs:kg\n\(scale)").utf8)
        }
    }

    @Test func significandsBelowTheLimitAreExactIntegers() throws {
        #expect(try ExactDecimal.parse("12.50").significand(below: 1_000_000_000_000_000) == 1250)
        #expect(try ExactDecimal.parse("999999999.999999").significand(below: 1_000_000_000_000_000) == 999_999_999_999_999)
        #expect(try ExactDecimal.parse("1000000000000000").significand(below: 1_000_000_000_000_000) == nil)
        #expect(try ExactDecimal.parse("0.0").significand(below: 10) == 0)
        #expect(ExactDecimal(significand: 1250, scale: 2).description == "12.50")
        #expect(ExactDecimal(significand: 0, scale: 2).description == "0.00")
    }

    /// The fast path (integer totals and their net as `Int128`) prints what
    /// the general path (`Summary`, `ExactDecimal`) prints, on random
    /// summaries: scales 0–32, zeros, significands up to 16 digits, fields in
    /// any order, sometimes an exact field.
    @Test func theFastRendererPrintsWhatSummaryPrints() throws {
        var random = SystemRandomNumberGenerator()
        let units = ["kWh", "EUR", "m3", "a:b", "\u{301}x"]
        for _ in 0..<2_000 {
            var fields: [(field: String, value: String)] = []
            if Bool.random(using: &random) { fields.append(("count", String(Int.random(in: 0...1_000_000, using: &random)))) }
            var used = Set<String>()
            for _ in 0..<Int.random(in: 0...6, using: &random) {
                let unit = units.randomElement(using: &random)!
                let sign = Bool.random(using: &random) ? "P" : "N"
                guard used.insert(sign + unit).inserted else { continue }
                let digits = Int.random(in: 1...16, using: &random)
                var value = String(Int.random(in: 1...9, using: &random))
                for _ in 1..<digits { value += String(Int.random(in: 0...9, using: &random)) }
                if Int.random(in: 0..<10, using: &random) == 0 { value = "0" }
                fields.append(("\(sign):\(unit)", value))
                let scale = [0, 1, 2, 3, 8, 18, 32].randomElement(using: &random)!
                if scale > 0 || Bool.random(using: &random) { fields.append(("\(sign)s:\(unit)", String(scale))) }
            }
            fields.shuffle(using: &random)
            if Int.random(in: 0..<20, using: &random) == 0 { fields.append(("p:EUR", "12.345")) }
            let stored = fields.flatMap { [$0.field, $0.value] }.joined(separator: "\n")
            let expected = try Summary(storedFields: fields).json
            #expect(try StoredSummaryJSON.render(Substring(stored).utf8) == expected, "\(stored)")
        }
    }
}
