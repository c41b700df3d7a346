/// An open array or object while its children are being parsed.
///
/// Children live in one shared value stack (and keys in one shared key stack) so that
/// each finished container is built with a single exactly-sized allocation instead of
/// growing its own array element by element.
private struct OpenContainer {
    let isObject: Bool
    let valueStart: Int
    let keyStart: Int
}

/// The parsing state over one contiguous input buffer.
struct JSONByteParser {
    let input: UnsafeBufferPointer<UInt8>
    let maxDepth: Int
    var pos = 0
    /// Reused buffer for strings that contain escapes.
    var scratch: [UInt8] = []

    init(input: UnsafeBufferPointer<UInt8>, maxDepth: Int) {
        self.input = input
        self.maxDepth = maxDepth
    }

    mutating func parseDocument() throws(JSONParseError) -> JSONValue {
        // Room for a record's members up front: grown from empty, the two
        // stacks reallocated four times each per record (make bench-micro).
        var values: [JSONValue] = []
        values.reserveCapacity(16)
        var keys: [String] = []
        keys.reserveCapacity(16)
        var open: [OpenContainer] = []
        open.reserveCapacity(4)

        parseValue: while true {
            var value: JSONValue
            skipWhitespace()
            guard pos < input.count else { throw fail("unexpected end of input") }
            let byte = input[pos]
            switch byte {
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                guard open.count < maxDepth else { throw fail("nesting deeper than \(maxDepth)") }
                let isObject = byte == UInt8(ascii: "{")
                pos += 1
                skipWhitespace()
                if pos < input.count, input[pos] == (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                    pos += 1
                    value = isObject ? .object([]) : .array([])
                } else {
                    open.append(OpenContainer(isObject: isObject, valueStart: values.count, keyStart: keys.count))
                    if isObject { keys.append(try parseKey()) }
                    continue parseValue
                }
            case UInt8(ascii: "\""):
                pos += 1
                value = .string(try parseStringBody())
            case UInt8(ascii: "t"):
                try expectLiteral("true")
                value = .bool(true)
            case UInt8(ascii: "f"):
                try expectLiteral("false")
                value = .bool(false)
            case UInt8(ascii: "n"):
                try expectLiteral("null")
                value = .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                value = .number(try parseNumber())
            default:
                throw unexpectedByte()
            }

            // A value is complete: attach it to the innermost open container, closing
            // as many containers as the input closes here.
            while true {
                guard let container = open.last else {
                    skipWhitespace()
                    guard pos == input.count else { throw fail("trailing characters after the value") }
                    return value
                }
                values.append(value)
                skipWhitespace()
                guard pos < input.count else {
                    throw fail(container.isObject ? "unterminated object" : "unterminated array")
                }
                let byte = input[pos]
                if byte == UInt8(ascii: ",") {
                    pos += 1
                    if container.isObject {
                        skipWhitespace()
                        keys.append(try parseKey())
                    }
                    continue parseValue
                }
                if container.isObject, byte == UInt8(ascii: "}") {
                    pos += 1
                    let count = values.count - container.valueStart
                    let members = [JSONMember](unsafeUninitializedCapacity: count) { buffer, initialized in
                        for i in 0..<count {
                            (buffer.baseAddress! + i).initialize(to: JSONMember(
                                key: keys[container.keyStart + i],
                                value: values[container.valueStart + i]
                            ))
                        }
                        initialized = count
                    }
                    values.removeSubrange(container.valueStart...)
                    keys.removeSubrange(container.keyStart...)
                    value = .object(members)
                } else if !container.isObject, byte == UInt8(ascii: "]") {
                    pos += 1
                    let elements = Array(values[container.valueStart...])
                    values.removeSubrange(container.valueStart...)
                    value = .array(elements)
                } else {
                    throw fail(container.isObject ? "expected ',' or '}'" : "expected ',' or ']'")
                }
                open.removeLast()
            }
        }
    }

    // MARK: - Tokens

    private mutating func skipWhitespace() {
        while pos < input.count {
            switch input[pos] {
            case 0x20, 0x09, 0x0A, 0x0D: pos += 1
            default: return
            }
        }
    }

    /// Parses `"key"` and the following `:`; `pos` is at the opening quote (or what should be).
    private mutating func parseKey() throws(JSONParseError) -> String {
        guard pos < input.count else { throw fail("unterminated object") }
        guard input[pos] == UInt8(ascii: "\"") else { throw fail("expected a string key") }
        pos += 1
        let key = try parseStringBody()
        skipWhitespace()
        guard pos < input.count, input[pos] == UInt8(ascii: ":") else { throw fail("expected ':' after key") }
        pos += 1
        return key
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
        let count = literal.utf8CodeUnitCount
        let start = literal.utf8Start
        guard input.count - pos >= count else { throw fail("invalid literal") }
        for i in 0..<count where input[pos + i] != start[i] {
            throw fail("invalid literal")
        }
        pos += count
    }

    /// Validates `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?` and returns the raw text.
    private mutating func parseNumber() throws(JSONParseError) -> String {
        let start = pos
        if input[pos] == UInt8(ascii: "-") { pos += 1 }
        guard pos < input.count, isDigit(input[pos]) else { throw fail("invalid number: expected a digit") }
        if input[pos] == UInt8(ascii: "0") {
            pos += 1
            if pos < input.count, isDigit(input[pos]) {
                throw JSONParseError(offset: start, message: "invalid number: leading zeros are not allowed")
            }
        } else {
            skipDigits()
        }
        if pos < input.count, input[pos] == UInt8(ascii: ".") {
            pos += 1
            guard pos < input.count, isDigit(input[pos]) else { throw fail("invalid number: expected a digit after '.'") }
            skipDigits()
        }
        if pos < input.count, input[pos] | 0x20 == UInt8(ascii: "e") {
            pos += 1
            if pos < input.count, input[pos] == UInt8(ascii: "+") || input[pos] == UInt8(ascii: "-") { pos += 1 }
            guard pos < input.count, isDigit(input[pos]) else {
                throw fail("invalid number: expected a digit in the exponent")
            }
            skipDigits()
        }
        return String(decoding: UnsafeBufferPointer(rebasing: input[start..<pos]), as: UTF8.self)
    }

    private func isDigit(_ byte: UInt8) -> Bool {
        byte &- UInt8(ascii: "0") < 10
    }

    private mutating func skipDigits() {
        while pos < input.count, isDigit(input[pos]) { pos += 1 }
    }

    // MARK: - Errors

    func fail(_ message: String) -> JSONParseError {
        JSONParseError(offset: pos, message: message)
    }

    private func unexpectedByte() -> JSONParseError {
        let byte = input[pos]
        if byte > 0x20, byte < 0x7F {
            return fail("unexpected character '\(Character(Unicode.Scalar(byte)))'")
        }
        return fail("unexpected byte 0x\(byte < 0x10 ? "0" : "")\(String(byte, radix: 16, uppercase: true))")
    }
}
