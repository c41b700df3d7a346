/// The kinds of bad input the generator mixes in, each with the reason (and
/// field) the worker must dead-letter it with (docs/contract.md, "Validation").
public enum InvalidKind: String, Sendable, CaseIterable, Codable {
    case negativeValue = "negative-value"
    case unknownType = "unknown-type"
    case missingTime = "missing-time"
    case timeWithoutOffset = "time-without-offset"
    case truncatedJSON = "truncated-json"

    /// The `x-tally-reason` header the dead letter must carry.
    public var expectedReason: String {
        self == .truncatedJSON ? "malformed-json" : "invalid-field"
    }

    /// The `x-tally-field` header, when the reason names a field.
    public var expectedField: String? {
        switch self {
        case .negativeValue: "value"
        case .unknownType: "type"
        case .missingTime, .timeWithoutOffset: "time"
        case .truncatedJSON: nil
        }
    }
}
