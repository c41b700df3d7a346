/// Why a JSON document was rejected, and where.
///
/// `offset` is a byte offset into the input (not a character index) because the
/// parser works on raw bytes and the input may not even be valid UTF-8.
public struct JSONParseError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Byte offset of the first byte that made the document invalid.
    public let offset: Int
    /// Short human text, e.g. "unterminated string".
    public let message: String

    public init(offset: Int, message: String) {
        self.offset = offset
        self.message = message
    }

    public var description: String { "\(message) at byte \(offset)" }
}
