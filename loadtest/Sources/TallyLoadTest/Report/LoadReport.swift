import Foundation

/// Everything one `tally-loadtest` run measured and verified: the source of
/// the summary table, the JSON report and the HTML report.
public struct LoadReport: Sendable, Codable {
    public struct Machine: Sendable, Codable {
        public var hostname: String
        public var cores: Int
        /// 1-minute load average at the start and at the end of the run.
        public var loadAverageStart: Double
        public var loadAverageEnd: Double

        public init(hostname: String, cores: Int, loadAverageStart: Double, loadAverageEnd: Double) {
            self.hostname = hostname
            self.cores = cores
            self.loadAverageStart = loadAverageStart
            self.loadAverageEnd = loadAverageEnd
        }
    }

    public struct Counts: Sendable, Codable {
        public var messages: Int
        public var uniqueRecords: Int
        public var duplicates: Int
        public var conflicts: Int
        public var invalid: Int

        public init(plan: LoadPlan) {
            messages = plan.messageCount
            uniqueRecords = plan.freshCount
            duplicates = plan.duplicateCount
            conflicts = plan.conflictCount
            invalid = plan.invalidCount
        }
    }

    public struct Throughput: Sendable, Codable {
        /// From the first publish (or the drain's start) to the last expected output.
        public var seconds: Double
        public var messagesPerSecond: Double
        public var recordsPerSecond: Double
        /// How long publishing took, and its achieved rate.
        public var publishSeconds: Double
        public var publishRate: Double
        /// The mean size of the notifications received (first copies), in
        /// bytes: what the broker carried per output. A baseline relayed
        /// with bodies of this size (`--relay-body-bytes`) separates the
        /// broker's cost of tally's larger messages from tally's own work.
        /// Absent in reports written before it was measured.
        public var meanNotificationBytes: Double?

        public init(seconds: Double, messages: Int, records: Int, publishSeconds: Double, meanNotificationBytes: Double? = nil) {
            self.seconds = seconds
            self.meanNotificationBytes = meanNotificationBytes
            messagesPerSecond = seconds > 0 ? Double(messages) / seconds : 0
            recordsPerSecond = seconds > 0 ? Double(records) / seconds : 0
            self.publishSeconds = publishSeconds
            publishRate = publishSeconds > 0 ? Double(messages) / publishSeconds : 0
        }
    }

    public struct Comparison: Sendable, Codable {
        /// What was compared against: "baseline (same run)" or a report file.
        public var against: String
        public var messagesPerSecond: Double
        /// This run's messages/s divided by the other's.
        public var ratio: Double

        public init(against: String, messagesPerSecond: Double, ratio: Double) {
            self.against = against
            self.messagesPerSecond = messagesPerSecond
            self.ratio = ratio
        }
    }

    public struct Worker: Sendable, Codable {
        public var pid: Int32
        public var cpuSeconds: Double
        public var cpuPercentOfOneCore: Double
        public var cpuMicrosecondsPerMessage: Double
        public var peakResidentBytes: UInt64
        public var residentBytesAtEnd: UInt64

        public init(pid: Int32, cpuSeconds: Double, wallSeconds: Double, messages: Int, peakResidentBytes: UInt64, residentBytesAtEnd: UInt64) {
            self.pid = pid
            self.cpuSeconds = cpuSeconds
            cpuPercentOfOneCore = wallSeconds > 0 ? 100 * cpuSeconds / wallSeconds : 0
            cpuMicrosecondsPerMessage = messages > 0 ? 1e6 * cpuSeconds / Double(messages) : 0
            self.peakResidentBytes = peakResidentBytes
            self.residentBytesAtEnd = residentBytesAtEnd
        }
    }

    public struct RedisMemory: Sendable, Codable {
        /// Entries in the claim hashes after the run, and how many the run added.
        public var rememberedRecordIds: Int
        public var addedRecordIds: Int
        /// `MEMORY USAGE` of the claim hashes, summed.
        public var claimBytes: Int
        public var bytesPerRememberedRecordId: Double
        /// Growth of `used_memory` over the run, per unique record (everything included).
        public var usedMemoryGrowthPerRecord: Double

        public init(rememberedRecordIds: Int, addedRecordIds: Int, claimBytes: Int, usedMemoryGrowth: Int, records: Int) {
            self.rememberedRecordIds = rememberedRecordIds
            self.addedRecordIds = addedRecordIds
            self.claimBytes = claimBytes
            bytesPerRememberedRecordId = rememberedRecordIds > 0 ? Double(claimBytes) / Double(rememberedRecordIds) : 0
            usedMemoryGrowthPerRecord = records > 0 ? Double(usedMemoryGrowth) / Double(records) : 0
        }
    }

    public var tool = "tally-loadtest"
    public var name: String
    /// "tally" or "baseline" (the broker-only relay).
    public var mode: String
    public var startedAt: String
    public var command: String
    public var machine: Machine
    public var profile: LoadProfile
    public var rate: String
    /// Published first, then drained (the clock starts at the drain).
    public var backlog: Bool
    public var counts: Counts
    public var throughput: Throughput
    public var latency: LatencySummary?
    public var baseline: Comparison?
    public var reference: Comparison?
    public var workers: [Worker]
    public var redis: RedisMemory?
    /// The verdict: false when any check failed (the run exits non-zero).
    public var passed: Bool
    public var verification: Verification
    public var series: ThroughputSeries

    public init(
        name: String, mode: String, startedAt: String, command: String, machine: Machine, profile: LoadProfile, rate: String,
        backlog: Bool, counts: Counts, throughput: Throughput, latency: LatencySummary?, baseline: Comparison?,
        reference: Comparison?, workers: [Worker], redis: RedisMemory?, verification: Verification, series: ThroughputSeries
    ) {
        self.name = name
        self.mode = mode
        self.startedAt = startedAt
        self.command = command
        self.machine = machine
        self.profile = profile
        self.rate = rate
        self.backlog = backlog
        self.counts = counts
        self.throughput = throughput
        self.latency = latency
        self.baseline = baseline
        self.reference = reference
        self.workers = workers
        self.redis = redis
        self.verification = verification
        passed = verification.passed
        self.series = series
    }

    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }

    public static func decode(_ data: Data) throws -> LoadReport {
        try JSONDecoder().decode(LoadReport.self, from: data)
    }
}
