/// Why a message cannot be processed: it goes to the dead-letter queue with
/// this reason in its headers, never vanishes (docs/contract.md, "Nothing lost").
public struct Rejection: Error, Sendable, Equatable, CustomStringConvertible {
    /// The machine-readable reason, sent as the `x-tally-reason` header.
    public enum Reason: String, Sendable, CaseIterable {
        /// The body exceeds the size limit; it was not parsed.
        case tooLarge = "too-large"
        /// The body is not JSON.
        case malformedJSON = "malformed-json"
        /// The body is JSON but not an object.
        case invalidShape = "invalid-shape"
        /// One field breaks a rule; `field` says which.
        case invalidField = "invalid-field"
        /// The recordId was seen before with a different body.
        case conflict = "conflict"
    }

    public let reason: Reason
    /// The offending field for ``Reason/invalidField``.
    public let field: RecordField?
    /// A sentence for the person reading the dead letter.
    public let detail: String

    public init(_ reason: Reason, field: RecordField? = nil, detail: String) {
        self.reason = reason
        self.field = field
        self.detail = detail
    }

    public var description: String {
        if let field { return "\(reason.rawValue) (\(field.rawValue)): \(detail)" }
        return "\(reason.rawValue): \(detail)"
    }
}
