/// Writes JSON string literals.
///
/// Escapes only what RFC 8259 requires (`"`, `\`, and C0 controls) and writes every
/// other character as literal UTF-8, so output stays readable and byte-for-byte
/// stable; `/` is deliberately not escaped. U+007F is written as-is (JSON allows it).
/// Text is never normalized: the scalars written are exactly the scalars of the input.
public enum JSONWriter {
    /// Appends `s` as a quoted JSON string literal to `out`.
    public static func appendQuoted(_ s: String, to out: inout String) {
        let escaped = s.utf8.withContiguousStorageIfAvailable(escapedBody)
            ?? Array(s.utf8).withUnsafeBufferPointer(escapedBody)
        out.append("\"")
        out.append(escaped ?? s)
        out.append("\"")
    }

    /// `s` as a quoted JSON string literal.
    public static func quoted(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count + 2)
        appendQuoted(s, to: &out)
        return out
    }

    /// The escaped form of `bytes` (without quotes), or nil when nothing needs escaping.
    ///
    /// Two passes over bytes (measure, then write into exactly-sized storage) beat
    /// appending piecewise to a `String` by a wide margin; the common no-escape case
    /// allocates nothing here.
    private static func escapedBody(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        var extra = 0
        for byte in bytes {
            if byte < 0x20 {
                extra += escapeLength(byte) - 1
            } else if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                extra += 1
            }
        }
        guard extra > 0 else { return nil }
        let length = bytes.count + extra
        return String(unsafeUninitializedCapacity: length) { buffer in
            var position = 0
            for byte in bytes {
                if byte >= 0x20, byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\") {
                    buffer[position] = byte
                    position += 1
                    continue
                }
                buffer[position] = UInt8(ascii: "\\")
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): buffer[position + 1] = byte
                case 0x08: buffer[position + 1] = UInt8(ascii: "b")
                case 0x0C: buffer[position + 1] = UInt8(ascii: "f")
                case 0x0A: buffer[position + 1] = UInt8(ascii: "n")
                case 0x0D: buffer[position + 1] = UInt8(ascii: "r")
                case 0x09: buffer[position + 1] = UInt8(ascii: "t")
                default:
                    buffer[position + 1] = UInt8(ascii: "u")
                    buffer[position + 2] = UInt8(ascii: "0")
                    buffer[position + 3] = UInt8(ascii: "0")
                    buffer[position + 4] = lowercaseHexDigit(byte >> 4)
                    buffer[position + 5] = lowercaseHexDigit(byte & 0x0F)
                }
                position += escapeLength(byte)
            }
            return position
        }
    }

    /// Bytes written for a byte below 0x20 or `"` / `\`.
    private static func escapeLength(_ byte: UInt8) -> Int {
        switch byte {
        case 0x08, 0x09, 0x0A, 0x0C, 0x0D, UInt8(ascii: "\""), UInt8(ascii: "\\"): 2
        default: 6
        }
    }

    private static func lowercaseHexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }
}

extension JSONWriter {
    /// Appends `s` as a quoted JSON string literal to a byte buffer, with the
    /// same escaping as the `String` form; for the worker's hot path, which
    /// writes Redis arguments straight into one buffer.
    public static func appendQuoted(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in s.utf8 {
            if byte >= 0x20, byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\") {
                out.append(byte)
                continue
            }
            out.append(UInt8(ascii: "\\"))
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): out.append(byte)
            case 0x08: out.append(UInt8(ascii: "b"))
            case 0x0C: out.append(UInt8(ascii: "f"))
            case 0x0A: out.append(UInt8(ascii: "n"))
            case 0x0D: out.append(UInt8(ascii: "r"))
            case 0x09: out.append(UInt8(ascii: "t"))
            default:
                out.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
                out.append(lowercaseHexDigit(byte >> 4))
                out.append(lowercaseHexDigit(byte & 0x0F))
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
