/// The bytes after `DATA` (RFC 5321 §4.5.2): every line ends in CRLF (a bare
/// LF or CR becomes CRLF), a line that starts with `.` gets a second one
/// (dot-stuffing, so no content line can read as the end of the message),
/// and the content ends with a line break. The terminating `.` line is kept
/// apart (``terminator``) because the mailer records "committing" between
/// sending the content and sending the terminator: only the terminator
/// makes the server take the message.
public enum SMTPData {
    public static let terminator: [UInt8] = Array(".\r\n".utf8)

    public static func stuffed(_ message: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(message.count + message.count / 64 + 2)
        var atLineStart = true
        var index = 0
        while index < message.count {
            let byte = message[index]
            if atLineStart, byte == UInt8(ascii: ".") { out.append(UInt8(ascii: ".")) }
            switch byte {
            case UInt8(ascii: "\r"):
                out += [13, 10]
                if index + 1 < message.count, message[index + 1] == 10 { index += 1 }
                atLineStart = true
            case UInt8(ascii: "\n"):
                out += [13, 10]
                atLineStart = true
            default:
                out.append(byte)
                atLineStart = false
            }
            index += 1
        }
        if !atLineStart || out.isEmpty { out += [13, 10] }
        return out
    }
}
