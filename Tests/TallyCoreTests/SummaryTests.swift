import Testing
@testable import TallyCore

private func makeRecord(
    _ type: RecordType, _ value: String, _ unit: String, recordId: String = "r-1", destinationId: String = "acct-42"
) throws -> Record {
    let time = "2026-03-01T12:00:00Z"
    return try Record(
        recordId: recordId, time: RFC3339Timestamp.parse(time), timeText: time, sourceId: "billing",
        destinationId: destinationId, type: type, value: ExactDecimal.parse(value), unit: unit, reference: "inv-7")
}

private func summary(_ records: [(RecordType, String, String)]) throws -> Summary {
    var summary = Summary()
    for (index, (type, value, unit)) in records.enumerated() {
        summary.add(try makeRecord(type, value, unit, recordId: "r-\(index)"))
    }
    return summary
}

private func decimal(_ text: String) throws -> ExactDecimal {
    try ExactDecimal.parse(text)
}

/// The totals of `unit`, compared by bytes (not by Swift's `==` on strings).
private func totals(_ summary: Summary, _ unit: String) -> UnitTotals? {
    summary.totals.first { Array($0.unit.utf8) == Array(unit.utf8) }
}

/// `units / 10^4` as plain decimal text with exactly four fraction digits, by Int arithmetic.
private func tenThousandths(_ units: Int) -> String {
    let magnitude = units.magnitude
    let fraction = String(magnitude % 10_000)
    return (units < 0 ? "-" : "") + String(magnitude / 10_000) + "."
        + String(repeating: "0", count: 4 - fraction.count) + fraction
}

