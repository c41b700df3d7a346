import ArgumentParser

struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config", abstract: "Show the configuration a worker would run with.", subcommands: [Print.self])

    struct Print: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the effective worker configuration (file + TALLY_* environment), secrets masked.",
            discussion: "Exits 78 naming the bad key if the configuration is invalid, as the worker would.")
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            do {
                print(try await connection.loadStrictly().effective)
            } catch {
                progress("invalid configuration: \(error)")
                throw ExitCode(78)
            }
        }
    }
}
