import TallyRedisClient

/// `XINFO GROUPS` of the log: every consumer group's position, for the lag
/// and for how far the log may be trimmed.
enum ConsumerGroups {
    struct Info {
        let name: String
        let pending: Int
        let lastDelivered: StreamID
        /// Entries not yet delivered to the group; nil when Redis cannot tell.
        let lag: Int?
    }

    static func read(_ redis: RedisConnection, stream: String) throws -> [Info] {
        let reply = try redis.command(RedisCommand("XINFO", "GROUPS", stream))
        if let error = reply.errorMessage { throw RedisError(.unexpectedReply, "XINFO GROUPS: \(error)") }
        return (reply.elements ?? []).compactMap { group in
            guard let flat = group.elements else { return nil }
            var fields: [String: RedisReply] = [:]
            var index = 0
            while index + 1 < flat.count {
                if let key = flat[index].text { fields[key] = flat[index + 1] }
                index += 2
            }
            guard let name = fields["name"]?.text, let pending = fields["pending"]?.integer,
                let delivered = fields["last-delivered-id"]?.text.flatMap(StreamID.init)
            else { return nil }
            return Info(name: name, pending: Int(pending), lastDelivered: delivered, lag: fields["lag"]?.integer.map { Int($0) })
        }
    }
}
