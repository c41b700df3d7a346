import TallyRedisClient

/// Decodes an XREADGROUP reply of the log stream: entries whose one field
/// `record` holds the canonical record JSON the Function wrote (XADD in
/// `tally_v3.lua`). The log's writer and its reader meet here.
public enum LogEntries {
    public struct Entry: Sendable {
        public let id: String
        /// Nil for an entry trimmed while it was pending (Redis returns its
        /// ID with no fields).
        public let record: [UInt8]?
    }

    public static func parse(_ reply: RedisReply) throws(RedisError) -> [Entry] {
        if case .null = reply { return [] }  // BLOCK timed out
        guard let streams = reply.elements else { throw RedisError(.unexpectedReply, "XREADGROUP: \(reply)") }
        var entries: [Entry] = []
        for stream in streams {
            guard let parts = stream.elements, parts.count == 2, let items = parts[1].elements else {
                throw RedisError(.unexpectedReply, "XREADGROUP stream: \(stream)")
            }
            entries.reserveCapacity(items.count)
            for item in items {
                guard let pair = item.elements, pair.count == 2, let id = pair[0].text else {
                    throw RedisError(.unexpectedReply, "XREADGROUP entry: \(item)")
                }
                var record: [UInt8]?
                if let fields = pair[1].elements {
                    var index = 0
                    while index + 1 < fields.count {
                        if fields[index].text == "record", case .string(let bytes) = fields[index + 1] { record = bytes }
                        index += 2
                    }
                }
                entries.append(Entry(id: id, record: record))
            }
        }
        return entries
    }
}
