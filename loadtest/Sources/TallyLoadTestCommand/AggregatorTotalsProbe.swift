import Foundation
import TallyAggregatorClient
import TallyLoadTest
import TallyRuntime

/// Asks the aggregator for the run's totals (blocking: called from the
/// run's own thread).
struct AggregatorTotalsProbe {
    let client: AggregatorClient

    init(baseURL: String) throws {
        guard let url = URL(string: baseURL) else { throw LoadTestError("--aggregator \(baseURL) is not a URL") }
        client = AggregatorClient(baseURL: url, timeoutSeconds: 60)
    }

    /// `/v1/aggregations?sourceId=…&totalsOnly=true`, every page, parsed exactly.
    func totals(sourceId: String) throws -> ExactOracle {
        var totals = ExactOracle(groups: [:])
        var cursor: String?
        repeat {
            var path = "/v1/aggregations?sourceId=\(HTTPFetch.encoded(sourceId))&totalsOnly=true&limit=1000"
            if let cursor { path += "&cursor=" + HTTPFetch.encoded(cursor) }
            let answer: (status: Int, body: [UInt8], url: String)
            do {
                answer = try client.getBlocking(path)
            } catch {
                throw LoadTestError("no answer from the aggregator: \(error)")
            }
            guard answer.status == 200 else {
                throw LoadTestError("aggregator at \(answer.url) answered \(answer.status): \(AggregatorClient.excerpt(answer.body))")
            }
            let page = try AggregatorTotals.parsePage(answer.body)
            totals = AggregatorTotals.merging(totals, page.totals)
            cursor = page.nextCursor
        } while cursor != nil
        return totals
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
}
