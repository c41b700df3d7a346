import Foundation
import TallyCore
import Testing

/// `tally poll vendor --listen-port`: the poller as a service, with the
/// `/health`, `/ready` and `/metrics` an orchestrator probes.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct VendorPollerServiceTests {
    private func metric(_ name: String, in text: String) -> String? {
        text.split(separator: "\n").first { $0.hasPrefix(name + " ") }.map { String($0.dropFirst(name.count + 1)) }
    }

    @Test func itAnswersHealthReadyAndMetricsAndSaysWhenTheVendorFails() throws {
        let environment = TestEnvironment("vendor-service")
        defer { environment.cleanUp() }
        try environment.declareTopology()
        let simulator = try VendorSimulatorProcess(
            environment, rateLimit: VendorPollerTests.limit, windowMilliseconds: VendorPollerTests.windowMilliseconds)
        let transactions = VendorOracle.generate(count: 300, users: 10, from: 1, seed: 31)
        try simulator.append(transactions.map(\.json))
        let port = try AggregatorProcess.freePort()
        let poller = try VendorPollerProcess(
            environment, url: simulator.transactionsURL,
            arguments: VendorPollerTests.pollerArguments() + ["--listen-port", "\(port)"])

        try waitUntil("the poller's /health") { (try? AggregatorProcess.get(port: port, "/health").status) == 200 }
        try waitUntil("every transaction published", timeout: .seconds(60)) {
            let text = try AggregatorProcess.get(port: port, "/metrics").text
            return metric("tally_vendor_poller_items_published_total", in: text) == "300"
        }
        let ready = try AggregatorProcess.get(port: port, "/ready")
        #expect(ready.status == 200 && ready.json["ready"] == .bool(true), "\(ready.text)")
        let metrics = try AggregatorProcess.get(port: port, "/metrics").text
        #expect(Int(metric("tally_vendor_poller_pages_total", in: metrics) ?? "") ?? 0 >= 3, "300 in pages of 100")
        #expect(Int(metric("tally_vendor_poller_requests_total", in: metrics) ?? "") ?? 0 >= 3)
        #expect(metric("tally_vendor_poller_items_rejected_total", in: metrics) == "0")
        #expect(metric("tally_vendor_poller_ready", in: metrics).flatMap(Double.init) == 1)
        #expect(metrics.contains("tally_build_info{version=\"\(BuildInfo.version)\""))
        #expect(metrics.contains("tally_vendor_poller_rate_limit_wait_seconds_total"))

        // The vendor fails: the poller is alive but not ready, and says why.
        try simulator.inject(#"{"status":503,"count":1000}"#)
        try waitUntil("the poller to report not ready") {
            (try? AggregatorProcess.get(port: port, "/ready").status) == 503
        }
        let unready = try AggregatorProcess.get(port: port, "/ready")
        #expect(unready.json["ready"] == .bool(false), "\(unready.text)")
        #expect(try AggregatorProcess.get(port: port, "/health").status == 200)
        let failing = try AggregatorProcess.get(port: port, "/metrics").text
        #expect(Int(metric("tally_vendor_poller_failures_total", in: failing) ?? "") ?? 0 >= 1)

        poller.signal(SIGTERM)
        #expect(try poller.waitForExit() == 0, "\(poller.log)")
    }
}
