import Foundation
import TallyAdapters
import TallyCore

/// The parameters only the readings and matches views have.
extension QueryParameters {
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
        guard let text = self["side"] else { return nil }
        guard let side = MatchSide(rawValue: text) else { throw InvalidParameter("side", "must be \"buyer\" or \"seller\"") }
        return side
    }

    /// A run as the matches import names it: an RFC 3339 date-time with an offset.
    func run() throws(InvalidParameter) -> String? {
        guard let text = self["run"] else { return nil }
        do {
            _ = try RFC3339Timestamp.parse(text)
        } catch {
            throw InvalidParameter("run", "not a run: an RFC 3339 date-time as listed by /v1/matches/{icp}/runs")
        }
        return text
    }
}
