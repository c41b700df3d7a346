import ArgumentParser
import TallyCore
import TallyRedisClient
import TallyStore
import TallyWorker

struct SummaryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "summary", abstract: "Show the live summaries of a destination, overall and per reference.")

    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "destinationId") var destination: String

    func run() async throws {
        let settings = try await connection.load()
        let reader = SummaryReader(connection: try RedisConnection(settings.redis), layout: RedisKeyLayout(prefix: settings.keyPrefix))
        let summary = try reader.destination(destination)
        print("\(destination): \(summary.overall.json)")
        for (reference, perReference) in summary.byReference {
            print("  \(reference): \(perReference.json)")
        }
    }
}
