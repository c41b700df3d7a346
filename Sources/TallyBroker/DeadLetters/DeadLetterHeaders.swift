import TallyAMQPClient
import TallyCore

/// The headers that say why a message is in `records.dead` (docs/contract.md).
public enum DeadLetterHeaders {
    public static let reason = "x-tally-reason"
    public static let field = "x-tally-field"
    public static let detail = "x-tally-detail"
    /// How many times `tally dead replay` has sent this body back; replays
    /// stop at a limit so a message cannot loop forever.
    public static let replayCount = "x-tally-replays"

    public static func headers(for rejection: Rejection, replays: Int64?) -> [(String, AMQPFieldValue)] {
        var headers: [(String, AMQPFieldValue)] = [(reason, .string(rejection.reason.rawValue))]
        if let field = rejection.field { headers.append((Self.field, .string(field.rawValue))) }
        headers.append((detail, .string(rejection.detail)))
        if let replays { headers.append((replayCount, .integer(replays))) }
        return headers
    }

    /// The reason of a dead letter: tally's header, else the broker's own
    /// (`x-death`, e.g. `delivery_limit` for a poison message).
    public static func describe(_ headers: [String: AMQPFieldValue]) -> (reason: String, detail: String) {
        if let reason = headers[reason]?.string {
            var detail = headers[detail]?.string ?? ""
            if let field = headers[field]?.string { detail = "\(field) \(detail)" }
            return (reason, detail)
        }
        if case .array(let deaths)? = headers["x-death"], case .table(let first)? = deaths.first {
            let reason = first["reason"]?.string ?? "unknown"
            let queue = first["queue"]?.string ?? "?"
            let count = first["count"]?.integer.map(String.init) ?? "?"
            return (reason, "dead-lettered by the broker from \(queue) after \(count) deliveries")
        }
        return ("unknown", "")
    }
}
