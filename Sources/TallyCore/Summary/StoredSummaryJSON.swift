/// Renders a summary stored in Redis (its hash's fields and values, one
/// per line, as layout 4's Function stores and returns it) straight to the
/// JSON of a notification's `previous`, without building a ``Summary``.
///
/// This runs once per applied record on the worker's hot path. Nearly
/// every stored summary holds only integer totals (`P:<unit>`, `N:<unit>`
/// at the scales in `Ps:<unit>`, `Ns:<unit>`); those and their net, in an
/// `Int128`, are printed here. A summary with an exact decimal field takes
/// the general path (``Summary/init(storedFields:)``). Both print the same
/// text, because every total has the scale ``ExactDecimal`` addition gives
/// it: the largest of its amounts'.
public enum StoredSummaryJSON {
    /// The JSON of `stored` (`field\nvalue\n…`; empty for no record yet).
    public static func render(_ stored: Substring.UTF8View) throws(StoredSummaryError) -> String {
        let fast = stored.withContiguousStorageIfAvailable { bytes in integerTotals(bytes) }
        if let fast, let json = fast { return json }
        return try Summary(storedFields: fields(of: stored)).json
    }

    /// The fields and values, for the general path.
    static func fields(of stored: Substring.UTF8View) throws(StoredSummaryError) -> [(field: String, value: String)] {
        var lines = stored.split(separator: 0x0A, omittingEmptySubsequences: false).makeIterator()
        var fields: [(field: String, value: String)] = []
        while let field = lines.next() {
            if field.isEmpty, fields.isEmpty { break }
            guard let value = lines.next() else { throw StoredSummaryError("stored summary has a field without a value") }
            fields.append((String(Substring(field)), String(Substring(value))))
        }
        return fields
    }

    /// One unit's totals while they are added: significands at their scale.
    private struct Totals {
        var unit: UnsafeBufferPointer<UInt8>
        var positive: Int128 = 0, positiveScale = 0, hasPositive = false
        var negative: Int128 = 0, negativeScale = 0, hasNegative = false
    }

    /// The fast path; nil when the general path must render (an exact
    /// field, a malformed line) or refuse.
    private static func integerTotals(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        var count: Int?
        var units: [Totals] = []
        var position = 0
        while position < bytes.count {
            guard let fieldEnd = bytes[position...].firstIndex(of: 0x0A) else { return nil }
            let valueStart = fieldEnd + 1
            let valueEnd = bytes[valueStart...].firstIndex(of: 0x0A) ?? bytes.count
            let field = UnsafeBufferPointer(rebasing: bytes[position..<fieldEnd])
            let value = UnsafeBufferPointer(rebasing: bytes[valueStart..<valueEnd])
            position = valueEnd + 1
            if field.elementsEqual("count".utf8) {
                guard let parsed = integer(value), parsed <= Int.max else { return nil }
                count = Int(parsed)
                continue
            }
            // P:<unit> / N:<unit> (significand), Ps:<unit> / Ns:<unit> (its
            // scale); anything else goes the general way.
            guard field.count >= 2, let sign = field.first, sign == UInt8(ascii: "P") || sign == UInt8(ascii: "N"),
                let number = integer(value)
            else { return nil }
            let isScale = field[1] == UInt8(ascii: "s")
            let unitStart = isScale ? 3 : 2
            guard field.count >= unitStart, field[unitStart - 1] == UInt8(ascii: ":") else { return nil }
            let unit = UnsafeBufferPointer(rebasing: field[unitStart...])
            let index: Int
            if let found = units.firstIndex(where: { $0.unit.elementsEqual(unit) }) {
                index = found
            } else {
                units.append(Totals(unit: unit))
                index = units.count - 1
            }
            var totals = units[index]
            switch (sign == UInt8(ascii: "P"), isScale) {
            case (true, false): totals.positive = Int128(number); totals.hasPositive = true
            case (false, false): totals.negative = Int128(number); totals.hasNegative = true
            case (true, true): totals.positiveScale = Int(number)
            case (false, true): totals.negativeScale = Int(number)
            }
            guard totals.positiveScale <= ExactDecimal.maxFractionDigits, totals.negativeScale <= ExactDecimal.maxFractionDigits
            else { return nil }
            units[index] = totals
        }
        units.sort { $0.unit.lexicographicallyPrecedes($1.unit) }
        var out = "{\"count\":\(count ?? 0),\"totals\":["
        for (position, totals) in units.enumerated() {
            let netScale = max(totals.positiveScale, totals.negativeScale)
            var positive = totals.positive, negative = totals.negative
            guard scaled(&positive, by: netScale - totals.positiveScale), scaled(&negative, by: netScale - totals.negativeScale)
            else { return nil }
            out += position == 0 ? "{\"unit\":" : ",{\"unit\":"
            JSONWriter.appendQuoted(String(decoding: totals.unit, as: UTF8.self), to: &out)
            out += ",\"positive\":\""
            append(totals.positive, scale: totals.hasPositive ? totals.positiveScale : 0, to: &out)
            out += "\",\"negative\":\""
            append(totals.negative, scale: totals.hasNegative ? totals.negativeScale : 0, to: &out)
            out += "\",\"net\":\""
            append(positive - negative, scale: netScale, to: &out)
            out += "\"}"
        }
        out += "]}"
        return out
    }

    /// Multiplies by 10^`digits`; false on overflow.
    private static func scaled(_ value: inout Int128, by digits: Int) -> Bool {
        for _ in 0..<digits {
            let (product, overflow) = value.multipliedReportingOverflow(by: 10)
            guard !overflow else { return false }
            value = product
        }
        return true
    }

    /// Decimal digits, no sign, at most 19 of them.
    private static func integer(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64? {
        guard !bytes.isEmpty, bytes.count <= 19 else { return nil }
        var value: UInt64 = 0
        for byte in bytes {
            let digit = byte &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            value = value * 10 + UInt64(digit)
        }
        return value
    }

    /// `value` / 10^`scale` in ExactDecimal's plain notation, written from
    /// the last digit backwards into a buffer on the stack (this runs three
    /// times per unit of every notification).
    private static func append(_ value: Int128, scale: Int, to out: inout String) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 80) { buffer in
            var position = buffer.count
            var written = 0
            func put(_ digit: UInt8) {
                if written == scale, scale > 0 {
                    position -= 1
                    buffer[position] = UInt8(ascii: ".")
                }
                position -= 1
                buffer[position] = UInt8(ascii: "0") + digit
                written += 1
            }
            var wide = value.magnitude
            while wide > UInt128(UInt64.max) {
                put(UInt8(wide % 10))
                wide /= 10
            }
            var narrow = UInt64(wide)
            repeat {
                put(UInt8(narrow % 10))
                narrow /= 10
            } while narrow > 0 || written <= scale
            if value < 0 {
                position -= 1
                buffer[position] = UInt8(ascii: "-")
            }
            out += String(decoding: UnsafeMutableBufferPointer(rebasing: buffer[position...]), as: UTF8.self)
        }
    }
}
