import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import TallyAdapters
import TallyCore

/// Why a request to the aggregator failed.
public struct AggregatorClientError: Error, Sendable, CustomStringConvertible {
    public let url: String
    public let reason: String

    public var description: String { "\(url): \(reason)" }
}

/// Reads the account views of an aggregator over HTTP (URLSession): the
/// account list and the reports. What `tally report accounts` and an
/// importer that reports after a file use; the aggregator is the one place
/// the figures are computed.
public struct AggregatorClient: Sendable {
    /// e.g. `http://127.0.0.1:8080`.
    public let baseURL: URL
    public let timeoutSeconds: Double

    public init(baseURL: URL, timeoutSeconds: Double = 30) {
        self.baseURL = baseURL
        self.timeoutSeconds = timeoutSeconds
    }

    /// Every account the transactions source has written to, in byte order
    /// (all pages of `GET /v1/accounts`).
    public func accounts() async throws(AggregatorClientError) -> [String] {
        var accounts: [String] = []
        var after: String?
        repeat {
            var path = "/v1/accounts?limit=1000"
            if let after { path += "&after=" + Self.encoded(after) }
            let (status, body, url) = try await get(path)
            guard status == 200, let page = try? JSONParser.parse(body), case .array(let entries)? = page["accounts"]
            else { throw AggregatorClientError(url: url, reason: "HTTP \(status): \(Self.excerpt(body))") }
            for entry in entries {
                guard case .string(let account)? = entry["account"] else {
                    throw AggregatorClientError(url: url, reason: "an entry without an account")
                }
                accounts.append(account)
            }
            if case .string(let next)? = page["nextAfter"] { after = next } else { after = nil }
        } while after != nil
        return accounts
    }

    /// The report of `account`; nil when the aggregator knows no transaction of it (404).
    public func report(account: String) async throws(AggregatorClientError) -> AccountReport? {
        let (status, body, url) = try await get("/v1/accounts/\(Self.encoded(account))/report")
        if status == 404 { return nil }
        guard status == 200 else { throw AggregatorClientError(url: url, reason: "HTTP \(status): \(Self.excerpt(body))") }
        do {
            return try AccountReport(jsonText: body)
        } catch {
            throw AggregatorClientError(url: url, reason: error.description)
        }
    }

    /// A GET; any HTTP status is returned, only a failed exchange throws.
    func get(_ pathAndQuery: String) async throws(AggregatorClientError) -> (status: Int, body: [UInt8], url: String) {
        let text = baseURL.absoluteString.trimmingSuffix("/") + pathAndQuery
        guard let url = URL(string: text) else { throw AggregatorClientError(url: text, reason: "not a valid URL") }
        var request = URLRequest(url: url)
        request.timeoutInterval = timeoutSeconds
        let result: Result<(Int, [UInt8]), AggregatorClientError> = await withCheckedContinuation { continuation in
            URLSession.shared.dataTask(with: request) { data, response, error in
                if let response = response as? HTTPURLResponse {
                    continuation.resume(returning: .success((response.statusCode, Array(data ?? Data()))))
                } else {
                    let reason = error.map { "no answer (\($0.localizedDescription))" } ?? "no answer"
                    continuation.resume(returning: .failure(AggregatorClientError(url: text, reason: reason)))
                }
            }.resume()
        }
        let (status, body) = try result.get()
        return (status, body, text)
    }

    /// An account as one path segment or query value: everything but the
    /// unreserved characters percent-encoded (`/`, `?`, `%`, spaces, …).
    static func encoded(_ text: String) -> String {
        let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        return text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }

    /// The start of an error body, for messages.
    private static func excerpt(_ body: [UInt8]) -> String {
        let text = String(decoding: body.prefix(300), as: UTF8.self)
        return text.isEmpty ? "(empty body)" : text
    }
}

extension String {
    fileprivate func trimmingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}
