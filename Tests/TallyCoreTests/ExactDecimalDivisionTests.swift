import Testing
@testable import TallyCore

private func decimal(_ text: String) throws -> ExactDecimal {
    try ExactDecimal.parse(text)
}

/// `a / b` at `scale` by `rule`, as text ("nil" for a zero divisor).
private func quotient(_ a: String, _ b: String, scale: Int, _ rule: ExactDecimal.RoundingRule = .halfEven) throws -> String {
    try decimal(a).divided(by: decimal(b), scale: scale, rounding: rule)?.description ?? "nil"
}

/// An independent reference: the same quotient with Int128 arithmetic and the
/// rounding rules written out case by case (operands small enough to fit).
private func referenceQuotient(
    _ a: Int64, scale aScale: Int, _ b: Int64, scale bScale: Int, to scale: Int, _ rule: ExactDecimal.RoundingRule
) -> String {
    func tenTo(_ n: Int) -> Int128 { (0..<n).reduce(Int128(1)) { product, _ in product * 10 } }
    let exponent = scale + bScale - aScale
    let numerator = Int128(a).magnitude * UInt128(tenTo(max(0, exponent)))
    let divisor = Int128(b).magnitude * UInt128(tenTo(max(0, -exponent)))
    var units = numerator / divisor
    let remainder = numerator % divisor
    let twice = remainder * 2
    switch rule {
    case .towardZero: break
    case .halfAwayFromZero: if remainder != 0, twice >= divisor { units += 1 }
    case .halfEven: if remainder != 0, twice > divisor || (twice == divisor && units % 2 == 1) { units += 1 }
    }
    var digits = String(units)
    if scale > 0 {
        if digits.count <= scale { digits = String(repeating: "0", count: scale - digits.count + 1) + digits }
        digits.insert(".", at: digits.index(digits.endIndex, offsetBy: -scale))
    }
    return (units != 0 && (a < 0) != (b < 0) ? "-" : "") + digits
}

/// Plain text of `units / 10^scale`.
private func text(_ units: Int64, scale: Int) -> String {
    var digits = String(units.magnitude)
    if scale > 0 {
        if digits.count <= scale { digits = String(repeating: "0", count: scale - digits.count + 1) + digits }
        digits.insert(".", at: digits.index(digits.endIndex, offsetBy: -scale))
    }
    return (units < 0 ? "-" : "") + digits
}

@Suite struct ExactDecimalDivisionTests {
    @Test func quotientsThatEndAreExactAndPaddedToTheScale() throws {
        #expect(try quotient("7.5", "2.5", scale: 2) == "3.00")
        #expect(try quotient("70.5", "2", scale: 2) == "35.25")
        #expect(try quotient("30.76", "2", scale: 2) == "15.38")
        #expect(try quotient("1", "8", scale: 3) == "0.125")
        #expect(try quotient("100", "0.25", scale: 0) == "400")
        #expect(try quotient("0.0001", "10", scale: 5) == "0.00001")
    }

    @Test func repeatingQuotientsAreRoundedToTheScale() throws {
        #expect(try quotient("10", "3", scale: 2) == "3.33")
        #expect(try quotient("2", "3", scale: 2) == "0.67")
        #expect(try quotient("2", "3", scale: 0) == "1")
        #expect(try quotient("1", "3", scale: 0) == "0")
        #expect(try quotient("1", "7", scale: 10) == "0.1428571429")
        #expect(try quotient("2", "3", scale: 2, .towardZero) == "0.66")
    }

    @Test func tiesFollowTheRule() throws {
        // 0.125 → two places: the tie between 0.12 and 0.13.
        #expect(try quotient("1", "8", scale: 2, .halfEven) == "0.12")
        #expect(try quotient("1", "8", scale: 2, .halfAwayFromZero) == "0.13")
        #expect(try quotient("1", "8", scale: 2, .towardZero) == "0.12")
        // 0.375 → 0.38 by both half rules (7 is odd).
        #expect(try quotient("3", "8", scale: 2, .halfEven) == "0.38")
        #expect(try quotient("3", "8", scale: 2, .halfAwayFromZero) == "0.38")
        #expect(try quotient("3", "8", scale: 2, .towardZero) == "0.37")
        // Just above and below a tie are never ties.
        #expect(try quotient("1.2500001", "10", scale: 2, .halfEven) == "0.13")
        #expect(try quotient("1.2499999", "10", scale: 2, .halfAwayFromZero) == "0.12")
    }

