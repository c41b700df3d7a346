import Foundation
import TallyAdapters
import TallyCore

/// The query-string and path parameters of the readings and matches views,
/// each checked with a 400 naming it (as the rest of the API does).
struct ViewParameters {
    private var values: [String: String] = [:]

    init(_ pairs: [(name: String, value: String)], known: Set<String>) throws(InvalidParameter) {
        for (name, value) in pairs where known.contains(name) {
            guard values[name] == nil else { throw InvalidParameter(name, "given more than once") }
            values[name] = value
        }
    }

    subscript(_ name: String) -> String? { values[name] }

    /// The ICP of a path segment (percent-decoded, as the adapters accept it).
    static func icp(_ raw: String?) throws(InvalidParameter) -> String {
        guard let raw, let icp = raw.removingPercentEncoding, !icp.isEmpty else {
            throw InvalidParameter("icp", "not a valid percent-encoded icp_id")
        }
        guard icp.unicodeScalars.count <= 200, !icp.contains(where: { $0.isWhitespace || $0 == ":" }) else {
            throw InvalidParameter("icp", "an icp_id has at most 200 characters and no blanks or ':'")
        }
        return icp
    }

    func side() throws(InvalidParameter) -> MatchSide? {
        guard let text = values["side"] else { return nil }
        guard let side = MatchSide(rawValue: text) else { throw InvalidParameter("side", "must be \"buyer\" or \"seller\"") }
        return side
    }

    /// A run as the matches import names it: an RFC 3339 date-time with an offset.
    func run() throws(InvalidParameter) -> String? {
        guard let text = values["run"] else { return nil }
        do {
            _ = try RFC3339Timestamp.parse(text)
        } catch {
            throw InvalidParameter("run", "not a run: an RFC 3339 date-time as listed by /v1/matches/{icp}/runs")
        }
        return text
    }

    func limit(default fallback: Int, max: Int) throws(InvalidParameter) -> Int {
        guard let text = values["limit"] else { return fallback }
        guard text.utf8.count <= 10, text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
            let limit = Int(text), (1...max).contains(limit)
        else { throw InvalidParameter("limit", "must be an integer from 1 to \(max)") }
        return limit
    }
}
