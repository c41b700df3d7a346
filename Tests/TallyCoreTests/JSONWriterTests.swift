import Testing
@testable import TallyCore

@Suite("JSONWriter")
struct JSONWriterTests {
    @Test(arguments: [
        ("", #""""#),
        ("plain", #""plain""#),
        ("say \"hi\"", #""say \"hi\"""#),
        ("back\\slash", #""back\\slash""#),
        ("a/b", #""a/b""#),
        ("\u{8}\u{C}\n\r\t", #""\b\f\n\r\t""#),
        ("\u{0}", #""\u0000""#),
        ("\u{1}\u{1B}\u{1F}", #""\u0001\u001b\u001f""#),
        ("\u{7F}", "\"\u{7F}\""),
        ("caf\u{E9} \u{20AC}", "\"caf\u{E9} \u{20AC}\""),
        ("\u{1F600}\u{10FFFF}", "\"\u{1F600}\u{10FFFF}\""),
        ("\u{2028}\u{2029}", "\"\u{2028}\u{2029}\""),
        ("\"", #""\"""#),
        ("\n", #""\n""#),
        ("x\"", #""x\"""#),
    ])
    func quoted(_ input: String, _ expected: String) {
        let output = JSONWriter.quoted(input)
        // Compare bytes: String == would accept canonically equivalent text.
        #expect(Array(output.utf8) == Array(expected.utf8))
    }

    @Test func appendQuotedAppends() {
        var out = "{\"k\":"
        JSONWriter.appendQuoted("v\"1", to: &out)
        out += ","
        JSONWriter.appendQuoted("plain", to: &out)
        #expect(out == #"{"k":"v\"1","plain""#)
    }

    @Test func quoteFollowedByCombiningMarkKeepsEveryScalar() {
        // `"` + U+0301 is a single Character; escaping must not lose or reorder the mark.
        let input = "a\"\u{301}b\\\u{301}"
        let output = JSONWriter.quoted(input)
        #expect(Array(output.unicodeScalars) == Array("\"a\\\"\u{301}b\\\\\u{301}\"".unicodeScalars))
    }

    @Test func nonNormalizedTextIsNotNormalized() {
        let decomposed = "e\u{301}"
        #expect(Array(JSONWriter.quoted(decomposed).utf8) == Array("\"e\u{301}\"".utf8))
    }

    static let trickyStrings: [String] = [
        "",
        "\"",
        "\\",
        "\\\"",
        "\"\\\"\\",
        "quote \" in the middle",
        "trailing backslash \\",
        "/slashes/ and \\/ mixed",
        "\u{0}\u{1}\u{2}\u{3}\u{4}\u{5}\u{6}\u{7}\u{8}\u{9}\u{A}\u{B}\u{C}\u{D}\u{E}\u{F}",
        "\u{10}\u{11}\u{12}\u{13}\u{14}\u{15}\u{16}\u{17}\u{18}\u{19}\u{1A}\u{1B}\u{1C}\u{1D}\u{1E}\u{1F}",
        "del \u{7F} char",
        "emoji \u{1F600}\u{1F469}\u{200D}\u{1F469}\u{200D}\u{1F467} family",
        "flags \u{1F1E9}\u{1F1EA}",
        "non-BMP \u{10000} \u{1D11E} \u{10FFFF}",
        "BMP edges \u{80} \u{7FF} \u{800} \u{D7FF} \u{E000} \u{FFFD} \u{FFFF}",
        "\"\u{301}",
        "\u{301}\"",
        "e\u{301} vs \u{E9}",
        "line\u{2028}para\u{2029}",
        "mixed: \t\"caf\u{E9}\"\n\\\u{1F600}\r\u{0}",
    ]

    @Test(arguments: trickyStrings)
    func roundTripsThroughTheParser(_ input: String) throws {
        let parsed = try JSONParser.parse(JSONWriter.quoted(input))
        guard case .string(let output) = parsed else {
            Issue.record("expected a string, got \(parsed.typeName)")
            return
        }
        #expect(Array(output.utf8) == Array(input.utf8))
    }

    @Test func everyASCIIAndSampledScalarRoundTrips() throws {
        var scalars: [Unicode.Scalar] = (0..<0x80).compactMap(Unicode.Scalar.init)
        for value in stride(from: 0x80, through: 0x10FFFF, by: 997) {
            if let scalar = Unicode.Scalar(UInt32(value)) { scalars.append(scalar) }
        }
        for scalar in scalars {
            let input = "a" + String(scalar) + "\"" + String(scalar)
            let parsed = try JSONParser.parse(JSONWriter.quoted(input))
            #expect(parsed == .string(input), "U+\(String(scalar.value, radix: 16))")
        }
    }

    @Test func roundTripsAsObjectKeysAndValues() throws {
        var document = "{"
        for (i, text) in Self.trickyStrings.enumerated() {
            if i > 0 { document += "," }
            JSONWriter.appendQuoted(text, to: &document)
            document += ":"
            JSONWriter.appendQuoted(text, to: &document)
        }
        document += "}"
        guard case .object(let members) = try JSONParser.parse(document) else {
            Issue.record("expected an object")
            return
        }
        #expect(members.count == Self.trickyStrings.count)
        for (member, text) in zip(members, Self.trickyStrings) {
            #expect(Array(member.key.utf8) == Array(text.utf8))
            #expect(member.value == .string(text))
        }
    }
}
