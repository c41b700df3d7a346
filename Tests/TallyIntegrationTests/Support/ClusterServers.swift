import Foundation
import TallyAMQPClient
import TallyRedisClient
import TallyWorker

/// The cluster `scripts/up.sh` starts in cluster mode (`TALLY_CLUSTER=1`:
/// `make test`'s last stage and `make chaos`): three RabbitMQ nodes, a Redis
/// primary and replica, three Sentinels. Addresses and names are derived
/// as scripts/lib.sh derives them, from the same variables; the faults act
/// on the real processes through their pid files, and the servers come
/// back through the project's own script.
struct ClusterServers {
    /// Only a run that started the cluster has one.
    static var isRunning: Bool { ProcessInfo.processInfo.environment["TALLY_CLUSTER"] == "1" }

    let amqpPorts: [Int]
    let nodeNames: [String]
    let redisPorts: [Int]
    let sentinelPorts: [Int]
    let masterName: String
    private let stateDirectory: URL
    private let repository: URL

    init(_ environment: TestEnvironment) throws {
        let variables = ProcessInfo.processInfo.environment
        guard Self.isRunning, let amqp = Int(variables["TALLY_AMQP_PORT"] ?? ""), let redis = Int(variables["TALLY_REDIS_PORT"] ?? ""),
            let sentinel = Int(variables["TALLY_SENTINEL_PORT"] ?? ""), let node = variables["TALLY_RABBITMQ_NODENAME"]
        else { throw TestFailure("no cluster: run through scripts/test.sh or scripts/chaos.sh (TALLY_CLUSTER=1)") }
        amqpPorts = [amqp, amqp + 1, amqp + 2]
        let parts = node.split(separator: "@", maxSplits: 1).map(String.init)
        nodeNames = [node, "\(parts[0])-2@\(parts[1])", "\(parts[0])-3@\(parts[1])"]
        redisPorts = [redis, Int(variables["TALLY_REDIS_REPLICA_PORT"] ?? "") ?? redis + 1]
        sentinelPorts = [sentinel, sentinel + 1, sentinel + 2]
        masterName = variables["TALLY_REDIS_MASTER_NAME"] ?? "tally"
        stateDirectory = environment.stateDirectory
        repository = environment.repository
    }

    /// A test's settings pointed at every node and at the Sentinels, as
    /// `up.sh` configures the fleet's workers.
    func configure(_ settings: WorkerConfiguration) -> WorkerConfiguration {
        var settings = settings
        settings.broker.port = amqpPorts[0]
        settings.broker.failoverHosts = amqpPorts.dropFirst().map { AMQPEndpoint.Address(host: "127.0.0.1", port: $0) }
        settings.redis.sentinels = sentinelPorts.map { RedisEndpoint.SentinelAddress(host: "127.0.0.1", port: $0) }
        settings.redis.masterName = masterName
        return settings
    }

    // MARK: Redis

    /// The port of the primary as the first Sentinel that answers names it.
    func primaryPort() throws -> Int {
        for port in sentinelPorts {
            guard let sentinel = try? RedisConnection(RedisEndpoint(host: "127.0.0.1", port: port)),
                let reply = try? sentinel.command(RedisCommand("SENTINEL", "get-master-addr-by-name", masterName)),
                let named = reply.elements?.last?.text, let primary = Int(named)
            else { continue }
            return primary
        }
        throw TestFailure("no Sentinel names a primary for \(masterName)")
    }

    func replicaPort() throws -> Int {
        let primary = try primaryPort()
        return redisPorts.first { $0 != primary } ?? redisPorts[1]
    }

    /// `ROLE` of the instance on `port` (`master` or `slave`), nil if it does not answer.
    func role(ofRedisOn port: Int) -> String? {
        (try? RedisConnection(RedisEndpoint(host: "127.0.0.1", port: port)).command(RedisCommand("ROLE")))?.elements?.first?.text
    }

    /// SIGKILL of the Redis instance on `port`: no shutdown, no last sync.
    func killRedis(on port: Int) throws {
        try kill(pidFile: redisPidFile(port), what: "Redis on \(port)")
    }

    /// What one Sentinel says of the primary: the port it names, and its
    /// flags for it (`failover_in_progress` while it leads a failover).
    struct SentinelView: CustomStringConvertible {
        let primary: Int
        let flags: String
        var isFailingOver: Bool { flags.contains("failover_in_progress") }
        var description: String { "\(primary) [\(flags)]" }
    }

