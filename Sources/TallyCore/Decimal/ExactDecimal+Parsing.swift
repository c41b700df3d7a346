extension ExactDecimal {
    /// Parses the JSON number grammar `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`,
    /// nothing more and nothing less.
    ///
    /// One grammar for both places amounts come from (a JSON number's raw text and a
    /// JSON string like `"12.50"`) means a record cannot pass as a string what it could
    /// not pass as a number. The exponent is applied exactly ("1.5e3" is 1500 with
    /// scale 0, "125E-3" is 0.125 with scale 3), then the limits are checked; a value
    /// beyond them is rejected as `.outOfRange`, never rounded. The exponent is read
    /// saturating, so "1e99999999999999999999" fails fast without allocating.
    public static func parse(_ text: some StringProtocol) throws(ExactDecimalError) -> ExactDecimal {
        try parse(text, maxIntegerDigits: maxIntegerDigits)
    }

    /// Parses a stored total — a sum of values, not one input value — with
    /// the same grammar but up to ``maxTotalIntegerDigits`` integer digits:
    /// three valid values of 48 integer digits sum to 49, and a reader of
    /// totals must never refuse what the Function legitimately wrote.
    public static func parseTotal(_ text: some StringProtocol) throws(ExactDecimalError) -> ExactDecimal {
        try parse(text, maxIntegerDigits: maxTotalIntegerDigits)
    }

    private static func parse(_ text: some StringProtocol, maxIntegerDigits: Int) throws(ExactDecimalError) -> ExactDecimal {
        let contiguous = text.utf8.withContiguousStorageIfAvailable { utf8 in
            Result { () throws(ExactDecimalError) -> ExactDecimal in try parse(utf8: utf8, maxIntegerDigits: maxIntegerDigits) }
        }
        let result = contiguous ?? Array(text.utf8).withUnsafeBufferPointer { utf8 in
            Result { () throws(ExactDecimalError) -> ExactDecimal in try parse(utf8: utf8, maxIntegerDigits: maxIntegerDigits) }
        }
        return try result.get()
    }

    /// Exponents are clamped to ±this while reading; any value beyond it is far outside
    /// every limit, and the clamp keeps all later arithmetic clear of overflow.
    private static let exponentSaturation = 1_000_000_000_000_000

    static func parse(
        utf8 bytes: UnsafeBufferPointer<UInt8>, maxIntegerDigits: Int = ExactDecimal.maxIntegerDigits
    ) throws(ExactDecimalError) -> ExactDecimal {
        let count = bytes.count
        guard count > 0 else { throw .malformed("empty number") }
        var i = 0

        // Sign.
        if bytes[0] == UInt8(ascii: "+") { throw .malformed("a leading '+' is not allowed") }
        let isNegative = bytes[0] == UInt8(ascii: "-")
        if isNegative { i = 1 }

        // Integer part.
        guard i < count, isDigit(bytes[i]) else {
            if i < count, bytes[i] == UInt8(ascii: ".") { throw .malformed("missing digits before '.'") }
            if i == count { throw .malformed("missing digits after '-'") }
            throw unexpected(bytes[i])
        }
        let integerStart = i
        if bytes[i] == UInt8(ascii: "0") {
            i += 1
            if i < count, isDigit(bytes[i]) { throw .malformed("leading zeros are not allowed") }
        } else {
            while i < count, isDigit(bytes[i]) { i += 1 }
        }
        let integerCount = i - integerStart

        // Fraction part.
        var fractionStart = i
        var fractionCount = 0
        if i < count, bytes[i] == UInt8(ascii: ".") {
            i += 1
            fractionStart = i
            while i < count, isDigit(bytes[i]) { i += 1 }
            fractionCount = i - fractionStart
            guard fractionCount > 0 else { throw .malformed("missing digits after '.'") }
        }

        // Exponent, read saturating.
        var exponent = 0
        if i < count, bytes[i] | 0x20 == UInt8(ascii: "e") {
            i += 1
            var exponentIsNegative = false
            if i < count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") {
                exponentIsNegative = bytes[i] == UInt8(ascii: "-")
                i += 1
            }
            let exponentStart = i
            while i < count, isDigit(bytes[i]) {
                if exponent < exponentSaturation { exponent = exponent * 10 + Int(bytes[i] - UInt8(ascii: "0")) }
                i += 1
            }
            guard i > exponentStart else { throw .malformed("missing exponent digits") }
            if exponentIsNegative { exponent = -exponent }
        }
        guard i == count else { throw unexpected(bytes[i]) }

        // All digits as one virtual sequence (the '.' skipped), most significant first.
        let digitCount = integerCount + fractionCount
        func digit(_ v: Int) -> UInt32 {
            if v >= digitCount { return 0 }
            let byte = v < integerCount ? bytes[integerStart + v] : bytes[fractionStart + v - integerCount]
            return UInt32(byte - UInt8(ascii: "0"))
        }

        // value = digits × 10^(exponent − fractionCount)
        let scale = max(0, fractionCount - exponent)
        guard scale <= maxFractionDigits else {
            throw .outOfRange("more than \(maxFractionDigits) fraction digits")
        }
        var firstNonZero = 0
        while firstNonZero < digitCount, digit(firstNonZero) == 0 { firstNonZero += 1 }
        if firstNonZero == digitCount {
            return ExactDecimal(magnitude: [], scale: scale, isNegative: false)
        }
        let significantCount = digitCount - firstNonZero
        let appendedZeros = max(0, exponent - fractionCount)
        guard significantCount + appendedZeros - scale <= maxIntegerDigits else {
            throw .outOfRange("more than \(maxIntegerDigits) integer digits")
        }

        // At most 80 digits here for a value (more for a total), built in one allocation.
        let totalCount = significantCount + appendedZeros
        let limbCount = (totalCount + DecimalLimbs.digitsPerLimb - 1) / DecimalLimbs.digitsPerLimb
        let magnitude = [UInt32](unsafeUninitializedCapacity: limbCount) { buffer, initialized in
            for k in 0..<limbCount {
                // Limb k holds the digits at positions 9k ..< 9k + 9 from the right.
                let low = k * DecimalLimbs.digitsPerLimb
                var position = min(low + DecimalLimbs.digitsPerLimb, totalCount) - 1
                var limb: UInt32 = 0
                while position >= low {
                    limb = limb * 10 + digit(firstNonZero + totalCount - 1 - position)
                    position -= 1
                }
                buffer[k] = limb
            }
            initialized = limbCount
        }
        return ExactDecimal(magnitude: magnitude, scale: scale, isNegative: isNegative)
    }

    @inline(__always)
    private static func isDigit(_ byte: UInt8) -> Bool {
        byte &- UInt8(ascii: "0") < 10
    }

    private static func unexpected(_ byte: UInt8) -> ExactDecimalError {
        switch byte {
        case 0x20, 0x09, 0x0A, 0x0D: .malformed("whitespace is not allowed")
        case 0x21..<0x7F: .malformed("unexpected character '\(Character(Unicode.Scalar(byte)))'")
        default: .malformed("unexpected character")
        }
    }
}
