import Foundation
import TallyRedisClient

/// A real `redis-server` replicating the test environment's Redis, on a
/// free port, without persistence: what `redis.waitReplicas` waits for.
final class RedisReplica {
    private let process = Process()
    let endpoint: RedisEndpoint
    private var stopped = false

    init(of environment: TestEnvironment) throws {
        let primary = environment.configuration.redis
        let port = try AggregatorProcess.freePort()
        var endpoint = primary
        endpoint.port = port
        self.endpoint = endpoint
        let directory = environment.stateDirectory.appendingPathComponent("test-logs/replica-\(environment.runId)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/redis-server")
        var arguments = [
            "--port", "\(port)", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--dir", directory.path, "--logfile", directory.appendingPathComponent("redis.log").path,
            "--replicaof", primary.host, "\(primary.port)",
        ]
        if let password = primary.password { arguments += ["--masterauth", password] }
        if let user = primary.username { arguments += ["--masteruser", user] }
        process.arguments = arguments
        try process.run()
    }

    /// Until the replica has loaded the primary's data and follows its stream.
    func waitUntilInSync(timeout: Duration = .seconds(60)) throws {
        try waitUntil("the replica in sync with the primary", timeout: timeout) {
            guard let connection = try? RedisConnection(endpoint),
                let info = try? connection.command(RedisCommand("INFO", "replication")).text
            else { return false }
            return info.contains("master_link_status:up") && !info.contains("master_sync_in_progress:1")
        }
    }

    /// `XLEN` of a stream on the replica.
    func streamLength(_ key: String) throws -> Int {
        Int(try RedisConnection(endpoint).command(RedisCommand("XLEN", key)).integer ?? -1)
    }

    /// SIGSTOP: its socket stays open and it answers nothing, so the
    /// primary still counts it but it acknowledges no write.
    func freeze() { kill(process.processIdentifier, SIGSTOP) }
    func thaw() { kill(process.processIdentifier, SIGCONT) }

    /// SIGKILL: the replica keeps nothing worth a clean shutdown, and a
    /// child of the test runner inherits its signal mask, in which SIGTERM
    /// can be blocked (it then never arrives). Polled for the exit, since
    /// `Process.waitUntilExit` can hang here.
    func stop() {
        guard !stopped else { return }
        stopped = true
        let pid = process.processIdentifier
        kill(pid, SIGKILL)
        try? waitUntil("replica \(pid) to exit", timeout: .seconds(10)) { !process.isRunning }
    }

    deinit { stop() }
}
