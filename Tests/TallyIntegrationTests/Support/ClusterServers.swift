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

    /// Until the Sentinels name another primary than `port`.
    func waitForPromotion(awayFrom port: Int, timeout: Duration = .seconds(60)) throws {
        try waitUntil("the Sentinels to promote a replica in place of \(port)", timeout: timeout) {
            (try? primaryPort()).map { $0 != port } ?? false
        }
    }

    /// `scripts/up.sh redis`: whatever Redis is down starts again, as a
    /// replica of the current primary.
    func restartRedis() throws {
        try LocalServers.run(repository.appendingPathComponent("scripts/up.sh").path, ["redis"])
    }

    /// Until the instance on `port` replicates the primary and is in sync.
    func waitUntilReplicating(on port: Int, timeout: Duration = .seconds(60)) throws {
        try waitUntil("Redis on \(port) to replicate the primary", timeout: timeout) {
            guard let info = try? RedisConnection(RedisEndpoint(host: "127.0.0.1", port: port)).command(RedisCommand("INFO", "replication")).text
            else { return false }
            return info.contains("role:slave") && info.contains("master_link_status:up") && !info.contains("master_sync_in_progress:1")
        }
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
