/// One SMTP reply (RFC 5321 §4.2): a three-digit code and its text lines.
public struct SMTPReply: Sendable, Equatable {
    public let code: Int
    public let lines: [String]

    public init(code: Int, lines: [String]) {
        self.code = code
        self.lines = lines
    }

    /// 2xx and 3xx: the command went through (3xx: send what it asks for).
    public var isPositive: Bool { (200..<400).contains(code) }
    /// 4xx: a temporary refusal — the same command may succeed later.
    public var isTransient: Bool { (400..<500).contains(code) }
    /// The reply as the server wrote it, for messages and logs.
    public var text: String { "\(code) " + lines.joined(separator: " / ") }
}

/// Why a line is not part of an SMTP reply.
public struct SMTPReplyFormatError: Error, Sendable, Equatable, CustomStringConvertible {
    public let line: String
    public let reason: String

    public var description: String { "malformed SMTP reply line \"\(line.prefix(80))\": \(reason)" }
}

/// Assembles replies from lines (CRLF already removed): `250-first`,
/// `250-second`, `250 last`. A multi-line reply is complete at the line
/// whose code is followed by a space (or nothing); every line must carry
/// the same code.
public struct SMTPReplyParser: Sendable {
    private var code: Int?
    private var lines: [String] = []

    public init() {}

    /// The completed reply, or nil while a multi-line reply continues.
    public mutating func feed(_ line: String) throws(SMTPReplyFormatError) -> SMTPReply? {
        let bytes = Array(line.utf8)
        guard bytes.count >= 3, bytes[0..<3].allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
            let lineCode = Int(String(decoding: bytes[0..<3], as: UTF8.self)), (200...599).contains(lineCode)
        else { throw SMTPReplyFormatError(line: line, reason: "no reply code 200…599") }
        let separator = bytes.count > 3 ? bytes[3] : UInt8(ascii: " ")
        guard separator == UInt8(ascii: " ") || separator == UInt8(ascii: "-") else {
            throw SMTPReplyFormatError(line: line, reason: "the code is followed by neither a space nor a hyphen")
        }
        if let code, code != lineCode {
            throw SMTPReplyFormatError(line: line, reason: "code \(lineCode) inside a reply that began with \(code)")
        }
        code = lineCode
        lines.append(bytes.count > 4 ? String(decoding: bytes[4...], as: UTF8.self) : "")
        guard separator == UInt8(ascii: " ") else { return nil }
        defer {
            self.code = nil
            self.lines = []
        }
        return SMTPReply(code: lineCode, lines: lines)
    }
}
