/// Why a text could not be turned into an `ExactDecimal`.
///
/// The two reasons are separate because callers report them differently: a malformed
/// amount is a broken record, an out-of-range one is a well-formed number that this
/// service refuses to round.
public struct ExactDecimalError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Reason: String, Equatable, Sendable {
        /// Not the JSON number grammar `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
        case malformed
        /// Well formed, but more than `ExactDecimal.maxIntegerDigits` integer digits or
        /// `ExactDecimal.maxFractionDigits` fraction digits once the exponent is applied.
        case outOfRange
    }

    public let reason: Reason
    /// Short human text, e.g. "leading zeros are not allowed".
    public let message: String

    public init(reason: Reason, message: String) {
        self.reason = reason
        self.message = message
    }

    public var description: String { message }

    static func malformed(_ message: String) -> ExactDecimalError {
        ExactDecimalError(reason: .malformed, message: message)
    }

    static func outOfRange(_ message: String) -> ExactDecimalError {
        ExactDecimalError(reason: .outOfRange, message: message)
    }
}
