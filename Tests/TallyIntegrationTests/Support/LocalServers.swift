import Foundation

/// The servers `make test` started (scripts/up.sh), for tests that must
/// break them on purpose.
struct LocalServers {
    let environment: TestEnvironment

    init(_ environment: TestEnvironment) { self.environment = environment }

    /// SIGKILLs Redis (no shutdown save: only the AOF survives) and starts it
    /// again with the project's own script.
    func killAndRestartRedis() throws {
        let pidFile = environment.stateDirectory.appendingPathComponent("run/redis.pid")
        let text = try String(contentsOf: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let pid = Int32(text) else { throw TestFailure("no Redis pid in \(pidFile.path)") }
        kill(pid, SIGKILL)
        try waitUntil("Redis \(pid) to die") { kill(pid, 0) != 0 }
        try run(environment.repository.appendingPathComponent("scripts/up.sh").path, ["redis"])
    }

    /// Stops and starts the RabbitMQ application on its node (every
    /// connection is closed; durable queues and their messages stay).
    func restartRabbitMQ() throws {
        let control = environment.repository.appendingPathComponent("scripts/rabbitmqctl.sh").path
        try run(control, ["stop_app"])
        try run(control, ["start_app"])
    }

    /// The broker closes every client connection (the node stays up).
    func closeAllBrokerConnections() throws {
        let control = environment.repository.appendingPathComponent("scripts/rabbitmqctl.sh").path
        try run(control, ["close_all_connections", "tally fault test"])
    }

    /// A RabbitMQ policy on the queues matching `pattern`, e.g. a delivery
    /// limit as RabbitMQ 4 sets by default on quorum queues.
    func setQueuePolicy(_ name: String, pattern: String, definition: String) throws {
        let control = environment.repository.appendingPathComponent("scripts/rabbitmqctl.sh").path
        try run(control, ["set_policy", "--apply-to", "queues", name, pattern, definition])
    }

    func clearPolicy(_ name: String) throws {
        let control = environment.repository.appendingPathComponent("scripts/rabbitmqctl.sh").path
        try run(control, ["clear_policy", name])
    }

    private func run(_ executable: String, _ arguments: [String]) throws {
        try Self.run(executable, arguments)
    }

    /// Runs one of the project's scripts to its end, e.g. `scripts/up.sh
    /// redis`, with `extraEnvironment` added to the test's own.
    /// posix_spawn + waitpid rather than Foundation's `Process`, whose
    /// `waitUntilExit` never returns when the script leaves a daemon (Redis)
    /// holding a descriptor Foundation watches for the child's exit.
    static func run(_ executable: String, _ arguments: [String], extraEnvironment: [String: String] = [:]) throws {
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var variables = ProcessInfo.processInfo.environment
        variables.merge(extraEnvironment) { _, new in new }
        let envp = variables.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in envp { free(pointer) } }
        // Test threads block most signals and the child inherits the mask:
        // give it a clean one, or the Redis it starts would ignore SIGTERM.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, nil, &attributes, argv, envp)
        guard spawned == 0 else { throw TestFailure("cannot start \(executable): errno \(spawned)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let exited = status & 0x7F == 0
        let code = (status >> 8) & 0xFF
        guard exited && code == 0 else {
            throw TestFailure("\(executable) \(arguments.joined(separator: " ")) failed (status \(status))")
        }
    }
}
