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
    /// The size of a body that was cut to ``maxStoredBodyBytes`` in the
    /// dead letter (a `too-large` body): the letter keeps the headers and
    /// the start, enough to identify the producer, not megabytes.
    public static let originalBytes = "x-tally-original-bytes"
    public static let maxStoredBodyBytes = 4_096

    /// A dead letter of `body`: its headers, and the body to store (cut to
    /// ``maxStoredBodyBytes`` when it was refused for its size).
    public static func letter(
        body: [UInt8], rejection: Rejection, replays: Int64?
    ) -> (headers: [(String, AMQPFieldValue)], body: ArraySlice<UInt8>) {
        var headers = headers(for: rejection, replays: replays)
        guard rejection.reason == .tooLarge, body.count > maxStoredBodyBytes else { return (headers, body[...]) }
        headers.append((originalBytes, .integer(Int64(body.count))))
        return (headers, body.prefix(maxStoredBodyBytes))
    }

    public static func headers(for rejection: Rejection, replays: Int64?) -> [(String, AMQPFieldValue)] {
        var headers: [(String, AMQPFieldValue)] = [(reason, .string(rejection.reason.rawValue))]
        if let field = rejection.field { headers.append((Self.field, .string(field.rawValue))) }
        headers.append((detail, .string(rejection.detail)))
        if let replays { headers.append((replayCount, .integer(replays))) }
        return headers
    }

    /// The headers of a letter put back by `tally dead list/show/replay`
    /// (``DeadLetterInspector``): its own string, number and flag headers
    /// as they were; the broker's `x-death` table, which a copy cannot
    /// carry as the broker's, becomes tally's reason and detail (unless it
    /// has its own) and `x-tally-deaths`, so the copy reads as the original.
    public static func keptCopy(of headers: [String: AMQPFieldValue]) -> [(String, AMQPFieldValue)] {
        var kept: [(String, AMQPFieldValue)] = headers.keys.sorted().compactMap { name in
            switch headers[name]! {
            case .string, .integer, .boolean: (name, headers[name]!)
            case .table, .array, .unsupported: nil
            }
        }
        if headers[reason] == nil, headers["x-death"] != nil {
            let described = describe(headers)
            kept.append((reason, .string(described.reason)))
            kept.append((detail, .string(described.detail)))
        }
        if case .array(let deaths)? = headers["x-death"] {
            var count: Int64 = 0
            for case .table(let entry) in deaths { count += entry["count"]?.integer ?? 0 }
            kept.append((deathCount, .integer(count)))
        }
        return kept
    }

    /// How often the broker dead-lettered a letter before it was put back
    /// as a copy (`x-death` counts).
    public static let deathCount = "x-tally-deaths"

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
