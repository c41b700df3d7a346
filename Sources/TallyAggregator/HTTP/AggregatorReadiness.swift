import TallyRedisClient

/// The aggregator's `/ready`, on the admin listener: ready when Redis
/// answers and the index is within `maxLagEntries` of the log.
struct AggregatorReadiness: Sendable {
    let redis: RedisReadExecutor
    let status: IngestStatus
    let settings: ReadinessSettings

    func check() async -> (ready: Bool, json: String) {
        let reachable = (try? await redis.run { connection in
            try connection.command(RedisCommand("PING")).text == "PONG"
        }) ?? false
        let lag = status.lagEntries
        let caughtUp = status.isConsuming && lag.map { $0 <= settings.maxLagEntries } == true
        let body = "{\"ready\":\(reachable && caughtUp),\"redis\":\(reachable),\"indexLagEntries\":\(lag.map(String.init) ?? "null"),\"maxLagEntries\":\(settings.maxLagEntries)}"
        return (reachable && caughtUp, body)
    }
}
