/// Why a text is not a mail address tally will send to.
public struct MailAddressError: Error, Sendable, Equatable, CustomStringConvertible {
    public let address: String
    public let reason: String

    public var description: String { "invalid email address \"\(address)\": \(reason)" }
}

/// An email address in the plain `local@domain` form (RFC 5321's
/// `Mailbox` with a dot-atom local part and a domain of letter-digit-hyphen
/// labels), checked before it reaches an SMTP command or a header.
///
/// Deliberately narrower than RFC 5322 — no quoted local parts, no address
/// literals, no non-ASCII (tally does not speak SMTPUTF8) — because the
/// address is written verbatim into `RCPT TO:<…>` and the `To:` header:
/// anything that passes here cannot inject a command or a header.
public struct MailAddress: Sendable, Hashable, CustomStringConvertible {
    public let text: String

    public var description: String { text }

    /// RFC 5321's limits: 64 bytes of local part, 254 in all (a path of 256 with its brackets).
    static let maxLocalBytes = 64
    static let maxBytes = 254

    public init(_ text: String) throws(MailAddressError) {
        func refuse(_ reason: String) -> MailAddressError { MailAddressError(address: text, reason: reason) }
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty else { throw refuse("empty") }
        guard bytes.count <= Self.maxBytes else { throw refuse("longer than \(Self.maxBytes) bytes") }
        guard let at = bytes.lastIndex(of: UInt8(ascii: "@")) else { throw refuse("no @") }
        let local = bytes[..<at]
        let domain = bytes[(at + 1)...]
        guard !local.isEmpty else { throw refuse("nothing before the @") }
        guard local.count <= Self.maxLocalBytes else { throw refuse("the part before the @ is longer than \(Self.maxLocalBytes) bytes") }
        guard local.allSatisfy(Self.isAtomOrDot) else {
            throw refuse("the part before the @ may hold only letters, digits, dots and !#$%&'*+/=?^_`{|}~-")
        }
        guard local.first != UInt8(ascii: "."), local.last != UInt8(ascii: "."), !Self.hasDoubleDot(local) else {
            throw refuse("a dot may not start or end the part before the @, nor follow another")
        }
        let labels = domain.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard labels.count >= 2 else { throw refuse("the domain needs at least two labels (example.com)") }
        for label in labels {
            guard (1...63).contains(label.count), label.allSatisfy(Self.isLetterDigitHyphen),
                label.first != UInt8(ascii: "-"), label.last != UInt8(ascii: "-")
            else { throw refuse("the domain's labels are letters, digits and inner hyphens, 1 to 63 of them") }
        }
        self.text = text
    }

    /// The domain, e.g. for a Message-ID.
    public var domain: Substring { text[text.index(after: text.lastIndex(of: "@")!)...] }

    private static func isLetterDigitHyphen(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte | 0x20) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
            || byte == UInt8(ascii: "-")
    }

    private static func isAtomOrDot(_ byte: UInt8) -> Bool {
        isLetterDigitHyphen(byte) || byte == UInt8(ascii: ".") || Array("!#$%&'*+/=?^_`{|}~".utf8).contains(byte)
    }

    private static func hasDoubleDot(_ bytes: ArraySlice<UInt8>) -> Bool {
        zip(bytes, bytes.dropFirst()).contains { $0 == UInt8(ascii: ".") && $1 == UInt8(ascii: ".") }
    }
}