@Suite("Summary")
struct SummaryTests {
    @Test func emptySummary() throws {
        let empty = Summary()
        #expect(empty.count == 0)
        #expect(empty.totals.isEmpty)
        #expect(try JSONParser.parse(empty.json) == .object([
            JSONMember(key: "count", value: .number("0")), JSONMember(key: "totals", value: .array([])),
        ]))
    }

    @Test func countsEveryRecord() throws {
        let s = try summary([(.positive, "1", "EUR"), (.negative, "2", "EUR"), (.positive, "3", "kWh"), (.positive, "0", "EUR")])
        #expect(s.count == 4)
    }

    @Test func pointOnePlusPointTwoIsExactlyPointThree() throws {
        let s = try summary([(.positive, "0.1", "EUR"), (.positive, "0.2", "EUR")])
        let eur = try #require(totals(s, "EUR"))
        #expect(eur.positive == (try decimal("0.3")))
        #expect(eur.positive.description == "0.3")
        #expect(eur.negative.isZero)
        #expect(eur.net == (try decimal("0.3")))
    }

    @Test func positiveNegativeAndNetPerUnit() throws {
        let s = try summary([
            (.positive, "12.50", "EUR"), (.negative, "2.25", "EUR"), (.positive, "0.75", "EUR"),
            (.negative, "5", "kWh"), (.negative, "1.125", "kWh"), (.positive, "2", "kWh"),
        ])
        #expect(s.count == 6)
        let eur = try #require(totals(s, "EUR"))
        #expect(eur.positive == (try decimal("13.25")))   // 12.50 + 0.75
        #expect(eur.negative == (try decimal("2.25")))
        #expect(eur.net == (try decimal("11")))           // 13.25 - 2.25
        let kwh = try #require(totals(s, "kWh"))
        #expect(kwh.positive == (try decimal("2")))
        #expect(kwh.negative == (try decimal("6.125")))   // 5 + 1.125
        #expect(kwh.net == (try decimal("-4.125")))       // 2 - 6.125: negatives exceed
        #expect(kwh.net.isNegative)
    }

    @Test func onlyNegativesGiveANegativeNet() throws {
        let s = try summary([(.negative, "0.01", "EUR"), (.negative, "0.02", "EUR")])
        let eur = try #require(totals(s, "EUR"))
        #expect(eur.positive.isZero)
        #expect(eur.net == (try decimal("-0.03")))
        #expect(eur.net.description == "-0.03")
    }

    @Test func netIsZeroWhenBalanced() throws {
        let s = try summary([(.positive, "7.5", "EUR"), (.negative, "7.50", "EUR")])
        let eur = try #require(totals(s, "EUR"))
        #expect(eur.net.isZero)
        #expect(!eur.net.isNegative)
    }

    @Test func unitsAreNeverMixed() throws {
        let s = try summary([
            (.positive, "100", "EUR"), (.positive, "1", "kWh"), (.negative, "10", "EUR"), (.positive, "5", "eur"),
            (.positive, "3", "EUR "), (.negative, "2", "kWh"),
        ])
        #expect(s.totals.count == 4)
        #expect(try #require(totals(s, "EUR")).positive == (try decimal("100")))
        #expect(try #require(totals(s, "EUR")).negative == (try decimal("10")))
        #expect(try #require(totals(s, "eur")).positive == (try decimal("5")))
        #expect(try #require(totals(s, "EUR ")).positive == (try decimal("3")))
        #expect(try #require(totals(s, "kWh")).net == (try decimal("-1")))
    }

    /// Units are compared by bytes, as in Redis (the Lua side keys hash fields
    /// by the unit's bytes): "é" written precomposed and decomposed are two
    /// units there, so they must be two units here, or the Swift reference and
    /// the Redis Function disagree on the same records.
    @Test func canonicallyEquivalentUnitsWithDifferentBytesAreNotMerged() throws {
        let precomposed = "caf\u{E9}"
        let decomposed = "cafe\u{301}"
        let s = try summary([(.positive, "1", precomposed), (.positive, "2", decomposed)])
        #expect(s.totals.count == 2)
        #expect(totals(s, precomposed)?.positive == (try decimal("1")))
        #expect(totals(s, decomposed)?.positive == (try decimal("2")))
        // U+212A KELVIN SIGN is canonically equivalent to "K".
        let k = try summary([(.positive, "1", "K"), (.positive, "2", "\u{212A}")])
        #expect(k.totals.count == 2)
        // Nor are summaries over the two spellings equal.
        #expect(try summary([(.positive, "1", precomposed)]) != summary([(.positive, "1", decomposed)]))
    }

    // MARK: Order

    /// Written out by hand from the UTF-8 bytes of each unit:
    /// E(45) Z(5A) a(61) "eur"(65 75) "e\u{301}"(65 CC 81) f(66) "kWh"(6B)
    /// Ω(CE A9) €(E2 82 AC) 😀(F0 9F 98 80).
    private static let unitsInByteOrder = ["EUR", "Z", "a", "eur", "e\u{301}", "f", "kWh", "Ω", "€", "😀"]

    @Test(arguments: [0, 1, 2, 3, 4, 5])
    func unitsAreSortedByUTF8Bytes(_ rotation: Int) throws {
        let units = Self.unitsInByteOrder
        // Different insertion orders: reversed, rotated, interleaved.
        var order = Array(units[rotation...] + units[..<rotation])
        if rotation % 2 == 1 { order.reverse() }
        var s = Summary()
        for (index, unit) in order.enumerated() {
            s.add(try makeRecord(.positive, "\(index + 1)", unit))
        }
        #expect(s.totals.map { Array($0.unit.utf8) } == units.map { Array($0.utf8) })
        // Each unit keeps its own value.
        for (index, unit) in order.enumerated() {
            #expect(totals(s, unit)?.positive == ExactDecimal(index + 1))
        }
    }

    /// Swift's `<` on strings would put "e\u{301}" (≈ "é") after "f"; bytes put it before.
    @Test func byteOrderIsNotSwiftStringOrder() throws {
        let s = try summary([(.positive, "1", "f"), (.positive, "1", "e\u{301}")])
        #expect(s.totals.map { Array($0.unit.utf8) } == [Array("e\u{301}".utf8), Array("f".utf8)])
    }

    @Test func initSortsTotalsByBytes() throws {
        let s = Summary(count: 3, totals: [UnitTotals(unit: "€"), UnitTotals(unit: "kWh"), UnitTotals(unit: "EUR")])
        #expect(s.totals.map { $0.unit } == ["EUR", "kWh", "€"])
        #expect(s.count == 3)
    }

    // MARK: JSON

    @Test func jsonShape() throws {
        let s = try summary([
            (.positive, "0.1", "kWh"), (.positive, "0.2", "kWh"), (.negative, "12.50", "EUR"), (.positive, "2", "EUR"),
            (.negative, "1", "€"),
        ])
        let parsed = try JSONParser.parse(s.json)
        func entry(_ unit: String, _ p: String, _ n: String, _ net: String) -> JSONValue {
            .object([
                JSONMember(key: "unit", value: .string(unit)), JSONMember(key: "positive", value: .string(p)),
                JSONMember(key: "negative", value: .string(n)), JSONMember(key: "net", value: .string(net)),
            ])
        }
        #expect(parsed == .object([
            JSONMember(key: "count", value: .number("5")),
            JSONMember(key: "totals", value: .array([
                entry("EUR", "2", "12.50", "-10.50"),
                entry("kWh", "0.3", "0", "0.3"),
                entry("€", "0", "1", "-1"),
            ])),
        ]))
    }

    @Test func jsonEscapesUnits() throws {
        let s = try summary([(.positive, "1", "a\"b\\c"), (.positive, "2", "{x}:y")])
        let parsed = try JSONParser.parse(s.json)
        guard case .array(let entries)? = parsed["totals"] else {
            Issue.record("no totals array")
            return
        }
        #expect(entries.map { $0["unit"] } == [.string("a\"b\\c"), .string("{x}:y")])
    }

    @Test func jsonRoundTripsThroughInitJSON() throws {
        let s = try summary([
            (.positive, "12.50", "EUR"), (.negative, "0.125", "EUR"), (.positive, "3", "kWh"), (.negative, "9.99", "kWh"),
            (.positive, "1e3", "a\"b"), (.negative, "0.000", "😀"),
        ])
        let back = try Summary(json: JSONParser.parse(s.json))
        #expect(back == s)
        #expect(back.count == 6)
        #expect(back.totals.map { $0.unit } == s.totals.map { $0.unit })
        // The exact text (scale included) survives too.
        #expect(back.totals.map { $0.positive.description } == s.totals.map { $0.positive.description })
        #expect(back.totals.map { $0.negative.description } == s.totals.map { $0.negative.description })
        #expect(back.json == s.json)
    }

    @Test func emptyRoundTrips() throws {
        #expect(try Summary(json: JSONParser.parse(Summary().json)) == Summary())
    }

    @Test(arguments: [
        "[]", #"{"totals":[]}"#, #"{"count":1}"#, #"{"count":"1","totals":[]}"#, #"{"count":1,"totals":{}}"#,
        #"{"count":1,"totals":[{"unit":"EUR","positive":"1"}]}"#,
        #"{"count":1,"totals":[{"unit":"EUR","positive":1,"negative":"0"}]}"#,
        #"{"count":1,"totals":[{"unit":"EUR","positive":"abc","negative":"0"}]}"#,
        #"{"count":1.5,"totals":[]}"#,
    ])
    func initJSONRejectsOtherShapes(_ text: String) throws {
        #expect(throws: Rejection.self) { try Summary(json: JSONParser.parse(text)) }
    }

    @Test func differentSummariesAreNotEqual() throws {
        let a = try summary([(.positive, "1", "EUR")])
        #expect(try summary([(.positive, "1", "EUR")]) == a)
        #expect(try summary([(.negative, "1", "EUR")]) != a)
        #expect(try summary([(.positive, "1", "kWh")]) != a)
        #expect(try summary([(.positive, "1", "EUR"), (.positive, "0", "EUR")]) != a)
        // Equality is numeric in the amounts.
        #expect(try summary([(.positive, "1.00", "EUR")]) == a)
    }

    // MARK: Property

    /// 1 000 seeded random records; the expected totals are summed independently
    /// in ten-thousandths with Int arithmetic, and again with ExactDecimal.
    @Test(arguments: [UInt64(1), 42, 0xDEAD_BEEF])
    func randomRecordsSumExactly(_ seed: UInt64) throws {
        let units = ["EUR", "eur", "kWh", "€", "USD"]
        var random = SplitMix64(seed: seed)
        var positiveUnits: [String: Int] = [:]
        var negativeUnits: [String: Int] = [:]
        var positiveDecimals: [String: ExactDecimal] = [:]
        var negativeDecimals: [String: ExactDecimal] = [:]
        var summary = Summary()

        for index in 0..<1_000 {
            let unit = units[random.below( units.count)]
            let type: RecordType = random.below( 2) == 0 ? .positive : .negative
            let integer = random.below( random.below( 4) == 0 ? 10 : 1_000_000)
            let fractionDigits = random.below( 5)
            var fractionBound = 1
            for _ in 0..<fractionDigits { fractionBound *= 10 }
            let fraction = random.below( fractionBound)
            var scaleToTenThousandths = 1
            for _ in fractionDigits..<4 { scaleToTenThousandths *= 10 }
            let amount = integer * 10_000 + fraction * scaleToTenThousandths

            // The text: plain ("12.05") or, one time in five, mantissa and exponent ("1205e-2").
            let text: String
            if fractionDigits > 0, random.below( 5) == 0 {
                text = "\(integer * fractionBound + fraction)e-\(fractionDigits)"
            } else if fractionDigits > 0 {
                let digits = String(fraction)
                text = "\(integer)." + String(repeating: "0", count: fractionDigits - digits.count) + digits
            } else {
                text = "\(integer)"
            }

            let record = try makeRecord(type, text, unit, recordId: "r-\(index)")
            summary.add(record)
            switch type {
            case .positive:
                positiveUnits[unit, default: 0] += amount
                positiveDecimals[unit, default: .zero] += try decimal(text)
            case .negative:
                negativeUnits[unit, default: 0] += amount
                negativeDecimals[unit, default: .zero] += try decimal(text)
            }
        }

        #expect(summary.count == 1_000)
        let used = Set(positiveUnits.keys).union(negativeUnits.keys)
        #expect(summary.totals.count == used.count)
        #expect(Set(summary.totals.map { $0.unit }) == used)
        for unit in used {
            let entry = try #require(totals(summary, unit))
            let p = positiveUnits[unit] ?? 0
            let n = negativeUnits[unit] ?? 0
            #expect(entry.positive == (try decimal(tenThousandths(p))), "\(unit) positive")
            #expect(entry.negative == (try decimal(tenThousandths(n))), "\(unit) negative")
            #expect(entry.net == (try decimal(tenThousandths(p - n))), "\(unit) net")
            #expect(entry.positive == positiveDecimals[unit] ?? .zero)
            #expect(entry.negative == negativeDecimals[unit] ?? .zero)
        }
        // Byte order throughout.
        for (a, b) in zip(summary.totals, summary.totals.dropFirst()) {
            #expect(Array(a.unit.utf8).lexicographicallyPrecedes(Array(b.unit.utf8)))
        }
        // And the JSON form carries the same totals.
        #expect(try Summary(json: JSONParser.parse(summary.json)) == summary)
    }
}
