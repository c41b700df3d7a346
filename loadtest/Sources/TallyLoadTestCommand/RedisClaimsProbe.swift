import TallyRedisClient

/// What remembering recordIds costs in Redis: the entries and the bytes
/// (`MEMORY USAGE`) of the claim hashes `<prefix>:ids:*`, and `used_memory`.
struct RedisClaimsProbe {
    struct Reading {
        var entries = 0
        var bytes = 0
        var usedMemory = 0
    }

    let endpoint: RedisEndpoint
    let keyPrefix: String

    func read() throws -> Reading {
        let redis = try RedisConnection(endpoint)
        var reading = Reading()
        var cursor = "0"
        repeat {
            let reply = try redis.command(RedisCommand("SCAN", cursor, "MATCH", "\(keyPrefix):ids:*", "COUNT", "1000"))
            guard let parts = reply.elements, parts.count == 2 else { break }
            cursor = parts[0].text ?? "0"
            let keys = parts[1].elements?.compactMap(\.text) ?? []
            guard !keys.isEmpty else { continue }
            let replies = try redis.pipeline(keys.flatMap { [RedisCommand("HLEN", $0), RedisCommand("MEMORY", "USAGE", $0, "SAMPLES", "0")] })
            for (index, reply) in replies.enumerated() {
                if index % 2 == 0 { reading.entries += Int(reply.integer ?? 0) } else { reading.bytes += Int(reply.integer ?? 0) }
            }
        } while cursor != "0"
        let info = try redis.command(RedisCommand("INFO", "memory")).text ?? ""
        for line in info.split(whereSeparator: \.isNewline) where line.hasPrefix("used_memory:") {
            reading.usedMemory = Int(line.dropFirst("used_memory:".count)) ?? 0
        }
        return reading
    }
}
