/// String decoding for `JSONByteParser`: escapes, surrogate pairs and strict UTF-8
/// validation, kept apart from the structural parsing because it is where almost all
/// of the byte-level rules live.
extension JSONByteParser {
    /// Parses a string whose opening quote was just consumed.
    ///
    /// The common case (no escapes) validates in place and copies once into the
    /// result; only strings with escapes go through the scratch buffer.
    mutating func parseStringBody() throws(JSONParseError) -> String {
        let start = pos
        while pos < input.count {
            let byte = input[pos]
            if byte == UInt8(ascii: "\"") {
                let text = String(decoding: UnsafeBufferPointer(rebasing: input[start..<pos]), as: UTF8.self)
                pos += 1
                return text
            }
            if byte == UInt8(ascii: "\\") { return try parseEscapedStringBody(from: start) }
            if byte < 0x20 { throw fail("control character in string") }
            if byte < 0x80 { pos += 1 } else { try skipUTF8Sequence() }
        }
        throw JSONParseError(offset: start - 1, message: "unterminated string")
    }

    /// Continues a string at its first backslash, decoding into `scratch`.
    private mutating func parseEscapedStringBody(from start: Int) throws(JSONParseError) -> String {
        scratch.removeAll(keepingCapacity: true)
        var runStart = start
        while pos < input.count {
            let byte = input[pos]
            if byte == UInt8(ascii: "\"") {
                scratch.append(contentsOf: UnsafeBufferPointer(rebasing: input[runStart..<pos]))
                pos += 1
                return String(decoding: scratch, as: UTF8.self)
            }
            if byte == UInt8(ascii: "\\") {
                scratch.append(contentsOf: UnsafeBufferPointer(rebasing: input[runStart..<pos]))
                try decodeEscape(stringStart: start)
                runStart = pos
            } else if byte < 0x20 {
                throw fail("control character in string")
            } else if byte < 0x80 {
                pos += 1
            } else {
                try skipUTF8Sequence()
            }
        }
        throw JSONParseError(offset: start - 1, message: "unterminated string")
    }

    /// Decodes one escape at `pos` (the backslash) into `scratch`.
    private mutating func decodeEscape(stringStart: Int) throws(JSONParseError) {
        guard pos + 1 < input.count else {
            throw JSONParseError(offset: stringStart - 1, message: "unterminated string")
        }
        let decoded: UInt8
        switch input[pos + 1] {
        case UInt8(ascii: "\""): decoded = 0x22
        case UInt8(ascii: "\\"): decoded = 0x5C
        case UInt8(ascii: "/"): decoded = 0x2F
        case UInt8(ascii: "b"): decoded = 0x08
        case UInt8(ascii: "f"): decoded = 0x0C
        case UInt8(ascii: "n"): decoded = 0x0A
        case UInt8(ascii: "r"): decoded = 0x0D
        case UInt8(ascii: "t"): decoded = 0x09
        case UInt8(ascii: "u"):
            try decodeUnicodeEscape()
            return
        default:
            throw fail("invalid escape sequence")
        }
        scratch.append(decoded)
        pos += 2
    }

    /// Decodes `\uXXXX` (and its low-surrogate partner when it is a high surrogate).
    private mutating func decodeUnicodeEscape() throws(JSONParseError) {
        let escapeStart = pos
        let first = try readHex4(at: pos + 2)
        pos += 6
        var scalarValue = UInt32(first)
        switch first {
        case 0xD800...0xDBFF:
            guard pos + 1 < input.count,
                  input[pos] == UInt8(ascii: "\\"), input[pos + 1] == UInt8(ascii: "u")
            else {
                throw JSONParseError(offset: escapeStart, message: "unpaired surrogate in \\u escape")
            }
            let second = try readHex4(at: pos + 2)
            guard (0xDC00...0xDFFF).contains(second) else {
                throw JSONParseError(offset: escapeStart, message: "unpaired surrogate in \\u escape")
            }
            pos += 6
            scalarValue = 0x10000 + ((UInt32(first) - 0xD800) << 10) + (UInt32(second) - 0xDC00)
        case 0xDC00...0xDFFF:
            throw JSONParseError(offset: escapeStart, message: "unpaired surrogate in \\u escape")
        default:
            break
        }
        appendUTF8(scalarValue)
    }

    private func readHex4(at offset: Int) throws(JSONParseError) -> UInt16 {
        guard offset + 4 <= input.count else {
            throw JSONParseError(offset: offset - 2, message: "invalid \\u escape")
        }
        var value: UInt16 = 0
        for i in offset..<offset + 4 {
            let byte = input[i]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw JSONParseError(offset: offset - 2, message: "invalid \\u escape")
            }
            value = value << 4 | UInt16(digit)
        }
        return value
    }

    private mutating func appendUTF8(_ scalar: UInt32) {
        switch scalar {
        case 0..<0x80:
            scratch.append(UInt8(scalar))
        case 0x80..<0x800:
            scratch.append(UInt8(0xC0 | scalar >> 6))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        case 0x800..<0x10000:
            scratch.append(UInt8(0xE0 | scalar >> 12))
            scratch.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        default:
            scratch.append(UInt8(0xF0 | scalar >> 18))
            scratch.append(UInt8(0x80 | scalar >> 12 & 0x3F))
            scratch.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        }
    }

    /// Skips one multi-byte UTF-8 sequence at `pos`, accepting exactly the well-formed
    /// sequences of Unicode Table 3-7: no overlongs, no encoded surrogates, nothing
    /// above U+10FFFF, no truncation.
    private mutating func skipUTF8Sequence() throws(JSONParseError) {
        let lead = input[pos]
        let trailing: Int
        var low: UInt8 = 0x80
        var high: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: trailing = 1
        case 0xE0: trailing = 2; low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: trailing = 2
        case 0xED: trailing = 2; high = 0x9F
        case 0xF0: trailing = 3; low = 0x90
        case 0xF1...0xF3: trailing = 3
        case 0xF4: trailing = 3; high = 0x8F
        default: throw fail("invalid UTF-8")
        }
        guard pos + trailing < input.count else { throw fail("invalid UTF-8") }
        let second = input[pos + 1]
        guard second >= low, second <= high else { throw fail("invalid UTF-8") }
        var i = 2
        while i <= trailing {
            guard input[pos + i] & 0xC0 == 0x80 else { throw fail("invalid UTF-8") }
            i += 1
        }
        pos += trailing + 1
    }
}
