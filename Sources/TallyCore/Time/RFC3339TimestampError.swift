/// Why a text is not an accepted RFC 3339 timestamp, in words a record's author can
/// act on (e.g. "month 13 out of range", "missing time zone offset").
public struct RFC3339TimestampError: Error, Equatable, Sendable, CustomStringConvertible {
    public let message: String

    public init(message: String) {
        self.message = message
    }

    public var description: String { message }
}
