import AsyncHTTPClient
import Dispatch
import Foundation

/// One HTTP exchange over AsyncHTTPClient's shared client: the one HTTP
/// client of tally's processes (the vendor poller, the report dispatcher,
/// the load test) and of the integration tests. Any HTTP status is an
/// answer; only a failed exchange throws.
public enum HTTPFetch {
    public struct Answer: Sendable {
        public let status: Int
        public let body: [UInt8]
        /// The response's headers, names lowercased.
        public let headers: [String: String]

        public func header(_ name: String) -> String? { headers[name.lowercased()] }
    }

    /// Bodies larger than this are refused: no answer tally reads comes near.
    public static let maxBodyBytes = 64 * 1024 * 1024

    public static func fetch(
        _ url: String, method: String = "GET", headers: [(String, String)] = [], body: [UInt8]? = nil,
        timeoutMilliseconds: Int64
    ) async throws(HTTPFetchError) -> Answer {
        var request = HTTPClientRequest(url: url)
        request.method = .init(rawValue: method)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(body) }
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: .milliseconds(timeoutMilliseconds))
            let body = try await response.body.collect(upTo: maxBodyBytes)
            var names: [String: String] = [:]
            for header in response.headers { names[header.name.lowercased()] = header.value }
            return Answer(status: Int(response.status.code), body: Array(body.readableBytesView), headers: names)
        } catch {
            throw HTTPFetchError(url: url, method: method, reason: "\(error)")
        }
    }

    /// ``fetch(_:method:headers:body:timeoutMilliseconds:)`` for a blocking
    /// loop on a thread of its own (never call it from Swift's cooperative pool).
    public static func fetchBlocking(
        _ url: String, method: String = "GET", headers: [(String, String)] = [], body: [UInt8]? = nil,
        timeoutMilliseconds: Int64
    ) throws(HTTPFetchError) -> Answer {
        let result = ResultBox()
        let done = DispatchSemaphore(value: 0)
        Task {
            do throws(HTTPFetchError) {
                result.value = .success(
                    try await fetch(url, method: method, headers: headers, body: body, timeoutMilliseconds: timeoutMilliseconds))
            } catch {
                result.value = .failure(error)
            }
            done.signal()
        }
        done.wait()
        return try result.value!.get()
    }

    /// Hands the answer from the task to the waiting thread; the semaphore
    /// orders the write before the read.
    private final class ResultBox: @unchecked Sendable {
        var value: Result<Answer, HTTPFetchError>?
    }

    /// `text` as one path segment or query value: everything but the
    /// unreserved characters percent-encoded (`/`, `?`, `%`, spaces, …).
    public static func encoded(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }

    private static let unreserved = CharacterSet(
        charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
}

/// An exchange that got no HTTP answer: refused, reset, timed out, not a URL.
public struct HTTPFetchError: Error, Sendable, CustomStringConvertible {
    public let url: String
    public let method: String
    public let reason: String

    public var description: String { "\(method) \(url) failed: \(reason)" }
}
