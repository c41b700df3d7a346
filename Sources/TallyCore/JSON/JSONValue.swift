/// A parsed JSON document that loses nothing the validator may care about.
///
/// Numbers stay as the exact text of the input (so money amounts can be read by
/// `ExactDecimal` without ever passing through a binary floating point value), and
/// objects stay as ordered member lists with duplicates kept, because whether a
/// duplicate key is an error is a policy decision of the caller, not of the parser.
///
/// The synthesized `==` is structural: `.number("1.0") != .number("1")`, and member
/// order matters.
public enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    /// The raw number text exactly as written in the input, e.g. `"-1.50e3"`.
    case number(String)
    case string(String)
    case array([JSONValue])
    /// Members in input order; duplicate keys are kept.
    case object([JSONMember])

    /// The value of the first member named `key` when `self` is an object, else `nil`.
    ///
    /// Keys are matched by exact Unicode scalars (RFC 8259 §8.3 compares member names
    /// code unit by code unit), not by Swift's canonical-equivalence `String ==`.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        for member in members where member.key.utf8.elementsEqual(key.utf8) {
            return member.value
        }
        return nil
    }

    /// The JSON type name, for error messages such as "expected string, got number".
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }
}

/// One `"key": value` pair of a JSON object.
public struct JSONMember: Equatable, Sendable {
    public let key: String
    public let value: JSONValue

    public init(key: String, value: JSONValue) {
        self.key = key
        self.value = value
    }
}
