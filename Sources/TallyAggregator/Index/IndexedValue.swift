import TallyCore

/// A record's value as the index stores it, so that SQL can sum it exactly.
///
/// SQLite has no decimal type and its REAL is a binary double, which the
/// exact-decimal rule forbids. Integer `SUM()` however is exact and raises on
/// overflow, so a value is kept as an Int64 mantissa plus its scale
/// (`12.50` → 1250, 2) whenever the mantissa fits; sums grouped by scale
/// are then recombined with ``ExactDecimal``. A value too long for Int64
/// has a `nil` mantissa and is summed from its text in Swift.
public struct IndexedValue: Sendable, Equatable {
    /// value × 10^scale, when it fits an Int64 with room for no sign.
    public let mantissa: Int64?
    public let scale: Int
    /// The decimal text, always exact.
    public let text: String

    /// 18 digits always fit in an Int64 (max ≈ 9.22 × 10¹⁸).
    static let maxMantissaDigits = 18

    public init(_ value: ExactDecimal) {
        text = value.description
        scale = value.scale
        var digits = ""
        digits.reserveCapacity(text.utf8.count)
        for character in text.unicodeScalars where character != "." { digits.unicodeScalars.append(character) }
        mantissa = digits.utf8.count <= Self.maxMantissaDigits ? Int64(digits) : nil
    }

    /// The exact decimal `mantissa / 10^scale`, for sums read back from SQL
    /// (negative sums cannot occur, but are rendered correctly anyway).
    public static func decimal(mantissa: Int64, scale: Int) -> ExactDecimal {
        let negative = mantissa < 0
        var digits = String(mantissa.magnitude)
        if scale > 0 {
            if digits.utf8.count <= scale {
                digits = String(repeating: "0", count: scale - digits.utf8.count + 1) + digits
            }
            digits.insert(".", at: digits.index(digits.endIndex, offsetBy: -scale))
        }
        // The text is well formed by construction; parse cannot fail on it.
        let value = (try? ExactDecimal.parse(digits)) ?? .zero
        return negative ? value.negated : value
    }
}
