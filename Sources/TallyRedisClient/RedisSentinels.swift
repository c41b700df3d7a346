/// Asks Redis Sentinels where the primary is (`SENTINEL
/// get-master-addr-by-name`), in the configured order, the first answer
/// winning. Sentinels are reached without AUTH (their own password, if any,
/// is not supported yet), with the endpoint's connect and command timeouts.
enum RedisSentinels {
    static func primary(of endpoint: RedisEndpoint) throws(RedisError) -> (host: String, port: Int) {
        var failures: [String] = []
        for sentinel in endpoint.sentinels {
            var asked = RedisEndpoint(
                host: sentinel.host, port: sentinel.port, connectTimeoutMilliseconds: endpoint.connectTimeoutMilliseconds,
                commandTimeoutMilliseconds: endpoint.commandTimeoutMilliseconds)
            asked.sentinels = []
            do {
                let reply = try RedisConnection(asked).command(
                    RedisCommand("SENTINEL", "get-master-addr-by-name", endpoint.masterName))
                if let parts = reply.elements, parts.count == 2, let host = parts[0].text, let text = parts[1].text,
                    let port = Int(text)
                {
                    return (host, port)
                }
                failures.append("\(sentinel): \(reply.errorMessage ?? "does not know \(endpoint.masterName)")")
            } catch {
                failures.append("\(sentinel): \(error.message)")
            }
        }
        throw RedisError(
            .connect, "no Sentinel named the primary of \(endpoint.masterName) (\(failures.joined(separator: "; ")))")
    }
}
