import Foundation
import TallyAdapters
import TallyCore
import TallyRuntime

/// Why a request to the aggregator failed.
public struct AggregatorClientError: Error, Sendable, CustomStringConvertible {
    public let url: String
    public let reason: String

    public var description: String { "\(url): \(reason)" }
}

/// A client of the aggregator's HTTP API: the account views that
/// `tally report accounts` and an importer that reports after a file use
/// (the aggregator is the one place the figures are computed), and plain
/// GETs for the load test's checks.
public struct AggregatorClient: Sendable {
    /// e.g. `http://127.0.0.1:8080`.
    public let baseURL: URL
    public let timeoutSeconds: Double
    /// The bearer token sent with every request (the aggregator's API
    /// refuses requests without one).
    public let token: String?

    public init(baseURL: URL, token: String? = AggregatorClient.token(), timeoutSeconds: Double = 30) {
        self.baseURL = baseURL
        self.token = token
        self.timeoutSeconds = timeoutSeconds
    }

    /// The token a command-line client uses: `TALLY_API_TOKEN`, else the
    /// first line of `TALLY_API_TOKEN_FILE` or of `.state/api-token` (what
    /// `make up` writes).
    public static func token(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if let token = environment["TALLY_API_TOKEN"], !token.isEmpty { return token }
        let file = environment["TALLY_API_TOKEN_FILE"] ?? ".state/api-token"
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { return nil }
        return text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .first { !$0.isEmpty && !$0.hasPrefix("#") }
    }

    private var headers: [(String, String)] { token.map { [("Authorization", "Bearer \($0)")] } ?? [] }

    /// Every account the transactions source has written to, in byte order
    /// (all pages of `GET /v1/accounts`).
    public func accounts() async throws(AggregatorClientError) -> [String] {
        var accounts: [String] = []
        var cursor: String?
        repeat {
            var path = "/v1/accounts?limit=1000"
            if let cursor { path += "&cursor=" + HTTPFetch.encoded(cursor) }
            let (status, body, url) = try await get(path)
            guard status == 200, let page = try? JSONParser.parse(body), case .array(let entries)? = page["accounts"]
            else { throw AggregatorClientError(url: url, reason: "HTTP \(status): \(Self.excerpt(body))") }
            for entry in entries {
                guard case .string(let account)? = entry["account"] else {
                    throw AggregatorClientError(url: url, reason: "an entry without an account")
                }
                accounts.append(account)
            }
            if case .string(let next)? = page["nextCursor"] { cursor = next } else { cursor = nil }
        } while cursor != nil
        return accounts
    }

    /// The report of `account`; nil when the aggregator knows no transaction of it (404).
    public func report(account: String) async throws(AggregatorClientError) -> AccountReport? {
        let (status, body, url) = try await get(Self.reportPath(account))
        return try Self.report(status: status, body: body, url: url)
    }

    /// ``report(account:)`` for a blocking thread of its own (the import watcher's).
    public func reportBlocking(account: String) throws(AggregatorClientError) -> AccountReport? {
        let (status, body, url) = try getBlocking(Self.reportPath(account))
        return try Self.report(status: status, body: body, url: url)
    }

    private static func reportPath(_ account: String) -> String { "/v1/accounts/\(HTTPFetch.encoded(account))/report" }

    private static func report(status: Int, body: [UInt8], url: String) throws(AggregatorClientError) -> AccountReport? {
        if status == 404 { return nil }
        guard status == 200 else { throw AggregatorClientError(url: url, reason: "HTTP \(status): \(Self.excerpt(body))") }
        do {
            return try AccountReport(jsonText: body)
        } catch {
            throw AggregatorClientError(url: url, reason: error.description)
        }
    }

    /// A GET of `pathAndQuery`; any HTTP status is returned, only a failed
    /// exchange throws.
    public func get(_ pathAndQuery: String) async throws(AggregatorClientError) -> (status: Int, body: [UInt8], url: String) {
        let url = url(pathAndQuery)
        do {
            let answer = try await HTTPFetch.fetch(url, headers: headers, timeoutMilliseconds: timeoutMilliseconds)
            return (answer.status, answer.body, url)
        } catch {
            throw AggregatorClientError(url: url, reason: "no answer (\(error.reason))")
        }
    }

    /// ``get(_:)`` for a blocking thread of its own (the load test's).
    public func getBlocking(_ pathAndQuery: String) throws(AggregatorClientError) -> (status: Int, body: [UInt8], url: String) {
        let url = url(pathAndQuery)
        do {
            let answer = try HTTPFetch.fetchBlocking(url, headers: headers, timeoutMilliseconds: timeoutMilliseconds)
            return (answer.status, answer.body, url)
        } catch {
            throw AggregatorClientError(url: url, reason: "no answer (\(error.reason))")
        }
    }

    private var timeoutMilliseconds: Int64 { Int64(timeoutSeconds * 1_000) }

    private func url(_ pathAndQuery: String) -> String {
        var base = baseURL.absoluteString
        if base.hasSuffix("/") { base.removeLast() }
        return base + pathAndQuery
    }

    /// The start of an error body, for messages.
    public static func excerpt(_ body: [UInt8]) -> String {
        let text = String(decoding: body.prefix(300), as: UTF8.self)
        return text.isEmpty ? "(empty body)" : text
    }
}
