import ArgumentParser
import Foundation
import TallyBroker
import TallyCore

/// `--format text|json` on the commands whose output scripts read: text for
/// people, JSON (one document on standard output) for machines.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

/// A dead letter as JSON: every field `tally dead show` prints. The body is
/// given exactly as base64 (`body`) and, when it is valid UTF-8, also as text
/// (`bodyText`), so no byte is lost to a lossy decoding.
enum DeadLetterJSON {
    static func render(_ letter: DeadLetterInspector.Letter, headers: Bool) -> String {
        var out = "{\"position\":\(letter.position)"
        out += ",\"recordId\":" + (letter.recordId.map(JSONWriter.quoted) ?? "null")
        out += ",\"reason\":" + JSONWriter.quoted(letter.reason)
        out += ",\"detail\":" + JSONWriter.quoted(letter.detail)
        out += ",\"deaths\":\(letter.deaths),\"replays\":\(letter.replays)"
        if headers {
            out += ",\"headers\":{"
            out += letter.headers.map { JSONWriter.quoted($0.name) + ":" + JSONWriter.quoted($0.value) }.joined(separator: ",")
            out += "}"
        }
        out += ",\"bodyBytes\":\(letter.body.count)"
        out += ",\"body\":" + JSONWriter.quoted(Data(letter.body).base64EncodedString())
        if let text = String(validating: letter.body, as: UTF8.self) {
            out += ",\"bodyText\":" + JSONWriter.quoted(text)
        }
        return out + "}"
    }
}
