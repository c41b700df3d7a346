/// A decoded Redis (RESP2) reply. Error replies are values, not thrown:
/// in a pipeline one command's error must not hide the others' results.
public enum RedisReply: Sendable, Equatable {
    case string([UInt8])
    case status(String)
    case integer(Int64)
    case array([RedisReply])
    case null
    case error(String)

    /// The bulk or status string as UTF-8 text.
    public var text: String? {
        switch self {
        case .string(let bytes): String(decoding: bytes, as: UTF8.self)
        case .status(let status): status
        default: nil
        }
    }

    public var integer: Int64? {
        if case .integer(let value) = self { value } else { nil }
    }

    public var elements: [RedisReply]? {
        if case .array(let elements) = self { elements } else { nil }
    }

    public var errorMessage: String? {
        if case .error(let message) = self { message } else { nil }
    }
}
