/// Why one row of an imported file was not turned into a record: written to
/// the rejects file next to the row's line number, never dropped silently.
public struct RowRejection: Error, Sendable, Equatable, CustomStringConvertible {
    public let reason: String

    public init(_ reason: String) {
        self.reason = reason
    }

    public var description: String { reason }
}

/// Why a whole file was refused before its first row (a missing or unknown
/// column in its header).
public struct HeaderRejection: Error, Sendable, Equatable, CustomStringConvertible {
    public let reason: String

    public init(_ reason: String) {
        self.reason = reason
    }

    public var description: String { reason }
}
