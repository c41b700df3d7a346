import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import TallyLoadTest

/// Asks the aggregator for the run's totals over HTTP (blocking: called
/// from the run's own thread).
struct AggregatorClient {
    let baseURL: String

    /// `/v1/aggregations?sourceId=…&totalsOnly=true`, parsed exactly.
    func totals(sourceId: String) throws -> ExactOracle {
        let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        let source = sourceId.addingPercentEncoding(withAllowedCharacters: allowed) ?? sourceId
        let (status, body) = try get("/v1/aggregations?sourceId=\(source)&totalsOnly=true")
        guard status == 200 else {
            throw LoadTestError("aggregator at \(baseURL) answered \(status): \(String(decoding: body.prefix(300), as: UTF8.self))")
        }
        return try AggregatorTotals.parse(body)
    }

    /// Polls until the aggregator's totals count `records` or more (it
    /// indexes the log stream asynchronously), or the deadline passes;
    /// returns the last answer either way, for verification to judge.
    func totals(sourceId: String, records: Int, timeoutSeconds: Int) throws -> ExactOracle {
        let deadline = ContinuousClock.now.advanced(by: .seconds(timeoutSeconds))
        while true {
            // An aggregator still starting (or restarting) is waited for too.
            let last: ExactOracle?
            do { last = try totals(sourceId: sourceId) } catch {
                if ContinuousClock.now >= deadline { throw error }
                last = nil
            }
            if let last, last.recordCount >= records || ContinuousClock.now >= deadline { return last }
            Thread.sleep(forTimeInterval: 0.2)
        }
    }

    private func get(_ pathAndQuery: String) throws -> (Int, [UInt8]) {
        guard let url = URL(string: baseURL + pathAndQuery) else { throw LoadTestError("--aggregator \(baseURL) is not a URL") }
        final class Box: @unchecked Sendable { var value: Swift.Result<(Int, [UInt8]), any Error>? }
        let box = Box()
        let semaphore = DispatchSemaphore(value: 0)
        var request = URLRequest(url: url)
        request.timeoutInterval = 60
        URLSession.shared.dataTask(with: request) { data, response, error in
            if let response = response as? HTTPURLResponse {
                box.value = .success((response.statusCode, Array(data ?? Data())))
            } else {
                box.value = .failure(LoadTestError("no answer from the aggregator at \(url): \(error.map { "\($0)" } ?? "unknown error")"))
            }
            semaphore.signal()
        }.resume()
        semaphore.wait()
        return try box.value!.get()
    }
}