    @Test func signsFollowTheOperandsAndRoundingIsSymmetric() throws {
        #expect(try quotient("-1", "4", scale: 1, .halfEven) == "-0.2")
        #expect(try quotient("-1", "4", scale: 1, .halfAwayFromZero) == "-0.3")
        #expect(try quotient("-1", "4", scale: 1, .towardZero) == "-0.2")
        #expect(try quotient("1", "-4", scale: 1, .halfAwayFromZero) == "-0.3")
        #expect(try quotient("-1", "-4", scale: 1, .halfAwayFromZero) == "0.3")
        #expect(try quotient("-2", "3", scale: 2) == "-0.67")
        // A negative quotient that rounds to zero is zero, not "-0.00".
        #expect(try quotient("-1", "1000", scale: 2) == "0.00")
        #expect(try decimal("-1").divided(by: decimal("1000"), scale: 2)?.isNegative == false)
    }

    @Test func divisionByZeroIsNilAndZeroDividedIsZero() throws {
        #expect(try quotient("1", "0", scale: 2) == "nil")
        #expect(try quotient("0", "0.00", scale: 2) == "nil")
        #expect(try quotient("0", "7", scale: 2) == "0.00")
        #expect(try quotient("0.000", "-7", scale: 0) == "0")
    }

    @Test func largeOperandsOnBothDivisionPaths() throws {
        let thirtyThree = String(repeating: "3", count: 47) + "." + String(repeating: "3", count: 32)
        #expect(try quotient("1" + String(repeating: "0", count: 47), "3", scale: 32) == thirtyThree)
        // (10^40 − 1) / (10^20 − 1) = 10^20 + 1 exactly: a divisor of three limbs.
        let forty = String(repeating: "9", count: 40)
        let twenty = String(repeating: "9", count: 20)
        #expect(try quotient(forty, twenty, scale: 0) == "1" + String(repeating: "0", count: 19) + "1")
        #expect(try quotient(forty + ".5", twenty, scale: 0) == "1" + String(repeating: "0", count: 19) + "1")
        // 2 × 10^21 / (3 × 10^21), a multi-limb divisor with a repeating quotient.
        #expect(try quotient("2" + String(repeating: "0", count: 21), "3" + String(repeating: "0", count: 21), scale: 5) == "0.66667")
        // A divisor with more fraction digits than the dividend.
        #expect(try quotient("1", "0.00000000000000000003", scale: 3) == "33333333333333333333.333")
    }

    @Test func roundedToScaleRoundsOrPads() throws {
        #expect(try decimal("2.345").rounded(toScale: 2).description == "2.34")
        #expect(try decimal("2.355").rounded(toScale: 2).description == "2.36")
        #expect(try decimal("2.345").rounded(toScale: 2, rounding: .halfAwayFromZero).description == "2.35")
        #expect(try decimal("2.5").rounded(toScale: 0).description == "2")
        #expect(try decimal("3.5").rounded(toScale: 0).description == "4")
        #expect(try decimal("-3.5").rounded(toScale: 0).description == "-4")
        #expect(try decimal("1.5").rounded(toScale: 3).description == "1.500")
        #expect(try decimal("-0.004").rounded(toScale: 2).description == "0.00")
    }

    /// Every rule on random operands of one and of several limbs, with
    /// random scales, against the Int128 reference.
    @Test func matchesAnInt128ReferenceOnRandomOperands() throws {
        var random = SplitMix64(seed: 2026)
        for iteration in 0..<3_000 {
            let aScale = Int.random(in: 0...6, using: &random)
            let bScale = Int.random(in: 0...6, using: &random)
            let scale = Int.random(in: 0...8, using: &random)
            let a = Int64.random(in: -999_999_999_999_999...999_999_999_999_999, using: &random)
            // Alternate short (one-limb) and long divisors.
            let bound: Int64 = iteration % 2 == 0 ? 999_999_999 : 999_999_999_999_999
            var b = Int64.random(in: -bound...bound, using: &random)
            if b == 0 { b = 7 }
            for rule in ExactDecimal.RoundingRule.allCases {
                let result = try decimal(text(a, scale: aScale)).divided(
                    by: decimal(text(b, scale: bScale)), scale: scale, rounding: rule)
                let expected = referenceQuotient(a, scale: aScale, b, scale: bScale, to: scale, rule)
                #expect(result?.description == expected, "\(text(a, scale: aScale)) / \(text(b, scale: bScale)) at \(scale), \(rule)")
                #expect(result?.scale == scale)
            }
        }
    }
}
