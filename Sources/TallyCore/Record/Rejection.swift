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
        /// The record's time is older than the dedup window, or further in
        /// the future than `dedup.aheadSeconds`: its claim could not outlive
        /// every duplicate, so it is not applied (docs/contract.md,
        /// "Exactly once, with no window").
        case outsideDedupWindow = "outside-dedup-window"
        /// Redis refused this record's apply call alone (e.g. one of its keys
        /// holds another type); its batchmates were applied.
        case applyFailed = "apply-failed"
        /// Applied, but the broker refused (or could not be given) one of its
        /// outputs. Its outcome stays pending in Redis: a replay publishes
        /// the same bytes once the cause is fixed.
        case publishRefused = "publish-refused"
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
