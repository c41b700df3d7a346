import ArgumentParser
import Foundation
import Hummingbird
import Logging
import TallyCore

/// `tally-vendor-simulator`: a stand-in for the rate-limited vendor
/// transaction API (the vendor API), for tests and demos. It enforces
/// the limit and counts every request and every violation (`/stats`), can
/// fail on demand (`POST /faults`) and takes new transactions while running
/// (`POST /transactions`). Routes: ``SimulatorRoutes``.
@main
struct VendorSimulatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tally-vendor-simulator",
        abstract: "Serve a simulated, rate-limited vendor transaction API (GET /transactions, POST /transactions, POST /faults, GET /stats).",
        version: BuildInfo.version)

    @Option(help: "Listen address.")
    var host = "127.0.0.1"

    @Option(help: "Listen port.")
    var port = 8099

    @Option(help: "At most this many requests to GET /transactions …")
    var rateLimit = 5

    @Option(help: "… per this many milliseconds (rolling).")
    var rateWindowMs: Int64 = 60_000

    @Option(help: "Generate this many demo transactions at start.")
    var generate = 0

    @Option(help: "Spread generated transactions over this many users.")
    var users = 20

    @Option(help: "Seed of the generated transactions.")
    var seed: UInt64 = 1

    @Option(help: "Load transactions from a JSON array file at start.")
    var load: String?

    func validate() throws {
        guard rateLimit > 0, rateWindowMs > 0 else { throw ValidationError("--rate-limit and --rate-window-ms must be positive") }
        guard generate >= 0, users > 0 else { throw ValidationError("--generate must be ≥ 0 and --users > 0") }
    }

    func run() async throws {
        let vendor = SimulatedVendor(limit: rateLimit, windowMilliseconds: rateWindowMs)
        if let load {
            guard let data = FileManager.default.contents(atPath: load),
                case .array(let items) = try JSONParser.parse(Array(data), maxDepth: 8)
            else { throw ValidationError("\(load): not a JSON array of transactions") }
            _ = vendor.append(items)
        }
        if generate > 0 {
            var generator = TransactionGenerator(seed: seed)
            _ = vendor.append(generator.transactions(count: generate, users: users))
        }
        let router = Router()
        SimulatorRoutes(vendor: vendor).register(on: router)
        var logger = Logger(label: "tally.vendor-simulator")
        logger.logLevel = .notice
        let banner = "tally-vendor-simulator listening on http://\(host):\(port) (\(vendor.count) transactions, at most \(rateLimit) requests per \(rateWindowMs) ms)"
        let app = Application(
            router: router, configuration: .init(address: .hostname(host, port: port), serverName: "tally-vendor-simulator"),
            onServerRunning: { _ in
                FileHandle.standardOutput.write(Data((banner + "\n").utf8))
            },
            logger: logger)
        try await app.runService()
    }
}
