import TallyRedisClient

/// Which of the log's consumer groups read batch entries (field `records`).
///
/// The Function writes one entry per call only while every consumer group
/// of the log is registered here, as a field `reader:<group>` of the layout
/// hash (`tally_v4.lua`, `every_reader_reads_batches`). Each aggregator of
/// this release registers its group before it creates it, so an aggregator
/// of the previous release — which reads `record` entries only and would
/// ack a batch entry and skip its records — never meets one: while its
/// group exists the log stays one entry per record, whatever `log batches`
/// says. `tally store upgrade` registers every group it finds (run it once
/// no aggregator of the previous release runs); a group left behind by a
/// replica that is gone is removed with `XGROUP DESTROY`.
public enum LogReaders {
    /// The layout hash's field for a group: `reader:<group>`.
    public static func field(_ group: String) -> String { "reader:" + group }

    /// Registers `group` as a reader of batch entries.
    public static func register(_ group: String, on redis: RedisConnection, layout: RedisKeyLayout) throws(RedisError) {
        let reply = try redis.command(RedisCommand("HSET", layout.layoutVersion, field(group), "batches"))
        if let error = reply.errorMessage { throw RedisError(.unexpectedReply, "HSET \(layout.layoutVersion): \(error)") }
    }

    /// The log's consumer groups by name; none when there is no log yet.
    public static func groups(on redis: RedisConnection, layout: RedisKeyLayout) throws(RedisError) -> [String] {
        let reply = try redis.command(RedisCommand("XINFO", "GROUPS", layout.log))
        if reply.errorMessage != nil { return [] }  // no such key: no log, no reader
        guard let groups = reply.elements else { throw RedisError(.unexpectedReply, "XINFO GROUPS: \(reply)") }
        return groups.compactMap { group in
            guard let fields = group.elements else { return nil }
            return stride(from: 0, to: fields.count - 1, by: 2).first { fields[$0].text == "name" }.flatMap { fields[$0 + 1].text }
        }
    }

    /// The groups that are not registered: while there is one, the log
    /// stays one entry per record.
    public static func unregistered(on redis: RedisConnection, layout: RedisKeyLayout) throws(RedisError) -> [String] {
        let groups = try groups(on: redis, layout: layout)
        guard !groups.isEmpty else { return [] }
        var command = RedisCommand("HMGET", layout.layoutVersion)
        for group in groups { command.append(field(group)) }
        let reply = try redis.command(command)
        guard let registered = reply.elements, registered.count == groups.count else {
            throw RedisError(.unexpectedReply, "HMGET \(layout.layoutVersion): \(reply)")
        }
        return zip(groups, registered).compactMap { group, value in value.text == nil ? group : nil }
    }
}
