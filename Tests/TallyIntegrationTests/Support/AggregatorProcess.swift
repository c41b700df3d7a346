import Foundation
import TallyCore
import TallyRuntime

/// A real `tally-aggregator` process on free loopback ports (its API, behind
/// a token of its own, and its admin listener), with its own index file and
/// consumer group, reading this test's log stream.
final class AggregatorProcess {
    private var process: Process?
    let logFile: URL
    let indexPath: String
    let port: Int
    /// `/health`, `/ready`, `/metrics`.
    let adminPort: Int
    /// The API's bearer token (`TALLY_HTTP_TOKENS`): the test's, which its
    /// CLI processes send (`TALLY_API_TOKEN`).
    let token: String
    let group: String
    private let environment: TestEnvironment
    private let extraEnvironment: [String: String]

    init(_ environment: TestEnvironment, name: String = "aggregator", extra: [String: String] = [:]) throws {
        self.environment = environment
        let logs = environment.stateDirectory.appendingPathComponent("test-logs")
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        logFile = logs.appendingPathComponent("\(environment.runId)-\(name).log")
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        indexPath = environment.stateDirectory.appendingPathComponent("test-aggregators/\(environment.runId)-\(name)/index.sqlite").path
        port = try Self.freePort()
        adminPort = try Self.freePort()
        token = environment.apiToken
        group = "\(name)-group"
        extraEnvironment = extra
        try start()
    }

    func start() throws {
        let log = try FileHandle(forWritingTo: logFile)
        log.seekToEndOfFile()
        let process = Process()
        process.executableURL = environment.binaries.appendingPathComponent("tally-aggregator")
        process.currentDirectoryURL = environment.repository
        var variables = environment.workerEnvironment
        variables["TALLY_HTTP_PORT"] = "\(port)"
        variables["TALLY_ADMIN_PORT"] = "\(adminPort)"
        variables["TALLY_HTTP_TOKENS"] = token
        variables["TALLY_INDEX_PATH"] = indexPath
        variables["TALLY_STREAM_GROUP"] = group
        variables["TALLY_STREAM_BACKOFF_INITIAL_MS"] = "50"
        variables["TALLY_STREAM_BACKOFF_MAX_MS"] = "500"
        for (key, value) in extraEnvironment { variables[key] = value }
        process.environment = variables
        process.arguments = ["--log-level", "info"]
        process.standardOutput = log
        process.standardError = log
        try process.run()
        self.process = process
        try waitUntil("aggregator on port \(adminPort) to answer /health") { (try? get("/health").status) == 200 }
    }

    /// SIGTERM and wait: a graceful stop.
    func stop() throws -> Int32 {
        guard let process else { return 0 }
        kill(process.processIdentifier, SIGTERM)
        try waitUntil("aggregator to exit", timeout: .seconds(30)) { !process.isRunning }
        self.process = nil
        return process.terminationStatus
    }

    /// SIGKILL: nothing finished, nothing acked that was not committed.
    func crash() {
        guard let process else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        self.process = nil
    }

