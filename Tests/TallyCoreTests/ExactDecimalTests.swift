import Testing
@testable import TallyCore

private func decimal(_ text: String) throws -> ExactDecimal {
    try ExactDecimal.parse(text)
}

private func parseError(_ text: String) -> ExactDecimalError? {
    do {
        _ = try ExactDecimal.parse(text)
        return nil
    } catch {
        return error
    }
}

/// Plain-notation text of `units / 10^scale`, built with Int arithmetic only, as an
/// independent reference for the limb code.
private func referenceText(_ units: Int, scale: Int) -> String {
    var digits = String(units.magnitude)
    if scale > 0 {
        if digits.count <= scale { digits = String(repeating: "0", count: scale - digits.count + 1) + digits }
        digits.insert(".", at: digits.index(digits.endIndex, offsetBy: -scale))
    }
    return (units < 0 ? "-" : "") + digits
}

private func power(_ exponent: Int) -> Int {
    var result = 1
    for _ in 0..<exponent { result *= 10 }
    return result
}

extension SplitMix64 {
    fileprivate mutating func next(in range: ClosedRange<Int>) -> Int {
        range.lowerBound + below(range.upperBound - range.lowerBound + 1)
    }
}

@Suite("ExactDecimal")
struct ExactDecimalTests {
    // MARK: Parsing and description

    @Test(arguments: [
        ("0", "0"), ("-0", "0"), ("0.00", "0.00"), ("-0.00", "0.00"), ("7", "7"), ("-7", "-7"),
        ("12.50", "12.50"), ("-1.0", "-1.0"), ("0.001", "0.001"), ("999999999", "999999999"),
        ("1000000000", "1000000000"), ("1234567890123456789", "1234567890123456789"),
        ("1.5e3", "1500"), ("1.5E3", "1500"), ("1.5e+3", "1500"), ("125E-3", "0.125"), ("1.25e-1", "0.125"),
        ("1.50e1", "15.0"), ("1.50e2", "150"), ("12e-2", "0.12"), ("-12e-5", "-0.00012"), ("0e999999999", "0"),
        ("0e-3", "0.000"), ("0.0e1", "0"), ("0.10e1", "1.0"), ("100e-2", "1.00"), ("1e0", "1"), ("5e-0", "5"),
        ("0.000000001", "0.000000001"), ("0.0000000001", "0.0000000001"),
        ("123456789012345678901234567890.123456789", "123456789012345678901234567890.123456789"),
    ])
    func parsesAndDescribes(_ text: String, _ expected: String) throws {
        #expect(try decimal(text).description == expected)
    }

    @Test(arguments: [
        ("12.50", "12.5"), ("1.000", "1"), ("0.0", "0"), ("0", "0"), ("-0.0", "0"), ("-1.10", "-1.1"),
        ("100", "100"), ("100.00", "100"), ("1e3", "1000"), ("0.000000000100", "0.0000000001"),
        ("1000000000.000000000", "1000000000"), ("-0.5e1", "-5"),
    ])
    func canonicalStripsTrailingFractionZeros(_ text: String, _ expected: String) throws {
        #expect(try decimal(text).canonical == expected)
    }

    @Test func scaleIsKept() throws {
        #expect(try decimal("12.50").scale == 2)
        #expect(try decimal("1.5e3").scale == 0)
        #expect(try decimal("125E-3").scale == 3)
        #expect(try decimal("0.00").scale == 2)
    }

