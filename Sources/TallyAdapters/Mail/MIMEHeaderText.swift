/// Header text that may hold any Unicode, made safe for a header line.
///
/// Plain printable ASCII is written as it is. Anything else — non-ASCII,
/// but also CR, LF and other controls, which would otherwise end the header
/// and start a forged one — is written as RFC 2047 encoded words
/// (`=?UTF-8?B?…?=`), each at most 64 characters and never splitting a
/// character's UTF-8 bytes, folded onto continuation lines.
public enum MIMEHeaderText {
    /// Bytes of text per encoded word: 39 bytes are 52 base64 characters,
    /// a 64-character word, so `Subject: ` and a word fit in 78 columns.
    static let bytesPerWord = 39

    public static func encode(_ text: String) -> String {
        if text.utf8.allSatisfy({ (0x20...0x7E).contains($0) }), text.utf8.count <= 900 { return text }
        var words: [String] = []
        var chunk: [UInt8] = []
        for character in text.unicodeScalars {
            let bytes = Array(String(character).utf8)
            if chunk.count + bytes.count > bytesPerWord {
                words.append("=?UTF-8?B?" + MIMEBase64.encode(chunk) + "?=")
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty { words.append("=?UTF-8?B?" + MIMEBase64.encode(chunk) + "?=") }
        // Whitespace between adjacent encoded words is not displayed (RFC 2047 §6.2).
        return words.joined(separator: "\r\n ")
    }
}
