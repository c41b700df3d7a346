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
    /// The JSON of `stored` (`field\nvalue\n…`; empty for no record yet),
    /// from the bytes of a Redis reply (no `String` of them first).
    public static func render(_ stored: UnsafeBufferPointer<UInt8>) throws(StoredSummaryError) -> String {
        if let json = integerTotals(stored) { return json }
        return try Summary(storedFields: fields(of: Substring(String(decoding: stored, as: UTF8.self)).utf8)).json
    }

    /// The same from text (the tests' way in).
    public static func render(_ stored: Substring.UTF8View) throws(StoredSummaryError) -> String {
        var text = String(Substring(stored))
        return try text.withUTF8 { bytes in Result { () throws(StoredSummaryError) in try render(bytes) } }.get()
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

    /// Units the fast path keeps on the stack; a summary with more takes
    /// the general path.
    private static let fastUnits = 16

    /// The fast path; nil when the general path must render (an exact
    /// field, a unit that needs escaping, a malformed line) or refuse.
    /// Nothing is allocated but the JSON itself, sized once.
    static func integerTotals(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        withUnsafeTemporaryAllocation(of: Totals.self, capacity: fastUnits) { units in
            var unitCount = 0
            var count: UInt64 = 0
            var position = 0
            while position < bytes.count {
                let fieldEnd = lineEnd(bytes, from: position)
                guard fieldEnd < bytes.count else { return nil }
                let valueEnd = lineEnd(bytes, from: fieldEnd + 1)
                let field = UnsafeBufferPointer(rebasing: bytes[position..<fieldEnd])
                let value = UnsafeBufferPointer(rebasing: bytes[(fieldEnd + 1)..<valueEnd])
                position = valueEnd + 1
                guard let number = integer(value) else { return nil }
                if field.count == 5, field.elementsEqual("count".utf8) {
                    guard number <= UInt64(Int.max) else { return nil }
                    count = number
                    continue
                }
                // P:<unit> / N:<unit> (significand), Ps:<unit> / Ns:<unit> (its
                // scale); anything else goes the general way.
                guard field.count >= 2, field[0] == UInt8(ascii: "P") || field[0] == UInt8(ascii: "N") else { return nil }
                let isPositive = field[0] == UInt8(ascii: "P")
                let isScale = field[1] == UInt8(ascii: "s")
                let unitStart = isScale ? 3 : 2
                guard field.count >= unitStart, field[unitStart - 1] == UInt8(ascii: ":") else { return nil }
                let unit = UnsafeBufferPointer(rebasing: field[unitStart...])
                var index = 0
                while index < unitCount, !units[index].unit.elementsEqual(unit) { index += 1 }
                if index == unitCount {
                    guard unitCount < fastUnits, !needsEscaping(unit) else { return nil }
                    units.initializeElement(at: index, to: Totals(unit: unit))
                    unitCount += 1
                }
                // A scale past ExactDecimal's (a corrupt field) goes the
                // general way, which refuses it; checked before it is an Int.
                guard !isScale || number <= UInt64(ExactDecimal.maxFractionDigits) else { return nil }
                switch (isPositive, isScale) {
                case (true, false): units[index].positive = Int128(number); units[index].hasPositive = true
                case (false, false): units[index].negative = Int128(number); units[index].hasNegative = true
                case (true, true): units[index].positiveScale = Int(number)
                case (false, true): units[index].negativeScale = Int(number)
                }
            }
            var used = UnsafeMutableBufferPointer(rebasing: units[..<unitCount])
            used.sort { $0.unit.lexicographicallyPrecedes($1.unit) }
            // Each unit: its name, three numbers of at most 40 digits with a
            // point and a sign, and 56 bytes of keys and punctuation.
            var capacity = 48
            for totals in used { capacity += totals.unit.count + 56 + 3 * 42 }
            return String(unsafeUninitializedCapacity: capacity) { buffer -> Int in
                var out = ByteWriter(buffer)
                out.write("{\"count\":")
                out.write(Int128(count), scale: 0)
                out.write(",\"totals\":[")
                for (position, totals) in used.enumerated() {
                    let netScale = max(totals.positiveScale, totals.negativeScale)
                    var positive = totals.positive, negative = totals.negative
                    guard scaled(&positive, by: netScale - totals.positiveScale),
                        scaled(&negative, by: netScale - totals.negativeScale)
                    else { return 0 }
                    out.write(position == 0 ? "{\"unit\":\"" : ",{\"unit\":\"")
                    out.write(totals.unit)
                    out.write("\",\"positive\":\"")
                    out.write(totals.positive, scale: totals.hasPositive ? totals.positiveScale : 0)
                    out.write("\",\"negative\":\"")
                    out.write(totals.negative, scale: totals.hasNegative ? totals.negativeScale : 0)
                    out.write("\",\"net\":\"")
                    out.write(positive - negative, scale: netScale)
                    out.write("\"}")
                }
                out.write("]}")
                return out.written
            }.nonEmpty
        }
    }

    /// Where the line that starts at `start` ends: its newline, or the end.
    private static func lineEnd(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        var index = start
        while index < bytes.count, bytes[index] != 0x0A { index += 1 }
        return index
    }

    /// Whether a JSON string needs an escape for any of these bytes.
    private static func needsEscaping(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        bytes.contains { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }
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

}

/// Writes bytes into a buffer sized beforehand (``StoredSummaryJSON``).
private struct ByteWriter {
    let buffer: UnsafeMutableBufferPointer<UInt8>
    var written = 0

    init(_ buffer: UnsafeMutableBufferPointer<UInt8>) { self.buffer = buffer }

    mutating func write(_ text: StaticString) {
        text.withUTF8Buffer { write($0) }
    }

    mutating func write(_ bytes: UnsafeBufferPointer<UInt8>) {
        _ = UnsafeMutableBufferPointer(rebasing: buffer[written...]).initialize(fromContentsOf: bytes)
        written += bytes.count
    }

    /// `value` / 10^`scale` in ExactDecimal's plain notation, written from
    /// the last digit backwards into a buffer on the stack (this runs three
    /// times per unit of every notification).
    mutating func write(_ value: Int128, scale: Int) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 80) { digits in
            var position = digits.count
            var count = 0
            func put(_ digit: UInt8) {
                if count == scale, scale > 0 {
                    position -= 1
                    digits[position] = UInt8(ascii: ".")
                }
                position -= 1
                digits[position] = UInt8(ascii: "0") + digit
                count += 1
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
            } while narrow > 0 || count <= scale
            if value < 0 {
                position -= 1
                digits[position] = UInt8(ascii: "-")
            }
            write(UnsafeBufferPointer(rebasing: digits[position...]))
        }
    }
}

extension String {
    /// Nil for the empty string: what an initializer that wrote nothing made.
    fileprivate var nonEmpty: String? { isEmpty ? nil : self }
}
