import TallyAdapterServices
import TallyWorker

extension WorkerConfiguration {
    /// What the adapters share with the fleet: the same broker, topology,
    /// Redis, key prefix and record limits.
    var adapterConnections: AdapterConnections {
        AdapterConnections(
            broker: broker, topology: topology, redis: redis, keyPrefix: keyPrefix, limits: limits,
            confirmTimeoutMilliseconds: batch.confirmTimeoutMilliseconds)
    }
}
