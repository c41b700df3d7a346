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

    /// Lets `write` append arguments in place: their bytes to `bytes`,
    /// each one's length to `lengths` (how `ApplyCall` writes an `FCALL`
    /// without a `String` per argument).
    public mutating func appendArguments(_ write: (_ bytes: inout [UInt8], _ lengths: inout [Int]) -> Void) {
        write(&bytes, &lengths)
    }

    /// Appends one argument that `write` writes in place.
    public mutating func appendArgument(_ write: (_ bytes: inout [UInt8]) -> Void) {
        let start = bytes.count
        write(&bytes)
        lengths.append(bytes.count - start)
    }

    /// Empties the command but keeps its storage, to build the next one in it.
    public mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        lengths.removeAll(keepingCapacity: true)
    }

    public var argumentCount: Int { lengths.count }
}
