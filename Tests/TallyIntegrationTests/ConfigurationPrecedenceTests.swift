import Foundation
import TallyAggregator
import TallyAMQPClient
import TallyRuntime
import TallyWorker
import Testing

/// Flags > environment > file > default, for every key; bad values named
/// with their key and source; connection URLs (amqp.url, redis.url).
struct ConfigurationPrecedenceTests {
    /// A worker.json of its own, so the repository's file does not matter.
    private func file(_ json: String) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tally-config-\(UUID().uuidString).json")
        try Data(json.utf8).write(to: url)
        return url.path
    }

    @Test func aFlagBeatsTheEnvironmentWhichBeatsTheFileWhichBeatsTheDefault() async throws {
        let path = try file(#"{"batch": {"maxSize": 7, "maxWaitMs": 3}, "dedup": {"buckets": 4}}"#)
        let environment = ["TALLY_BATCH_MAX_SIZE": "8", "TALLY_BATCH_MAX_WAIT_MS": "2"]
        let (settings, origins) = try await WorkerConfiguration.loadWithOrigins(
            file: path, environment: environment, arguments: ["--batch-max-size=9"])
        #expect(settings.batch.maxSize == 9)
        #expect(origins.origin(of: "batch.maxSize") == ValueOrigin(level: .commandLine, name: "--batch-max-size"))
        #expect(settings.batch.maxWaitMilliseconds == 2)
        #expect(origins.origin(of: "batch.maxWaitMs") == ValueOrigin(level: .environment, name: "TALLY_BATCH_MAX_WAIT_MS"))
        #expect(settings.dedup.buckets == 4)
        #expect(origins.origin(of: "dedup.buckets").level == .file)
        #expect(settings.batch.prefetch == WorkerConfiguration().batch.prefetch)
        #expect(origins.origin(of: "batch.prefetch") == .builtInDefault)
    }

    @Test func flagsAreSplitFromTheCommandsOwnOptions() {
        let split = ConfigurationArguments(
            splitting: ["dead", "replay", "--batch-max-size", "50", "--limit", "3", "--amqp-url=amqps://h", "x.json",
                "--alerts-unit-thresholds", "EUR=5", "--", "--redis-port", "1"],
            keys: WorkerConfiguration.keys)
        #expect(split.overrides == ["--batch-max-size=50", "--amqp-url=amqps://h", "--alerts-unit-thresholds=EUR=5"])
        #expect(split.remaining == ["dead", "replay", "--limit", "3", "x.json", "--", "--redis-port", "1"])
        #expect(ConfigurationArguments.flag(for: "amqp.tls.caFile") == "--amqp-tls-ca-file")
        #expect(ConfigurationArguments.environmentVariable(for: "amqp.tls.caFile") == "TALLY_AMQP_TLS_CA_FILE")
    }

    @Test func everyKeyIsAFlag() async throws {
        let (settings, _) = try await WorkerConfiguration.loadWithOrigins(
            file: try file("{}"), environment: [:],
            arguments: ["--topology-work=w", "--redis-key-prefix=p", "--metrics-port=0", "--alerts-unit-thresholds=EUR=5,kWh=2"])
        #expect(settings.topology.workQueue == "w" && settings.keyPrefix == "p" && settings.metrics.port == 0)
        #expect(settings.alerts.perUnit.count == 2)
        let aggregator = try await AggregatorConfiguration.load(
            file: try file("{}"), environment: [:],
            arguments: ["--http-port=8099", "--stream-group=g2", "--http-tokens=0123456789abcdef"])
        #expect(aggregator.http.port == 8099 && aggregator.stream.group == "g2")
        #expect(aggregator.api.tokens == ["0123456789abcdef"])
    }

    @Test func aValueThatIsNotANumberIsNamedWithItsSourceInsteadOfFallingBackToTheDefault() async throws {
        let failure = await #expect(throws: ConfigurationFailure.self) {
            _ = try await WorkerConfiguration.load(file: try file("{}"), environment: ["TALLY_BATCH_MAX_SIZE": "abc"])
        }
        #expect(failure?.key == "batch.maxSize")
        #expect(failure?.origin == ValueOrigin(level: .environment, name: "TALLY_BATCH_MAX_SIZE"))
        #expect(failure?.description.contains("TALLY_BATCH_MAX_SIZE") == true)

        let fromFlag = await #expect(throws: ConfigurationFailure.self) {
            _ = try await WorkerConfiguration.load(file: try file("{}"), environment: [:], arguments: ["--batch-max-size=0"])
        }
        #expect(fromFlag?.description == "configuration key batch.maxSize (from flag --batch-max-size): must be positive, got 0")

        let fromFile = await #expect(throws: ConfigurationFailure.self) {
            _ = try await WorkerConfiguration.load(file: try file(#"{"dedup": {"buckets": 1}}"#), environment: [:])
        }
        #expect(fromFile?.origin?.level == .file)
    }

    @Test func anAMQPSURLCarriesCredentialsAndTLSOptions() async throws {
        let url = "amqps://ops:p%40ss@broker.example:5999/prod?cacertfile=/etc/hosts&verify_hostname=false"
        let settings = try await WorkerConfiguration.load(file: try file("{}"), environment: ["TALLY_AMQP_URL": url])
        #expect(settings.broker.host == "broker.example" && settings.broker.port == 5999)
        #expect(settings.broker.user == "ops" && settings.broker.password == "p@ss" && settings.broker.virtualHost == "prod")
        #expect(settings.broker.tls == AMQPTLSSettings(caFile: "/etc/hosts", verifyPeer: true, verifyHostname: false))
        let printed = settings.effective.description
        #expect(!printed.contains("p@ss") && !printed.contains("p%40ss"))
        #expect(printed.contains("amqp.url = amqps://ops:********@broker.example:5999/prod"))

        let defaultPort = try await WorkerConfiguration.load(
            file: try file("{}"), environment: ["TALLY_AMQP_URL": "amqps://h?cacertfile=/etc/hosts"])
        #expect(defaultPort.broker.port == 5671 && defaultPort.broker.virtualHost == "/")
    }

    /// `make up` exports TALLY_AMQP_PORT for the server; a URL given as a
    /// flag must still win over it, while the same port adjusts a URL
    /// from the file.
    @Test func aPartKeyOverridesTheURLOnlyFromTheSameOrAHigherSource() async throws {
        let path = try file(#"{"amqp": {"url": "amqp://u:p@filehost:1111/"}}"#)
        let fromFile = try await WorkerConfiguration.loadWithOrigins(file: path, environment: ["TALLY_AMQP_PORT": "2222"])
        #expect(fromFile.settings.broker.host == "filehost" && fromFile.settings.broker.port == 2222)
        #expect(fromFile.origins.origin(of: "amqp.host").description == "amqp.url, file \(path) (amqp.url)")

        let fromFlag = try await WorkerConfiguration.load(
            file: path, environment: ["TALLY_AMQP_PORT": "2222"], arguments: ["--amqp-url=amqp://flaghost:3333"])
        #expect(fromFlag.broker.host == "flaghost" && fromFlag.broker.port == 3333)
        #expect(fromFlag.broker.user == "guest", "a URL without a user leaves the user key's value")
    }

    @Test func tlsWithoutACAFileIsRefusedNamingTheKey() async throws {
        let failure = await #expect(throws: ConfigurationFailure.self) {
            _ = try await WorkerConfiguration.load(file: try file("{}"), environment: ["TALLY_AMQP_URL": "amqps://h/"])
        }
        #expect(failure?.key == "amqp.tls.caFile")
        let unreadable = await #expect(throws: ConfigurationFailure.self) {
            _ = try await WorkerConfiguration.load(
                file: try file("{}"), environment: [:], arguments: ["--amqp-url=amqps://h/?cacertfile=/nonexistent/ca.pem"])
        }
        #expect(unreadable?.description.contains("cannot read /nonexistent/ca.pem") == true)
    }

    @Test func redissFailsAtStartSayingWhyAndWhatToDo() async throws {
        let failure = await #expect(throws: ConfigurationFailure.self) {
            _ = try await AggregatorConfiguration.load(
                file: try file("{}"), environment: ["TALLY_REDIS_URL": "rediss://:secret@cache.example:6380"])
        }
        #expect(failure?.key == "redis.url")
        #expect(failure?.description.contains("hiredis 0.14") == true && failure?.description.contains("tunnel") == true)
        #expect(failure?.description.contains("secret") == false)
    }

    /// The linger's reads block at most `stream.blockMs` each, so it may
    /// be longer than Redis's command timeout; it may not be negative.
    @Test func theIngestLingerDefaultsToOneSecondAndMayOutlastTheCommandTimeout() async throws {
        let tokens = ["TALLY_HTTP_TOKENS": "0123456789abcdef"]
        let defaults = try await AggregatorConfiguration.load(file: try file("{}"), environment: tokens)
        #expect(defaults.stream.lingerMilliseconds == 1_000)
        let off = try await AggregatorConfiguration.load(file: try file("{}"), environment: tokens.merging(["TALLY_STREAM_LINGER_MS": "0"]) { $1 })
        #expect(off.stream.lingerMilliseconds == 0)
        let long = try await AggregatorConfiguration.load(
            file: try file(#"{"redis": {"commandTimeoutMs": 1000}, "stream": {"blockMs": 500, "lingerMs": 5000}}"#), environment: tokens)
        #expect(long.stream.lingerMilliseconds == 5_000)
        let failure = await #expect(throws: ConfigurationFailure.self) {
            _ = try await AggregatorConfiguration.load(file: try file(#"{"stream": {"lingerMs": -1}}"#), environment: tokens)
        }
        #expect(failure?.key == "stream.lingerMs")
        #expect(failure?.description.contains("must not be negative") == true)
    }

    @Test func aRedisURLSetsHostPortAndCredentials() async throws {
        let (settings, origins) = try await AggregatorConfiguration.loadWithOrigins(
            file: try file("{}"), environment: ["TALLY_HTTP_TOKENS": "0123456789abcdef"],
            arguments: ["--redis-url", "redis://reader:s3cret@cache:6390/0"])
        #expect(settings.redis.host == "cache" && settings.redis.port == 6390)
        #expect(settings.redis.username == "reader" && settings.redis.password == "s3cret")
        let printed = settings.effective.described(origins: origins)
        #expect(!printed.contains("s3cret"))
        #expect(printed.contains("redis.url = redis://reader:********@cache:6390"))
        #expect(printed.contains("# redis.url, flag --redis-url"))
    }
}