    func deleteIndex() throws {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: indexPath + suffix) }
    }

    struct HTTPResult {
        let status: Int
        let contentType: String
        let body: [UInt8]
        var json: JSONValue { (try? JSONParser.parse(body)) ?? .null }
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    /// A blocking GET (tests are synchronous); `pathAndQuery` is sent as
    /// given: `/health`, `/ready` and `/metrics` to the admin listener, the
    /// rest to the API with the token.
    func get(_ pathAndQuery: String) throws -> HTTPResult {
        if Self.adminPaths.contains(pathAndQuery) { return try Self.get(port: adminPort, pathAndQuery) }
        return try get(pathAndQuery, authorization: "Bearer \(token)")
    }

    /// A GET of the API with this `Authorization` header, or none.
    func get(_ pathAndQuery: String, authorization: String?) throws -> HTTPResult {
        try Self.request(port: port, "GET", pathAndQuery, headers: authorization.map { [("Authorization", $0)] } ?? [])
    }

    static let adminPaths: Set<String> = ["/health", "/ready", "/metrics"]

    /// A blocking GET on any loopback port (the workers' listeners too).
    static func get(port: Int, _ pathAndQuery: String) throws -> HTTPResult {
        try request(port: port, "GET", pathAndQuery)
    }

    /// A GET whose path is sent byte for byte, invalid percent-escapes
    /// included (curl `--path-as-is`): an HTTP client library normalizes
    /// the URL first, which is right for clients and wrong for a test of
    /// what the server does with a malformed path.
    func getAsIs(_ pathAndQuery: String) throws -> HTTPResult {
        let curl = try CommandProcess(
            URL(fileURLWithPath: "/usr/bin/curl"),
            [
                "-s", "--path-as-is", "-H", "Authorization: Bearer \(token)", "-o", "-", "-w", "\n%{http_code} %{content_type}",
                "http://127.0.0.1:\(port)\(pathAndQuery)",
            ],
            logName: "curl")
        let output = try curl.finish(timeout: .seconds(30)).output
        guard let newline = output.lastIndex(of: "\n") else { throw TestFailure("curl printed no status: \(output)") }
        let trailer = output[output.index(after: newline)...].split(separator: " ", maxSplits: 1)
        guard let status = trailer.first.flatMap({ Int($0) }) else { throw TestFailure("curl printed no status: \(output)") }
        return HTTPResult(
            status: status, contentType: trailer.count > 1 ? String(trailer[1]) : "", body: Array(output[..<newline].utf8))
    }

    /// Any request on a loopback port, e.g. a POST to the vendor simulator.
    static func request(
        port: Int, _ method: String, _ pathAndQuery: String, headers: [(String, String)] = [], body: [UInt8]? = nil
    ) throws -> HTTPResult {
        let answer = try HTTPFetch.fetchBlocking(
            "http://127.0.0.1:\(port)\(pathAndQuery)", method: method, headers: headers, body: body,
            timeoutMilliseconds: 30_000)
        return HTTPResult(status: answer.status, contentType: answer.header("Content-Type") ?? "", body: answer.body)
    }

    /// Every group of `GET /v1/aggregations?totalsOnly=true&<query>`,
    /// following `nextCursor` page by page (`limit` groups a page).
    func totalsOnlyGroups(_ query: String = "", limit: Int = 1_000) throws -> [JSONValue] {
        var groups: [JSONValue] = []
        var cursor: String?
        repeat {
            var path = "/v1/aggregations?totalsOnly=true&limit=\(limit)" + (query.isEmpty ? "" : "&" + query)
            if let cursor { path += "&" + queryString([URLQueryItem(name: "cursor", value: cursor)]) }
            let result = try get(path)
            guard result.status == 200, case .array(let page)? = result.json["groups"] else {
                throw TestFailure("\(path): \(result.status) \(result.text)")
            }
            groups += page
            if case .string(let next)? = result.json["nextCursor"] { cursor = next } else { cursor = nil }
        } while cursor != nil
        return groups
    }

    /// Waits until `/ready` says the index is caught up with the log.
    /// Waits until ingest has measured its lag at 0. The lag is measured
    /// when ingest next reads the log, which may come after the commit that
    /// ``waitUntilCaughtUp(records:timeout:)`` saw: a figure read at once
    /// can still be the one from before that commit.
    func waitUntilLagMeasuredZero(timeout: Duration = .seconds(30)) throws {
        try waitUntil("the aggregator to measure its lag at 0", timeout: timeout) {
            try get("/metrics").text.contains("tally_aggregator_index_lag_entries 0")
        }
    }

    func waitUntilCaughtUp(records: Int, timeout: Duration = .seconds(60)) throws {
        try waitUntil("the aggregator to index \(records) records", timeout: timeout) {
            let groups = try totalsOnlyGroups()
            let count = groups.reduce(0) { sum, group in
                if case .number(let n)? = group["count"] { return sum + (Int(n) ?? 0) }
                return sum
            }
            guard count >= records else { return false }
            return try get("/ready").status == 200
        }
    }

    var log: String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }

    deinit {
        crash()
        try? FileManager.default.removeItem(atPath: (indexPath as NSString).deletingLastPathComponent)
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                bind(fd, raw, length) == 0 && getsockname(fd, raw, &length) == 0
            }
        }
        guard bound else { throw TestFailure("cannot find a free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
