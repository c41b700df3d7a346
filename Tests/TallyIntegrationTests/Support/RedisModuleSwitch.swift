import Foundation
import TallyRedisClient
import TallyStore

/// The tally module in the test Redis (`scripts/up.sh` loads it from
/// `.build/redis-module/tally.so`), unloaded and loaded again by the tests
/// that need a Redis without it. The tests run one at a time
/// (`--no-parallel`), so no other test sees it gone.
struct RedisModuleSwitch {
    let environment: TestEnvironment

    var path: String { environment.repository.appendingPathComponent(".build/redis-module/tally.so").path }

    func isLoaded() throws -> Bool { try TallyModule.isLoaded(on: environment.redis()) }

    func unload() throws {
        let reply = try environment.redis().command(RedisCommand("MODULE", "UNLOAD", "tally"))
        guard reply == .status("OK") else { throw TestFailure("MODULE UNLOAD tally: \(reply)") }
    }

    func load() throws {
        let reply = try environment.redis().command(RedisCommand("MODULE", "LOAD", path))
        guard reply == .status("OK") else { throw TestFailure("MODULE LOAD \(path): \(reply)") }
    }

    /// `body` on a Redis without the module; loaded back after, if it was.
    func withoutModule<T>(_ body: () throws -> T) throws -> T {
        let wasLoaded = try isLoaded()
        if wasLoaded { try unload() }
        defer { if wasLoaded { try? load() } }
        return try body()
    }
}