    @Test(arguments: [
        ("", "empty number"),
        (" 1", "whitespace is not allowed"),
        ("1 ", "whitespace is not allowed"),
        ("\t1", "whitespace is not allowed"),
        ("+1", "a leading '+' is not allowed"),
        ("007", "leading zeros are not allowed"),
        ("-01", "leading zeros are not allowed"),
        ("00", "leading zeros are not allowed"),
        (".5", "missing digits before '.'"),
        ("-.5", "missing digits before '.'"),
        ("5.", "missing digits after '.'"),
        ("5.e3", "missing digits after '.'"),
        ("1e", "missing exponent digits"),
        ("1e+", "missing exponent digits"),
        ("-", "missing digits after '-'"),
        ("NaN", "unexpected character 'N'"),
        ("Infinity", "unexpected character 'I'"),
        ("-Infinity", "unexpected character 'I'"),
        ("0x1F", "unexpected character 'x'"),
        ("1,000", "unexpected character ','"),
        ("1_000", "unexpected character '_'"),
        ("1.2.3", "unexpected character '.'"),
        ("1e5.5", "unexpected character '.'"),
        ("--1", "unexpected character '-'"),
        ("1e1e1", "unexpected character 'e'"),
        ("١", "unexpected character"),
        ("12\u{0}", "unexpected character"),
    ])
    func rejectsMalformedText(_ text: String, _ message: String) {
        #expect(parseError(text) == ExactDecimalError(reason: .malformed, message: message))
    }

    @Test func parsesSubstringsAndNonContiguousInput() throws {
        let line = "amount=12.50;"
        let start = line.index(line.startIndex, offsetBy: 7)
        let end = line.index(before: line.endIndex)
        #expect(try ExactDecimal.parse(line[start..<end]).description == "12.50")
    }

