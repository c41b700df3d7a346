import Testing
@testable import TallyCore

/// The error `JSONParser` throws for `bytes`, or nil when it parses.
private func parseError(_ bytes: [UInt8], maxDepth: Int = 32) -> JSONParseError? {
    do {
        _ = try JSONParser.parse(bytes, maxDepth: maxDepth)
        return nil
    } catch {
        return error
    }
}

private func parseError(_ text: String, maxDepth: Int = 32) -> JSONParseError? {
    parseError(Array(text.utf8), maxDepth: maxDepth)
}

@Suite("JSONParser")
struct JSONParserTests {
    // MARK: Values

    @Test func scalars() throws {
        #expect(try JSONParser.parse("null") == .null)
        #expect(try JSONParser.parse("true") == .bool(true))
        #expect(try JSONParser.parse("false") == .bool(false))
        #expect(try JSONParser.parse("\"hi\"") == .string("hi"))
        #expect(try JSONParser.parse("0") == .number("0"))
        #expect(try JSONParser.parse("\"\"") == .string(""))
    }

    @Test(arguments: [
        "0", "-0", "7", "-12", "12.50", "0.001", "1e3", "1E3", "1e+3", "1e-3", "-1.50e+3",
        "123456789012345678901234567890.123456789", "0e0", "1.5E-07",
    ])
    func numbersKeepTheirRawText(_ text: String) throws {
        #expect(try JSONParser.parse(text) == .number(text))
        #expect(try JSONParser.parse("[\(text)]") == .array([.number(text)]))
    }

    @Test(arguments: [
        ("01", "invalid number: leading zeros are not allowed"),
        ("-01", "invalid number: leading zeros are not allowed"),
        ("-", "invalid number: expected a digit"),
        ("-a", "invalid number: expected a digit"),
        ("1.", "invalid number: expected a digit after '.'"),
        ("1.e5", "invalid number: expected a digit after '.'"),
        ("1e", "invalid number: expected a digit in the exponent"),
        ("1e+", "invalid number: expected a digit in the exponent"),
        (".5", "unexpected character '.'"),
        ("+1", "unexpected character '+'"),
        ("NaN", "unexpected character 'N'"),
        ("Infinity", "unexpected character 'I'"),
        ("-Infinity", "invalid number: expected a digit"),
        ("0x10", "trailing characters after the value"),
        ("1.5.2", "trailing characters after the value"),
        ("[1,000]", "invalid number: leading zeros are not allowed"),
    ])
    func invalidNumbers(_ text: String, _ message: String) {
        #expect(parseError(text)?.message == message)
    }

