import TallyRedisClient

/// Decodes the log stream's entries, as `XREADGROUP` (the aggregator) or
/// `XRANGE` return them. The log's writer (`tally_v4.lua`, `apply`) and its
/// readers meet here. An entry holds records in one of two formats:
///
/// - field `record`: one record's canonical JSON. What `tally_v3.lua` and
///   the previous release's `tally_v4.lua` write, and this release's while
///   the layout hash has no `log batches`; readable forever.
/// - field `records`: every record one `tally_apply_v4` call applied, their
///   canonical JSON joined by "\n", in the order applied. Canonical JSON
///   never holds a raw newline (`Record.appendCanonicalJSON` writes strings
///   through `JSONWriter`, which escapes every byte below 0x20), so
///   splitting on "\n" gives the records back.
public enum LogEntries {
    public struct Entry: Sendable {
        public let id: String
        /// The entry's records, in the order they were applied; none for an
        /// entry trimmed while it was pending (Redis returns its ID with no
        /// fields) or one with neither field.
        public let records: [[UInt8]]
        /// False for an entry trimmed while pending: its ID and no fields.
        public let hasFields: Bool
    }

    /// An `XREADGROUP` reply: streams, each with its entries.
    public static func parse(_ reply: RedisReply) throws(RedisError) -> [Entry] {
        if case .null = reply { return [] }  // BLOCK timed out
        guard let streams = reply.elements else { throw RedisError(.unexpectedReply, "XREADGROUP: \(reply)") }
        var entries: [Entry] = []
        for stream in streams {
            guard let parts = stream.elements, parts.count == 2, let items = parts[1].elements else {
                throw RedisError(.unexpectedReply, "XREADGROUP stream: \(stream)")
            }
            entries.reserveCapacity(entries.count + items.count)
            for item in items { entries.append(try entry(item)) }
        }
        return entries
    }

    /// An `XRANGE` reply: the entries themselves.
    public static func parseRange(_ reply: RedisReply) throws(RedisError) -> [Entry] {
        guard let items = reply.elements else { throw RedisError(.unexpectedReply, "XRANGE: \(reply)") }
        var entries: [Entry] = []
        entries.reserveCapacity(items.count)
        for item in items { entries.append(try entry(item)) }
        return entries
    }

    private static func entry(_ item: RedisReply) throws(RedisError) -> Entry {
        guard let pair = item.elements, pair.count == 2, let id = pair[0].text else {
            throw RedisError(.unexpectedReply, "log entry: \(item)")
        }
        guard let fields = pair[1].elements else { return Entry(id: id, records: [], hasFields: false) }
        var records: [[UInt8]] = []
        var index = 0
        while index + 1 < fields.count {
            if case .string(let bytes) = fields[index + 1] {
                switch fields[index].text {
                case "record": records.append(bytes)
                case "records": records += bytes.split(separator: UInt8(ascii: "\n")).map(Array.init)
                default: break
                }
            }
            index += 2
        }
        return Entry(id: id, records: records, hasFields: true)
    }
}