    /// Each Sentinel's view, nil for one that does not answer.
    func sentinelViews() -> [SentinelView?] {
        sentinelPorts.map { port in
            guard let sentinel = try? RedisConnection(RedisEndpoint(host: "127.0.0.1", port: port)),
                let named = (try? sentinel.command(RedisCommand("SENTINEL", "get-master-addr-by-name", masterName)))?.elements?.last?.text,
                let primary = Int(named),
                let fields = (try? sentinel.command(RedisCommand("SENTINEL", "master", masterName)))?.elements?.compactMap(\.text)
            else { return nil }
            let flags = zip(fields, fields.dropFirst()).first { $0.0 == "flags" }?.1 ?? ""
            return SentinelView(primary: primary, flags: flags)
        }
    }

    /// The primary all three Sentinels name once a failover is over: nil
    /// while one does not answer, they disagree (the others learn the new
    /// primary from the leader's hello messages), or one is failing over.
    func settledPrimary() -> Int? {
        let views = sentinelViews()
        guard let first = views.first ?? nil,
            views.allSatisfy({ view in view.map { $0.primary == first.primary && !$0.isFailingOver } ?? false })
        else { return nil }
        return first.primary
    }

    /// Until the Sentinels agree on another primary than `port`: the
    /// failover is over, not only begun.
    func waitForPromotion(awayFrom port: Int, timeout: Duration = .seconds(60)) throws {
        try explained {
            try waitUntil("the Sentinels to promote a replica in place of \(port)", timeout: timeout) {
                settledPrimary().map { $0 != port } ?? false
            }
        }
    }

    /// `scripts/up.sh redis`: whatever Redis is down starts again, as a
    /// replica of the current primary.
    func restartRedis() throws {
        try LocalServers.run(repository.appendingPathComponent("scripts/up.sh").path, ["redis"])
    }

    /// Until the pair has healed: the Sentinels agree on a primary and the
    /// other instance replicates it, in sync. Returns the primary's port.
    ///
    /// The restarted instance is normally the replica. Under load the
    /// Sentinels may fail over once more (a primary that leaves their PING
    /// unanswered for `down-after-milliseconds` is down), and then it is
    /// the primary: a healed pair too, which the caller reports.
    func waitUntilHealed(timeout: Duration = .seconds(60)) throws -> Int {
        var healed: Int?
        try explained {
            try waitUntil("the Redis pair to heal: one primary the Sentinels agree on, the other its replica in sync", timeout: timeout) {
                guard let primary = settledPrimary(), let replica = redisPorts.first(where: { $0 != primary }),
                    let info = replication(ofRedisOn: replica)
                else { return false }
                healed = primary
                return info.contains("role:slave") && info.contains("master_port:\(primary)") && info.contains("master_link_status:up")
                    && !info.contains("master_sync_in_progress:1")
            }
        }
        return healed ?? redisPorts[0]
    }

    /// How the pair healed after `killed` was restarted, for a scenario's
    /// report. A second failover also prints the account of it.
    func howHealed(_ primary: Int, killed: Int) -> String {
        guard primary == killed else { return "the old primary back as its replica" }
        print("the Sentinels failed over a second time:\n\(redisAccount())")
        return "the old primary back as its replica, then promoted again by a second failover"
    }

    /// `INFO replication` of the instance on `port`, nil if it does not answer.
    func replication(ofRedisOn port: Int) -> String? {
        (try? RedisConnection(RedisEndpoint(host: "127.0.0.1", port: port)).command(RedisCommand("INFO", "replication")))?.text
    }

