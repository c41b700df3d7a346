/// The dedup settings (the worker's `dedup.*`) as the Functions take them,
/// decimal text written once: every apply and forget call carries them.
struct DedupArguments: Sendable {
    let bucketSeconds: [UInt8]
    let buckets: [UInt8]
    let aheadSeconds: [UInt8]
    /// How long a claim outlives its confirmed outcome (`tally_forget_v4`'s
    /// ARGV 1): the window, `bucketSeconds × (buckets − 1)`, plus how far
    /// ahead a record may be dated.
    let claimSeconds: [UInt8]
    /// How long after a switch from layout 3 a layout 3 claim may still
    /// matter: a bucket, the window and how far ahead a record may be dated
    /// (the Function's `v3_claims_until` is the switch plus this).
    let layout3ClaimsOutliveSwitch: Int

    init(bucketSeconds: Int, buckets: Int, aheadSeconds: Int) {
        self.bucketSeconds = Array(String(bucketSeconds).utf8)
        self.buckets = Array(String(buckets).utf8)
        self.aheadSeconds = Array(String(aheadSeconds).utf8)
        self.claimSeconds = Array(String(bucketSeconds * (buckets - 1) + aheadSeconds).utf8)
        self.layout3ClaimsOutliveSwitch = bucketSeconds * buckets + aheadSeconds + 1
    }
}
