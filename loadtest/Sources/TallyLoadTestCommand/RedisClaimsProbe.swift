import TallyRedisClient

/// What remembering recordIds costs in Redis: the entries and the bytes
/// (`MEMORY USAGE`) of the claims — layout 4's keys `<prefix>:c:*`, one per
/// recordId, and layout 3's hashes `<prefix>:ids:*` — and `used_memory`.
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
        // Layout 3: hashes of claims; layout 4: one key per claim.
        for (pattern, perKey) in [("\(keyPrefix):ids:*", "HLEN"), ("\(keyPrefix):c:*", "STRLEN")] {
            var cursor = "0"
            repeat {
                let reply = try redis.command(RedisCommand("SCAN", cursor, "MATCH", pattern, "COUNT", "1000"))
                guard let parts = reply.elements, parts.count == 2 else { break }
                cursor = parts[0].text ?? "0"
                let keys = parts[1].elements?.compactMap(\.text) ?? []
                guard !keys.isEmpty else { continue }
                let replies = try redis.pipeline(keys.flatMap { [RedisCommand(perKey, $0), RedisCommand("MEMORY", "USAGE", $0, "SAMPLES", "0")] })
                for (index, reply) in replies.enumerated() {
                    if index % 2 == 0 {
                        reading.entries += perKey == "HLEN" ? Int(reply.integer ?? 0) : 1
                    } else {
                        reading.bytes += Int(reply.integer ?? 0)
                    }
                }
            } while cursor != "0"
        }
        let info = try redis.command(RedisCommand("INFO", "memory")).text ?? ""
        for line in info.split(whereSeparator: \.isNewline) where line.hasPrefix("used_memory:") {
            reading.usedMemory = Int(line.dropFirst("used_memory:".count)) ?? 0
        }
        return reading
    }
}
