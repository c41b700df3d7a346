import Foundation
import TallyRedisClient

/// A real `redis-server` of a test's own, on a free port, without
/// persistence: a replica of the environment's Redis (what
/// `redis.waitReplicas` waits for), a primary of its own, or a Sentinel.
final class RedisServerProcess {
    private let process = Process()
    let endpoint: RedisEndpoint
    private var stopped = false

    /// A replica of `primary` (the environment's Redis by default).
    static func replica(of environment: TestEnvironment, primary: RedisEndpoint? = nil, name: String = "replica") throws -> RedisServerProcess {
        let primary = primary ?? environment.configuration.redis
        var arguments = ["--replicaof", primary.host, "\(primary.port)"]
        if let password = primary.password { arguments += ["--masterauth", password] }
        if let user = primary.username { arguments += ["--masteruser", user] }
        return try RedisServerProcess(environment, name: name, arguments: arguments)
    }

    /// A server with no replication set up: a primary of the test's own.
    static func primary(_ environment: TestEnvironment, name: String = "primary") throws -> RedisServerProcess {
        try RedisServerProcess(environment, name: name, arguments: [])
    }

    /// A Sentinel monitoring `primary` as `masterName` (quorum 1, down after 1 s).
    static func sentinel(_ environment: TestEnvironment, monitoring primary: RedisEndpoint, masterName: String) throws -> RedisServerProcess {
        try RedisServerProcess(
            environment, name: "sentinel",
            configuration: """
                sentinel monitor \(masterName) \(primary.host) \(primary.port) 1
                sentinel down-after-milliseconds \(masterName) 1000
                sentinel failover-timeout \(masterName) 10000
                """,
            arguments: ["--sentinel"])
    }

    private init(_ environment: TestEnvironment, name: String, configuration: String? = nil, arguments: [String]) throws {
        let port = try AggregatorProcess.freePort()
        var endpoint = environment.configuration.redis
        endpoint.port = port
        endpoint.sentinels = []
        if configuration != nil { endpoint.password = nil; endpoint.username = nil }
        self.endpoint = endpoint
        let directory = environment.stateDirectory.appendingPathComponent("test-logs/\(name)-\(environment.runId)-\(port)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/redis-server")
        var leading: [String] = []
        if let configuration {
            // A Sentinel rewrites its configuration file: one of its own.
            let file = directory.appendingPathComponent("sentinel.conf")
            try configuration.write(to: file, atomically: true, encoding: .utf8)
            leading = [file.path]
        }
        process.arguments = leading + [
            "--port", "\(port)", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--dir", directory.path, "--logfile", directory.appendingPathComponent("redis.log").path,
        ] + arguments
        try process.run()
        try waitUntil("\(name) on port \(port) to answer", timeout: .seconds(20)) {
            (try? RedisConnection(endpoint).command(RedisCommand("PING")).text) == "PONG"
        }
    }

    /// A new connection to it.
    func connection() throws -> RedisConnection { try RedisConnection(endpoint) }

    /// Until it has loaded its primary's data and follows its stream.
    func waitUntilInSync(timeout: Duration = .seconds(60)) throws {
        try waitUntil("port \(endpoint.port) in sync with its primary", timeout: timeout) {
            guard let info = try? connection().command(RedisCommand("INFO", "replication")).text else { return false }
            return info.contains("master_link_status:up") && !info.contains("master_sync_in_progress:1")
        }
    }

    /// The records in a log stream on it (``LogContents``).
    func loggedRecords(_ key: String) throws -> Int {
        try LogContents.recordCount(try connection(), key)
    }

    /// SIGSTOP: its socket stays open and it answers nothing, so a primary
    /// still counts it but it acknowledges no write.
    func freeze() { kill(process.processIdentifier, SIGSTOP) }
    func thaw() { kill(process.processIdentifier, SIGCONT) }

    /// SIGKILL: it keeps nothing worth a clean shutdown, and a child of the
    /// test runner inherits its signal mask, in which SIGTERM can be
    /// blocked (it then never arrives). Polled for the exit, since
    /// `Process.waitUntilExit` can hang here.
    func stop() {
        guard !stopped else { return }
        stopped = true
        let pid = process.processIdentifier
        kill(pid, SIGKILL)
        try? waitUntil("redis-server \(pid) to exit", timeout: .seconds(10)) { !process.isRunning }
    }

    deinit { stop() }
}
