import TallyRuntime
import TallyWorker
import Testing

/// `tally config print`: every key of Config/worker.json, secrets masked.
struct EffectiveConfigurationTests {
    @Test func secretsAreMaskedAndEveryFileKeyIsShown() async throws {
        let settings = try await WorkerConfiguration.load(
            file: nil, environment: ["TALLY_AMQP_PASSWORD": "hunter2", "TALLY_REDIS_PASSWORD": "s3cret", "TALLY_METRICS_PORT": "9123"])
        let printed = settings.effective.description
        #expect(!printed.contains("hunter2") && !printed.contains("s3cret"))
        #expect(printed.contains("amqp.password = ********") && printed.contains("redis.password = ********"))
        #expect(printed.contains("metrics.port = 9123"))
        let keys = Set(settings.effective.entries.map(\.key))
        for key in ["amqp.host", "redis.keyPrefix", "batch.maxSize", "dedup.buckets", "alerts.unitThresholds", "backoff.maxMs", "metrics.host"] {
            #expect(keys.contains(key), "\(key)")
        }
    }

    @Test func aBadValueNamesItsKey() async {
        await #expect(throws: ConfigurationFailure.self) {
            _ = try await WorkerConfiguration.load(file: nil, environment: ["TALLY_METRICS_PORT": "70000"])
        }
    }
}