    /// What the Sentinels and both instances say now, and the Sentinels'
    /// last events (`+switch-master`, `+convert-to-slave`, ...): the
    /// account of a failover, for a failure message or a test's log.
    func redisAccount() -> String {
        var lines = zip(sentinelPorts, sentinelViews()).map { port, view in "sentinel \(port): \(view.map(String.init(describing:)) ?? "no answer")" }
        for port in redisPorts {
            let info = replication(ofRedisOn: port)?.split(whereSeparator: \.isNewline)
                .filter { ["role:", "master_port:", "master_link_status:", "master_sync_in_progress:", "connected_slaves:"].contains(where: $0.hasPrefix) }
            lines.append("redis \(port): \(info.map { $0.joined(separator: " ") } ?? "no answer")")
        }
        for index in 1...sentinelPorts.count {
            let log = (try? String(contentsOf: stateDirectory.appendingPathComponent("logs/sentinel-\(index).log"), encoding: .utf8)) ?? ""
            let events = log.split(whereSeparator: \.isNewline).filter { $0.contains(" +") || $0.contains(" -") }.suffix(12)
            lines.append("sentinel-\(index) log, last events:")
            lines += events.map { "  \($0)" }
        }
        return lines.joined(separator: "\n")
    }

    /// Runs `body`; a failure carries `redisAccount()`.
    private func explained(_ body: () throws -> Void) throws {
        do { try body() } catch { throw TestFailure("\(error)\n\(redisAccount())") }
    }

    /// SIGSTOP / SIGCONT of the instance on `port`: a stopped replica keeps
    /// its connection open and acknowledges nothing.
    func freezeRedis(on port: Int) throws { try signal(SIGSTOP, pidFile: redisPidFile(port)) }
    func thawRedis(on port: Int) throws { try signal(SIGCONT, pidFile: redisPidFile(port)) }

    private func redisPidFile(_ port: Int) -> String { port == redisPorts[0] ? "run/redis.pid" : "run/redis-replica.pid" }

    // MARK: RabbitMQ

    /// The node that leads the quorum queue `queue`, asked of a running node.
    func leader(of queue: String) throws -> String {
        for node in 1...3 where isBrokerRunning(node) {
            let result = try CommandProcess.run(
                repository.appendingPathComponent("scripts/rabbitmqctl.sh"),
                ["-q", "list_queues", "name", "leader", "--no-table-headers"],
                environment: ProcessInfo.processInfo.environment.merging(["TALLY_RABBITMQ_NODE": "\(node)"]) { _, new in new },
                logName: "rabbitmqctl")
            guard result.status == 0 else { continue }
            for line in result.output.split(separator: "\n") {
                let fields = line.split(separator: "\t").map(String.init)
                if fields.count == 2, fields[0] == queue { return fields[1] }
            }
        }
        throw TestFailure("no running node names the leader of \(queue)")
    }

    /// 1, 2 or 3: the node called `name`.
    func node(named name: String) throws -> Int {
        guard let index = nodeNames.firstIndex(of: name) else { throw TestFailure("no node \(name) in \(nodeNames)") }
        return index + 1
    }

    /// SIGKILL of node `node`'s Erlang VM: its connections drop unclosed,
    /// the queues it led elect new leaders on the other two.
    func killBroker(_ node: Int) throws {
        try kill(pidFile: brokerPidFile(node), what: "RabbitMQ node \(nodeNames[node - 1])")
    }

    func isBrokerRunning(_ node: Int) -> Bool {
        guard let pid = try? pid(brokerPidFile(node)) else { return false }
        return Foundation.kill(pid, 0) == 0
    }

    /// `scripts/up.sh rabbitmq`: a stopped node boots and rejoins the cluster.
    func restartBrokers() throws {
        try LocalServers.run(repository.appendingPathComponent("scripts/up.sh").path, ["rabbitmq"])
    }

    private func brokerPidFile(_ node: Int) -> String { node == 1 ? "rabbitmq/rabbitmq.pid" : "rabbitmq-\(node)/rabbitmq.pid" }

    // MARK: processes

    private func pid(_ pidFile: String) throws -> pid_t {
        let path = stateDirectory.appendingPathComponent(pidFile)
        let text = try String(contentsOf: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let pid = pid_t(text) else { throw TestFailure("no pid in \(path.path)") }
        return pid
    }

    private func kill(pidFile: String, what: String) throws {
        let pid = try pid(pidFile)
        guard Foundation.kill(pid, SIGKILL) == 0 else { throw TestFailure("\(what) (pid \(pid)) was not running") }
        try waitUntil("\(what) (pid \(pid)) to die") { Foundation.kill(pid, 0) != 0 }
    }

    private func signal(_ signal: Int32, pidFile: String) throws {
        let pid = try pid(pidFile)
        guard Foundation.kill(pid, signal) == 0 else { throw TestFailure("cannot signal pid \(pid) of \(pidFile)") }
    }
}