    @Test func jsonNumberTokenWithExponent() throws {
        let document = try JSONParser.parse(#"{"amount": 1.25E+2, "fee": -25e-3}"#)
        guard case .number(let amountText) = document["amount"], case .number(let feeText) = document["fee"] else {
            Issue.record("numbers expected")
            return
        }
        #expect(amountText == "1.25E+2")
        let amount = try decimal(amountText)
        let fee = try decimal(feeText)
        #expect(amount == (try decimal("125")))
        #expect(amount.description == "125")
        #expect(fee.description == "-0.025")
        #expect((amount + fee).description == "124.975")
        // A string value holding the same text parses identically.
        #expect(try decimal("1.25E+2") == amount)
    }

    // MARK: Limits

    @Test func integerDigitLimit() throws {
        let fortyEight = String(repeating: "9", count: 48)
        #expect(try decimal(fortyEight).description == fortyEight)
        #expect(try decimal("-" + fortyEight + ".5").description == "-" + fortyEight + ".5")
        #expect(try decimal("1e47").description == "1" + String(repeating: "0", count: 47))
        #expect(try decimal("0.1e48").description == "1" + String(repeating: "0", count: 47))
        #expect(parseError(fortyEight + "9")?.reason == .outOfRange)
        #expect(parseError("1" + String(repeating: "0", count: 48))?.reason == .outOfRange)
        #expect(parseError("1e48") == ExactDecimalError(reason: .outOfRange, message: "more than 48 integer digits"))
        #expect(parseError("0.1e49")?.reason == .outOfRange)
        #expect(parseError(fortyEight + "9e-1") == nil)
    }

    @Test func fractionDigitLimit() throws {
        let thirtyTwo = "0." + String(repeating: "1", count: 32)
        #expect(try decimal(thirtyTwo).description == thirtyTwo)
        #expect(try decimal("1e-32").description == "0." + String(repeating: "0", count: 31) + "1")
        #expect(try decimal("1.5e-31").scale == 32)
        #expect(parseError(thirtyTwo + "1") == ExactDecimalError(reason: .outOfRange, message: "more than 32 fraction digits"))
        #expect(parseError("1e-33")?.reason == .outOfRange)
        #expect(parseError("1.5e-32")?.reason == .outOfRange)
        // Trailing zeros as written count: the scale is never silently reduced.
        #expect(parseError("1." + String(repeating: "0", count: 33))?.reason == .outOfRange)
        #expect(parseError("0e-33")?.reason == .outOfRange)
        #expect(try decimal("1." + String(repeating: "0", count: 33) + "e1").scale == 32)
    }

    @Test func bothLimitsAtOnce() throws {
        let text = String(repeating: "9", count: 48) + "." + String(repeating: "9", count: 32)
        #expect(try decimal(text).description == text)
        #expect(try decimal(text).negated.description == "-" + text)
    }

    @Test(arguments: [
        "1e99999999999999999999", "1e999999999", "-1e99999999999999999999", "1e-99999999999999999999",
        "1e9223372036854775807", "1e9223372036854775808", "1e-9223372036854775808", "0e-99999999999999999999",
        "1e" + String(repeating: "9", count: 10_000),
    ])
    func hugeExponentsAreOutOfRange(_ text: String) {
        #expect(parseError(text)?.reason == .outOfRange)
    }

    @Test(arguments: ["0e999999999", "0e99999999999999999999999999", "-0.000e+9223372036854775808", "0.0e50"])
    func zeroWithHugePositiveExponentIsZero(_ text: String) throws {
        let value = try decimal(text)
        #expect(value.isZero)
        #expect(value == .zero)
        #expect(value.description == "0")
    }

    @Test func manyLeadingFractionZerosThenExponent() throws {
        let text = "0." + String(repeating: "0", count: 1_000) + "5e1000"
        #expect(try decimal(text).description == "0.5")
    }

    // MARK: Arithmetic

    @Test func pointOnePlusPointTwoIsExactlyPointThree() throws {
        let sum = try decimal("0.1") + decimal("0.2")
        #expect(sum == (try decimal("0.3")))
        #expect(sum.description == "0.3")
    }

    @Test func thirtyDigitValuesAddExactly() throws {
        let sum = try decimal("123456789012345678901234567890.123456789") + decimal("0.000000001")
        #expect(sum.description == "123456789012345678901234567890.123456790")
        let bigger = try decimal("999999999999999999999999999999.999999999") + decimal("0.000000001")
        #expect(bigger.description == "1000000000000000000000000000000.000000000")
        #expect(bigger.canonical == "1000000000000000000000000000000")
    }

    @Test func resultScaleIsTheLargerScale() throws {
        #expect((try decimal("1.5") + decimal("2.25")).description == "3.75")
        #expect((try decimal("1.50") + decimal("2")).description == "3.50")
        #expect((try decimal("1") + decimal("0.000")).description == "1.000")
        #expect((try decimal("0.000") + decimal("1")).description == "1.000")
        #expect((try decimal("2.5") - decimal("2.5")).description == "0.0")
        #expect((try decimal("1.5") + decimal("0")).description == "1.5")
    }

    @Test func carriesAndBorrowsAcrossLimbs() throws {
        #expect((try decimal("999999999") + decimal("1")).description == "1000000000")
        #expect((try decimal("999999999.999999999") + decimal("0.000000001")).description == "1000000000.000000000")
        #expect((try decimal("1000000000000000000") - decimal("1")).description == "999999999999999999")
        #expect((try decimal("1000000000") - decimal("0.0000000001")).description == "999999999.9999999999")
        #expect((try decimal("0.00000000000000000000000000000001") + decimal("1" + String(repeating: "0", count: 47))).description
            == "1" + String(repeating: "0", count: 47) + ".00000000000000000000000000000001")
    }

    @Test func subtractionCrossingZero() throws {
        let a = try decimal("1.25")
        let b = try decimal("3.5")
        let difference = a - b
        #expect(difference.description == "-2.25")
        #expect(difference.isNegative)
        #expect((difference + b).description == "1.25")
        #expect((b - a).description == "2.25")
        #expect((try decimal("-0.01") + decimal("0.02")).description == "0.01")
        #expect((try decimal("0.01") - decimal("0.02")).description == "-0.01")
        #expect((try decimal("-5") - decimal("-7")).description == "2")
        #expect((try decimal("-5") + decimal("-7")).description == "-12")
        let zero = a - a
        #expect(zero.isZero)
        #expect(!zero.isNegative)
        #expect(zero.description == "0.00")
        #expect((-a + a).description == "0.00")
    }

