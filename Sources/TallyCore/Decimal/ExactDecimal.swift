/// An exact, arbitrary-precision decimal number for money-like amounts.
///
/// Amounts arrive as decimal text and must be summed without the representation
/// error of binary floating point (0.1 + 0.2 must be exactly 0.3), so the value is
/// kept as sign + unsigned integer significand + `scale` (number of fraction digits):
/// value = (−1)^isNegative × significand / 10^scale. The significand is stored as
/// little-endian base-10⁹ limbs (see `DecimalLimbs`); a value below 10⁹ is one limb,
/// i.e. one small array allocation, and zero allocates nothing.
///
/// The scale is part of the value's *text* (`"12.50"` prints as `12.50`) but not of
/// its *identity*: `==`, `<` and `hash(into:)` are numeric, so 12.5 == 12.50.
/// Negative zero does not exist: any zero result is non-negative.
///
/// Parsing is limited (`maxIntegerDigits`, `maxFractionDigits`) to bound the cost of
/// untrusted input; `+` and `-` are exact and unbounded.
public struct ExactDecimal: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The most integer digits (ignoring leading zeros) `parse` accepts, after applying
    /// the exponent: `1e47` (48 digits) is accepted, `1e48` is `.outOfRange`.
    public static let maxIntegerDigits = 48
    /// The most fraction digits `parse` accepts, after applying the exponent and
    /// counting trailing zeros as written: `1.5e-31` (32 digits) is accepted, while
    /// `1.5e-32` and `0.000…0` with 33 fraction digits are `.outOfRange`.
    public static let maxFractionDigits = 32
    /// Integer digits a stored total may have (``parseTotal(_:)``): far
    /// beyond any sum of valid values (10^952 records of the largest value).
    public static let maxTotalIntegerDigits = 1_000

    public static let zero = ExactDecimal(magnitude: [], scale: 0, isNegative: false)

    /// |value| × 10^scale, little-endian base-10⁹ limbs, no top zero limbs.
    let magnitude: [UInt32]
    /// Number of fraction digits shown by `description`; never negative.
    public let scale: Int
    /// True only for values strictly below zero.
    public let isNegative: Bool

    init(magnitude: [UInt32], scale: Int, isNegative: Bool) {
        self.magnitude = magnitude
        self.scale = scale
        self.isNegative = isNegative && !magnitude.isEmpty
    }

    /// The integer `value`, with scale 0.
    public init(_ value: Int) {
        self.init(magnitude: DecimalLimbs.limbs(of: UInt64(value.magnitude)), scale: 0, isNegative: value < 0)
    }

    public var isZero: Bool { magnitude.isEmpty }

    /// The value with the opposite sign and the same scale (zero stays zero).
    public var negated: ExactDecimal {
        ExactDecimal(magnitude: magnitude, scale: scale, isNegative: !isNegative)
    }

    public static prefix func - (operand: ExactDecimal) -> ExactDecimal { operand.negated }

    /// The exact sum; its scale is the larger of the operand scales.
    public static func + (lhs: ExactDecimal, rhs: ExactDecimal) -> ExactDecimal {
        if rhs.isZero, rhs.scale <= lhs.scale { return lhs }
        if lhs.isZero, lhs.scale <= rhs.scale { return rhs }
        let scale = max(lhs.scale, rhs.scale)
        let lShift = scale - lhs.scale
        let rShift = scale - rhs.scale
        if lhs.isNegative == rhs.isNegative {
            let sum = DecimalLimbs.add(lhs.magnitude, shift: lShift, rhs.magnitude, shift: rShift)
            return ExactDecimal(magnitude: sum, scale: scale, isNegative: lhs.isNegative)
        }
        switch DecimalLimbs.compare(lhs.magnitude, shift: lShift, rhs.magnitude, shift: rShift) {
        case 0:
            return ExactDecimal(magnitude: [], scale: scale, isNegative: false)
        case 1:
            let difference = DecimalLimbs.subtract(lhs.magnitude, shift: lShift, rhs.magnitude, shift: rShift)
            return ExactDecimal(magnitude: difference, scale: scale, isNegative: lhs.isNegative)
        default:
            let difference = DecimalLimbs.subtract(rhs.magnitude, shift: rShift, lhs.magnitude, shift: lShift)
            return ExactDecimal(magnitude: difference, scale: scale, isNegative: rhs.isNegative)
        }
    }

    /// The exact difference; its scale is the larger of the operand scales.
    public static func - (lhs: ExactDecimal, rhs: ExactDecimal) -> ExactDecimal {
        lhs + rhs.negated
    }

    public static func += (lhs: inout ExactDecimal, rhs: ExactDecimal) {
        lhs = lhs + rhs
    }

    public static func -= (lhs: inout ExactDecimal, rhs: ExactDecimal) {
        lhs = lhs + rhs.negated
    }

    /// Numeric equality: scales are aligned first, so 12.5 == 12.50.
    public static func == (lhs: ExactDecimal, rhs: ExactDecimal) -> Bool {
        guard lhs.isNegative == rhs.isNegative else { return false }
        if lhs.scale == rhs.scale { return lhs.magnitude == rhs.magnitude }
        let scale = max(lhs.scale, rhs.scale)
        return DecimalLimbs.compare(
            lhs.magnitude, shift: scale - lhs.scale, rhs.magnitude, shift: scale - rhs.scale
        ) == 0
    }

    public static func < (lhs: ExactDecimal, rhs: ExactDecimal) -> Bool {
        if lhs.isNegative != rhs.isNegative { return lhs.isNegative }
        let scale = max(lhs.scale, rhs.scale)
        let order = DecimalLimbs.compare(
            lhs.magnitude, shift: scale - lhs.scale, rhs.magnitude, shift: scale - rhs.scale
        )
        return lhs.isNegative ? order > 0 : order < 0
    }

    /// Hashes the canonical form (trailing fraction zeros removed) so that values
    /// equal under the numeric `==` hash equally whatever their scale.
    public func hash(into hasher: inout Hasher) {
        let stripped = trailingFractionZeros
        hasher.combine(isNegative)
        hasher.combine(scale - stripped)
        let digitCount = DecimalLimbs.digitCount(magnitude)
        var i = stripped
        while i < digitCount {
            hasher.combine(DecimalLimbs.digit(magnitude, at: i))
            i += 1
        }
    }

    /// How many of the `scale` fraction digits are trailing zeros (all of them for zero).
    var trailingFractionZeros: Int {
        var count = 0
        while count < scale, DecimalLimbs.digit(magnitude, at: count) == 0 { count += 1 }
        return count
    }
}
