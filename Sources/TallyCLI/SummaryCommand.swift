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
    @Option(help: "text, or json: {\"destinationId\",\"overall\",\"references\":[{\"reference\",\"summary\"}]}.")
    var format = OutputFormat.text

    func run() async throws {
        let settings = try await connection.load()
        let reader = SummaryReader(connection: try RedisConnection(settings.redis), layout: RedisKeyLayout(prefix: settings.keyPrefix))
        let summary = try reader.destination(destination)
        if format == .json {
            let references = summary.byReference.map { reference, perReference in
                "{\"reference\":" + JSONWriter.quoted(reference) + ",\"summary\":" + perReference.json + "}"
            }
            print("{\"destinationId\":" + JSONWriter.quoted(destination) + ",\"overall\":" + summary.overall.json
                + ",\"references\":[" + references.joined(separator: ",") + "]}")
            return
        }
        print("\(destination): \(summary.overall.json)")
        for (reference, perReference) in summary.byReference {
            print("  \(reference): \(perReference.json)")
        }
    }
}