    @Test func compoundAssignment() throws {
        var total = ExactDecimal.zero
        for text in ["10.00", "0.10", "-3", "2.5e1", "0.001"] { total += try decimal(text) }
        #expect(total.description == "32.101")
        total -= try decimal("32.1")
        #expect(total.description == "0.001")
        total -= try decimal("0.002")
        #expect(total.description == "-0.001")
    }

    @Test func arithmeticIsUnboundedBeyondParseLimits() throws {
        let max = try decimal(String(repeating: "9", count: 48))
        let doubled = max + max
        #expect(doubled.description == "1" + String(repeating: "9", count: 47) + "8")
        var total = ExactDecimal.zero
        for _ in 0..<1_000 { total += max }
        // 1000 × (10^48 − 1) = 10^51 − 1000
        #expect(total.description == String(repeating: "9", count: 48) + "000")
    }

    @Test func matchesIntegerReferenceOnRandomValues() throws {
        var random = SplitMix64(seed: 42)
        for _ in 0..<5_000 {
            // |units| < 10^9 and scale ≤ 9 keep the aligned Int values below 10^18.
            let scaleA = random.next(in: 0...9)
            let scaleB = random.next(in: 0...9)
            let limitA = power(random.next(in: 0...9)) - 1
            let limitB = power(random.next(in: 0...9)) - 1
            let unitsA = random.next(in: -limitA...limitA)
            let unitsB = random.next(in: -limitB...limitB)
            let a = try decimal(referenceText(unitsA, scale: scaleA))
            let b = try decimal(referenceText(unitsB, scale: scaleB))
            let scale = Swift.max(scaleA, scaleB)
            let alignedA = unitsA * power(scale - scaleA)
            let alignedB = unitsB * power(scale - scaleB)
            #expect((a + b).description == referenceText(alignedA + alignedB, scale: scale))
            #expect((a - b).description == referenceText(alignedA - alignedB, scale: scale))
            #expect((a == b) == (alignedA == alignedB))
            #expect((a < b) == (alignedA < alignedB))
        }
    }

    @Test func algebraicIdentitiesOnLargeRandomValues() throws {
        var random = SplitMix64(seed: 7)
        func randomDecimal() throws -> ExactDecimal {
            let integerDigits = random.next(in: 1...48)
            let fractionDigits = random.next(in: 0...32)
            var text = random.next() % 2 == 0 ? "-" : ""
            text += String(random.next(in: 1...9))
            for _ in 1..<integerDigits { text += String(random.next(in: 0...9)) }
            if fractionDigits > 0 {
                text += "."
                for _ in 0..<fractionDigits { text += String(random.next(in: 0...9)) }
            }
            return try decimal(text)
        }
        for _ in 0..<2_000 {
            let a = try randomDecimal()
            let b = try randomDecimal()
            let c = try randomDecimal()
            #expect(a + b == b + a)
            #expect((a + b) - b == a)
            #expect((a + b) + c == a + (b + c))
            #expect(a - a == .zero)
            #expect((a < b) != (b < a) || a == b)
            #expect((a + b).description == (b + a).description)
        }
    }

    // MARK: Sign and zero

    @Test func signAndZero() throws {
        #expect(ExactDecimal.zero.isZero)
        #expect(!ExactDecimal.zero.isNegative)
        #expect(ExactDecimal.zero.description == "0")
        let negativeZero = try decimal("-0.00")
        #expect(!negativeZero.isNegative)
        #expect(negativeZero.isZero)
        #expect(negativeZero.negated.description == "0.00")
        #expect(!negativeZero.negated.isNegative)
        let value = try decimal("12.50")
        #expect(value.negated.description == "-12.50")
        #expect(value.negated.isNegative)
        #expect(value.negated.negated == value)
        #expect((-value).description == "-12.50")
        #expect(!value.isZero)
    }

