/// Base64 (RFC 4648) as MIME uses it: bodies in lines of at most 76
/// characters (RFC 2045 §6.8), SMTP AUTH answers and RFC 2047 encoded words
/// on one line. Written here because the pure modules do not import
/// Foundation.
public enum MIMEBase64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    /// RFC 2045's limit on an encoded line.
    public static let lineLength = 76

    /// One unbroken line.
    public static func encode<Bytes: Collection>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var iterator = bytes.makeIterator()
        while let first = iterator.next() {
            let second = iterator.next()
            let third = iterator.next()
            let group = UInt32(first) << 16 | UInt32(second ?? 0) << 8 | UInt32(third ?? 0)
            out.append(alphabet[Int(group >> 18 & 63)])
            out.append(alphabet[Int(group >> 12 & 63)])
            out.append(second == nil ? UInt8(ascii: "=") : alphabet[Int(group >> 6 & 63)])
            out.append(third == nil ? UInt8(ascii: "=") : alphabet[Int(group & 63)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A body: lines of ``lineLength`` characters, each ended by CRLF.
    public static func encodeLines<Bytes: Collection>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        let text = Array(encode(bytes).utf8)
        var out = ""
        out.reserveCapacity(text.count + text.count / lineLength * 2 + 2)
        var start = 0
        while start < text.count {
            let end = min(start + lineLength, text.count)
            out += String(decoding: text[start..<end], as: UTF8.self)
            out += "\r\n"
            start = end
        }
        return out
    }
}
