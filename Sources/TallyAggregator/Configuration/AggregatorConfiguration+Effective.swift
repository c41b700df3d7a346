import TallyRuntime
import TallyStore

extension AggregatorConfiguration {
    /// Every key of `Config/aggregator.json`, as this configuration holds it
    /// (`tally config print --aggregator`), secrets masked.
    public var effective: EffectiveConfiguration {
        var out = EffectiveConfiguration()
        out.add("http.host", http.host)
        out.add("http.port", http.port)
        out.addSecret("http.tokens", api.tokens.isEmpty ? nil : api.tokens.joined(separator: ","))
        out.add("http.tokenFile", api.tokenFile ?? "(none)")
        out.add("http.allowAnonymous", api.allowAnonymous)
        out.add("http.maxConcurrentRequests", api.maxConcurrentRequests)
        out.add("http.requestDeadlineMs", api.requestDeadlineMilliseconds)
        out.add("admin.host", admin.host)
        out.add("admin.port", admin.port)
        out.add(redis)
        out.add("redis.keyPrefix", keyPrefix)
        out.add("redis.commandTimeoutMs", redis.commandTimeoutMilliseconds)
        out.add("index.path", index.path)
        out.add("stream.group", stream.group)
        out.add("stream.batchSize", stream.batchSize)
        out.add("stream.blockMs", stream.blockMilliseconds)
        out.add("stream.lingerMs", stream.lingerMilliseconds)
        out.add("stream.retentionSeconds", stream.retentionSeconds)
        out.add("stream.trimIntervalSeconds", stream.trimIntervalSeconds)
        out.add("stream.backoffInitialMs", stream.backoffInitialMilliseconds)
        out.add("stream.backoffMaxMs", stream.backoffMaximumMilliseconds)
        out.add("readiness.maxLagEntries", readiness.maxLagEntries)
        return out
    }
}