    @Test func objectsKeepOrderAndDuplicates() throws {
        let value = try JSONParser.parse(#"{"b": 1, "a": [true, null], "b": "second"}"#)
        #expect(value == .object([
            JSONMember(key: "b", value: .number("1")),
            JSONMember(key: "a", value: .array([.bool(true), .null])),
            JSONMember(key: "b", value: .string("second")),
        ]))
        #expect(value["b"] == .number("1"))
        #expect(value["a"] == .array([.bool(true), .null]))
        #expect(value["missing"] == nil)
        #expect(JSONValue.array([])["b"] == nil)
    }

    @Test func subscriptMatchesKeysByExactScalars() throws {
        // "é" precomposed vs "e" + combining acute: canonically equivalent, different keys.
        let value = try JSONParser.parse("{\"e\u{301}\": 1, \"\u{E9}\": 2}")
        #expect(value["\u{E9}"] == .number("2"))
        #expect(value["e\u{301}"] == .number("1"))
    }

    @Test func typeNames() {
        #expect(JSONValue.null.typeName == "null")
        #expect(JSONValue.bool(false).typeName == "boolean")
        #expect(JSONValue.number("1").typeName == "number")
        #expect(JSONValue.string("").typeName == "string")
        #expect(JSONValue.array([]).typeName == "array")
        #expect(JSONValue.object([]).typeName == "object")
    }

    @Test func nestedContainers() throws {
        let value = try JSONParser.parse(#"{"a":{"b":[[],{},[{"c":[1,[2]]}]]},"d":[]}"#)
        let expected: JSONValue = .object([
            JSONMember(key: "a", value: .object([
                JSONMember(key: "b", value: .array([
                    .array([]), .object([]),
                    .array([.object([JSONMember(key: "c", value: .array([.number("1"), .array([.number("2")])]))])]),
                ])),
            ])),
            JSONMember(key: "d", value: .array([])),
        ])
        #expect(value == expected)
    }

    @Test func manyElements() throws {
        let text = "[" + (0..<10_000).map { "{\"i\":\($0)}" }.joined(separator: ",") + "]"
        guard case .array(let elements) = try JSONParser.parse(text) else {
            Issue.record("not an array")
            return
        }
        #expect(elements.count == 10_000)
        #expect(elements[9_999]["i"] == .number("9999"))
    }

    // MARK: Whitespace and trailing data

    @Test func surroundingWhitespaceIsAllowed() throws {
        #expect(try JSONParser.parse(" \t\r\n[ 1 , { \"a\" : 2 } ]\n\r\t ") == .array([
            .number("1"), .object([JSONMember(key: "a", value: .number("2"))]),
        ]))
    }

    @Test(arguments: ["\u{0B}1", "\u{0C}1", "\u{A0}1", "1\u{0C}"])
    func otherWhitespaceIsRejected(_ text: String) {
        #expect(parseError(text) != nil)
    }

    @Test func emptyInput() {
        #expect(parseError("") == JSONParseError(offset: 0, message: "unexpected end of input"))
        #expect(parseError("  \n") == JSONParseError(offset: 3, message: "unexpected end of input"))
    }

    @Test(arguments: ["1 2", "{}x", "[] []", "null,", "\"a\"\"b\"", "true false"])
    func trailingCharactersAreRejected(_ text: String) {
        #expect(parseError(text)?.message == "trailing characters after the value")
    }

    @Test func trailingErrorOffsetPointsAtTheGarbage() {
        #expect(parseError("[1]  x") == JSONParseError(offset: 5, message: "trailing characters after the value"))
    }

    @Test func byteOrderMarkIsRejected() {
        #expect(parseError([0xEF, 0xBB, 0xBF] + Array("1".utf8))?.message == "unexpected byte 0xEF")
    }

    // MARK: Structure errors

    @Test(arguments: [
        ("[1,]", "unexpected character ']'"),
        ("[1 2]", "expected ',' or ']'"),
        ("[1", "unterminated array"),
        ("[", "unexpected end of input"),
        ("{", "unterminated object"),
        ("{\"a\":1", "unterminated object"),
        ("{\"a\" 1}", "expected ':' after key"),
        ("{1:2}", "expected a string key"),
        ("{\"a\":1,}", "expected a string key"),
        ("{\"a\":1 \"b\":2}", "expected ',' or '}'"),
        ("{\"a\":1]", "expected ',' or '}'"),
        ("[1}", "expected ',' or ']'"),
        ("tru", "invalid literal"),
        ("nul", "invalid literal"),
        ("nulL", "invalid literal"),
        ("True", "unexpected character 'T'"),
        ("'a'", "unexpected character '''"),
        ("\u{1}", "unexpected byte 0x01"),
    ])
    func structureErrors(_ text: String, _ message: String) {
        #expect(parseError(text)?.message == message)
    }

    // MARK: Strings

    @Test func allSimpleEscapes() throws {
        #expect(try JSONParser.parse(#""\"\\\/\b\f\n\r\t""#) == .string("\"\\/\u{8}\u{C}\n\r\t"))
    }

    @Test func escapesBetweenRunsOfText() throws {
        #expect(try JSONParser.parse(#""ab\ncd\"ef\u00e9gh""#) == .string("ab\ncd\"ef\u{E9}gh"))
    }

    @Test func unicodeEscapes() throws {
        #expect(try JSONParser.parse(#""\u0041\u00E9\u20ac\uFFFF""#) == .string("A\u{E9}\u{20AC}\u{FFFF}"))
        #expect(try JSONParser.parse(#""\u0000""#) == .string("\u{0}"))
        #expect(try JSONParser.parse(#""\ud83d\ude00""#) == .string("\u{1F600}"))
        #expect(try JSONParser.parse(#""\uDBFF\uDFFF""#) == .string("\u{10FFFF}"))
    }

    @Test(arguments: [
        (#""\ud83d""#, 1),
        (#""\ud83dx""#, 1),
        (#""a\ud83d\u0041""#, 2),
        (#""\ude00""#, 1),
        (#""\ude00\ud83d""#, 1),
        (#""\ud83d\ud83d""#, 1),
    ])
    func unpairedSurrogatesAreRejected(_ text: String, _ offset: Int) {
        #expect(parseError(text) == JSONParseError(offset: offset, message: "unpaired surrogate in \\u escape"))
    }

    @Test(arguments: [#""\u12""#, #""\u12G4""#, #""\u""#, #""\ud83d\u12""#])
    func malformedUnicodeEscapes(_ text: String) {
        #expect(parseError(text)?.message == "invalid \\u escape")
    }

    @Test(arguments: [#""\x41""#, #""\a""#, #""\U0041""#, #""\'""#])
    func unknownEscapesAreRejected(_ text: String) {
        #expect(parseError(text)?.message == "invalid escape sequence")
    }

    @Test func rawControlCharactersAreRejected() throws {
        for byte in UInt8(0)..<0x20 {
            #expect(parseError([0x22, 0x61, byte, 0x22]) == JSONParseError(offset: 2, message: "control character in string"))
            #expect(parseError([0x22, 0x5C, 0x6E, byte, 0x22])?.message == "control character in string")
        }
        #expect(try JSONParser.parse([0x22, 0x7F, 0x22]) == .string("\u{7F}"))
    }

    @Test(arguments: [#"""#, #""abc"#, #""abc\""#, #""ab\n"#, #"["a"#, #""\"#])
    func unterminatedStrings(_ text: String) {
        #expect(parseError(text)?.message == "unterminated string")
    }

    @Test func unterminatedStringOffsetIsTheOpeningQuote() {
        #expect(parseError(#"[1, "abc"#) == JSONParseError(offset: 4, message: "unterminated string"))
        #expect(parseError(#"[1, "a\nbc"#) == JSONParseError(offset: 4, message: "unterminated string"))
    }

    @Test func validUTF8IsKept() throws {
        let text = "\"h\u{E9}llo \u{20AC} \u{1F600} \u{10FFFF} \u{E000}\""
        #expect(try JSONParser.parse(Array(text.utf8)) == .string("h\u{E9}llo \u{20AC} \u{1F600} \u{10FFFF} \u{E000}"))
    }

    @Test(arguments: [
        [0x80],                      // lone continuation byte
        [0xBF],
        [0xC0, 0xAF],                // overlong "/"
        [0xC1, 0xBF],                // overlong
        [0xE0, 0x80, 0xAF],          // overlong 3-byte
        [0xE0, 0x9F, 0xBF],          // overlong 3-byte (upper edge)
        [0xF0, 0x80, 0x80, 0xAF],    // overlong 4-byte
        [0xF0, 0x8F, 0xBF, 0xBF],    // overlong 4-byte (upper edge)
        [0xED, 0xA0, 0x80],          // UTF-8 encoded high surrogate U+D800
        [0xED, 0xBF, 0xBF],          // UTF-8 encoded low surrogate U+DFFF
        [0xF4, 0x90, 0x80, 0x80],    // U+110000
        [0xF5, 0x80, 0x80, 0x80],    // lead byte beyond U+10FFFF
        [0xFF],
        [0xFE],
        [0xC3],                      // truncated 2-byte before the closing quote
        [0xE2, 0x82],                // truncated 3-byte
        [0xF0, 0x9F, 0x98],          // truncated 4-byte
        [0xC3, 0x41],                // lead followed by ASCII
        [0xE2, 0x28, 0xA1],          // bad second byte
        [0xE2, 0x82, 0x28],          // bad third byte
        [0xF0, 0x9F, 0x98, 0x28],    // bad fourth byte
    ] as [[UInt8]])
    func invalidUTF8IsRejected(_ sequence: [UInt8]) {
        let plain = [0x22, 0x61] + sequence + [0x22]
        #expect(parseError(plain) == JSONParseError(offset: 2, message: "invalid UTF-8"))
        // Also after an escape, where the slow path validates.
        let escaped = [0x22, 0x5C, 0x6E] + sequence + [0x22]
        #expect(parseError(escaped) == JSONParseError(offset: 3, message: "invalid UTF-8"))
        // Also in an object key.
        let key = [0x7B, 0x22] + sequence + [0x22, 0x3A, 0x31, 0x7D]
        #expect(parseError(key)?.message == "invalid UTF-8")
    }

    @Test func truncatedUTF8AtEndOfInput() {
        #expect(parseError([0x22, 0xE2, 0x82]) == JSONParseError(offset: 1, message: "invalid UTF-8"))
    }

    @Test func validUTF8Boundaries() throws {
        let sequences: [[UInt8]] = [
            [0xC2, 0x80], [0xDF, 0xBF], [0xE0, 0xA0, 0x80], [0xED, 0x9F, 0xBF], [0xEE, 0x80, 0x80],
            [0xEF, 0xBF, 0xBF], [0xF0, 0x90, 0x80, 0x80], [0xF4, 0x8F, 0xBF, 0xBF],
        ]
        for sequence in sequences {
            let value = try JSONParser.parse([0x22] + sequence + [0x22])
            #expect(value == .string(String(decoding: sequence, as: UTF8.self)))
        }
    }

    // MARK: Depth

    private static func nestedArrays(_ depth: Int) -> String {
        String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
    }

    @Test func nestingUpToMaxDepthIsAccepted() throws {
        var expected = JSONValue.array([])
        for _ in 1..<32 { expected = .array([expected]) }
        #expect(try JSONParser.parse(Self.nestedArrays(32)) == expected)
    }

    @Test func nestingBeyondMaxDepthIsRejected() {
        #expect(parseError(Self.nestedArrays(33)) == JSONParseError(offset: 32, message: "nesting deeper than 32"))
        let objects = String(repeating: "{\"a\":", count: 33) + "1" + String(repeating: "}", count: 33)
        #expect(parseError(objects)?.message == "nesting deeper than 32")
        let mixed = String(repeating: "[{\"a\":", count: 17) + "1" + String(repeating: "}]", count: 17)
        #expect(parseError(mixed)?.message == "nesting deeper than 32")
    }

    @Test func customMaxDepth() throws {
        #expect(try JSONParser.parse("[[1]]", maxDepth: 2) == .array([.array([.number("1")])]))
        #expect(parseError("[[1]]", maxDepth: 1)?.message == "nesting deeper than 1")
        #expect(parseError("[]", maxDepth: 0)?.message == "nesting deeper than 0")
        #expect(try JSONParser.parse("1", maxDepth: 0) == .number("1"))
        #expect(parseError(Self.nestedArrays(1_000), maxDepth: 1_000) == nil)
        #expect(parseError(Self.nestedArrays(1_001), maxDepth: 1_000)?.message == "nesting deeper than 1000")
    }

    @Test func hostileNestingFailsFast() {
        let clock = ContinuousClock()
        let start = clock.now
        #expect(parseError(String(repeating: "[", count: 100_000))?.message == "nesting deeper than 32")
        #expect(parseError(String(repeating: "{\"a\":", count: 100_000))?.message == "nesting deeper than 32")
        #expect(clock.now - start < .seconds(1))
    }

    // MARK: Entry points and errors

    @Test func entryPointsAgree() throws {
        let text = #"{"k": ["v", 1.5e3, false]}"#
        let bytes = Array(text.utf8)
        let fromString = try JSONParser.parse(text)
        let fromBytes = try JSONParser.parse(bytes)
        let fromRaw = try bytes.withUnsafeBytes { raw throws(JSONParseError) in try JSONParser.parse(raw) }
        #expect(fromString == fromBytes)
        #expect(fromRaw == fromBytes)
        #expect(fromString["k"] == .array([.string("v"), .number("1.5e3"), .bool(false)]))
    }

    @Test func emptyRawBuffer() {
        #expect(throws: JSONParseError(offset: 0, message: "unexpected end of input")) {
            try JSONParser.parse(UnsafeRawBufferPointer(start: nil, count: 0))
        }
    }

    @Test func substringOfLargerBufferIsParsedAlone() throws {
        let bytes = Array("xx[1]yy".utf8)
        let value = try bytes.withUnsafeBytes { raw throws(JSONParseError) in
            try JSONParser.parse(UnsafeRawBufferPointer(rebasing: raw[2..<5]))
        }
        #expect(value == .array([.number("1")]))
    }

    @Test func errorDescription() {
        let error = JSONParseError(offset: 7, message: "unterminated string")
        #expect(error.description == "unterminated string at byte 7")
    }
}
