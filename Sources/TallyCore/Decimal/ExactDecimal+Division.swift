extension ExactDecimal {
    /// How a quotient that does not fit the requested scale is rounded.
    ///
    /// Division is the one operation on `ExactDecimal` that cannot always be
    /// exact (1 / 3), so the caller must say both how many fraction digits it
    /// wants and which way the dropped digits go. Every rule is applied to the
    /// magnitude and is symmetric in sign (−2.5 rounds like 2.5, mirrored).
    public enum RoundingRule: Sendable, Equatable, CaseIterable {
        /// Round to nearest; a tie goes to the even neighbour (2.5 → 2,
        /// 3.5 → 4). Banker's rounding: over many averages the ties do not
        /// drift upwards, which is why reports use it.
        case halfEven
        /// Round to nearest; a tie goes away from zero (2.5 → 3, −2.5 → −3),
        /// the rule taught at school.
        case halfAwayFromZero
        /// Drop the extra digits (2.9 → 2, −2.9 → −2).
        case towardZero

        /// The rule's name in documents and JSON: `half-even`,
        /// `half-away-from-zero`, `toward-zero`.
        public var name: String {
            switch self {
            case .halfEven: "half-even"
            case .halfAwayFromZero: "half-away-from-zero"
            case .towardZero: "toward-zero"
            }
        }
    }

    /// `self / divisor`, rounded by `rule` to exactly `scale` fraction digits;
    /// nil when `divisor` is zero.
    ///
    /// The quotient is computed exactly as an integer long division of the
    /// scaled magnitudes, then rounded once from the exact remainder, so the
    /// result is the exact quotient rounded, never the rounding of a rounding.
    /// Operands of any size are allowed (the result is unbounded like `+`).
    /// An exact quotient (7.5 / 2.5 at scale 2) is returned unrounded, with
    /// trailing zeros up to `scale` ("3.00").
    ///
    /// - Precondition: `scale >= 0`.
    public func divided(by divisor: ExactDecimal, scale: Int, rounding rule: RoundingRule = .halfEven) -> ExactDecimal? {
        precondition(scale >= 0, "ExactDecimal.divided(by:scale:): negative scale \(scale)")
        guard !divisor.isZero else { return nil }
        if isZero { return ExactDecimal(magnitude: [], scale: scale, isNegative: false) }
        // self / divisor × 10^scale = (A / 10^a) / (B / 10^b) × 10^scale
        //                           = A × 10^(scale + b − a) / B
        let exponent = scale + divisor.scale - self.scale
        let numeratorShift = max(0, exponent)
        let divisorShift = max(0, -exponent)
        var (quotient, remainder) = DecimalLimbs.divide(
            magnitude, shift: numeratorShift, by: divisor.magnitude, shift: divisorShift)
        if !remainder.isEmpty, Self.roundsUp(
            quotientIsOdd: (quotient.first ?? 0) % 2 == 1,
            remainderVersusHalf: DecimalLimbs.compare(
                DecimalLimbs.add(remainder, shift: 0, remainder, shift: 0), shift: 0,
                divisor.magnitude, shift: divisorShift),
            rule: rule)
        {
            quotient = DecimalLimbs.add(quotient, shift: 0, [1], shift: 0)
        }
        return ExactDecimal(magnitude: quotient, scale: scale, isNegative: isNegative != divisor.isNegative)
    }

    /// `self` with exactly `scale` fraction digits: rounded by `rule` when
    /// fewer digits than it has, padded with zeros when more.
    ///
    /// - Precondition: `scale >= 0`.
    public func rounded(toScale scale: Int, rounding rule: RoundingRule = .halfEven) -> ExactDecimal {
        // Dividing by one is exact except for the requested rounding.
        divided(by: ExactDecimal(1), scale: scale, rounding: rule)!
    }

    /// Whether a truncated quotient must be increased by one unit in its last
    /// place, given a non-zero remainder compared with half the divisor
    /// (−1 below half, 0 exactly half, 1 above).
    private static func roundsUp(quotientIsOdd: Bool, remainderVersusHalf: Int, rule: RoundingRule) -> Bool {
        switch rule {
        case .towardZero: false
        case .halfAwayFromZero: remainderVersusHalf >= 0
        case .halfEven: remainderVersusHalf > 0 || (remainderVersusHalf == 0 && quotientIsOdd)
        }
    }
}

extension DecimalLimbs {
    /// Integer division of `n × 10^nShift` by `d × 10^dShift` (d non-zero):
    /// the quotient and the remainder, both as limbs.
    ///
    /// A divisor of one limb (below 10⁹, e.g. a count) takes the short
    /// division, one 64-bit step per limb. A longer divisor takes schoolbook
    /// long division one decimal digit at a time, each digit found by at
    /// most nine subtractions: quadratic, but operands are at most a few
    /// dozen digits, and the code is simple enough to trust.
    static func divide(
        _ n: [UInt32], shift nShift: Int, by d: [UInt32], shift dShift: Int
    ) -> (quotient: [UInt32], remainder: [UInt32]) {
        precondition(!d.isEmpty, "DecimalLimbs.divide: division by zero")
        if dShift == 0, d.count == 1 {
            return shortDivide(n, shift: nShift, by: d[0])
        }
        let divisor = dShift == 0 ? d : add(d, shift: dShift, [], shift: 0)
        let digits = digitCount(n) + nShift
        var quotientDigits: [UInt8] = []
        quotientDigits.reserveCapacity(digits)
        var remainder: [UInt32] = []
        var position = digits - 1
        while position >= 0 {
            // remainder = remainder × 10 + next digit of the numerator.
            let next = position >= nShift ? digit(n, at: position - nShift) : 0
            remainder = add(remainder, shift: 1, next == 0 ? [] : [UInt32(next)], shift: 0)
            var quotientDigit: UInt8 = 0
            while compare(remainder, shift: 0, divisor, shift: 0) >= 0 {
                remainder = subtract(remainder, shift: 0, divisor, shift: 0)
                quotientDigit += 1
            }
            quotientDigits.append(quotientDigit)
            position -= 1
        }
        return (limbs(ofDigits: quotientDigits), remainder)
    }

    /// Division by one limb: each step divides a value below 10⁹ × 10⁹ < 2⁶⁴.
    private static func shortDivide(_ n: [UInt32], shift nShift: Int, by d: UInt32) -> (quotient: [UInt32], remainder: [UInt32]) {
        let count = shiftedCount(n, shift: nShift)
        var quotient = [UInt32](repeating: 0, count: count)
        var remainder: UInt64 = 0
        var i = count - 1
        while i >= 0 {
            let current = remainder * UInt64(base) + UInt64(limb(n, shift: nShift, at: i))
            quotient[i] = UInt32(current / UInt64(d))
            remainder = current % UInt64(d)
            i -= 1
        }
        trim(&quotient)
        return (quotient, remainder == 0 ? [] : [UInt32(remainder)])
    }

    /// The limbs of a digit sequence given most significant first.
    static func limbs(ofDigits digits: [UInt8]) -> [UInt32] {
        var result = [UInt32](repeating: 0, count: (digits.count + digitsPerLimb - 1) / digitsPerLimb)
        for (index, digit) in digits.reversed().enumerated() where digit != 0 {
            result[index / digitsPerLimb] += UInt32(digit) * powerOfTen(index % digitsPerLimb)
        }
        trim(&result)
        return result
    }
}
