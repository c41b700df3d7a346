import TallyCore

/// An exact decimal with the text a producer writes for it: the body
/// carries `text`, the oracle adds `value`. Never a binary float.
public struct ExactDecimalText: Sendable, Equatable {
    public let value: ExactDecimal
    public let text: String

    public init(_ value: ExactDecimal) {
        self.value = value
        self.text = value.canonical
    }

    public init(parsing text: String) throws(ExactDecimalError) {
        self.value = try ExactDecimal.parse(text)
        self.text = text
    }
}
