/// One Redis command, its arguments packed in a single buffer so that
/// sending it costs one allocation, not one per argument.
public struct RedisCommand: Sendable {
    var bytes: [UInt8] = []
    var lengths: [Int] = []

    public init(_ arguments: String...) {
        for argument in arguments { append(argument) }
    }

    public init(_ arguments: [String]) {
        for argument in arguments { append(argument) }
    }

    public mutating func append(_ argument: String) {
        bytes.append(contentsOf: argument.utf8)
        lengths.append(argument.utf8.count)
    }

    public mutating func append(_ argument: [UInt8]) {
        bytes.append(contentsOf: argument)
        lengths.append(argument.count)
    }

    public var argumentCount: Int { lengths.count }
}
