extension ExactDecimal {
    /// Plain notation (never an exponent) with exactly `scale` fraction digits,
    /// e.g. "12.50", "1500", "0.125", "-1.0", "0.00".
    public var description: String { render(droppingLowDigits: 0) }

    /// Plain notation with trailing fraction zeros (and a bare ".") removed, e.g.
    /// "12.5", "1", "0"; equal values always have the same canonical text, so it is
    /// the form to use for keys, comparisons in tests, and stable output.
    public var canonical: String { render(droppingLowDigits: trailingFractionZeros) }

    /// Writes the value without its `dropped` least significant (zero) fraction digits.
    private func render(droppingLowDigits dropped: Int) -> String {
        let shownScale = scale - dropped
        let shownDigits = max(DecimalLimbs.digitCount(magnitude) - dropped, shownScale + 1)
        let length = (isNegative ? 1 : 0) + shownDigits + (shownScale > 0 ? 1 : 0)
        return String(unsafeUninitializedCapacity: length) { buffer in
            if isNegative { buffer[0] = UInt8(ascii: "-") }
            var position = length - 1
            for i in 0..<shownDigits {
                if i == shownScale, shownScale > 0 {
                    buffer[position] = UInt8(ascii: ".")
                    position -= 1
                }
                buffer[position] = UInt8(ascii: "0") + DecimalLimbs.digit(magnitude, at: dropped + i)
                position -= 1
            }
            return length
        }
    }
}