    @Test func integerInitializer() {
        #expect(ExactDecimal(0) == .zero)
        #expect(ExactDecimal(-42).description == "-42")
        #expect(ExactDecimal(Int.max).description == String(Int.max))
        #expect(ExactDecimal(Int.min).description == String(Int.min))
        #expect(ExactDecimal(1_000_000_000).description == "1000000000")
    }

    // MARK: Equality, hashing, ordering

    @Test func equalityIsNumeric() throws {
        #expect(try decimal("12.5") == decimal("12.50"))
        #expect(try decimal("1500") == decimal("1.5e3"))
        #expect(try decimal("0") == decimal("-0.000"))
        #expect(try decimal("1000000000") == decimal("1000000000.000000000000"))
        #expect(try decimal("12.5") != decimal("12.05"))
        #expect(try decimal("12.5") != decimal("-12.5"))
        #expect(try decimal("1") != decimal("1.000000001"))
    }

    @Test func hashIsConsistentWithEquality() throws {
        let texts = ["12.5", "12.50", "12.500000000000", "1.25e1", "0", "0.00", "-0", "1e9", "1000000000.0", "-3.10", "-3.1"]
        let values = try texts.map(decimal)
        let set = Set(values)
        #expect(set.count == 4)
        for a in values {
            for b in values where a == b {
                #expect(a.hashValue == b.hashValue, "\(a) vs \(b)")
            }
        }
        #expect(set.contains(try ExactDecimal.parse("0012.5e0".dropFirst(2))))
    }

    @Test func ordering() throws {
        let texts = ["3", "-1.5", "0", "2.999999999999", "-1.49", "1e10", "-1e10", "0.000001", "-0.0000001", "3.0"]
        let sorted = try texts.map(decimal).sorted()
        #expect(sorted.map(\.description) == [
            "-10000000000", "-1.5", "-1.49", "-0.0000001", "0", "0.000001", "2.999999999999", "3", "3.0", "10000000000",
        ] || sorted.map(\.description) == [
            "-10000000000", "-1.5", "-1.49", "-0.0000001", "0", "0.000001", "2.999999999999", "3.0", "3", "10000000000",
        ])
        #expect(try decimal("-2") < decimal("-1"))
        #expect(!(try decimal("-1") < decimal("-2")))
        #expect(try decimal("0") < decimal("0.0000001"))
        #expect(try decimal("-0.0000001") < decimal("0"))
        #expect(!(try decimal("12.5") < decimal("12.50")))
        #expect(!(try decimal("12.50") < decimal("12.5")))
        #expect(try decimal("999999999.999999999") < decimal("1000000000"))
    }

    @Test func errorDescription() {
        #expect(parseError("1e48")?.description == "more than 48 integer digits")
        #expect(ExactDecimalError.Reason.outOfRange.rawValue == "outOfRange")
    }
}

/// Stored totals are sums: more integer digits than one value may have.
@Suite("ExactDecimal: stored totals")
struct ExactDecimalTotalTests {
    @Test func aTotalPastTheValueLimitParsesAsATotalOnly() throws {
        let largest = String(repeating: "9", count: ExactDecimal.maxIntegerDigits) + "." + String(repeating: "9", count: 32)
        let value = try ExactDecimal.parse(largest)
        let total = value + value + value
        let text = total.description
        #expect(text.split(separator: ".")[0].count == ExactDecimal.maxIntegerDigits + 1)
        #expect(throws: ExactDecimalError.self) { try ExactDecimal.parse(text) }
        #expect(try ExactDecimal.parseTotal(text) == total)
    }

    @Test func totalsKeepTheGrammarAndTheFractionLimit() {
        #expect(throws: ExactDecimalError.self) { try ExactDecimal.parseTotal("1." + String(repeating: "1", count: 33)) }
        #expect(throws: ExactDecimalError.self) { try ExactDecimal.parseTotal("+5") }
        #expect(throws: ExactDecimalError.self) {
            try ExactDecimal.parseTotal(String(repeating: "1", count: ExactDecimal.maxTotalIntegerDigits + 1))
        }
    }
}

