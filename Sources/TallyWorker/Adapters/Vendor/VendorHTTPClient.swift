import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Blocking GETs to the vendor for the poller's thread (FoundationNetworking's
/// URLSession, waited on with a semaphore: the poller owns a thread of its
/// own, never one of Swift's cooperative pool).
final class VendorHTTPClient {
    struct Answer {
        let status: Int
        let retryAfter: String?
        let body: [UInt8]
    }

    private let session: URLSession

    init(timeoutMilliseconds: Int64) {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = Double(timeoutMilliseconds) / 1_000
        configuration.timeoutIntervalForResource = Double(timeoutMilliseconds) / 1_000
        configuration.httpMaximumConnectionsPerHost = 1
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        session = URLSession(configuration: configuration)
    }

    deinit { session.invalidateAndCancel() }

    /// The vendor's answer, or a `.vendor` error for a transport failure
    /// (refused, reset, timed out).
    func get(_ url: URL, timeoutMilliseconds: Int64) throws(VendorPollerError) -> Answer {
        var request = URLRequest(url: url)
        request.timeoutInterval = Double(timeoutMilliseconds) / 1_000
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        let box = AnswerBox()
        let done = DispatchSemaphore(value: 0)
        let task = session.dataTask(with: request) { data, response, error in
            if let response = response as? HTTPURLResponse, error == nil {
                box.result = .success(Answer(
                    status: response.statusCode, retryAfter: response.value(forHTTPHeaderField: "Retry-After"),
                    body: Array(data ?? Data())))
            } else {
                box.result = .failure(VendorPollerError(.vendor, "GET \(url.absoluteString) failed: \(error.map { "\($0.localizedDescription)" } ?? "no response")"))
            }
            done.signal()
        }
        task.resume()
        // The session's own timeouts end the task; this bound only guards
        // against a task that never calls back.
        if done.wait(timeout: .now() + .milliseconds(Int(timeoutMilliseconds) + 5_000)) == .timedOut {
            task.cancel()
            throw VendorPollerError(.vendor, "GET \(url.absoluteString): no answer within \(timeoutMilliseconds) ms")
        }
        return try box.take()
    }

    private final class AnswerBox: @unchecked Sendable {
        var result: Result<Answer, VendorPollerError>?
        func take() throws(VendorPollerError) -> Answer {
            switch result {
            case .success(let answer)?: return answer
            case .failure(let error)?: throw error
            case nil: throw VendorPollerError(.vendor, "no answer")
            }
        }
    }
}
