/// A header or argument value, the subset tally reads and writes.
public enum AMQPFieldValue: Sendable, Equatable {
    case string(String)
    case integer(Int64)
    case boolean(Bool)
    case table([String: AMQPFieldValue])
    case array([AMQPFieldValue])
    /// A kind tally does not use (floats, timestamps, decimals…).
    case unsupported(kind: UInt8)

    public var string: String? {
        if case .string(let value) = self { value } else { nil }
    }

    public var integer: Int64? {
        if case .integer(let value) = self { value } else { nil }
    }
}
