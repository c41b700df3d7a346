/// A strict RFC 8259 parser for untrusted input.
///
/// Strict because records that a lenient parser would "fix" (trailing commas, lone
/// surrogates, invalid UTF-8, `NaN`) are exactly the records that must be rejected
/// with a reason rather than silently altered. Numbers are validated against the
/// JSON grammar but kept as text (see `JSONValue.number`).
///
/// The parser is iterative with an explicit container stack, so hostile nesting
/// (100k `[`) costs one error at depth `maxDepth + 1`, never a stack overflow.
/// Depth counts open containers: `1` is depth 0, `[1]` depth 1, `[[1]]` depth 2.
/// A UTF-8 byte order mark is rejected like any other stray byte.
public enum JSONParser {
    /// Parses exactly one JSON value, optionally surrounded by whitespace.
    public static func parse(
        _ bytes: UnsafeRawBufferPointer,
        maxDepth: Int = 32
    ) throws(JSONParseError) -> JSONValue {
        let result = bytes.withMemoryRebound(to: UInt8.self) { input in
            var parser = JSONByteParser(input: input, maxDepth: maxDepth)
            return Result { () throws(JSONParseError) -> JSONValue in try parser.parseDocument() }
        }
        return try result.get()
    }

    /// Parses exactly one JSON value from UTF-8 bytes.
    public static func parse(_ bytes: [UInt8], maxDepth: Int = 32) throws(JSONParseError) -> JSONValue {
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(JSONParseError) -> JSONValue in try parse(raw, maxDepth: maxDepth) }
        }
        return try result.get()
    }

    /// Parses exactly one JSON value from a string (offsets in errors are UTF-8 byte offsets).
    public static func parse(_ text: String, maxDepth: Int = 32) throws(JSONParseError) -> JSONValue {
        var text = text
        let result = text.withUTF8 { utf8 in
            Result { () throws(JSONParseError) -> JSONValue in
                try parse(UnsafeRawBufferPointer(utf8), maxDepth: maxDepth)
            }
        }
        return try result.get()
    }
}
